import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../support/tools.js';

const cli = join(projectRoot, 'dist', 'cli', 'main.js');
const scratch = mkdtempSync(join(tmpdir(), 'llmcm-e2e-demo-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Every value the file store rendered (config.json leaves), to prove none is printed. */
function renderedValues(dir: string): string[] {
  const values: string[] = [];
  const walk = (v: unknown) => {
    if (v && typeof v === 'object') for (const x of Object.values(v)) walk(x);
    else if (typeof v === 'string' && v.length >= 12) values.push(v);
  };
  const stores = join(dir, '.llmcm', 'store');
  for (const env of readdirSync(stores).filter((e) => !e.startsWith('.'))) {
    walk(JSON.parse(readFileSync(join(stores, env, 'config.json'), 'utf8')));
  }
  return values;
}

describe('npm start (llmcm demo)', () => {
  it('runs the main job end to end, clean, without printing a secret', () => {
    const dir = join(scratch, 'repo');
    const run = spawnSync(process.execPath, [cli, 'demo', '--dir', dir], {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
      timeout: 60_000,
    });
    const output = `${run.stdout}\n${run.stderr}`;
    expect(run.status, output).toBe(0);
    for (const line of [
      /decrypted it back: identical/,
      /dev, staging, prod: \d+ files, 0 errors/,
      /plan hash [0-9a-f]{64}/,
      /dev +succeeded by rita: \d+ writes, decision [0-9a-f]{8}/,
      /prod +refused without approvals: .*approval/,
      /staging +succeeded by rita approved by carol/,
      /prod +succeeded by ravi approved by rita \+ sam: \d+ writes, decision [0-9a-f]{8}/,
      /re-running the dev promotion: up-to-date/,
      /gateway\.master_key changed in [0-9a-f]{12} by carol \(PR #42\): fp:[0-9a-f]{16}, promoted by dev:/,
      /audit verify: record chain intact/,
      /prod +local: clean/,
    ]) {
      expect(output).toMatch(line);
    }
    // Canary: no rendered value (secrets included) and no age identity appears in the report.
    const secrets = renderedValues(dir).filter((v) => /^(sk-|whsec_)/.test(v) || v.length >= 24);
    expect(secrets.length).toBeGreaterThan(3);
    for (const value of secrets) expect(output).not.toContain(value);
    expect(output).not.toMatch(/AGE-SECRET-KEY/);
    // The record is real git: git itself reads the trailers.
    const trailers = execFileSync('git', ['log', '-1', '--format=%B', 'refs/llmcm/promotions/prod'], {
      cwd: dir,
    }).toString();
    expect(trailers).toMatch(/Llmcm-Approval: rita@[0-9a-f]{40}/);
    expect(trailers).toMatch(/Llmcm-Decision-Id: [0-9a-f-]{36}/);
    expect(trailers).toMatch(/Llmcm-Result: succeeded/);
  });

  it('drives the same repo through the CLI: history, plan json, drift, audit csv, rollback refusal', () => {
    const dir = join(scratch, 'repo');
    const llmcm = (...args: string[]) =>
      spawnSync(process.execPath, [cli, ...args], {
        cwd: dir,
        encoding: 'utf8',
        env: { ...process.env, SOPS_AGE_KEY_FILE: join(projectRoot, 'test', 'fixtures', 'demo-age-key.txt') },
      });
    const history = llmcm('history', 'prod');
    expect(history.stdout).toMatch(/succeeded +promote +[0-9a-f]{12} +by ravi/);
    // The demo's deliberate refusal of prod is a recorded attempt too (refused, no store written).
    expect(history.stdout).toMatch(/refused +promote +[0-9a-f]{12} +by \S+ .*local:skipped +writes 0/);
    const plan = llmcm('plan', 'staging', '--from', 'dev', '--format', 'json');
    expect(plan.status).toBe(0);
    expect(JSON.parse(plan.stdout)).toMatchObject({
      empty: true,
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(llmcm('drift', 'prod').status).toBe(0);
    const csv = llmcm('audit', '--env', 'dev', '--format', 'csv', '--key', 'gateway');
    expect(csv.stdout.split('\r\n')[0]).toMatch(/^date,environment,file,key,action,commit/);
    expect(csv.stdout).toMatch(/gateway\.master_key,changed/);
    const unknown = llmcm('promote', 'qa', '--actor', 'rita');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/unknown environment 'qa'/);
    const missing = llmcm('promote', 'staging', '--ref', 'no-such-ref', '--actor', 'rita');
    expect(missing.status).toBe(2);
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: dir }).toString().trim();
    const approve = llmcm('approve', 'prod', head.slice(0, 10), '--actor', 'sam');
    expect(approve.status).toBe(0);
    expect(approve.stdout).toMatch(/approved [0-9a-f]{12} for prod as sam: approval [0-9a-f]{40}/);
    const stale = llmcm(
      'promote',
      'prod',
      '--from',
      'staging',
      '--actor',
      'ravi',
      '--plan-hash',
      'f'.repeat(64),
    );
    expect(stale.status).toBe(2);
    expect(stale.stderr).toMatch(/the plan changed since it was reviewed/);
    const denied = llmcm('promote', 'prod', '--from', 'staging', '--actor', 'carol');
    expect(denied.status).toBe(1);
    expect(denied.stderr).toMatch(/policy gate denies/);
    expect(denied.stderr).toMatch(/no role of 'carol' may promote to prod/);
    // No earlier promotion of prod exists: rollback says so and writes nothing.
    const before = execFileSync('git', ['for-each-ref', 'refs/llmcm'], { cwd: dir }).toString();
    const rollback = llmcm('rollback', 'prod', '--actor', 'ravi');
    expect(rollback.status).toBe(2);
    expect(rollback.stderr).toMatch(/no earlier promotion/);
    expect(execFileSync('git', ['for-each-ref', 'refs/llmcm'], { cwd: dir }).toString()).toBe(before);
  });
});
