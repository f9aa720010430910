import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../support/tools.js';

const cli = join(projectRoot, 'dist', 'cli', 'main.js');

// Dogfooding: llmcm's own repository must pass its own secret scan (with the allowlists and reasons in
// .gitleaks.toml). A real leak committed here fails the suite.
describe('llmcm scans its own repository', () => {
  it('finds no leaks in the working tree', () => {
    const run = spawnSync(process.execPath, [cli, 'scan', '--format', 'json'], {
      cwd: projectRoot,
      encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual([]);
  });
});
