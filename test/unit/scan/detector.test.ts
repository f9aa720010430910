import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/scan/config/load-config.js';
import { Detector, locateMatch } from '../../../src/scan/detect/detector.js';
import { enableBacktrackingFallback } from '../../../src/scan/re2/translate.js';

const detectorFor = (toml: string, opts = {}) =>
  new Detector(loadConfig({ name: 't.toml', text: toml }), opts);
const scan = (d: Detector, raw: string, filePath = 'f.txt', commit = '') =>
  d.detect({ raw, filePath, commit, startLine: 1 });

describe('Detector (gitleaks detect.go semantics)', () => {
  const base = `
[[rules]]
id = "tok"
regex = '''tok_([a-z0-9]{8})'''
keywords = ["tok_"]
`;

  it('reports line, byte columns and the first non-empty group as the secret', () => {
    const [f] = scan(detectorFor(base), 'é x tok_abcd1234\nnext');
    // 'é' is two bytes: gitleaks columns count bytes.
    expect(f).toMatchObject({
      startLine: 1,
      startColumn: 6,
      endColumn: 17,
      secret: 'abcd1234',
      match: 'tok_abcd1234',
    });
  });

  it('counts the previous newline in columns after the first line (gitleaks quirk)', () => {
    const [f] = scan(detectorFor(base), 'line one\n  tok_abcd1234');
    expect(f).toMatchObject({ startLine: 2, startColumn: 4 });
  });

  it('skips rules whose keywords are absent', () => {
    const d = detectorFor(`${base}\n[[rules]]\nid = "other"\nregex = "abcd"\nkeywords = ["zzz"]\n`);
    expect(scan(d, 'tok_abcd1234').map((f) => f.ruleId)).toEqual(['tok']);
  });

  it('honours gitleaks:allow on the line, unless told to ignore it', () => {
    expect(scan(detectorFor(base), 'tok_abcd1234 # gitleaks:allow')).toEqual([]);
    expect(
      scan(detectorFor(base, { ignoreGitleaksAllow: true }), 'tok_abcd1234 # gitleaks:allow'),
    ).toHaveLength(1);
  });

  it('drops secrets at or below the entropy threshold', () => {
    const d = detectorFor(`${base}entropy = 2.0\n`);
    expect(scan(d, 'tok_aaaaaaaa')).toEqual([]);
    expect(scan(d, 'tok_abcd1234')).toHaveLength(1);
  });

  it('applies allowlists by target, stopword, path, commit and condition', () => {
    const d = detectorFor(`${base}
[[rules.allowlists]]
regexTarget = "match"
regexes = ['''^tok_0''']
[[rules.allowlists]]
stopwords = ["dead"]
[[rules.allowlists]]
regexTarget = "line"
regexes = ['''^\\s*#''']
[[rules.allowlists]]
paths = ['''test/''']
[[rules.allowlists]]
condition = "AND"
commits = ["c0ffee"]
regexes = ['''^b''']
`);
    expect(scan(d, 'tok_01234567')).toEqual([]);
    expect(scan(d, 'tok_deadbeef')).toEqual([]);
    expect(scan(d, '  # tok_abcd1234')).toEqual([]);
    expect(scan(d, 'tok_abcd1234', 'test/x.txt')).toEqual([]);
    expect(scan(d, 'tok_bbcd1234', 'a.txt', 'C0FFEE')).toEqual([]);
    expect(scan(d, 'tok_bbcd1234', 'a.txt', 'other')).toHaveLength(1);
    expect(scan(d, 'tok_abcd1234', 'a.txt', 'c0ffee')).toHaveLength(1);
  });

  it('path-only rules report the file', () => {
    const d = detectorFor("[[rules]]\nid = \"envfile\"\npath = '''\\.env$'''\n");
    expect(scan(d, 'anything', 'app/.env')[0]).toMatchObject({
      ruleId: 'envfile',
      match: 'file detected: app/.env',
    });
  });

  it('a generic finding yields to a specific rule on the same line', () => {
    const d = detectorFor(`${base}\n[[rules]]\nid = "generic-x"\nregex = '''=\\s*\\w+_(\\w+)'''\n`);
    expect(scan(d, 'k = tok_abcd1234').map((f) => f.ruleId)).toEqual(['tok']);
  });

  it('composite rules need their required rules nearby', () => {
    const d = detectorFor(`
[[rules]]
id = "user"
regex = '''user=(\\w+)'''
skipReport = true
[[rules]]
id = "pass"
regex = '''pass=(\\w+)'''
[[rules.required]]
id = "user"
withinLines = 1
`);
    expect(scan(d, 'user=a\npass=b').map((f) => f.ruleId)).toEqual(['pass']);
    expect(scan(d, 'user=a\n\n\npass=b')).toEqual([]);
    expect(scan(d, 'pass=b')).toEqual([]);
  });

  it('reports a rule that exceeds its time budget, with the file, and stops running it there', () => {
    const warnings: unknown[] = [];
    const d = detectorFor(`[[rules]]\nid = "slow"\nregex = '''(?:a|aa)+(?:a|aa)+b'''\n`, {
      ruleBudgetMs: 1,
      onBudgetExceeded: (w: unknown) => warnings.push(w),
    });
    scan(d, 'a'.repeat(24), 'big.txt');
    scan(d, 'a'.repeat(24), 'big.txt');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ ruleId: 'slow', file: 'big.txt' });
  });

  it('runs an exponential pattern on non-ASCII text through the masked ASCII form: same findings, no warning', () => {
    enableBacktrackingFallback();
    const warnings: unknown[] = [];
    const d = detectorFor(`[[rules]]\nid = "exp"\nregex = '''(a|aa)+(a|aa)+b'''\n`, {
      ruleBudgetMs: 200,
      onBudgetExceeded: (w: unknown) => warnings.push(w),
    });
    // Without the masked form this line costs seconds of backtracking (minutes at 3000 characters).
    const found = scan(d, `é${'a'.repeat(30)}c\nü aab é\n`);
    expect(warnings).toEqual([]);
    expect(found.map((f) => [f.startLine, f.startColumn, f.secret])).toEqual([[2, 5, 'a']]);
  });

  it('stops a pattern the fast forms cannot take at the budget (deadline), warns, and keeps other rules', () => {
    const warnings: { ruleId: string }[] = [];
    const d = detectorFor(
      `[[rules]]\nid = "exp"\nregex = '''(?i)s?(?:a|aa)+(?:a|aa)+b'''\n[[rules]]\nid = "tok"\nregex = '''tok_[a-z0-9]{8}'''\n`,
      { ruleBudgetMs: 20, onBudgetExceeded: (w: { ruleId: string }) => warnings.push(w) },
    );
    // ~2^60 steps: this would never finish without the deadline.
    const found = scan(d, `é${'a'.repeat(60)}c\ntok_abcd1234\n`);
    expect(warnings.map((w) => w.ruleId)).toEqual(['exp']);
    expect(found.map((f) => f.ruleId)).toEqual(['tok']);
  });
});

describe('decoding passes (gitleaks detect/codec)', () => {
  const tokenRule = `[[rules]]\nid = "tok"\nregex = '''tok_([a-z0-9]{8})'''\nkeywords = ["tok_"]\n`;
  const b64 = (s: string) => Buffer.from(s).toString('base64');

  it('finds a secret inside base64 and reports where the encoded text is, with decode tags', () => {
    const encoded = b64('key=tok_abcd1234;');
    const raw = `line one\nvalue: ${encoded}\n`;
    const [f] = scan(detectorFor(tokenRule), raw);
    expect(f).toMatchObject({ ruleId: 'tok', secret: 'abcd1234', startLine: 2 });
    expect(f!.tags).toEqual(['decoded:base64', 'decode-depth:1']);
    // The location is the whole encoded token (gitleaks maps decoded matches back to it).
    expect(f).toMatchObject({ startColumn: 9, endColumn: 8 + encoded.length });
  });

  it('decodes nested encodings up to the depth limit, and not at all with depth 0', () => {
    const raw = `x ${b64(b64('tok_abcd1234 end'))}\n`;
    expect(scan(detectorFor(tokenRule), raw)[0]!.tags).toContain('decode-depth:2');
    expect(scan(detectorFor(tokenRule, { maxDecodeDepth: 1 }), raw)).toEqual([]);
    expect(scan(detectorFor(tokenRule, { maxDecodeDepth: 0 }), `x ${b64('tok_abcd1234 end')}\n`)).toEqual([]);
  });

  it('decodes hex, percent and unicode escapes', () => {
    const hex = Buffer.from('tok_abcd1234 and more text').toString('hex');
    expect(scan(detectorFor(tokenRule), `h ${hex}\n`)[0]!.tags).toContain('decoded:hex');
    expect(scan(detectorFor(tokenRule), 'u %74ok_abcd1234%20\n')[0]!.tags).toContain('decoded:percent');
    const esc = [...'tok_abcd1234']
      .map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
      .join('');
    expect(scan(detectorFor(tokenRule), `e "${esc}"\n`)[0]!.tags).toContain('decoded:unicode');
  });
});

describe('locateMatch', () => {
  it('handles a match on the last line without a trailing newline', () => {
    const raw = 'ab\ncd';
    const loc = locateMatch([2], raw, 3, 5);
    expect(loc).toMatchObject({ startLine: 1, startColumn: 2, endColumn: 3, endLineIndex: 5 });
  });
});
