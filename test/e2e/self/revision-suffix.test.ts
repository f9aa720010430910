import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../support/tools.js';

const cli = join(projectRoot, 'dist', 'cli', 'main.js');
const demoKey = join(projectRoot, 'test', 'fixtures', 'demo-age-key.txt');

// `--base HEAD~1` and friends: isomorphic-git resolves plain refs only, so every ref argument goes
// through src/repo/revision.ts. Checked on the built CLI for check, scan and plan.
describe('git revision suffixes in ref arguments', () => {
  let dir = '';
  let git: (...args: string[]) => string;
  const llmcm = (...args: string[]) =>
    spawnSync(process.execPath, [cli, ...args], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, SOPS_AGE_KEY_FILE: demoKey },
    });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'llmcm-revision-'));
    for (const entry of ['environments', 'policies', 'schemas', 'llmcm.yaml', '.sops.yaml']) {
      cpSync(join(projectRoot, entry), join(dir, entry), { recursive: true });
    }
    git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.test', ...args], {
        cwd: dir,
        encoding: 'utf8',
      });
    git('init', '-q');
    git('add', '-A');
    git('commit', '-qm', 'first');
    writeFileSync(join(dir, 'notes.txt'), 'a second commit\n');
    git('add', '-A');
    git('commit', '-qm', 'second');
  });

  it('check --base HEAD~1 compares with the parent commit', () => {
    const run = llmcm('check', '--base', 'HEAD~1', '--format', 'json');
    expect(run.stderr).not.toMatch(/does not name a commit/);
    expect([0, 1]).toContain(run.status);
    expect(JSON.parse(run.stdout).base.commit).toBe(git('rev-parse', 'HEAD~1').trim());
  });

  it('scan --base HEAD^ --head HEAD scans the range', () => {
    const run = llmcm('scan', '--base', 'HEAD^', '--head', 'HEAD');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it('plan --ref HEAD~1 plans from the parent; past the root is a clear exit 2', () => {
    expect(llmcm('plan', 'dev', '--ref', 'HEAD~1').status).toBe(0);
    const beyond = llmcm('plan', 'dev', '--ref', 'HEAD~5');
    expect(beyond.status).toBe(2);
    expect(beyond.stderr).toMatch(/'HEAD~5' does not exist/);
  });
});
