/** The native-zlib object reader returns exactly what isomorphic-git reads, for packed (deltified) and loose objects. */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import git from 'isomorphic-git';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRefsDirectly } from '../../../src/scan/sources/git-refs.js';
import { GitReader, listAllTips, walkCommits } from '../../../src/scan/sources/git-source.js';
import { GitObjectStore } from '../../../src/scan/sources/object-store.js';
import { buildHistoryRepo, gitIn } from './corpus.js';

describe('GitObjectStore vs isomorphic-git', () => {
  let repo: string;
  beforeAll(() => {
    repo = join(mkdtempSync(join(tmpdir(), 'llmcm-objstore-')), 'repo');
    buildHistoryRepo(repo, 3);
    // Two versions of a big file (bigger than a first 4 kB read of an entry, and a delta of it),
    // as incompressible as a fixed seed allows.
    let x = 7;
    const big = Array.from({ length: 3000 }, () => {
      x = (x * 48271) % 2147483647;
      return x.toString(36);
    }).join('\n');
    writeFileSync(join(repo, 'big.txt'), `${big}\n`);
    gitIn(repo, ['add', 'big.txt']);
    gitIn(repo, ['commit', '-qm', 'big'], '2024-04-01T00:00:00Z');
    writeFileSync(join(repo, 'big.txt'), `${big.replace(/a/g, 'b')}\nmore\n`);
    gitIn(repo, ['commit', '-qam', 'big edit'], '2024-04-02T00:00:00Z');
    // Pack everything with deltas, then add loose objects on top.
    gitIn(repo, ['gc', '-q', '--aggressive']);
    writeFileSync(join(repo, 'loose.txt'), 'a loose object\n');
    gitIn(repo, ['add', 'loose.txt']);
    gitIn(repo, ['commit', '-qm', 'loose'], '2024-05-01T00:00:00Z');
  });
  afterAll(() => rmSync(join(repo, '..'), { recursive: true, force: true }));

  it.each([
    ['whole pack files', undefined],
    ['pack entries read one by one', 0],
  ])('reads every object of every ref identically (%s)', async (_mode, wholePacksUpTo) => {
    const oids = execFileSync('git', ['rev-list', '--objects', '--all'], { cwd: repo })
      .toString()
      .trim()
      .split('\n')
      .map((l) => l.slice(0, 40));
    expect(oids.length).toBeGreaterThan(50);
    const packs = fs.readdirSync(join(repo, '.git', 'objects', 'pack')).filter((f) => f.endsWith('.pack'));
    expect(packs.length).toBeGreaterThan(0);
    // The pack really holds delta chains (so delta resolution is exercised).
    const verify = execFileSync('git', [
      'verify-pack',
      '-v',
      join(repo, '.git', 'objects', 'pack', packs[0]!.replace(/\.pack$/, '.idx')),
    ]).toString();
    expect(verify).toMatch(/chain length = [1-9]/);
    const store = new GitObjectStore(join(repo, '.git'), { wholePacksUpTo });
    let biggest = 0;
    for (const oid of oids) {
      const ours = store.read(oid);
      biggest = Math.max(biggest, ours?.data.length ?? 0);
      const theirs = await git.readObject({ fs, dir: repo, oid, format: 'content' });
      expect(ours, oid).toBeDefined();
      expect(ours!.type).toBe(theirs.type);
      expect(Buffer.compare(ours!.data, Buffer.from(theirs.object as Uint8Array)), oid).toBe(0);
    }
    expect(store.read('0'.repeat(40))).toBeUndefined();
    expect(biggest).toBeGreaterThan(16_000);
    // Commit heads too, from either kind of pack access.
    for (const line of gitIn(repo, ['rev-list', '--all', '--parents']).trim().split('\n')) {
      const [oid, ...parents] = line.split(' ');
      const head = store.readCommitHead(oid!);
      if (head) expect(head.parents, oid).toEqual(parents);
    }
    store.close();
  });

  it('reads each commit head (tree and parents) like git, for root, one-parent, merge and octopus commits', () => {
    const octo = join(mkdtempSync(join(tmpdir(), 'llmcm-objstore-octo-')), 'repo');
    try {
      fs.mkdirSync(octo);
      const g = (...args: string[]) => gitIn(octo, args, '2024-06-01T00:00:00Z');
      g('init', '-q', '-b', 'main');
      writeFileSync(join(octo, 'base.txt'), 'base\n');
      g('add', '-A');
      g('commit', '-qm', 'root');
      for (const branch of ['a', 'b', 'c', 'd']) {
        g('checkout', '-q', '-b', branch, 'main');
        writeFileSync(join(octo, `${branch}.txt`), `${branch}\n`);
        g('add', '-A');
        g('commit', '-qm', `on ${branch}`);
      }
      g('checkout', '-q', 'main');
      g('merge', '-q', '--no-ff', '-m', 'merge a', 'a');
      g('merge', '-q', '-m', 'octopus', 'b', 'c', 'd');
      // A long message and author line: the head read must stop before them either way.
      g('commit', '-q', '--allow-empty', '-m', `after ${'x'.repeat(500)}`);
      g('gc', '-q');
      const store = new GitObjectStore(join(octo, '.git'));
      const reader = new GitReader(octo);
      const lines = gitIn(octo, ['rev-list', '--all', '--parents']).trim().split('\n');
      const heads = new Map<number, number>(); // parent count -> commits read from the head alone
      for (const line of lines) {
        const [oid, ...parents] = line.split(' ');
        const tree = gitIn(octo, ['rev-parse', `${oid}^{tree}`]).trim();
        // The head read declines commits git stored as deltas; GitReader then reads them whole.
        const head = store.readCommitHead(oid!);
        if (head) {
          expect(head, oid).toEqual({ tree, parents });
          heads.set(parents.length, (heads.get(parents.length) ?? 0) + 1);
        }
        const info = reader.commitSync(oid!);
        expect({ tree: info.tree, parents: info.parents }, oid).toEqual({ tree, parents });
      }
      // Root, one parent (the long message), merge and octopus were each read from the head alone.
      expect([...heads.keys()].sort()).toEqual([0, 1, 2, 4]);
    } finally {
      rmSync(join(octo, '..'), { recursive: true, force: true });
    }
  });

  it('lists the same tips as git: packed and loose refs, annotated tags, symbolic refs, stash', async () => {
    gitIn(repo, ['tag', '-a', 'v-annotated', '-m', 'annotated tag']);
    gitIn(repo, ['tag', 'v-light', 'HEAD~1']);
    gitIn(repo, ['branch', 'side', 'HEAD~2']);
    gitIn(repo, ['pack-refs', '--all']);
    gitIn(repo, ['branch', 'loose-after-pack', 'HEAD~1']); // a loose ref next to packed ones
    gitIn(repo, ['symbolic-ref', 'refs/remotes/origin/HEAD', 'refs/heads/side']);
    gitIn(repo, ['update-ref', 'refs/tags/tree-tag', gitIn(repo, ['rev-parse', 'HEAD^{tree}']).trim()]);
    writeFileSync(join(repo, 'loose.txt'), 'stashed change\n');
    gitIn(repo, ['stash', '-q']);
    expect(readRefsDirectly(join(repo, '.git'))).toBeDefined();
    const ours = (await listAllTips(new GitReader(repo))).sort();
    const theirs = [
      ...new Set(
        gitIn(repo, ['rev-list', '--all', '--no-walk'])
          .trim()
          .split('\n')
          .concat(gitIn(repo, ['rev-parse', 'HEAD']).trim()),
      ),
    ].sort();
    expect(ours).toEqual(theirs);
  });

  it('reads a linked worktree: its HEAD, the shared refs and objects of the common dir, like git --all', async () => {
    const linked = join(repo, '..', 'linked');
    gitIn(repo, ['worktree', 'add', '-q', '--detach', linked, 'HEAD~1']);
    writeFileSync(join(linked, 'only-here.txt'), 'a commit only the linked worktree HEAD reaches\n');
    gitIn(linked, ['add', 'only-here.txt']);
    gitIn(linked, ['commit', '-qm', 'detached work'], '2024-06-01T00:00:00Z');
    const theirs = (dir: string) => [...new Set(gitIn(dir, ['rev-list', '--all']).trim().split('\n'))].sort();
    for (const dir of [linked, repo]) {
      const reader = new GitReader(dir);
      const commits = await walkCommits(reader, await listAllTips(reader));
      expect(commits.map((c) => c.sha).sort(), dir).toEqual(theirs(dir));
    }
  });

  it('reads a clone whose objects live in an alternate (clone --shared), and fails loudly without it', async () => {
    const shared = join(repo, '..', 'shared');
    execFileSync('git', ['clone', '-q', '--shared', repo, shared]);
    const reader = new GitReader(shared);
    const commits = await walkCommits(reader, await listAllTips(reader));
    const theirs = [...new Set(gitIn(shared, ['rev-list', '--all']).trim().split('\n'))].sort();
    expect(commits.map((c) => c.sha).sort()).toEqual(theirs);
    // Without the alternate the objects are gone: an error naming the repository, never an empty history.
    rmSync(join(shared, '.git', 'objects', 'info', 'alternates'));
    await expect(listAllTips(new GitReader(shared))).rejects.toThrow(/missing|cannot read/);
  });
});
