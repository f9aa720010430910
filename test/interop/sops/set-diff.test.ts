import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { describeWithTools, projectRoot, toolPath } from '../../support/tools.js';

const cli = join(projectRoot, 'dist', 'cli', 'main.js');

// Acceptance defect: a `set` on a file written by sops re-indented the whole `sops:` block.
describeWithTools(['sops', 'age-keygen'], 'llmcm set on a sops-written file: minimal git diff', () => {
  it('only the new value, mac and lastmodified change; sops still decrypts', () => {
    if (!existsSync(cli)) execFileSync('npm', ['run', '-s', 'build'], { cwd: projectRoot, stdio: 'ignore' });
    const dir = mkdtempSync(join(tmpdir(), 'llmcm-sops-diff-'));
    try {
      const git = (...args: string[]) =>
        execFileSync('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', ...args], {
          cwd: dir,
          encoding: 'utf8',
        });
      git('init', '-q');
      execFileSync(toolPath('age-keygen')!, ['-o', join(dir, 'k.txt')], { stdio: 'ignore' });
      const recipient = /age1[0-9a-z]+/.exec(readFileSync(join(dir, 'k.txt'), 'utf8'))![0];
      const env = { PATH: process.env.PATH, HOME: dir, SOPS_AGE_KEY_FILE: join(dir, 'k.txt') };
      writeFileSync(join(dir, 'f.yaml'), 'app:\n  name: foo\n  list:\n    - a\n    - b\n  port: 8080\n');
      execFileSync(toolPath('sops')!, ['encrypt', '--age', recipient, '-i', 'f.yaml'], { cwd: dir, env });
      const before = readFileSync(join(dir, 'f.yaml'), 'utf8');
      expect(before).toMatch(/^ {12}-----BEGIN AGE ENCRYPTED FILE-----$/m); // sops' own layout
      git('add', 'f.yaml');
      git('commit', '-qm', 'sops');
      const set = spawnSync(process.execPath, [cli, 'set', 'f.yaml', '["app"]["added"]', '"new-value"'], {
        cwd: dir,
        env,
        encoding: 'utf8',
      });
      expect(set.status, set.stderr).toBe(0);
      const [added, removed] = git('diff', '--numstat', '--', 'f.yaml').trim().split(/\s+/).map(Number);
      const changed = git('diff', '-U0', '--', 'f.yaml')
        .split('\n')
        .filter((l) => /^[-+]\s/.test(l))
        .map((l) => l.slice(1).trim().split(':')[0]);
      // The new value, and the old/new mac and lastmodified (lastmodified may be within the same second).
      expect(changed.filter((k) => k !== 'lastmodified').sort()).toEqual(['added', 'mac', 'mac']);
      expect(added).toBeLessThanOrEqual(3);
      expect(removed).toBeLessThanOrEqual(2);
      const plain = execFileSync(toolPath('sops')!, ['decrypt', 'f.yaml'], {
        cwd: dir,
        env,
        encoding: 'utf8',
      });
      expect(plain).toContain('added: new-value');
      expect(plain).toContain('port: 8080');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
