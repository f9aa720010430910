import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../support/tools.js';
import { type ParsedExposition, parseExposition, samplesOf } from '../../unit/metrics/parse-exposition.js';

const cli = join(projectRoot, 'dist', 'cli', 'main.js');
const keyFile = join(projectRoot, 'test', 'fixtures', 'demo-age-key.txt');

/** Every string leaf of a JSON document. */
function leaves(value: unknown, out: string[] = []): string[] {
  if (value && typeof value === 'object') for (const v of Object.values(value)) leaves(v, out);
  else if (typeof value === 'string') out.push(value);
  return out;
}

describe('--metrics-file: the built CLI in a temp copy of the example config repo', () => {
  let repo: string;
  const env = {
    ...process.env,
    NO_COLOR: '1',
    SOPS_AGE_KEY_FILE: keyFile,
    SOPS_AGE_KEY: '',
    LLMCM_ACTOR: '',
    LLMCM_FINGERPRINT_KEY: '',
  };
  const run = (args: string[], nodeArgs: string[] = []) => {
    const r = spawnSync(process.execPath, [...nodeArgs, cli, ...args], { cwd: repo, env, encoding: 'utf8' });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const read = (name: string): { text: string; parsed: ParsedExposition } => {
    const text = readFileSync(join(repo, 'metrics', name), 'utf8');
    return { text, parsed: parseExposition(text) };
  };
  const storeConfig = () => join(repo, '.llmcm', 'store', 'dev', 'config.json');

  beforeAll(() => {
    if (!existsSync(cli)) throw new Error('dist/cli/main.js is missing: run `npm run -s build` first');
    repo = mkdtempSync(join(tmpdir(), 'llmcm-e2e-metrics-'));
    for (const part of ['llmcm.yaml', '.sops.yaml', 'environments', 'schemas', 'policies'])
      cpSync(join(projectRoot, part), join(repo, part), { recursive: true });
    writeFileSync(join(repo, '.gitignore'), '.llmcm/\nmetrics/\n');
    mkdirSync(join(repo, 'metrics'));
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=e2e', '-c', 'user.email=e2e@example.test', ...args], {
        cwd: repo,
        stdio: 'pipe',
      });
    git('init', '-q');
    git('add', '-A');
    git('commit', '-qm', 'example config repo');
  });
  afterAll(() => rmSync(repo, { recursive: true, force: true }));

  it('promote dev: succeeded, its writes per store, and no secret value in the file (canary)', () => {
    const before = Date.now() / 1000;
    const r = run(['promote', 'dev', '--actor', 'rita', '--metrics-file', 'metrics/promote-dev.prom']);
    expect(r.code, r.stderr).toBe(0);
    const writes = Number(/local: applied \((\d+) writes\)/.exec(r.stdout)?.[1]);
    expect(writes).toBeGreaterThan(10);
    const { text, parsed } = read('promote-dev.prom');
    expect(samplesOf(parsed, 'llmcm_promotion_result')).toEqual([
      'environment=dev,result=failed 0',
      'environment=dev,result=refused 0',
      'environment=dev,result=succeeded 1',
      'environment=dev,result=up-to-date 0',
    ]);
    expect(samplesOf(parsed, 'llmcm_store_writes')).toEqual([`environment=dev,store=local ${writes}`]);
    const [duration] = parsed.samples.filter((s) => s.name === 'llmcm_promotion_duration_seconds');
    expect(duration!.labels).toEqual({ environment: 'dev' });
    expect(duration!.value).toBeGreaterThan(0);
    expect(duration!.value).toBeLessThan(60);
    const [stamp] = parsed.samples.filter((s) => s.name === 'llmcm_promotion_timestamp_seconds');
    expect(stamp!.value).toBeGreaterThanOrEqual(before - 1);
    expect(stamp!.value).toBeLessThanOrEqual(Date.now() / 1000 + 1);
    expect(new Set(parsed.samples.map((s) => s.name)).size).toBe(4);
    // Canary: every value the store now holds (secrets included) stays out of the metrics file.
    const values = leaves(JSON.parse(readFileSync(storeConfig(), 'utf8'))).filter((v) => v.length >= 8);
    expect(values.some((v) => /^(sk-|whsec_)/.test(v))).toBe(true);
    for (const value of values) expect(text).not.toContain(value);
    expect(text).not.toMatch(/AGE-SECRET-KEY|ENC\[|fp:/);
  });

  it('promote dev again: up-to-date with 0 writes', () => {
    const r = run(['promote', 'dev', '--actor', 'rita', '--metrics-file', 'metrics/promote-dev.prom']);
    expect(r.code, r.stderr).toBe(0);
    const { parsed } = read('promote-dev.prom');
    expect(samplesOf(parsed, 'llmcm_promotion_result')).toContain('environment=dev,result=up-to-date 1');
    expect(samplesOf(parsed, 'llmcm_promotion_result').filter((s) => s.endsWith(' 1'))).toHaveLength(1);
    expect(samplesOf(parsed, 'llmcm_store_writes')).toEqual(['environment=dev,store=local 0']);
  });

  it('drift dev: 0 while clean; 1 with the count of differing keys once the store is edited', () => {
    const clean = run(['drift', 'dev', '--metrics-file', 'metrics/drift-dev.prom']);
    expect(clean.code, clean.stderr).toBe(0);
    let { parsed } = read('drift-dev.prom');
    expect(samplesOf(parsed, 'llmcm_drift')).toEqual(['environment=dev,store=local 0']);
    expect(samplesOf(parsed, 'llmcm_drift_keys')).toEqual(['environment=dev,store=local 0']);
    expect(samplesOf(parsed, 'llmcm_drift_check_timestamp_seconds')).toHaveLength(1);

    // Someone edits the store by hand: one value changed, one key added.
    const config = JSON.parse(readFileSync(storeConfig(), 'utf8'));
    config.budgets.period = 'weekly';
    config.tampered = { key: 'canary-tampered-value' };
    writeFileSync(storeConfig(), JSON.stringify(config, null, 2));
    const drifted = run(['drift', 'dev', '--metrics-file', 'metrics/drift-dev.prom']);
    expect(drifted.code).toBe(1);
    expect(drifted.stdout).toMatch(/differs budgets\.period/);
    const file = read('drift-dev.prom');
    parsed = file.parsed;
    expect(samplesOf(parsed, 'llmcm_drift')).toEqual(['environment=dev,store=local 1']);
    expect(samplesOf(parsed, 'llmcm_drift_keys')).toEqual(['environment=dev,store=local 2']);
    expect(file.text).not.toMatch(/canary-tampered-value|budgets|tampered|weekly/);
  });

  it('promote onto the drifted store: refused (exit 1 as without the option), written as refused', () => {
    const r = run(['promote', 'dev', '--actor', 'rita', '--metrics-file', 'metrics/promote-dev.prom']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/refusing to overwrite values llmcm did not write/);
    const { parsed } = read('promote-dev.prom');
    expect(samplesOf(parsed, 'llmcm_promotion_result')).toEqual([
      'environment=dev,result=failed 0',
      'environment=dev,result=refused 1',
      'environment=dev,result=succeeded 0',
      'environment=dev,result=up-to-date 0',
    ]);
    expect(samplesOf(parsed, 'llmcm_store_writes')).toEqual(['environment=dev,store=local 0']);
  });

  it('an unwritable metrics file is one warning line; output and exit code stay the command’s own', () => {
    const plain = run(['promote', 'dev', '--actor', 'rita']);
    const r = run(['promote', 'dev', '--actor', 'rita', '--metrics-file', 'no-such-dir/promote.prom']);
    expect(r.code).toBe(plain.code);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(plain.stdout);
    const warnings = r.stderr.split('\n').filter((l) => l.includes('metrics not written'));
    expect(warnings).toEqual([
      expect.stringMatching(/^llmcm: warning: metrics not written: cannot write .*ENOENT/),
    ]);
    // Each refused attempt is its own record commit, so only the record id may differ.
    const sameRecord = (text: string) => text.replace(/recorded as [0-9a-f]{12}/g, 'recorded as <record>');
    expect(sameRecord(r.stderr.replace(`${warnings[0]}\n`, ''))).toBe(sameRecord(plain.stderr));
    const drift = run(['drift', 'dev', '--metrics-file', 'no-such-dir/drift.prom']);
    expect(drift.code).toBe(1);
    expect(drift.stderr).toMatch(/^llmcm: warning: metrics not written/m);
  });

  it('a key error after the environment is known is written as failed; an unknown environment writes nothing', () => {
    const keyless = spawnSync(
      process.execPath,
      [cli, 'promote', 'dev', '--actor', 'rita', '--metrics-file', 'metrics/promote-keyless.prom'],
      {
        cwd: repo,
        env: { ...env, SOPS_AGE_KEY_FILE: '', HOME: repo, XDG_CONFIG_HOME: join(repo, 'no-config') },
        encoding: 'utf8',
      },
    );
    expect(keyless.status).toBe(3);
    const { parsed } = read('promote-keyless.prom');
    expect(samplesOf(parsed, 'llmcm_promotion_result')).toContain('environment=dev,result=failed 1');
    const unknown = run(['promote', 'qa', '--actor', 'rita', '--metrics-file', 'metrics/promote-qa.prom']);
    expect(unknown.code).toBe(2);
    expect(existsSync(join(repo, 'metrics', 'promote-qa.prom'))).toBe(false);
  });

  it('check: findings by severity and stage, and the duration', () => {
    const r = run(['check', '--metrics-file', 'metrics/check.prom']);
    expect(r.code, r.stdout).toBe(0);
    const { parsed } = read('check.prom');
    const findings = parsed.samples.filter((s) => s.name === 'llmcm_check_findings');
    expect(new Set(findings.map((s) => s.labels.stage))).toEqual(
      new Set(['schema', 'semantic', 'strength', 'policy']),
    );
    expect(new Set(findings.map((s) => s.labels.severity))).toEqual(new Set(['error', 'warning', 'info']));
    expect(findings.filter((s) => s.labels.severity === 'error').every((s) => s.value === 0)).toBe(true);
    expect(samplesOf(parsed, 'llmcm_check_duration_seconds')).toHaveLength(1);
    expect(parsed.samples.find((s) => s.name === 'llmcm_check_duration_seconds')!.value).toBeGreaterThan(0);
  });

  it('prom-client is loaded only when --metrics-file is given', () => {
    // A module hook that names every bundled chunk the CLI loads.
    writeFileSync(
      join(repo, 'trace-hook.mjs'),
      "export async function load(url, context, next) {\n  if (url.includes('/chunks/')) process.stderr.write('LOADED ' + url + '\\n');\n  return next(url, context);\n}\n",
    );
    writeFileSync(
      join(repo, 'trace-register.mjs'),
      `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(repo, 'trace-hook.mjs')).href)});\n`,
    );
    const traced = ['--import', pathToFileURL(join(repo, 'trace-register.mjs')).href];
    const loaded = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('LOADED '));
    const without = run(['drift', 'dev'], traced);
    const withFile = run(['drift', 'dev', '--metrics-file', 'metrics/drift-traced.prom'], traced);
    expect(loaded(without.stderr).length).toBeGreaterThan(0);
    expect(loaded(without.stderr).filter((l) => l.includes('prom-client'))).toEqual([]);
    expect(loaded(withFile.stderr).filter((l) => l.includes('prom-client'))).toHaveLength(1);
  });
});
