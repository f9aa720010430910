import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { describeWithTools, projectRoot, toolPath } from '../../support/tools.js';

// The package bin: the sops commands run from the code-cached bundle (see src/cli/launch.cts).
const cli = join(projectRoot, 'dist', 'cli', 'launch.cjs');

// Acceptance defect: a `set` on a file written by sops re-indented the whole `sops:` block.
describeWithTools(['sops', 'age-keygen'], 'llmcm set on a sops-written file: minimal git diff', () => {
  it.each([
    [
      'f.yaml',
      'app:\n  name: foo\n  list:\n    - a\n    - b\n  port: 8080\n',
      /^ {12}-----BEGIN AGE ENCRYPTED FILE-----$/m,
    ],
    [
      'f.json',
      '{"app": {"name": "foo", "list": ["a", "b"], "port": 8080}}\n',
      /^\t\t"sops": \{$|^\t"sops": \{$/m,
    ],
  ])(
    '%s: only the new value, mac and lastmodified change; sops still decrypts',
    (file, content, sopsLayout) => {
      if (!existsSync(cli))
        execFileSync('npm', ['run', '-s', 'build'], { cwd: projectRoot, stdio: 'ignore' });
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
        writeFileSync(join(dir, file), content);
        execFileSync(toolPath('sops')!, ['encrypt', '--age', recipient, '-i', file], { cwd: dir, env });
        const before = readFileSync(join(dir, file), 'utf8');
        expect(before).toMatch(sopsLayout); // sops' own layout (4-space YAML, tab-indented JSON)
        git('add', file);
        git('commit', '-qm', 'sops');
        const set = spawnSync(process.execPath, [cli, 'set', file, '["app"]["added"]', '"new-value"'], {
          cwd: dir,
          env,
          encoding: 'utf8',
        });
        expect(set.status, set.stderr).toBe(0);
        const [added, removed] = git('diff', '--numstat', '--', file).trim().split(/\s+/).map(Number);
        const diffLines = git('diff', '-U0', '--', file)
          .split('\n')
          .filter((l) => /^[-+]\s/.test(l))
          .map((l) => ({ sign: l[0], text: l.slice(1).trim().replace(/,$/, '') }));
        // JSON: the previous last entry only gains a comma; such a line is not a changed value.
        const changed = diffLines
          .filter((d) => !diffLines.some((o) => o.sign !== d.sign && o.text === d.text))
          .map((d) => d.text.split(':')[0]!.replace(/"/g, ''));
        // The new value, and the old/new mac and lastmodified (lastmodified may be within the same second).
        expect(changed.filter((k) => k !== 'lastmodified').sort()).toEqual(['added', 'mac', 'mac']);
        // JSON: one more line each way, the previous last entry gaining its comma.
        expect(added).toBeLessThanOrEqual(file.endsWith('.json') ? 4 : 3);
        expect(removed).toBeLessThanOrEqual(file.endsWith('.json') ? 3 : 2);
        const plain = execFileSync(toolPath('sops')!, ['decrypt', file], {
          cwd: dir,
          env,
          encoding: 'utf8',
        });
        expect(plain).toMatch(/"?added"?: "?new-value"?/);
        // Untouched values keep their ciphertext, so their type too (sops 3.13 types a JSON 8080 as int).
        expect(plain).toMatch(/"?port"?: 8080/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
