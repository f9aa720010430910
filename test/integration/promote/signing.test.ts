import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { projectRoot } from '../../support/tools.js';
import { createProjectRepo } from './project-fixture.js';

const cli = join(projectRoot, 'dist', 'cli', 'main.js');
let project: ReturnType<typeof createProjectRepo> | undefined;
afterEach(() => project?.remove());

// ssh-keygen (openssh-client) is a system tool on every supported machine; a missing one fails loudly.
describe('signed records and approvals (ssh-keygen, verified by git)', () => {
  it('signs with git user.signingkey and git verify-commit accepts it', () => {
    const p = createProjectRepo([{ name: 'a-file', kind: 'file', path: '.llmcm/a' }]);
    project = p;
    const key = join(p.dir, '.git', 'llmcm-test-signing-key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'llmcm@example.test', '-f', key]);
    const allowed = join(p.dir, '.git', 'allowed-signers');
    writeFileSync(allowed, `llmcm@example.test namespaces="git" ${readFileSync(`${key}.pub`, 'utf8')}`);
    p.git('config', 'gpg.format', 'ssh');
    p.git('config', 'user.signingkey', key);
    p.git('config', 'user.email', 'llmcm@example.test');
    p.git('config', 'gpg.ssh.allowedSignersFile', allowed);
    const source = p.setValues('dev', { level: 1 });
    const env = { ...process.env, LLMCM_FINGERPRINT_KEY: 'signing' };
    const approve = spawnSync(process.execPath, [cli, 'approve', 'dev', source, '--actor', 'bob', '--sign'], {
      cwd: p.dir,
      encoding: 'utf8',
      env,
    });
    expect(approve.status, approve.stderr).toBe(0);
    const run = spawnSync(process.execPath, [cli, 'promote', 'dev', '--actor', 'alice', '--sign'], {
      cwd: p.dir,
      encoding: 'utf8',
      env,
    });
    expect(run.status, run.stderr).toBe(0);
    const verifyRecord = spawnSync('git', ['verify-commit', 'refs/llmcm/promotions/dev'], {
      cwd: p.dir,
      encoding: 'utf8',
    });
    expect(verifyRecord.status, verifyRecord.stderr).toBe(0);
    expect(verifyRecord.stderr).toMatch(/Good "git" signature for llmcm@example.test/);
    const verifyApproval = spawnSync('git', ['verify-commit', 'refs/llmcm/approvals/dev'], {
      cwd: p.dir,
      encoding: 'utf8',
    });
    expect(verifyApproval.status, verifyApproval.stderr).toBe(0);
    const audit = spawnSync(process.execPath, [cli, 'audit', 'verify'], {
      cwd: p.dir,
      encoding: 'utf8',
      env,
    });
    expect(audit.stdout).toMatch(/record chain intact/);
  });

  it('says what to configure when no signing key is set, writing nothing', () => {
    const p = createProjectRepo([{ name: 'a-file', kind: 'file', path: '.llmcm/a' }]);
    project = p;
    p.setValues('dev', { level: 1 });
    const run = spawnSync(process.execPath, [cli, 'promote', 'dev', '--actor', 'alice', '--sign'], {
      cwd: p.dir,
      encoding: 'utf8',
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/no user.signingkey/);
    expect(p.git('for-each-ref', 'refs/llmcm')).toBe('');
  });
});
