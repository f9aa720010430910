import type { OptionSpec } from '../cli/command.js';
import { writeFileAtomic } from '../core/atomic-write.js';

/** One labelled value of a gauge. Label values are names only (environment, store, result), never config values. */
export interface GaugeSample {
  labels: Record<string, string>;
  value: number;
}

/** A gauge and its samples, as the pure builders describe them; prom-client renders them. */
export interface GaugeFamily {
  name: string;
  help: string;
  labelNames: readonly string[];
  samples: GaugeSample[];
}

/** The `--metrics-file FILE` option shared by promote, rollback, drift and check. */
export const metricsFileOption: OptionSpec = {
  type: 'string',
  description:
    'also write Prometheus metrics (text format, e.g. for the node_exporter textfile collector) to FILE',
  valueName: 'FILE',
};

type PromClient = typeof import('prom-client');

/**
 * prom-client is CommonJS. Under Node's own ESM loader (tests, the library build) its exports are
 * named exports; in the esbuild-bundled CLI the lazily loaded chunk has only a default export.
 */
async function loadPromClient(): Promise<PromClient> {
  const imported = (await import('prom-client')) as PromClient & { default?: PromClient };
  return typeof imported.Registry === 'function' ? imported : imported.default!;
}

/**
 * Renders gauge families in the Prometheus text exposition format (0.0.4) with prom-client, on a
 * private registry: never the global default one (which a library user may share), and no default
 * process metrics (a one-shot CLI's heap size says nothing). prom-client is imported here, lazily,
 * so commands run without --metrics-file never load it.
 */
export async function renderExposition(families: readonly GaugeFamily[]): Promise<string> {
  const { Gauge, Registry } = await loadPromClient();
  const registry = new Registry();
  for (const family of families) {
    const gauge = new Gauge({
      name: family.name,
      help: family.help,
      labelNames: [...family.labelNames],
      registers: [registry],
    });
    for (const sample of family.samples) {
      if (family.labelNames.length === 0) gauge.set(sample.value);
      else gauge.set(sample.labels, sample.value);
    }
  }
  return registry.metrics();
}

/**
 * Writes the families to `path` atomically (temp file in the same directory + rename), so a textfile
 * collector scraping mid-write reads the old file or the new one, never half of one.
 */
export async function writeMetricsFile(path: string, families: readonly GaugeFamily[]): Promise<void> {
  writeFileAtomic(path, await renderExposition(families));
}

/**
 * Like writeMetricsFile, but never throws: a failure is one warning line on stderr, so the command's
 * own outcome (output and exit code) is what the caller sees. Returns whether the file was written.
 */
export async function writeMetricsFileOrWarn(
  path: string,
  families: readonly GaugeFamily[],
  stderr: { write(text: string): unknown },
): Promise<boolean> {
  try {
    await writeMetricsFile(path, families);
    return true;
  } catch (error) {
    const reason = ((error as Error)?.message ?? String(error)).split('\n')[0];
    stderr.write(`llmcm: warning: metrics not written: ${reason}\n`);
    return false;
  }
}
