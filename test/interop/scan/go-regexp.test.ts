/**
 * The RE2 → JS translator against Go's own regexp package (a tiny oracle program built from
 * test/interop/scan/go-regexp-oracle with the local Go toolchain): same compile errors, same
 * FindAllStringIndex, same FindStringSubmatch.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { parse as parseToml } from 'smol-toml';
import { beforeAll, expect, it } from 'vitest';
import {
  compileGoRegex,
  findAllIndex,
  findSubmatch,
  isAsciiText,
  maskNonAscii,
  translateGoRegex,
} from '../../../src/scan/re2/translate.js';
import { describeWithTools, projectRoot } from '../../support/tools.js';
import { writeCorpus } from './corpus.js';
import { gitleaksDefaultConfigPath } from './gitleaks-module.js';

interface OracleAnswer {
  error?: string;
  matches: [number, number][];
  groups: string[] | null;
  numSub: number;
}

let oracleBin = '';

function askGo(requests: { pattern: string; input: string }[]): OracleAnswer[] {
  const out = execFileSync(oracleBin, {
    input: `${requests.map((r) => JSON.stringify(r)).join('\n')}\n`,
    maxBuffer: 1 << 30,
  });
  return out
    .toString()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as OracleAnswer);
}

/** Go reports byte offsets; convert to UTF-16 offsets of the same string. */
function byteToUtf16(input: string): (b: number) => number {
  const map = new Map<number, number>();
  let b = 0;
  let u = 0;
  for (const ch of input) {
    map.set(b, u);
    b += Buffer.byteLength(ch);
    u += ch.length;
  }
  map.set(b, u);
  return (x) => map.get(x) ?? -1;
}

interface Comparison {
  pattern: string;
  input: string;
  go: OracleAnswer;
}

function jsAnswer(
  pattern: string,
  input: string,
): { error?: string; matches?: [number, number][]; groups?: string[] | null } {
  let re: ReturnType<typeof compileGoRegex>;
  try {
    re = compileGoRegex(pattern);
  } catch (error) {
    return { error: (error as Error).message };
  }
  const matches = findAllIndex(re, input);
  const groups = findSubmatch(re, input);
  // The flagless twin used on ASCII-only text must agree with the unicode form there.
  if (re.ascii && isAsciiText(input)) {
    const am = findAllIndex(re.ascii, input);
    const ag = findSubmatch(re.ascii, input);
    if (JSON.stringify(am) !== JSON.stringify(matches) || JSON.stringify(ag) !== JSON.stringify(groups)) {
      return { error: `ascii form disagrees: ${JSON.stringify(am)} vs ${JSON.stringify(matches)}` };
    }
  }
  // Maskable patterns run their twin on masked non-ASCII text: offsets must map back exactly, and
  // the groups must be the unicode groups with the same masking.
  if (re.maskable && re.ascii && !isAsciiText(input)) {
    const masked = maskNonAscii(input);
    const at = (i: number) => (masked.offsets ? masked.offsets[i]! : i);
    const mm = findAllIndex(re.ascii, masked.text).map(([s, e]) => [at(s), at(e)]);
    const mg = findSubmatch(re.ascii, masked.text);
    const expectedGroups = groups?.map((g) => maskNonAscii(g).text) ?? null;
    if (
      JSON.stringify(mm) !== JSON.stringify(matches) ||
      JSON.stringify(mg) !== JSON.stringify(expectedGroups)
    ) {
      return { error: `masked ascii form disagrees: ${JSON.stringify(mm)} vs ${JSON.stringify(matches)}` };
    }
    maskedChecks++;
  }
  return { matches, groups };
}

/** How many comparisons exercised the masked path (the property asserts it is not vacuous). */
let maskedChecks = 0;

function mismatches(items: Comparison[]): string[] {
  const bad: string[] = [];
  for (const { pattern, input, go } of items) {
    const js = jsAnswer(pattern, input);
    if (go.error || js.error) {
      if (Boolean(go.error) !== Boolean(js.error)) {
        bad.push(`${JSON.stringify(pattern)}: go ${go.error ?? 'ok'} / js ${js.error ?? 'ok'}`);
      }
      continue;
    }
    const conv = byteToUtf16(input);
    const goMatches = go.matches.map(([s, e]) => [conv(s), conv(e)]);
    if (JSON.stringify(goMatches) !== JSON.stringify(js.matches)) {
      bad.push(
        `${JSON.stringify(pattern)} on ${JSON.stringify(input.slice(0, 60))}: go ${JSON.stringify(goMatches.slice(0, 5))} js ${JSON.stringify(js.matches?.slice(0, 5))}`,
      );
    } else if (JSON.stringify(go.groups) !== JSON.stringify(js.groups)) {
      bad.push(
        `${JSON.stringify(pattern)} groups: go ${JSON.stringify(go.groups)} js ${JSON.stringify(js.groups)}`,
      );
    }
  }
  return bad;
}

/** Constructs whose meaning differs between Go and JS, each with inputs that tell them apart. */
const table: [string, string[]][] = [
  ['(?i)abc', ['ABC abc aBc', 'xAbCx']],
  ['a(?i)bc', ['aBC ABC abc', 'AbC aBc']],
  ['a(?i:b)c', ['aBc abc aBC ABc']],
  ['(?i)a(?-i:b)c', ['ABC AbC abc aBc']],
  ['(?i)a(?-i)b|c', ['Ab AB C c ab']],
  ['(?i)k', ['k K \u212a']],
  ['(?i)s', ['s S \u017f']],
  ['(?i)[a-c]+', ['ABC abc xyz']],
  ['(?i)[^a-c]+', ['ABCxyzABC']],
  ['(?i)\\w+', ['\u212a\u017f ab']],
  ['(?s).+', ['a\nb\r\nc']],
  ['.+', ['a\nb\r\nc\u2028d']],
  ['(?s:a.b)', ['a\nb a.b']],
  ['a.b', ['a\rb a\nb a\u2029b']],
  ['\\s+', ['a\t\n\v\f\r b\u00a0c\u2003d']],
  ['[\\s]+', ['\v\f x']],
  ['\\S+', ['a\vb c']],
  ['[^\\S]+', ['a\vb \t c']],
  ['\\d+', ['12 \u0661\u0662 3']],
  ['\\w+', ['héllo wörld_1']],
  ['\\bfoo\\b', ['foo föo foobar é-foo']],
  ['\\Bo', ['foo o']],
  ['[[:alnum:]]+', ['ab12_- é']],
  ['[[:alpha:][:digit:]]+', ['a1 b2']],
  ['[[:^alpha:]]+', ['ab12cd']],
  ['[[:space:]]+', ['a \v\t\nb']],
  ['[[:punct:]]+', ['a!@#b']],
  ['[[:xdigit:]]+', ['0xDEADbeefG']],
  ['[[:word:]]+', ['a_b-c']],
  ['[^]]+', ['a]b]c']],
  ['[]a]+', ['a]b']],
  ['[^]a]+', ['bcda]x']],
  ['[a-]+', ['a-b']],
  ['[-a]+', ['-ab']],
  ['[a\\-z]+', ['a-z b']],
  ['[\\[\\]]+', ['[a]']],
  ['x\\z', ['x\nx', 'yx']],
  ['x$', ['x\nx', 'x\n']],
  ['^x', ['x\nx']],
  ['(?m)^x', ['x\nx\rx']],
  ['(?m)x$', ['x\nx\rx']],
  ['\\Ax', ['xx']],
  ['(?P<name>a+)(b)', ['aab']],
  ['(?<n>a)(?:b)(c)?', ['ab abc']],
  ['(a)|(b)', ['b']],
  ['\\Qa.b*c\\E+', ['a.b*cc a.bbc']],
  ['\\Q(x)', ['(x)']],
  ['\\x41\\x{42}\\101', ['ABA']],
  ['\\pL+', ['héllo 123 世界']],
  ['\\p{Greek}+', ['abc αβγ']],
  ['\\PL+', ['abc123!']],
  ['\\p{^L}+', ['abc123!']],
  ['[\\p{Lu}\\d]+', ['ABcD12']],
  ['a{2,3}', ['aaaa a aa']],
  ['a{,3}', ['a{,3}']],
  ['a{2}?', ['aaa']],
  ['x{', ['x{']],
  ['(?U)a+', ['aaa']],
  ['(?U)a+?', ['aaa']],
  ['a*', ['baaab']],
  ['a*?', ['aa']],
  ['(a|)+b', ['aab']],
  ['\\b', ['ab cd']],
  ['', ['abc', '']],
  ['x*', ['\u{1f600}x\u{1f600}']],
  ['[\\x{1F600}-\\x{1F64F}]+', ['a\u{1f600}\u{1f64f}b']],
  ['.', ['\u{1f600}']],
  ['[^a]', ['\u{1f600}']],
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${VAR} placeholder, not a template
  ['\\$\\{[a-z]+\\}', ['${abc}']],
  ['\\.', ['a.b']],
  ['a\\/b', ['a/b']],
  ['(?i)straße', ['STRASSE strasse Straße']],
  ['[\\d-z]+', ['1-z']],
  // Invalid in Go: must be rejected, never silently accepted.
  ['(a', ['a']],
  ['a)', ['a']],
  ['a**', ['a']],
  ['a++', ['a']],
  ['*a', ['a']],
  ['\\1', ['a']],
  ['(a)\\1', ['aa']],
  ['\\C', ['a']],
  ['\\Z', ['a']],
  ['[z-a]', ['a']],
  ['a{1001}', ['a']],
  ['(?P<n>a)(?P<n>b)', ['ab']],
  ['(?P<1n>a)', ['a']],
  ['(?x)a', ['a']],
  ['\\8', ['8']],
  ['[[:foo:]]', ['a']],
  ['\\p{Nope}', ['a']],
  ['x{2,1}', ['xx']],
];

describeWithTools(['gitleaks'], 'RE2 → JS translation matches Go regexp exactly', () => {
  beforeAll(() => {
    const dir = join(projectRoot, '.cache', 'scan-go-oracle');
    mkdirSync(dir, { recursive: true });
    oracleBin = join(dir, 'go-regexp-oracle');
    const src = join(dirname(fileURLToPath(import.meta.url)), 'go-regexp-oracle');
    execFileSync('go', ['build', '-o', oracleBin, '.'], {
      cwd: src,
      env: { ...process.env, GOFLAGS: '-mod=mod' },
    });
  }, 120_000);

  it('agrees on a table of constructs that differ between the dialects (and on invalid patterns)', () => {
    const requests = table.flatMap(([pattern, inputs]) => inputs.map((input) => ({ pattern, input })));
    const go = askGo(requests);
    expect(go.filter((a) => a.error).length).toBeGreaterThan(10);
    expect(mismatches(requests.map((r, i) => ({ ...r, go: go[i]! })))).toEqual([]);
  });

  it("translates every pattern of gitleaks' default config and matches like Go on the corpus", () => {
    const path = gitleaksDefaultConfigPath();
    expect(path).toBeDefined();
    const cfg = parseToml(readFileSync(path!, 'utf8')) as {
      rules: { regex?: string; path?: string; allowlists?: { regexes?: string[]; paths?: string[] }[] }[];
      allowlist: { regexes: string[]; paths: string[] };
    };
    const patterns: string[] = [];
    for (const r of cfg.rules) {
      if (r.regex) patterns.push(r.regex);
      if (r.path) patterns.push(r.path);
      for (const a of r.allowlists ?? []) patterns.push(...(a.regexes ?? []), ...(a.paths ?? []));
    }
    patterns.push(...cfg.allowlist.regexes, ...cfg.allowlist.paths);
    expect(patterns.length).toBeGreaterThan(300);
    // Every pattern translates (an exception here would name it).
    for (const p of patterns) expect(() => compileGoRegex(p), p).not.toThrow();
    // Corpus text: the planted-secret corpus, gitleaks' own rule sources, CRLF and odd Unicode.
    const corpusDir = join(projectRoot, '.cache', 'scan-go-oracle', 'corpus');
    writeCorpus(corpusDir, 99);
    const texts: string[] = [];
    const walk = (d: string): void => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (!e.name.endsWith('.gz') && !e.name.endsWith('.log')) texts.push(readFileSync(p, 'utf8'));
      }
    };
    walk(corpusDir);
    const rulesDir = join(dirname(dirname(path!)), 'cmd', 'generate', 'config', 'rules');
    for (const f of readdirSync(rulesDir).slice(0, 30)) texts.push(readFileSync(join(rulesDir, f), 'utf8'));
    const input = `${texts.join('\n').replace(/\n(?=[a-m])/g, '\r\n')}\n\u212a\u017f é 😀 \u2028 end`;
    const go = askGo(patterns.map((pattern) => ({ pattern, input })));
    const total = go.reduce((n, a) => n + a.matches.length, 0);
    expect(total).toBeGreaterThan(300);
    expect(mismatches(patterns.map((pattern, i) => ({ pattern, input, go: go[i]! })))).toEqual([]);
  }, 180_000);

  it('agrees on random patterns over a grammar of RE2 constructs (property)', () => {
    const atom = fc.constantFrom(
      'a',
      'b',
      'A',
      'k',
      's',
      '.',
      '\\s',
      '\\S',
      '\\w',
      '\\d',
      '\\b',
      '[ab]',
      '[^a]',
      '[[:alpha:]]',
      '[^]a]',
      '\\n',
      '\\r',
      '[\\s\\d]',
      '\\.',
      '^',
      '$',
      '\\z',
      '(?i:a)',
      '(?s:.)',
      'é',
      '\\x{212A}',
      '(|a)',
      '(?:a??)',
      '(a|)',
      '(?:b|a*)',
      '.{2}',
      '[^\\x7f]',
      '[[:cntrl:]]',
      '[\\x{80}-\\x{10FFFF}]',
      '[^\\x{100}-\\x{10FFFF}]',
    );
    const piece = fc
      .tuple(atom, fc.constantFrom('', '*', '+', '?', '{1,2}', '*?', '+?', '{2}'))
      .map(([a, q]) => (/^[\^$]|\\[bz]$/.test(a) ? a : a + q));
    const seq = fc.array(piece, { minLength: 1, maxLength: 5 }).map((p) => p.join(''));
    const pattern = fc
      .tuple(
        fc.constantFrom('', '(?i)', '(?s)', '(?m)', '(?U)'),
        seq,
        fc.option(seq, { nil: undefined }),
        fc.boolean(),
      )
      .map(([flags, a, b, group]) => {
        const body = b === undefined ? a : `${a}|${b}`;
        return group ? `${flags}x(${body})y|${body}` : `${flags}${body}`;
      });
    const input = fc.string({
      unit: fc.constantFrom(
        'a',
        'b',
        'A',
        'B',
        'k',
        'K',
        's',
        'S',
        ' ',
        '\n',
        '\r',
        '\v',
        '\t',
        '.',
        'é',
        'x',
        'y',
        '1',
        '_',
        ']',
        '\u212a',
        '\u017f',
        '\x7f',
        '😀',
        'ü',
      ),
      maxLength: 24,
    });
    const samples = fc.sample(fc.tuple(pattern, input), {
      numRuns: Number(process.env.SCAN_FUZZ_RUNS ?? 600),
      seed: Number(process.env.SCAN_FUZZ_SEED ?? 20261127),
    });
    const requests = samples.map(([p, s]) => ({ pattern: p, input: s }));
    const go = askGo(requests);
    // Patterns the translator warns about are reported to the user; all others must agree exactly.
    const warned = new Set(
      requests.filter((r) => {
        try {
          return translateGoRegex(r.pattern).warnings.length > 0;
        } catch {
          return false;
        }
      }),
    );
    expect(warned.size).toBeGreaterThan(10);
    const checked = requests
      .map((r, i) => ({ ...r, go: go[i]! }))
      .filter((_, i) => !warned.has(requests[i]!));
    const maskedBefore = maskedChecks;
    expect(mismatches(checked)).toEqual([]);
    expect(maskedChecks - maskedBefore).toBeGreaterThan(50);
  });
});
