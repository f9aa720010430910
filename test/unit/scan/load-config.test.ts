import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LlmcmError } from '../../../src/core/errors.js';
import { loadConfig, loadConfigFile } from '../../../src/scan/config/load-config.js';

const load = (text: string) => loadConfig({ name: 'cfg.toml', text });

function errorOf(fn: () => unknown): LlmcmError {
  try {
    fn();
  } catch (error) {
    if (error instanceof LlmcmError) return error;
    throw error;
  }
  throw new Error('expected an LlmcmError');
}

describe('gitleaks config loader', () => {
  it('reads rules with every supported field (any key case, like viper)', () => {
    const cfg = load(`
[[rules]]
id = "r1"
description = "d"
regex = '''key=(\\w+)'''
secretGroup = 1
entropy = 2.5
keywords = ["KEY"]
tags = ["t"]
path = '''\\.env$'''
skipReport = false
[[rules.allowlists]]
regexTarget = "line"
regexes = ['''ok''']
condition = "AND"
paths = ['''x''']
stopwords = ["Foo"]
commits = ["ABC"]
[[rules]]
ID = "r2"
REGEX = "x"
`);
    const r1 = cfg.rules.get('r1')!;
    expect(r1.secretGroup).toBe(1);
    expect(r1.keywords).toEqual(['key']);
    expect(r1.allowlists[0]).toMatchObject({ condition: 'AND', regexTarget: 'line', stopwords: ['foo'] });
    expect(r1.allowlists[0]!.commits.has('abc')).toBe(true);
    expect(cfg.rules.get('r2')).toBeDefined();
    expect(cfg.orderedRuleIds).toEqual(['r1', 'r2']);
  });

  it('attaches [[allowlists]] with targetRules to those rules only', () => {
    const cfg = load(`
[[allowlists]]
targetRules = ["a"]
regexes = ["x"]
[[allowlists]]
stopwords = ["y"]
[[rules]]
id = "a"
regex = "a"
[[rules]]
id = "b"
regex = "b"
`);
    expect(cfg.rules.get('a')!.allowlists).toHaveLength(1);
    expect(cfg.rules.get('b')!.allowlists).toHaveLength(0);
    expect(cfg.allowlists).toHaveLength(1);
  });

  it('accepts the legacy [allowlist] and [rules.allowlist] tables', () => {
    const cfg = load(`
[allowlist]
paths = ["vendor/"]
[[rules]]
id = "a"
regex = "a"
[rules.allowlist]
regexes = ["b"]
`);
    expect(cfg.allowlists).toHaveLength(1);
    expect(cfg.rules.get('a')!.allowlists).toHaveLength(1);
  });

  it('[extend] useDefault merges with the built-in rules and disabledRules removes some', () => {
    const cfg = load(`
[extend]
useDefault = true
disabledRules = ["jwt"]
[[rules]]
id = "github-token"
entropy = 1.0
[[rules]]
id = "mine"
regex = "mine"
`);
    expect(cfg.rules.has('jwt')).toBe(false);
    expect(cfg.rules.has('openai-project-key')).toBe(true);
    expect(cfg.rules.get('github-token')!.entropy).toBe(1);
    expect(cfg.rules.get('github-token')!.regex).toBeDefined();
    expect(cfg.orderedRuleIds).toEqual([...cfg.orderedRuleIds].sort());
  });

  it('[extend] path reads another file (relative to the working directory or the config)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'llmcm-cfg-'));
    writeFileSync(join(dir, 'base.toml'), '[[rules]]\nid = "base"\nregex = "b"\n');
    writeFileSync(
      join(dir, 'main.toml'),
      '[extend]\npath = "base.toml"\n[[rules]]\nid = "top"\nregex = "t"\n',
    );
    const cfg = loadConfigFile(join(dir, 'main.toml'), { cwd: tmpdir() });
    expect([...cfg.rules.keys()].sort()).toEqual(['base', 'top']);
  });

  it('collects translation warnings naming the file and the rule', () => {
    const cfg = load(
      '[[rules]]\nid = "loopy"\nregex = \'\'\'x(|a)+\'\'\'\n[[rules]]\nid = "fine"\nregex = "a+"\n',
    );
    expect(cfg.warnings).toHaveLength(1);
    expect(cfg.warnings[0]).toMatch(/^cfg\.toml: rule 'loopy': a repeated or optional group/);
  });

  it('an invalid TOML file is an error with the line', () => {
    const e = errorOf(() => load('[[rules]]\nid = "a"\nregex = \n'));
    expect(e.exitCode).toBe(2);
    expect(e.file).toBe('cfg.toml');
    expect(e.line).toBe(3);
    expect(e.message).toMatch(/invalid TOML/);
  });

  it('an unknown field is an error naming the file, the field and its line', () => {
    const e = errorOf(() => load('[[rules]]\nid = "a"\nregex = "a"\nsecretgrup = 1\n'));
    expect(e.message).toMatch(/unknown field 'secretgrup' in rule 'a'/);
    expect(e.line).toBe(4);
    expect(e.exitCode).toBe(2);
    expect(errorOf(() => load('[extend]\nusedefault = true\nfoo = 1\n')).message).toMatch(
      /'foo' in \[extend\]/,
    );
    expect(errorOf(() => load('[[allowlists]]\nregexes = ["a"]\ntarget = "x"\n')).message).toMatch(
      /'target'/,
    );
  });

  it('a regex that does not compile is an error naming the rule', () => {
    const e = errorOf(() => load("[[rules]]\nid = \"broken\"\nregex = '''(a'''\n"));
    expect(e.message).toMatch(/rule 'broken': regex does not compile/);
    expect(e.line).toBe(3);
    expect(errorOf(() => load('[[rules]]\nid = "b"\nregex = "x"\npath = "[z-a]"\n')).message).toMatch(
      /rule 'b' path/,
    );
  });

  it('rejects what gitleaks rejects', () => {
    expect(errorOf(() => load('[[rules]]\nid = "a"\n')).message).toMatch(/both regex and path are empty/);
    expect(errorOf(() => load('[[rules]]\nid = "a"\nregex = "(x)"\nsecretGroup = 2\n')).message).toMatch(
      /secret group 2/,
    );
    expect(
      errorOf(() => load('[[rules]]\nid = "a"\nregex = "x"\n[[rules.allowlists]]\ndescription = "empty"\n'))
        .message,
    ).toMatch(/at least one check/);
    expect(
      errorOf(() =>
        load(
          '[[rules]]\nid = "a"\nregex = "x"\n[[rules.allowlists]]\nregexTarget = "body"\nregexes = ["x"]\n',
        ),
      ).message,
    ).toMatch(/regexTarget 'body'/);
    expect(
      errorOf(() =>
        load('[[rules]]\nid = "a"\nregex = "x"\n[[rules.allowlists]]\ncondition = "XOR"\nregexes = ["x"]\n'),
      ).message,
    ).toMatch(/condition 'XOR'/);
    expect(errorOf(() => load('[[allowlists]]\ntargetRules = ["nope"]\nregexes = ["x"]\n')).message).toMatch(
      /'nope' does not exist/,
    );
    expect(errorOf(() => load('[extend]\nuseDefault = true\npath = "x.toml"\n')).message).toMatch(/both set/);
    expect(
      errorOf(() => load('[[rules]]\nid = "a"\nregex = "x"\n[[rules.required]]\nid = "zz"\n')).message,
    ).toMatch(/'zz' does not exist/);
  });
});
