import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  lstatSync,
  openSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  type Stats,
  statSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { LlmcmError } from './errors.js';

export interface AtomicWriteOptions {
  /** File mode for a new file; default 0o644 (an existing file keeps its mode). Secrets use 0o600. */
  mode?: number;
  /**
   * False skips the two fsyncs (file, then directory): the replacement is still atomic for readers
   * and for a crash of this process, but not guaranteed to survive a power cut. For output that is
   * cheap to produce again, such as a scan report (an fsync costs a few milliseconds, more on a
   * busy CI disk, on a command that takes a few hundred). Default true.
   */
  durable?: boolean;
}

/**
 * Writes `data` to `path` so that readers see either the old file or the whole new one:
 * a temp file in the same directory, fsync, rename, then fsync of the directory.
 * On any failure the original file is untouched and the temp file is removed.
 *
 * The rename must never replace something that is not a plain file: a symlink is followed and its
 * target is replaced (as sops does), and a FIFO, device or socket (`--output /dev/stdout`) is written
 * to directly, since renaming over it would swap a device node for a plaintext file.
 */
export function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): void {
  const target = resolveWriteTarget(path);
  const existing = statOrUndefined(target);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  if (existing && !existing.isFile()) {
    if (existing.isDirectory()) throw writeError(path, 'EISDIR', undefined);
    writeInPlace(path, target, bytes);
    return;
  }
  const mode = options.mode ?? (existing ? existing.mode & 0o7777 : 0o644);
  const durable = options.durable ?? true;
  const dir = dirname(target);
  const temp = join(dir, `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(temp, 'wx', mode);
    writeAll(fd, bytes);
    if (durable) fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, target);
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    rmSync(temp, { force: true });
    throw writeError(path, (error as NodeJS.ErrnoException).code, error);
  }
  if (!durable) return;
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

/** Follows symlinks (also dangling ones, whose target is then created) to the path that gets replaced. */
function resolveWriteTarget(path: string): string {
  let current = resolve(path);
  for (let hops = 0; hops < 40; hops++) {
    let stats: Stats;
    try {
      stats = lstatSync(current);
    } catch {
      return current;
    }
    if (!stats.isSymbolicLink()) return current;
    try {
      return realpathSync(current);
    } catch {
      current = resolve(dirname(current), readlinkSync(current));
    }
  }
  throw writeError(path, 'ELOOP', undefined);
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

function writeInPlace(path: string, target: string, bytes: Uint8Array): void {
  let fd: number | undefined;
  try {
    fd = openSync(target, 'w');
    writeAll(fd, bytes);
  } catch (error) {
    throw writeError(path, (error as NodeJS.ErrnoException).code, error);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let offset = 0;
  while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
}

function writeError(path: string, reason: string | undefined, cause: unknown): LlmcmError {
  return new LlmcmError(
    `cannot write ${path} (${reason ?? 'write failed'}); the original file was left unchanged`,
    {
      code: 'WRITE_FAILED',
      kind: 'input',
      file: path,
      hint: 'check that the directory exists and is writable',
      cause,
    },
  );
}
