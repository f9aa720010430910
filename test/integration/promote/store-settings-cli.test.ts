import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../support/tools.js';
import { createProjectRepo } from './project-fixture.js';

const run = promisify(execFile);
const cli = join(projectRoot, 'dist', 'cli', 'main.js');
const outside = mkdtempSync(join(tmpdir(), 'llmcm-store-path-'));
afterAll(() => rmSync(outside, { recursive: true, force: true }));

async function llmcm(dir: string, args: string[]) {
  try {
    const r = await run(process.execPath, [cli, ...args], {
      cwd: dir,
      env: { ...process.env, LLMCM_FINGERPRINT_KEY: 'integration' },
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (error) {
    const e = error as { code?: number; stdout: string; stderr: string };
    return { code: e.code ?? -1, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('llmcm.yaml store settings through the CLI', () => {
  it('promote writes the file store where `path:` says', async () => {
    const target = join(outside, 'x');
    const p = createProjectRepo([{ name: 'local', kind: 'file', path: target }], ['dev']);
    try {
      p.setValues('dev', { level: 1 });
      const out = await llmcm(p.dir, ['promote', 'dev', '--actor', 'alice']);
      expect(out.code, out.stderr).toBe(0);
      expect(existsSync(join(target, 'dev', 'config.json'))).toBe(true);
      expect(existsSync(join(target, 'dev', '.env'))).toBe(true);
      expect(existsSync(join(p.dir, '.llmcm', 'stores'))).toBe(false);
    } finally {
      p.remove();
    }
  });

  it('an unknown store setting is a config error (exit 2) naming the store and the setting', async () => {
    const p = createProjectRepo(
      [{ name: 'local', kind: 'file', path: '.llmcm/store', bogusSetting: 1 }],
      ['dev'],
    );
    try {
      p.setValues('dev', { level: 1 });
      for (const command of [
        ['plan', 'dev'],
        ['promote', 'dev', '--actor', 'alice'],
        ['drift', 'dev'],
      ]) {
        const out = await llmcm(p.dir, command);
        expect(out.code, command.join(' ')).toBe(2);
        expect(out.stderr).toMatch(/store 'local': unknown setting 'bogusSetting'/);
      }
      expect(p.git('for-each-ref', 'refs/llmcm')).toBe('');
      expect(existsSync(join(p.dir, '.llmcm'))).toBe(false);
    } finally {
      p.remove();
    }
  });
});
