import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LlmcmError } from '../../../src/core/errors.js';
import { isInBaseline, loadBaseline } from '../../../src/scan/baseline.js';
import type { RawFinding } from '../../../src/scan/detect/detector.js';
import { isIgnored, parseIgnoreList } from '../../../src/scan/ignore-file.js';

const f = (over: Partial<RawFinding> = {}): RawFinding => ({
  ruleId: 'r',
  description: 'd',
  startLine: 2,
  endLine: 2,
  startColumn: 1,
  endColumn: 9,
  line: '',
  match: 'm',
  secret: 's3cr3t',
  file: 'a/b.txt',
  commit: '',
  entropy: 2.5,
  tags: [],
  author: '',
  email: '',
  date: '',
  message: '',
  fingerprint: '',
  ...over,
});

describe('.gitleaksignore', () => {
  const list = parseIgnoreList('# comment\na\\b.txt:r:2\nabc123:x/y.txt:r:7\nnot a fingerprint\n');
  it('matches global and commit fingerprints, normalising backslashes', () => {
    expect(isIgnored(list, f())).toBe(true);
    expect(isIgnored(list, f({ file: 'x/y.txt', startLine: 7, commit: 'abc123' }))).toBe(true);
    expect(isIgnored(list, f({ file: 'x/y.txt', startLine: 7, commit: 'other' }))).toBe(false);
  });
  it('reports lines that are not fingerprints', () => {
    expect(list.invalid).toEqual([{ line: 4, text: 'not a fingerprint' }]);
  });
});

describe('baseline', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmcm-baseline-'));
  const write = (name: string, text: string): string => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };

  it('suppresses findings equal to an entry (gitleaks report with secrets, or ours with fingerprints)', () => {
    const gl = loadBaseline(
      write(
        'gl.json',
        JSON.stringify([
          {
            RuleID: 'r',
            StartLine: 2,
            EndLine: 2,
            StartColumn: 1,
            EndColumn: 9,
            Match: 'm',
            Secret: 's3cr3t',
            File: 'a/b.txt',
            Commit: '',
            Entropy: 2.5,
          },
        ]),
      ),
    );
    const fp = () => 'fp:1';
    expect(isInBaseline(f(), gl, fp)).toBe(true);
    expect(isInBaseline(f({ secret: 'other' }), gl, fp)).toBe(false);
    expect(isInBaseline(f({ startLine: 3, endLine: 3 }), gl, fp)).toBe(false);
    const ours = loadBaseline(
      write(
        'ours.json',
        JSON.stringify([
          {
            RuleID: 'r',
            StartLine: 2,
            EndLine: 2,
            StartColumn: 1,
            EndColumn: 9,
            Secret: 'REDACTED',
            SecretFingerprint: 'fp:1',
            File: 'a/b.txt',
          },
        ]),
      ),
    );
    expect(isInBaseline(f(), ours, fp)).toBe(true);
    expect(isInBaseline(f(), ours, () => 'fp:2')).toBe(false);
    // Our baselines survive line moves (same rule, file and secret fingerprint)...
    expect(isInBaseline(f({ startLine: 40, endLine: 40, startColumn: 7 }), ours, fp)).toBe(true);
    expect(isInBaseline(f({ startLine: 40, endLine: 40, file: 'other.txt' }), ours, fp)).toBe(false);
    // ...gitleaks baselines keep gitleaks' exact matching.
    expect(isInBaseline(f({ startLine: 40, endLine: 40 }), gl, fp)).toBe(false);
  });

  it('a file in the wrong format is an input error (exit 2) naming the file', () => {
    for (const [name, text] of [
      ['bad1.json', '{"not": "an array"}'],
      ['bad2.json', 'not json'],
      ['bad3.json', '[{"foo": 1}]'],
    ] as const) {
      const path = write(name, text);
      let error: unknown;
      try {
        loadBaseline(path);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(LlmcmError);
      expect((error as LlmcmError).exitCode).toBe(2);
      expect((error as LlmcmError).file).toBe(path);
    }
  });
});
