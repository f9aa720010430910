import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatMessage, listCommits, parseTrailers, writeCommitObject } from '../../../src/repo/commits.js';
import { RefConflictError, updateRefCas } from '../../../src/repo/ref-update.js';
import { openRepository, type Repository, readRef, resolveCommit } from '../../../src/repo/repository.js';
import { createTreeReader, diffCommits } from '../../../src/repo/tree.js';
import { createTempRepo, type TempRepo } from './temp-repo.js';

let temp: TempRepo;
let repo: Repository;
beforeEach(async () => {
  temp = createTempRepo();
  repo = await openRepository(temp.dir);
});
afterEach(() => temp.remove());

describe('reading trees at a ref', () => {
  it('reads files and directories as they were at a commit', async () => {
    const first = temp.commit({ 'environments/dev/a.yaml': 'a: 1\n', 'llmcm.yaml': 'version: 1\n' });
    temp.commit({ 'environments/dev/a.yaml': 'a: 2\n', 'environments/dev/b.yaml': 'b: 1\n' });
    const reader = createTreeReader(repo, first);
    expect(await reader.readFile('environments/dev/a.yaml')).toBe('a: 1\n');
    expect(await reader.readFile('environments/dev/b.yaml')).toBeNull();
    expect((await reader.listDir('environments/dev'))!.map((e) => e.name)).toEqual(['a.yaml']);
    expect(await reader.listDir('missing')).toBeNull();
    const head = await resolveCommit(repo, 'HEAD');
    expect((await diffCommits(repo, first, head)).map((c) => c.path)).toEqual([
      'environments/dev/a.yaml',
      'environments/dev/b.yaml',
    ]);
  });

  it('resolves branches, tags and abbreviated ids, and names a missing ref clearly', async () => {
    const oid = temp.commit({ f: '1' });
    temp.git('tag', '-a', 'v1', '-m', 'v1');
    expect(await resolveCommit(repo, 'main')).toBe(oid);
    expect(await resolveCommit(repo, 'v1')).toBe(oid);
    expect(await resolveCommit(repo, oid.slice(0, 8))).toBe(oid);
    await expect(resolveCommit(repo, 'nope')).rejects.toMatchObject({
      code: 'SOURCE_REF_NOT_FOUND',
      exitCode: 2,
    });
  });
});

describe('commits with trailers', () => {
  it('round-trips trailers and is readable by git itself', async () => {
    temp.commit({ f: '1' });
    const message = formatMessage('subject', 'body line', [
      { key: 'Llmcm-Source', value: 'abc' },
      { key: 'Llmcm-Approval', value: 'bob@1' },
      { key: 'Llmcm-Approval', value: 'eve@2' },
    ]);
    const oid = await writeCommitObject(repo, {
      message,
      files: { 'record.json': '{}\n' },
      parents: [],
      author: { name: 'llmcm', email: 'llmcm@example.test' },
    });
    await updateRefCas(repo, 'refs/llmcm/test', null, oid);
    expect(temp.git('cat-file', '-t', 'refs/llmcm/test')).toBe('commit');
    expect(
      temp.git('log', '-1', '--format=%(trailers:key=Llmcm-Approval,valueonly)', 'refs/llmcm/test'),
    ).toBe('bob@1\neve@2');
    const [info] = await listCommits(repo, 'refs/llmcm/test', { firstParent: true });
    expect(parseTrailers(info!.message).map((t) => t.key)).toEqual([
      'Llmcm-Source',
      'Llmcm-Approval',
      'Llmcm-Approval',
    ]);
    expect(parseTrailers('no trailers here')).toEqual([]);
  });
});

describe('compare-and-set ref updates', () => {
  it('creates, moves and deletes only from the expected value', async () => {
    const a = temp.commit({ f: '1' });
    const b = temp.commit({ f: '2' });
    await updateRefCas(repo, 'refs/llmcm/locks/dev', null, a);
    await expect(updateRefCas(repo, 'refs/llmcm/locks/dev', null, b)).rejects.toBeInstanceOf(
      RefConflictError,
    );
    await updateRefCas(repo, 'refs/llmcm/locks/dev', a, b);
    await expect(updateRefCas(repo, 'refs/llmcm/locks/dev', a, null)).rejects.toBeInstanceOf(
      RefConflictError,
    );
    await updateRefCas(repo, 'refs/llmcm/locks/dev', b, null);
    expect(await readRef(repo, 'refs/llmcm/locks/dev')).toBeNull();
  });

  it('works on packed refs (after git pack-refs) and git agrees', async () => {
    const a = temp.commit({ f: '1' });
    const b = temp.commit({ f: '2' });
    await updateRefCas(repo, 'refs/llmcm/promotions/dev', null, a);
    temp.git('pack-refs', '--all');
    await expect(updateRefCas(repo, 'refs/llmcm/promotions/dev', null, b)).rejects.toBeInstanceOf(
      RefConflictError,
    );
    await updateRefCas(repo, 'refs/llmcm/promotions/dev', a, b);
    expect(temp.git('rev-parse', 'refs/llmcm/promotions/dev')).toBe(b);
    await updateRefCas(repo, 'refs/llmcm/promotions/dev', b, null);
    expect(() => temp.git('rev-parse', '--verify', '-q', 'refs/llmcm/promotions/dev')).toThrow();
  });

  it('lets exactly one of many concurrent creators win', async () => {
    const oids = [];
    for (let i = 0; i < 8; i++) oids.push(temp.commit({ f: String(i) }));
    const results = await Promise.allSettled(
      oids.map((o) => updateRefCas(repo, 'refs/llmcm/locks/prod', null, o)),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  it('respects a lock file left by git itself', async () => {
    const a = temp.commit({ f: '1' });
    const { writeFileSync, mkdirSync } = await import('node:fs');
    mkdirSync(`${temp.dir}/.git/refs/llmcm/locks`, { recursive: true });
    writeFileSync(`${temp.dir}/.git/refs/llmcm/locks/dev.lock`, '');
    await expect(updateRefCas(repo, 'refs/llmcm/locks/dev', null, a)).rejects.toBeInstanceOf(
      RefConflictError,
    );
  });
});
