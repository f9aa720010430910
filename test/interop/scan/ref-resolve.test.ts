import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveRefDirectly } from '../../../src/scan/sources/git-refs.js';
import { gitIn } from './corpus.js';

// resolveRefDirectly against the real `git rev-parse --verify` on the same repositories: loose and
// packed refs, tags (annotated ones unpeeled), remotes and their HEAD, ambiguous names, symbolic and
// detached HEADs, FETCH_HEAD, an unborn branch and a linked worktree.

/** What git says a name is: an object id, or null when it is no ref (and no object name). */
function gitRevParse(dir: string, name: string): string | null {
  const r = spawnSync('git', ['rev-parse', '--verify', '--quiet', '--end-of-options', name], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: dir },
  });
  return r.status === 0 ? r.stdout.trim() : null;
}

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'llmcm-refs-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function newRepo(name: string): string {
  const dir = join(root, name);
  gitIn(root, ['init', '-q', '-b', 'main', dir]);
  return dir;
}

function commit(dir: string, message: string): string {
  writeFileSync(join(dir, 'f.txt'), `${message}\n`);
  gitIn(dir, ['add', '-A']);
  gitIn(dir, ['commit', '-q', '-m', message]);
  return gitIn(dir, ['rev-parse', 'HEAD']).trim();
}

const NAMES = [
  'HEAD',
  'main',
  'feature/x',
  'heads/main',
  'refs/heads/main',
  'v1',
  'v2',
  'tags/v1',
  'refs/tags/v2',
  'origin/main',
  'origin',
  'remotes/origin/main',
  'same',
  'FETCH_HEAD',
  'ORIG_HEAD',
  'packed-only',
  'loose-over-packed',
  'missing',
  'refs/heads/missing',
  'config',
  'index',
  'objects',
  'HEAD/x',
  'heads',
];

describe('resolveRefDirectly (compared with git rev-parse --verify)', () => {
  it('names every kind of ref as git does, loose and packed', () => {
    const dir = newRepo('kinds');
    const first = commit(dir, 'one');
    const second = commit(dir, 'two');
    gitIn(dir, ['branch', 'feature/x', first]);
    gitIn(dir, ['tag', 'v1', first]);
    gitIn(dir, ['tag', '-a', '-m', 'annotated', 'v2', second]);
    // A branch and a tag of the same name: git takes the tag (refs/tags comes before refs/heads).
    gitIn(dir, ['branch', 'same', first]);
    gitIn(dir, ['tag', 'same', second]);
    gitIn(dir, ['update-ref', 'refs/remotes/origin/main', first]);
    gitIn(dir, ['symbolic-ref', 'refs/remotes/origin/HEAD', 'refs/remotes/origin/main']);
    gitIn(dir, ['branch', 'packed-only', first]);
    gitIn(dir, ['branch', 'loose-over-packed', first]);
    gitIn(dir, ['pack-refs', '--all']);
    // After packing: a loose ref that overrides its packed value.
    gitIn(dir, ['update-ref', 'refs/heads/loose-over-packed', second]);
    writeFileSync(join(dir, '.git', 'FETCH_HEAD'), `${first}\t\tbranch 'main' of ../elsewhere\n`);
    gitIn(dir, ['update-ref', 'ORIG_HEAD', first]);
    const gitdir = join(dir, '.git');
    for (const name of NAMES) expect(resolveRefDirectly(gitdir, name), name).toBe(gitRevParse(dir, name));
    // Detached HEAD.
    gitIn(dir, ['checkout', '-q', '--detach', first]);
    expect(resolveRefDirectly(gitdir, 'HEAD')).toBe(first);
  });

  it('gives null for the HEAD of an unborn branch, and for names nobody has', () => {
    const dir = newRepo('unborn');
    expect(gitRevParse(dir, 'HEAD')).toBeNull();
    expect(resolveRefDirectly(join(dir, '.git'), 'HEAD')).toBeNull();
    expect(resolveRefDirectly(join(dir, '.git'), 'main')).toBeNull();
  });

  it('reads a linked worktree: its own HEAD, the shared branches', () => {
    const dir = newRepo('main-tree');
    const first = commit(dir, 'one');
    const wt = join(root, 'linked');
    gitIn(dir, ['worktree', 'add', '-q', '-b', 'side', wt, first]);
    const second = commit(wt, 'on side');
    const wtGitdir = gitIn(wt, ['rev-parse', '--absolute-git-dir']).trim();
    for (const name of ['HEAD', 'side', 'main', 'refs/heads/side']) {
      expect(resolveRefDirectly(wtGitdir, name), name).toBe(gitRevParse(wt, name));
    }
    expect(resolveRefDirectly(wtGitdir, 'HEAD')).toBe(second);
    expect(resolveRefDirectly(join(dir, '.git'), 'HEAD')).toBe(first);
  });

  it('leaves what it cannot read to isomorphic-git (undefined), never guessing', () => {
    const dir = newRepo('odd');
    commit(dir, 'one');
    writeFileSync(join(dir, '.git', 'refs', 'heads', 'broken'), 'not a ref\n');
    expect(resolveRefDirectly(join(dir, '.git'), 'broken')).toBeUndefined();
  });

  it('agrees with git on generated branch and tag sets, packed or not (property)', () => {
    const dir = newRepo('generated');
    const commits = [commit(dir, 'a'), commit(dir, 'b'), commit(dir, 'c')];
    const segment = fc.stringMatching(/^[a-z][a-z0-9-]{0,6}$/);
    const refName = fc.array(segment, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('/'));
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(refName, fc.constantFrom('heads', 'tags', 'remotes/origin'), fc.nat(2)), {
          minLength: 1,
          maxLength: 6,
          selector: ([name, kind]) => `${kind}/${name}`,
        }),
        fc.boolean(),
        (refs, pack) => {
          const stale = gitIn(dir, ['for-each-ref', '--format=%(refname)', 'refs/tags', 'refs/remotes'])
            .split('\n')
            .filter(Boolean);
          for (const ref of stale) gitIn(dir, ['update-ref', '-d', ref]);
          const heads = gitIn(dir, ['for-each-ref', '--format=%(refname)', 'refs/heads'])
            .split('\n')
            .filter((r) => r !== '' && r !== 'refs/heads/main');
          for (const ref of heads) gitIn(dir, ['update-ref', '-d', ref]);
          const created: string[] = [];
          for (const [name, kind, at] of refs) {
            const full = `refs/${kind}/${name}`;
            // git refuses a ref inside another ref's name ("a" and "a/b"): skip those, like git.
            const r = spawnSync('git', ['update-ref', full, commits[at]!], { cwd: dir });
            if (r.status === 0) created.push(name, `${kind}/${name}`, full);
          }
          if (pack) gitIn(dir, ['pack-refs', '--all']);
          for (const name of [...created, 'main', 'HEAD', 'nothing-here']) {
            expect(resolveRefDirectly(join(dir, '.git'), name), name).toBe(gitRevParse(dir, name));
          }
        },
      ),
      { numRuns: 25 },
    );
  });
});
