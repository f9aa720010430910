/** The on-disk translation cache: same rules from a cache hit as from a fresh translation, never trusted blindly. */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LlmcmError } from '../../../src/core/errors.js';
import { loadConfig } from '../../../src/scan/config/load-config.js';
import { translateGoRegex } from '../../../src/scan/re2/translate.js';
import { readTranslationCache, translationCacheFile } from '../../../src/scan/re2/translation-cache.js';

// 30 distinct rules (a cached config needs at least 20 patterns), with (?i), classes and groups.
const rules = Array.from(
  { length: 30 },
  (_, i) =>
    `[[rules]]\nid = "r${i}"\nregex = '''(?i)tok${i}[_-]?([a-z0-9]{8,}|\\d{${i + 2}})\\b'''\nkeywords = ["tok${i}"]\n`,
).join('\n');

describe('translation cache', () => {
  let dir: string;
  const saved = { xdg: process.env.XDG_CACHE_HOME, off: process.env.LLMCM_SCAN_CACHE };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'llmcm-rxcache-'));
    process.env.XDG_CACHE_HOME = dir;
    delete process.env.LLMCM_SCAN_CACHE;
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    if (saved.xdg === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = saved.xdg;
    if (saved.off === undefined) delete process.env.LLMCM_SCAN_CACHE;
    else process.env.LLMCM_SCAN_CACHE = saved.off;
  });

  const shape = (text: string) =>
    [...loadConfig({ name: 'c.toml', text }).rules.values()].map((r) => ({
      id: r.id,
      source: r.regex?.source,
      groups: r.groupCount,
    }));

  it('writes the cache owner-only, and never for a config with translationCache: false', () => {
    const text = `${rules}\n# owner-only`;
    shape(text);
    const file = translationCacheFile(`${text}\0`)!;
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(file, '..')).mode & 0o777).toBe(0o700);
    const envText = `${rules}\n# from the environment`;
    loadConfig({ name: 'GITLEAKS_CONFIG_TOML', text: envText }, { translationCache: false });
    expect(existsSync(translationCacheFile(`${envText}\0`)!)).toBe(false);
  });

  it('writes one file for a big config, holding exactly the fresh translations', () => {
    const text = `${rules}\n# run 1`;
    shape(text);
    const file = translationCacheFile(`${text}\0`)!;
    expect(file.startsWith(dir)).toBe(true);
    const stored = readTranslationCache(file).translations;
    expect(stored.size).toBe(30);
    expect(readTranslationCache(file).doc).toEqual(parseToml(text));
    for (const [pattern, entry] of stored) {
      const fresh = translateGoRegex(pattern);
      expect(entry.source).toBe(fresh.source);
      expect(entry.ascii).toBe(fresh.asciiSource ?? null);
      expect([entry.groups, entry.maskable, entry.lookaround, entry.warnings]).toEqual([
        fresh.groups,
        fresh.maskable,
        fresh.lookaround,
        fresh.warnings,
      ]);
    }
    expect(readdirSync(join(dir, 'llmcm', 'scan-regex'))).toHaveLength(1);
  });

  it('uses the stored translation instead of translating again', () => {
    // Patterns this process has never translated, and a cache file that says something else.
    const unique = `u${process.pid}x${Date.now()}`;
    const patterns = Array.from({ length: 20 }, (_, i) => `${unique}${i}=(\\w+)`);
    const text = patterns.map((p, i) => `[[rules]]\nid = "c${i}"\nregex = '''${p}'''\n`).join('\n');
    const file = translationCacheFile(`${text}\0`)!;
    const entry = {
      source: 'cached(\\d)',
      groups: 1,
      names: [],
      warnings: [],
      ascii: null,
      maskable: false,
      lookaround: false,
    };
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, JSON.stringify({ entries: patterns.map((p) => [p, entry]) }));
    const cfg = loadConfig({ name: 'c.toml', text });
    expect(cfg.rules.get('c0')!.regex!.source).toBe('cached(\\d)');
    // The stored TOML document stands in for parsing the text, and still goes through the checks.
    const doc = { rules: [{ id: 'from-cache', regex: patterns[1] }] };
    writeFileSync(file, JSON.stringify({ entries: patterns.map((p) => [p, entry]), doc }));
    expect([...loadConfig({ name: 'c.toml', text }).rules.keys()]).toEqual(['from-cache']);
    const badDoc = { rules: [{ id: 'x', regex: patterns[1], colour: 'red' }] };
    writeFileSync(file, JSON.stringify({ entries: patterns.map((p) => [p, entry]), doc: badDoc }));
    expect(() => loadConfig({ name: 'c.toml', text })).toThrow(/unknown field 'colour'/);
  });

  it('ignores a malformed or tampered-shape file, and rewrites it', () => {
    const text = `${rules}\n# run 2`;
    const file = translationCacheFile(`${text}\0`)!;
    shape(text);
    writeFileSync(file, '{"entries": [["x", {"source": 1}]]}');
    expect(readTranslationCache(file).translations.size).toBe(0);
    writeFileSync(file, 'not json');
    expect(readTranslationCache(file).translations.size).toBe(0);
    const fresh = shape(text);
    expect(fresh.every((r) => r.source)).toBe(true);
    expect(JSON.parse(readFileSync(file, 'utf8')).entries).toHaveLength(30);
  });

  it('still reports a pattern that does not translate, and small configs write nothing', () => {
    const bad = `${rules}\n[[rules]]\nid = "bad"\nregex = '''a(?<!b)'''\n`;
    let error: unknown;
    try {
      loadConfig({ name: 'c.toml', text: bad });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LlmcmError);
    expect((error as LlmcmError).message).toMatch(/rule 'bad'.*does not compile/);
    expect(() => readdirSync(join(dir, 'llmcm', 'scan-regex'))).toThrow();
    shape(`[[rules]]\nid = "one"\nregex = '''x'''\n`);
    expect(() => readdirSync(join(dir, 'llmcm', 'scan-regex'))).toThrow();
  });

  it('is off with LLMCM_SCAN_CACHE=off', () => {
    process.env.LLMCM_SCAN_CACHE = 'off';
    expect(translationCacheFile('x')).toBeUndefined();
    shape(`${rules}\n# run 3`);
    expect(() => readdirSync(join(dir, 'llmcm', 'scan-regex'))).toThrow();
  });
});
