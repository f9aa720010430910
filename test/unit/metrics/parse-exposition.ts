/** One sample of a parsed exposition: `name{labels} value`. */
export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A parsed Prometheus text exposition (format 0.0.4): HELP/TYPE per family and every sample. */
export interface ParsedExposition {
  help: Map<string, string>;
  type: Map<string, string>;
  samples: ParsedSample[];
}

const samplePattern = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf('="', i);
    if (eq < 0) throw new Error(`bad labels: ${text}`);
    const name = text.slice(i, eq);
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name)) throw new Error(`bad label name: ${name}`);
    let value = '';
    let j = eq + 2;
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] === '\\') {
        j++;
        value += text[j] === 'n' ? '\n' : text[j];
      } else value += text[j];
    }
    if (j >= text.length) throw new Error(`unterminated label value: ${text}`);
    labels[name] = value;
    i = j + 1;
    if (text[i] === ',') i++;
  }
  return labels;
}

/**
 * A strict reader of the text format, written for the tests from the format's description (not with
 * prom-client), so the tests check what a scraper would read. Throws on any line it does not know.
 */
export function parseExposition(text: string): ParsedExposition {
  const parsed: ParsedExposition = { help: new Map(), type: new Map(), samples: [] };
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a newline');
  for (const line of text.slice(0, -1).split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta) {
      (meta[1] === 'HELP' ? parsed.help : parsed.type).set(meta[2]!, meta[3]!);
      continue;
    }
    const sample = samplePattern.exec(line);
    if (!sample) throw new Error(`not an exposition line: ${line}`);
    const value = Number(sample[3]);
    if (Number.isNaN(value) && sample[3] !== 'NaN') throw new Error(`bad value: ${line}`);
    parsed.samples.push({ name: sample[1]!, labels: parseLabels(sample[2] ?? ''), value });
  }
  return parsed;
}

/** The samples of one metric as `labels → value` strings, sorted, for exact comparisons. */
export function samplesOf(parsed: ParsedExposition, name: string): string[] {
  return parsed.samples
    .filter((s) => s.name === name)
    .map(
      (s) =>
        `${Object.entries(s.labels)
          .map(([k, v]) => `${k}=${v}`)
          .join(',')} ${s.value}`,
    )
    .sort();
}
