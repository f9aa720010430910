import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../support/tools.js';

const cli = join(projectRoot, 'dist', 'cli', 'main.js');
const demoKey = join(projectRoot, 'test', 'fixtures', 'demo-age-key.txt');

function llmcm(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [cli, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, SOPS_AGE_KEY_FILE: demoKey, ...env },
  });
}

// The published CLI is an esbuild bundle. CommonJS packages loaded with a dynamic import() only have a
// `default` export there (Node's own loader also exposes named ones), so these paths are exercised on
// the bundle itself.
describe('the bundled CLI', () => {
  it('decrypt --extract of a mapping prints YAML (yaml loaded lazily)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'llmcm-bundle-'));
    const recipient = /public key: (age1[0-9a-z]+)/.exec(readFileSync(demoKey, 'utf8'))![1]!;
    writeFileSync(join(dir, 'app.yaml'), 'app:\n  name: demo\n  port: 8080\n');
    const encrypted = llmcm(['encrypt', 'app.yaml'], dir, { SOPS_AGE_RECIPIENTS: recipient });
    expect(encrypted.status, encrypted.stderr).toBe(0);
    writeFileSync(join(dir, 'app.enc.yaml'), encrypted.stdout);
    const extracted = llmcm(['decrypt', '--extract', '["app"]', 'app.enc.yaml'], dir);
    expect(extracted.stderr).toBe('');
    expect(extracted.status).toBe(0);
    expect(extracted.stdout).toBe('name: demo\nport: 8080\n');
  });

  it('decision records carry the git revision of the policies', () => {
    const dir = mkdtempSync(join(tmpdir(), 'llmcm-bundle-repo-'));
    for (const entry of ['environments', 'policies', 'schemas', 'llmcm.yaml', '.sops.yaml']) {
      cpSync(join(projectRoot, entry), join(dir, entry), { recursive: true });
    }
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.test', ...args], {
        cwd: dir,
        encoding: 'utf8',
      });
    git('init', '-q');
    git('add', '-A');
    git('commit', '-qm', 'example');
    const head = git('rev-parse', 'HEAD').trim();
    const checked = llmcm(['check', '--format', 'json'], dir);
    expect([0, 1]).toContain(checked.status);
    const records = readFileSync(join(dir, '.llmcm', 'decisions.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { bundles: Record<string, { revision: string }> });
    expect(records.length).toBeGreaterThan(0);
    for (const record of records) {
      expect(Object.values(record.bundles).map((b) => b.revision)).toEqual([head]);
    }
  });
});
