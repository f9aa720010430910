import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** One stage-0 entry of the git index: what git knew about a tracked file when it last looked. */
export interface IndexEntry {
  oid: string;
  mode: number;
  size: number;
  mtimeSeconds: number;
  mtimeNanoseconds: number;
}

/** The entries of `.git/index` (versions 2 and 3) by path, and the index file's own mtime in ms. */
export interface GitIndex {
  entries: Map<string, IndexEntry>;
  mtimeMs: number;
}

/**
 * Reads `.git/index` so unchanged working files can be recognised by their stat data, as git does,
 * instead of hashing every file. Returns undefined for a missing or unsupported index (v4 path
 * compression, a damaged file): callers then hash the files.
 */
export function readGitIndex(gitdir: string): GitIndex | undefined {
  let buffer: Buffer;
  let mtimeMs: number;
  try {
    const path = join(gitdir, 'index');
    buffer = readFileSync(path);
    mtimeMs = statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
  if (buffer.length < 12 || buffer.toString('latin1', 0, 4) !== 'DIRC') return undefined;
  const version = buffer.readUInt32BE(4);
  if (version !== 2 && version !== 3) return undefined;
  const count = buffer.readUInt32BE(8);
  const entries = new Map<string, IndexEntry>();
  let offset = 12;
  try {
    for (let n = 0; n < count; n++) {
      const start = offset;
      const mtimeSeconds = buffer.readUInt32BE(offset + 8);
      const mtimeNanoseconds = buffer.readUInt32BE(offset + 12);
      const mode = buffer.readUInt32BE(offset + 24);
      const size = buffer.readUInt32BE(offset + 36);
      const oid = buffer.toString('hex', offset + 40, offset + 60);
      const flags = buffer.readUInt16BE(offset + 60);
      offset += 62;
      if (version >= 3 && flags & 0x4000) offset += 2;
      const end = buffer.indexOf(0, offset);
      if (end < 0) return undefined;
      const path = buffer.toString('utf8', offset, end);
      offset = end;
      // Entries are NUL-padded to a multiple of 8 bytes (at least one NUL).
      const length = offset - start;
      offset = start + Math.ceil((length + 1) / 8) * 8;
      if ((flags & 0x3000) === 0) entries.set(path, { oid, mode, size, mtimeSeconds, mtimeNanoseconds });
    }
  } catch {
    return undefined;
  }
  return { entries, mtimeMs };
}
