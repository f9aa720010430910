import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadBaseline } from '../../../src/scan/baseline.js';
import { loadConfigFile } from '../../../src/scan/config/load-config.js';
import type { RawFinding } from '../../../src/scan/detect/detector.js';
import { loadIgnoreFiles } from '../../../src/scan/ignore-file.js';
import { defaultRulesToml } from '../../../src/scan/rules/default-rules.js';
import { runScan } from '../../../src/scan/scan.js';
import { describeWithTools, toolPath } from '../../support/tools.js';
import { buildHistoryRepo, gitIn, writeCorpus, writeRandomCorpus } from './corpus.js';
import { gitleaksDefaultConfigPath } from './gitleaks-module.js';

/** A config that exercises the format: groups, entropy, path rules, every allowlist kind, Go-only syntax. */
const featureConfig = String.raw`
title = "parity features"

[[allowlists]]
description = "global: placeholders, and the docs folder"
regexes = ['''(?i)^(?:changeme|a{8,})$''']
paths = ['''(?:^|/)docs/''']

[[allowlists]]
description = "targets one rule only"
targetRules = ["generic-assignment"]
regexTarget = "line"
regexes = ['''#\s*indented''']

[[rules]]
id = "aws-key"
description = "AWS key id"
regex = '''\b((?:AKIA|ASIA)[A-Z2-7]{16})\b'''
keywords = ["akia", "asia"]

[[rules]]
id = "gh-pat"
regex = '''(?P<tok>ghp_[[:alnum:]]{36})'''
keywords = ["ghp_"]

[[rules]]
id = "generic-assignment"
regex = '''(?i)(?:secret|token|passw(?:or)?d|api_?key)[\w.-]{0,20}\s*[:=]\s*["']?([\w/+=-]{16,64})'''
secretGroup = 1
entropy = 3.5
keywords = ["secret", "token", "passw", "api"]

[[rules]]
id = "pem"
regex = '''(?s)-----BEGIN[ A-Z]*PRIVATE KEY-----.+?-----END[ A-Z]*PRIVATE KEY-----'''
keywords = ["-----begin"]

[[rules]]
id = "slack-mid-flag"
regex = '''slack\.token=(?i)XOXB-(\d+)-'''
keywords = ["slack"]

[[rules]]
id = "env-file"
description = "a dotenv file is committed"
path = '''(?:^|/)\.env$'''

[[rules]]
id = "json-client-secret"
path = '''\.json\z'''
regex = '''"client_secret"\s*:\s*"([^"]+)"'''
keywords = ["client_secret"]
[[rules.allowlists]]
condition = "AND"
paths = ['''nothing-matches''']
stopwords = ["a"]

[[rules]]
id = "stripe-live"
regex = '''\bsk_live_[a-zA-Z0-9]{10,99}\b'''
keywords = ["sk_live_"]
[[rules.allowlists]]
regexTarget = "match"
regexes = ['''^sk_live_0000''']

[[rules]]
id = "line-end"
regex = '''final_secret=(\w+)\z'''
keywords = ["final_secret"]

[[rules]]
id = "unicode-line"
regex = '''[^\x00-\x7f]+\s*=\s*"[^"]*";\s*api_token\s*=\s*"(\w+)"'''
keywords = ["api_token"]
`;

/** Columns are compared too (baselines and fingerprints depend on them); SCAN_PARITY_NO_COLUMNS=1 relaxes it. */
const withColumns = process.env.SCAN_PARITY_NO_COLUMNS !== '1';

const hash = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 16);

interface GitleaksJson {
  RuleID: string;
  File: string;
  StartLine: number;
  EndLine: number;
  Secret: string;
  Commit: string;
  StartColumn: number;
  EndColumn: number;
  Tags: string[] | null;
}

/** The decoding tags gitleaks adds (`decoded:base64`, `decode-depth:2`): compared too. */
const decodeTags = (tags: readonly string[] | null): string => {
  const t = (tags ?? []).filter((x) => x.startsWith('decode')).sort();
  return t.length > 0 ? ` [${t.join(',')}]` : '';
};

function tuples(
  findings: { rule: string; file: string; line: number; secret: string; commit: string; cols: string }[],
): string[] {
  return [
    ...new Set(
      findings.map((f) => `${f.commit.slice(0, 8)} ${f.file}:${f.line}${f.cols} ${f.rule} ${hash(f.secret)}`),
    ),
  ].sort();
}

function ours(findings: RawFinding[]): string[] {
  return tuples(
    findings.map((f) => ({
      rule: f.ruleId,
      file: f.file,
      line: f.startLine,
      secret: f.secret,
      commit: f.commit,
      cols: (withColumns ? `:${f.startColumn}-${f.endColumn}` : '') + decodeTags(f.tags),
    })),
  );
}

function runGitleaks(mode: 'dir' | 'git', cwd: string, config: string, out: string): GitleaksJson[] {
  execFileSync(
    toolPath('gitleaks')!,
    [
      mode,
      '.',
      '--config',
      config,
      '--report-format',
      'json',
      '--report-path',
      out,
      '--no-banner',
      '--exit-code',
      '0',
      '--log-level',
      'error',
    ],
    { cwd, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return JSON.parse(readFileSync(out, 'utf8')) as GitleaksJson[];
}

function theirs(findings: GitleaksJson[]): string[] {
  return tuples(
    findings.map((f) => ({
      rule: f.RuleID,
      file: f.File,
      line: f.StartLine,
      secret: f.Secret,
      commit: f.Commit,
      cols: (withColumns ? `:${f.StartColumn}-${f.EndColumn}` : '') + decodeTags(f.Tags),
    })),
  );
}

describeWithTools(
  ['gitleaks'],
  'parity with the real gitleaks (v8.30.1): same (rule, file, line, secret)',
  () => {
    let work: string;
    let corpus: string;
    let repo: string;
    const configs: Record<string, string> = {};

    beforeAll(() => {
      work = mkdtempSync(join(tmpdir(), 'llmcm-scan-parity-'));
      corpus = join(work, 'corpus');
      repo = join(work, 'repo');
      writeCorpus(corpus);
      // An ignore file both tools read: it suppresses one planted finding by fingerprint.
      writeFileSync(
        join(corpus, '.gitleaksignore'),
        'web/app.js:generic-assignment:1\nweb/app.js:generic-api-key:1\n',
      );
      buildHistoryRepo(repo);
      configs.features = join(work, 'features.toml');
      writeFileSync(configs.features, featureConfig);
      configs['llmcm-default'] = join(work, 'llmcm-default.toml');
      writeFileSync(configs['llmcm-default'], defaultRulesToml);
      const gl = gitleaksDefaultConfigPath();
      if (gl) configs['gitleaks-default'] = gl;
    });

    afterAll(() => {
      if (work) rmSync(work, { recursive: true, force: true });
    });

    it('has the gitleaks default config in the Go module cache', () => {
      expect(gitleaksDefaultConfigPath()).toBeDefined();
    });

    for (const name of ['features', 'llmcm-default', 'gitleaks-default']) {
      it(`dir mode, ${name} config`, async () => {
        const configPath = configs[name];
        expect(configPath && existsSync(configPath)).toBe(true);
        const expected = theirs(runGitleaks('dir', corpus, configPath!, join(work, `${name}-dir.json`)));
        const config = loadConfigFile(configPath!);
        const result = await runScan({
          root: corpus,
          target: { kind: 'dir', paths: ['.'] },
          config,
          sopsAware: false,
          ignore: loadIgnoreFiles([join(corpus, '.gitleaksignore')]),
        });
        expect(expected.length).toBeGreaterThan(5);
        // The planted encoded secrets (base64, hex, percent, unicode escapes, nested) are found by both.
        if (name !== 'features')
          expect(expected.filter((t) => t.includes('decoded:')).length).toBeGreaterThanOrEqual(5);
        if (process.env.SCAN_PARITY_DEBUG)
          console.log(name, expected.length, expected.slice(0, 40).join('\n'));
        expect(ours(result.findings)).toEqual(expected);
      });

      it(`git mode (all refs, renames, deletes, merge), ${name} config`, async () => {
        const configPath = configs[name]!;
        const expected = theirs(runGitleaks('git', repo, configPath, join(work, `${name}-git.json`)));
        const config = loadConfigFile(configPath);
        const result = await runScan({ root: repo, target: { kind: 'history' }, config, sopsAware: false });
        expect(expected.length).toBeGreaterThan(5);
        // The planted encoded secrets (base64, hex, percent, unicode escapes, nested) are found by both.
        if (name !== 'features')
          expect(expected.filter((t) => t.includes('decoded:')).length).toBeGreaterThanOrEqual(5);
        if (process.env.SCAN_PARITY_DEBUG)
          console.log(name, expected.length, expected.slice(0, 40).join('\n'));
        expect(ours(result.findings)).toEqual(expected);
      });
    }

    for (const seed of (process.env.SCAN_FUZZ_SEEDS ?? '101,202,303').split(',').map(Number)) {
      it(`randomized corpus #${seed}: dir mode with llmcm's and gitleaks' default configs`, async () => {
        const dir = join(work, `random-${seed}`);
        writeRandomCorpus(dir, seed);
        for (const name of ['llmcm-default', 'gitleaks-default']) {
          const configPath = configs[name]!;
          const expected = theirs(
            runGitleaks('dir', dir, configPath, join(work, `random-${seed}-${name}.json`)),
          );
          const result = await runScan({
            root: dir,
            target: { kind: 'dir', paths: ['.'] },
            config: loadConfigFile(configPath),
            sopsAware: false,
          });
          expect(expected.length, name).toBeGreaterThan(20);
          expect(ours(result.findings), name).toEqual(expected);
        }
      });
    }

    /*
     * Randomized histories rewrite whole files, so old and new versions share many identical lines
     * (blank lines, PEM armour). Several minimal diffs then exist and git's xdiff (with its
     * compaction heuristics) may pick different hunk boundaries than our Myers diff. That cannot move
     * a single-line finding, but it shifts columns by one (gitleaks counts the newline before a line
     * that is not first in its hunk) and can change which lines a multi-line match spans. So this
     * test compares single-line findings by (commit, file, line, rule, secret) exactly and bounds the
     * multi-line ones; the designed history above is compared exactly, columns included.
     */
    for (const seed of (process.env.SCAN_FUZZ_SEEDS ?? '404,505').split(',').map(Number)) {
      it(`randomized history #${seed}: git mode with gitleaks' default config`, async () => {
        const dir = join(work, `random-git-${seed}`);
        gitIn(work, ['init', '-q', '-b', 'main', dir]);
        for (let k = 0; k < 6; k++) {
          // Rewrites the same paths with new random content: modifications, additions and CRLF flips.
          writeRandomCorpus(dir, seed * 10 + k, 12 + k * 3);
          gitIn(dir, ['add', '-A']);
          gitIn(dir, ['commit', '-qm', `round ${k}`], `2024-04-0${k + 1}T00:00:00Z`);
        }
        const configPath = configs['gitleaks-default']!;
        const raw = runGitleaks('git', dir, configPath, join(work, `random-git-${seed}.json`));
        const result = await runScan({
          root: dir,
          target: { kind: 'history' },
          config: loadConfigFile(configPath),
          sopsAware: false,
        });
        const key = (commit: string, file: string, line: number, rule: string, secret: string): string =>
          `${commit.slice(0, 8)} ${file}:${line} ${rule} ${hash(secret)}`;
        const expected = [
          ...new Set(
            raw
              .filter((f) => f.EndLine === f.StartLine)
              .map((f) => key(f.Commit, f.File, f.StartLine, f.RuleID, f.Secret)),
          ),
        ].sort();
        const got = [
          ...new Set(
            result.findings
              .filter((f) => f.endLine === f.startLine)
              .map((f) => key(f.commit, f.file, f.startLine, f.ruleId, f.secret)),
          ),
        ].sort();
        const multiTheirs = raw.filter((f) => f.EndLine !== f.StartLine).length;
        const multiOurs = result.findings.filter((f) => f.endLine !== f.startLine).length;
        expect(expected.length).toBeGreaterThan(100);
        expect(got).toEqual(expected);
        // Multi-line findings: the same number give or take diff alignment (a few percent at most).
        expect(Math.abs(multiOurs - multiTheirs)).toBeLessThanOrEqual(
          Math.max(2, Math.ceil(multiTheirs * 0.05)),
        );
      });
    }

    it('a gitleaks JSON report works unchanged as a baseline (dir and git modes)', async () => {
      const configPath = configs['gitleaks-default']!;
      const config = loadConfigFile(configPath);
      const secretFingerprint = () => 'unused';
      const dirReport = join(work, 'baseline-dir.json');
      runGitleaks('dir', corpus, configPath, dirReport);
      const dir = await runScan({
        root: corpus,
        target: { kind: 'dir', paths: ['.'] },
        config,
        ignore: loadIgnoreFiles([join(corpus, '.gitleaksignore')]),
        baseline: loadBaseline(dirReport),
        secretFingerprint,
        sopsAware: false,
      });
      expect(dir.findings).toEqual([]);
      const gitReport = join(work, 'baseline-git.json');
      const full = runGitleaks('git', repo, configPath, gitReport);
      // Drop one entry: exactly that finding must come back.
      const kept = full.slice(1);
      writeFileSync(gitReport, JSON.stringify(kept));
      const git = await runScan({
        root: repo,
        target: { kind: 'history' },
        config,
        baseline: loadBaseline(gitReport),
        secretFingerprint,
        sopsAware: false,
      });
      expect(git.findings.map((f) => `${f.commit}:${f.file}:${f.ruleId}:${f.startLine}`)).toEqual([
        `${full[0]!.Commit}:${full[0]!.File}:${full[0]!.RuleID}:${full[0]!.StartLine}`,
      ]);
    });

    it('PR range mode equals gitleaks git with --log-opts base..head', async () => {
      const configPath = configs['llmcm-default']!;
      const base = gitIn(repo, ['rev-parse', 'v1~4']).trim();
      const out = join(work, 'range.json');
      execFileSync(
        toolPath('gitleaks')!,
        [
          'git',
          '.',
          '--config',
          configPath,
          '--log-opts',
          `${base}..v1`,
          '--report-format',
          'json',
          '--report-path',
          out,
          '--no-banner',
          '--exit-code',
          '0',
          '--log-level',
          'error',
        ],
        { cwd: repo },
      );
      const expected = theirs(JSON.parse(readFileSync(out, 'utf8')) as GitleaksJson[]);
      const result = await runScan({
        root: repo,
        target: { kind: 'range', base, head: 'v1' },
        config: loadConfigFile(configPath),
        sopsAware: false,
      });
      expect(expected.length).toBeGreaterThan(0);
      expect(ours(result.findings)).toEqual(expected);
    });
  },
);
