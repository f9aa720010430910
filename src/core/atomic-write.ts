import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { LlmcmError } from './errors.js';

export interface AtomicWriteOptions {
  /** File mode for the new file; default 0o644. Secrets use 0o600. */
  mode?: number;
}

/**
 * Writes `data` to `path` so that readers see either the old file or the whole new one:
 * a temp file in the same directory, fsync, rename, then fsync of the directory.
 * On any failure the original file is untouched and the temp file is removed.
 */
export function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): void {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(temp, 'wx', options.mode ?? 0o644);
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, path);
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    rmSync(temp, { force: true });
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new LlmcmError(`cannot write ${path} (${reason}); the original file was left unchanged`, {
      code: 'WRITE_FAILED',
      kind: 'input',
      file: path,
      hint: 'check that the directory exists and is writable',
      cause: error,
    });
  }
  try {
    const dirFd = openSync(dir, 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  } catch {
    // Directory fsync is best effort: some filesystems refuse it, and the rename already happened.
  }
}
