/**
 * A synchronous reader of git's index file (`.git/index`, gitformat-index(5)) for `scan --staged`:
 * one readFileSync and plain Buffer reads, so a pre-commit hook does not load isomorphic-git and
 * wait on its per-entry async walk. It reads only what the staged scan needs (path → blob id of
 * stage-0 files) and declines, rather than guesses, on anything it does not fully understand; the
 * caller then falls back to isomorphic-git.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

const SIGNATURE = 0x44495243; // 'DIRC'
const HEADER_SIZE = 12;
const SHA1_SIZE = 20;
/** ctime, mtime (8 bytes each), dev, ino, mode, uid, gid, size (4 each), object id, 16-bit flags. */
const ENTRY_FIXED_SIZE = 40 + SHA1_SIZE + 2;
const MODE_OFFSET = 24;
const OID_OFFSET = 40;
const FLAGS_OFFSET = 60;

const FLAG_EXTENDED = 0x4000;
const FLAG_STAGE = 0x3000;
const NAME_MASK = 0x0fff;
/** The extended-flags bits git knows: skip-worktree (0x4000) and intent-to-add (0x2000). Git refuses any other. */
const KNOWN_EXTENDED_FLAGS = 0x6000;

const MODE_REGULAR = 0o100644;
const MODE_EXECUTABLE = 0o100755;
const MODE_SYMLINK = 0o120000;
const MODE_GITLINK = 0o160000;

/**
 * Stage-0 entries of a git index file: path → object id (hex) of every regular file and symlink (modes 100644,
 * 100755, 120000; gitlinks 160000 are left out), in index order. An absent index file (ENOENT) gives an empty map.
 * undefined when this reader leaves the index to isomorphic-git: bad signature, a version other than 2-4, a
 * checksum mismatch, a truncated or malformed file, an unmerged entry (stage 1-3, a merge in progress), a split
 * or sparse index (or any other extension git marks as required), a mode outside the four above, or a SHA-256
 * repository (`objectFormat: 'sha256'`: ids and the trailing checksum are 32 bytes there, a layout this reader
 * was never checked against; declining keeps such repositories on the existing path instead of risking a misread).
 * Never throws.
 */
export function readIndexBlobs(
  indexFile: string,
  objectFormat: 'sha1' | 'sha256' = 'sha1',
): Map<string, string> | undefined {
  if (objectFormat !== 'sha1') return undefined;
  let data: Buffer;
  try {
    data = readFileSync(indexFile);
  } catch (error) {
    // No index yet (a fresh `git init`): nothing is staged. Any other read error is the fallback's to report.
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? new Map() : undefined;
  }
  try {
    return parseIndexBlobs(data);
  } catch {
    // Buffer reads past the end throw RangeError: a file that lies about its own lengths.
    return undefined;
  }
}

function parseIndexBlobs(data: Buffer): Map<string, string> | undefined {
  if (data.length < HEADER_SIZE + SHA1_SIZE) return undefined;
  if (data.readUInt32BE(0) !== SIGNATURE) return undefined;
  const version = data.readUInt32BE(4);
  if (version < 2 || version > 4) return undefined;
  const end = data.length - SHA1_SIZE;
  // Git itself only checks this in fsck; we check it because a torn or half-written index would
  // otherwise be read as a plausible-looking, wrong list of staged files. All zeros is git's mark of
  // a checksum it did not compute (index.skipHash, on with feature.manyFiles since git 2.40), which
  // git reads as it is: so do we.
  const trailer = data.subarray(end);
  const skipped = trailer.every((byte) => byte === 0);
  if (!skipped && !createHash('sha1').update(data.subarray(0, end)).digest().equals(trailer))
    return undefined;

  // One latin1 decode of the whole file gives a string whose character i is byte i: an ASCII path is
  // then a substring (no per-entry decode), and only non-ASCII paths are decoded as UTF-8 one by one.
  // (V8 may keep such substrings as slices of this string: it lives as long as the map, about the
  // index file's size.)
  const bytes = data.toString('latin1', 0, end);
  const count = data.readUInt32BE(8);
  const blobs = new Map<string, string>();
  let kept = 0;
  // v4 paths are stored as "strip N bytes from the previous path, append this suffix": the previous
  // path is kept as bytes too (a latin1 string, one character a byte) since N counts bytes.
  let previousBytes = '';
  let pos = HEADER_SIZE;
  for (let i = 0; i < count; i++) {
    const start = pos;
    if (start + ENTRY_FIXED_SIZE > end) return undefined;
    const mode = readUInt32(data, start + MODE_OFFSET);
    const isBlob = mode === MODE_REGULAR || mode === MODE_EXECUTABLE || mode === MODE_SYMLINK;
    // 040000 is a sparse-index directory entry; anything else but a gitlink is a mode git never writes.
    if (!isBlob && mode !== MODE_GITLINK) return undefined;
    const flags = (data[start + FLAGS_OFFSET]! << 8) | data[start + FLAGS_OFFSET + 1]!;
    if (flags & FLAG_STAGE) return undefined; // unmerged: the fallback knows how the walk reports it
    let namePos = start + ENTRY_FIXED_SIZE;
    if (flags & FLAG_EXTENDED) {
      // Version 2 has no extended-flags word (gitformat-index: the bit "must be zero in version 2").
      if (version < 3 || namePos + 2 > end) return undefined;
      if (((data[namePos]! << 8) | data[namePos + 1]!) & ~KNOWN_EXTENDED_FLAGS) return undefined;
      namePos += 2; // skip-worktree and intent-to-add entries are kept like any stage-0 entry
    }
    // The name length saturates at 0xFFF; from there on only the terminating NUL tells it.
    const nameLength = flags & NAME_MASK;
    let path: string;
    if (version === 4) {
      // git's varint (varint.c, the OFS_DELTA offset kind): 7 bits a byte, high bit = more, and
      // each continuation adds one before shifting, so every value has exactly one encoding.
      if (namePos >= end) return undefined;
      let byte = data[namePos++]!;
      let strip = byte & 0x7f;
      while (byte & 0x80) {
        // Any strip longer than the previous path is refused below; this only keeps the arithmetic exact.
        if (namePos >= end || strip > 0xffffff) return undefined;
        byte = data[namePos++]!;
        strip = (strip + 1) * 128 + (byte & 0x7f);
      }
      if (strip > previousBytes.length) return undefined; // git dies "malformed name field" here too
      const keep = previousBytes.length - strip;
      // The name length counts the whole path, so the suffix is what the kept prefix leaves of it.
      if (nameLength < NAME_MASK && nameLength < keep) return undefined;
      const nul = findNameEnd(data, namePos, nameLength < NAME_MASK ? nameLength - keep : -1, end);
      if (nul < 0) return undefined;
      const suffix = bytes.substring(namePos, nul);
      const nameBytes = keep === 0 ? suffix : previousBytes.substring(0, keep) + suffix;
      if (nameLength === NAME_MASK && nameBytes.length < NAME_MASK) return undefined;
      previousBytes = nameBytes;
      path = NON_ASCII.test(nameBytes) ? Buffer.from(nameBytes, 'latin1').toString('utf8') : nameBytes;
      pos = nul + 1; // no padding in v4
    } else {
      const nul = findNameEnd(data, namePos, nameLength < NAME_MASK ? nameLength : -1, end);
      if (nul < 0) return undefined;
      if (nameLength === NAME_MASK && nul - namePos < NAME_MASK) return undefined;
      const nameBytes = bytes.substring(namePos, nul);
      path = NON_ASCII.test(nameBytes) ? data.toString('utf8', namePos, nul) : nameBytes;
      // 1-8 NULs pad the entry (counted from its start) to a multiple of 8 bytes.
      pos = start + ((nul - start + 8) & ~7);
      if (pos > end) return undefined;
    }
    if (path.length === 0) return undefined;
    if (isBlob) {
      blobs.set(path, data.toString('hex', start + OID_OFFSET, start + OID_OFFSET + SHA1_SIZE));
      kept++;
    }
  }
  // Two entries decoding to one string (invalid UTF-8 turned into U+FFFD) or a duplicated path:
  // the map would silently lose a file.
  if (blobs.size !== kept) return undefined;
  return checkExtensions(data, pos, end) ? blobs : undefined;
}

/** Big-endian 32-bit read without Buffer's bounds-checked method (this runs once per entry, mostly cold). */
function readUInt32(data: Buffer, at: number): number {
  return ((data[at]! << 24) | (data[at + 1]! << 16) | (data[at + 2]! << 8) | data[at + 3]!) >>> 0;
}

/**
 * Offset of the NUL ending a name that starts at `from`: where the known length says (it must be a
 * NUL there), or the first NUL when the length is unknown (-1, a saturated name length); -1 when
 * there is none before `end`.
 */
function findNameEnd(data: Buffer, from: number, length: number, end: number): number {
  if (length >= 0) {
    const nul = from + length;
    return nul < end && data[nul] === 0 ? nul : -1;
  }
  const nul = data.indexOf(0, from);
  return nul >= 0 && nul < end ? nul : -1;
}

/** Paths are UTF-8 (decoded like git and isomorphic-git: invalid sequences become U+FFFD); ASCII needs no decoding. */
const NON_ASCII = /[^\x00-\x7f]/;

/**
 * Walks the extensions between the entries and the checksum: they must tile that span exactly. Git
 * marks the ones a reader may ignore with an upper-case first letter (TREE, REUC, UNTR, FSMN, EOIE,
 * IEOT); any other (`link`: split index, `sdir`: sparse index) changes what the entries mean.
 */
function checkExtensions(data: Buffer, pos: number, end: number): boolean {
  while (pos < end) {
    if (pos + 8 > end) return false;
    const first = data[pos]!;
    if (first < 0x41 || first > 0x5a) return false;
    pos += 8 + data.readUInt32BE(pos + 4);
  }
  return pos === end;
}
