import * as fs from 'node:fs';
import { join } from 'node:path';
import git from 'isomorphic-git';
import { LlmcmError } from '../core/errors.js';
import { parseRevision, walkRevision } from './revision.js';

/** A handle on a git repository, shared by every git call of one run (one object cache). */
export interface Repository {
  /** The working tree. */
  dir: string;
  /** The git directory (usually `<dir>/.git`). */
  gitdir: string;
  /** isomorphic-git's object cache: passing the same object makes repeated reads cheap. */
  cache: object;
}

/** A person as git records them. */
export interface GitIdentity {
  name: string;
  email: string;
}

/** Opens the git repository whose working tree contains `dir` (walks up like git does). */
export async function openRepository(dir: string): Promise<Repository> {
  let root: string;
  try {
    root = await git.findRoot({ fs, filepath: dir });
  } catch (error) {
    throw new LlmcmError(`${dir} is not inside a git repository`, {
      code: 'NOT_A_GIT_REPO',
      kind: 'input',
      hint: "run 'git init' and commit the config repo first",
      cause: error,
    });
  }
  return { dir: root, gitdir: join(root, '.git'), cache: {} };
}

/**
 * Resolves a ref, tag, branch, or (abbreviated) commit id, with git's `~n` / `^n` suffixes, to a full
 * commit id; throws a clear input error.
 */
export async function resolveCommit(repo: Repository, ref: string): Promise<string> {
  const spec = parseRevision(ref);
  const start = spec ? await resolveCommitWithoutSuffix(repo, spec.base, ref) : undefined;
  const oid =
    start && spec
      ? await walkRevision(start, spec.steps, async (commit) => {
          const read = await git.readCommit({
            fs,
            dir: repo.dir,
            gitdir: repo.gitdir,
            oid: commit,
            cache: repo.cache,
          });
          return read.commit.parent;
        })
      : undefined;
  if (!oid) throw sourceRefNotFound(repo, ref);
  return oid;
}

function sourceRefNotFound(repo: Repository, ref: string): LlmcmError {
  return new LlmcmError(`source ref '${ref}' does not exist in ${repo.dir}`, {
    code: 'SOURCE_REF_NOT_FOUND',
    kind: 'input',
    hint: 'give a branch, tag or commit id that exists (git log --oneline)',
  });
}

async function resolveCommitWithoutSuffix(repo: Repository, ref: string, asTyped: string): Promise<string> {
  const base = { fs, dir: repo.dir, gitdir: repo.gitdir };
  let oid: string | undefined;
  try {
    oid = await git.resolveRef({ ...base, ref });
  } catch {
    if (/^[0-9a-f]{4,40}$/i.test(ref)) {
      try {
        oid = await git.expandOid({ ...base, oid: ref.toLowerCase(), cache: repo.cache });
      } catch {
        oid = undefined;
      }
    }
  }
  if (!oid) throw sourceRefNotFound(repo, asTyped);
  // Peel annotated tags to the commit they point at.
  for (let depth = 0; depth < 5; depth++) {
    const { type, object } = await git.readObject({ ...base, oid, cache: repo.cache });
    if (type === 'commit') return oid;
    if (type === 'tag') {
      oid = (object as { object: string }).object;
      continue;
    }
    break;
  }
  throw new LlmcmError(`'${asTyped}' does not name a commit`, {
    code: 'SOURCE_REF_NOT_COMMIT',
    kind: 'input',
  });
}

/** The current value of a ref, or null when it does not exist. */
export async function readRef(repo: Repository, ref: string): Promise<string | null> {
  try {
    return await git.resolveRef({ fs, dir: repo.dir, gitdir: repo.gitdir, ref });
  } catch {
    return null;
  }
}

/** Whether an object with this id exists in the repository. */
export async function hasObject(repo: Repository, oid: string): Promise<boolean> {
  try {
    await git.readObject({
      fs,
      dir: repo.dir,
      gitdir: repo.gitdir,
      oid,
      format: 'deflated',
      cache: repo.cache,
    });
    return true;
  } catch {
    return false;
  }
}

/** Lists full ref names under a prefix, e.g. `refs/llmcm/promotions` → `refs/llmcm/promotions/dev`. */
export async function listRefsUnder(repo: Repository, prefix: string): Promise<string[]> {
  const names = await git.listRefs({ fs, dir: repo.dir, gitdir: repo.gitdir, filepath: prefix });
  return names.map((n) => `${prefix}/${n}`).sort();
}

/** Every branch head and tag target: the roots "reachable history" is measured from. */
export async function listHistoryRoots(repo: Repository): Promise<string[]> {
  const roots = new Set<string>();
  for (const prefix of ['refs/heads', 'refs/tags']) {
    for (const ref of await listRefsUnder(repo, prefix)) {
      const oid = await readRef(repo, ref);
      if (oid) roots.add(oid);
    }
  }
  const head = await readRef(repo, 'HEAD');
  if (head) roots.add(head);
  return [...roots];
}
