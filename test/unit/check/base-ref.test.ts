import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compareWithBase } from '../../../src/check/base-ref.js';
import { readGitIndex } from '../../../src/check/git-index.js';
import { loadProject } from '../../../src/config/project.js';
import { projectRoot } from '../../support/tools.js';

const repo = mkdtempSync(join(tmpdir(), 'llmcm-base-ref-'));
afterAll(() => rmSync(repo, { recursive: true, force: true }));
const git = (...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.test', ...args], {
    cwd: repo,
    stdio: 'pipe',
  }).toString();
for (const part of ['llmcm.yaml', '.sops.yaml', 'environments', 'schemas'])
  cpSync(join(projectRoot, part), join(repo, part), { recursive: true });
git('init', '-q');
git('add', '-A');
git('commit', '-qm', 'base');

async function compare() {
  const project = await loadProject(repo);
  const result = await compareWithBase(project, 'HEAD');
  return { touched: [...result.touched].sort(), changed: result.changedFiles, all: result.allBecause };
}

describe('compareWithBase: environments touched since a ref', () => {
  it('reads the git index', () => {
    const index = readGitIndex(join(repo, '.git'));
    expect(index?.entries.get('environments/prod/models.yaml')?.oid).toBe(
      git('rev-parse', 'HEAD:environments/prod/models.yaml').trim(),
    );
  });

  it('nothing changed → nothing touched', async () => {
    expect(await compare()).toEqual({ touched: [], changed: [], all: undefined });
  });

  it('an edit, a new file and a deleted file touch their environments only', async () => {
    appendFileSync(join(repo, 'environments/prod/models.yaml'), '# edited\n');
    writeFileSync(join(repo, 'environments/dev/extra.yaml'), 'a: 1\n');
    unlinkSync(join(repo, 'environments/staging/models.yaml'));
    expect(await compare()).toEqual({
      touched: ['dev', 'prod', 'staging'],
      changed: [
        'environments/dev/extra.yaml',
        'environments/prod/models.yaml',
        'environments/staging/models.yaml',
      ],
      all: undefined,
    });
  });

  it('the same answer without an index (every file hashed)', async () => {
    rmSync(join(repo, '.git', 'index'));
    expect((await compare()).touched).toEqual(['dev', 'prod', 'staging']);
    git('reset', '-q');
  });

  it('a change to the base layer or the project file touches every environment', async () => {
    git('checkout', '-q', '--', '.');
    git('clean', '-qfd');
    expect((await compare()).touched).toEqual([]);
    appendFileSync(join(repo, 'environments/_base/flags.yaml'), '# edited\n');
    const result = await compare();
    expect(result.touched).toEqual(['dev', 'prod', 'staging']);
    expect(result.all).toBe('the base layer environments/_base changed');
  });
});

describe('compareWithBase: refs that cannot be used', () => {
  it('an unknown ref is a usage error (exit 2)', async () => {
    const project = await loadProject(repo);
    await expect(compareWithBase(project, 'no-such-branch')).rejects.toMatchObject({
      code: 'BASE_REF_NOT_FOUND',
      exitCode: 2,
    });
  });

  it('a ref whose objects are missing (shallow clone) is an input error, not a crash', async () => {
    const project = await loadProject(repo);
    const fake = 'deadbeef'.repeat(5);
    git('update-ref', 'refs/heads/ghost', git('rev-parse', 'HEAD').trim());
    const packed = join(repo, '.git', 'refs', 'heads', 'ghost');
    writeFileSync(packed, `${fake}\n`);
    await expect(compareWithBase(project, 'ghost')).rejects.toMatchObject({
      code: 'BASE_OBJECTS_MISSING',
      exitCode: 2,
    });
  });
});
