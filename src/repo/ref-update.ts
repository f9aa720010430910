import * as fs from 'node:fs';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import git from 'isomorphic-git';
import { LlmcmError } from '../core/errors.js';
import { type Repository, readRef } from './repository.js';

/** Raised when a compare-and-set ref update finds another value than expected. */
export class RefConflictError extends LlmcmError {
  readonly ref: string;
  readonly actual: string | null;
  constructor(ref: string, expected: string | null, actual: string | null) {
    super(`${ref} moved: expected ${expected ?? '(absent)'}, found ${actual ?? '(absent)'}`, {
      code: 'REF_CONFLICT',
      kind: 'store',
      hint: 'another llmcm run updated it at the same time; retry',
    });
    this.ref = ref;
    this.actual = actual;
  }
}

/**
 * Compare-and-set on a ref, with git's own lock-file protocol (`<ref>.lock` created with O_EXCL,
 * then renamed over the ref), so it is atomic against other llmcm runs *and* against git itself.
 * isomorphic-git's writeRef has no old-value check, hence this.
 * `expected` null means "the ref must not exist"; `next` null deletes the ref.
 */
export async function updateRefCas(
  repo: Repository,
  ref: string,
  expected: string | null,
  next: string | null,
): Promise<void> {
  if (!ref.startsWith('refs/')) throw new Error(`updateRefCas needs a full ref name, got ${ref}`);
  const refPath = join(repo.gitdir, ref);
  const lockPath = `${refPath}.lock`;
  mkdirSync(dirname(refPath), { recursive: true });
  let fd: number;
  try {
    fd = openSync(lockPath, 'wx', 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new RefConflictError(ref, expected, await readRef(repo, ref));
    }
    throw error;
  }
  let renamed = false;
  try {
    const actual = await readRef(repo, ref);
    if (actual !== expected) throw new RefConflictError(ref, expected, actual);
    if (next === null) {
      // deleteRef also removes a packed entry; we still hold the lock file, so nobody races us.
      await git.deleteRef({ fs, dir: repo.dir, gitdir: repo.gitdir, ref });
      return;
    }
    writeSync(fd, `${next}\n`);
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    renameSync(lockPath, refPath);
    renamed = true;
  } finally {
    if (fd >= 0) closeSync(fd);
    if (!renamed) rmSync(lockPath, { force: true });
  }
}
