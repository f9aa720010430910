import { closeSync, existsSync, fstatSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { inflateSync } from 'node:zlib';
import { allocObjectBuffer, inflateExact, inflateHead } from './native-inflate.js';

/** A git object's type and raw content. */
export interface GitObject {
  type: 'commit' | 'tree' | 'blob' | 'tag';
  data: Buffer;
}

const TYPES = ['', 'commit', 'tree', 'blob', 'tag', '', 'ofs-delta', 'ref-delta'] as const;

interface Pack {
  /** The whole pack file, when it was read at once (see GitObjectStore's wholePacksUpTo). */
  pack: Buffer | undefined;
  /** Otherwise an open file: each entry is read where it lies. */
  fd: number | undefined;
  /** Size of the pack file; its last 20 bytes are the checksum. */
  size: number;
  idx: Buffer;
  count: number;
  /** Objects read from this pack by entry offset (small integers: cheap Map keys). */
  cache: Map<number, GitObject>;
}

/** Bytes of one pack entry: `buf[at..end)` holds the entry from its header on. */
interface EntryBytes {
  buf: Buffer;
  at: number;
  end: number;
}

/** Options of a GitObjectStore. */
export interface GitObjectStoreOptions {
  /**
   * Pack files up to this size are read whole (one sequential read: a history scan touches nearly
   * every object); bigger ones are read entry by entry, so that a pull-request scan of a large
   * repository reads a few objects, not gigabytes. Default 256 MB.
   */
  wholePacksUpTo?: number;
}

/**
 * `size + (byte & 0x7f) * 2 ** shift`, in integer arithmetic while the result fits: `**` yields a
 * double, and object sizes held as doubles deoptimised the buffer code they flow into (V8 had
 * compiled it for small integers). Past 2^31 the exact double sum is kept.
 */
export function addVarintGroup(size: number, byte: number, shift: number): number {
  const group = byte & 0x7f;
  return shift <= 24 && size < 0x1000000 ? size + (group << shift) : size + group * 2 ** shift;
}

/**
 * A pack entry's header: the object type number (1 commit … 7 ref-delta), the inflated size (a
 * little-endian base-128 number whose first 4 bits share a byte with the type), and where the
 * entry's data (or delta base reference) starts.
 */
function readEntryHeader(
  buf: Uint8Array,
  offset: number,
): { typeNum: number; size: number; dataStart: number } {
  let pos = offset;
  let byte = buf[pos++]!;
  const typeNum = (byte >> 4) & 7;
  let size = byte & 0x0f;
  let shift = 4;
  while (byte & 0x80) {
    byte = buf[pos++]!;
    size = addVarintGroup(size, byte, shift);
    shift += 7;
  }
  return { typeNum, size, dataStart: pos };
}

/**
 * A read-only git object reader for history scans: loose objects and v2 pack files, inflated
 * with Node's native zlib through one reused handle (native-inflate.ts), with resolved delta
 * bases cached. isomorphic-git (used for ranges, the
 * index and as a fallback) inflates in JavaScript and goes through async fs calls for every
 * object, which made a 5,000-commit history ~15× slower than `git log -p`; this reader is only
 * an accelerator for the read path and is checked against isomorphic-git in tests.
 */
export class GitObjectStore {
  private readonly packs: Pack[] = [];
  private cacheBytes = 0;
  private static readonly CACHE_LIMIT = 96 * 1024 * 1024;

  /** The repository's objects folder, then its alternates (`git clone --shared/--reference`). */
  private readonly objectDirs: string[];

  private readonly wholePacksUpTo: number;

  constructor(gitdir: string, options: GitObjectStoreOptions = {}) {
    this.wholePacksUpTo = options.wholePacksUpTo ?? 256 * 1024 * 1024;
    this.objectDirs = objectDirectories(join(gitdir, 'objects'));
    for (const dir of this.objectDirs) this.openPacks(join(dir, 'pack'));
  }

  /** Closes the pack files read entry by entry (reads after this fail over to the caller's fallback). */
  close(): void {
    for (const p of this.packs) {
      if (p.fd === undefined) continue;
      try {
        closeSync(p.fd);
      } catch {
        // Already closed: nothing to release.
      }
      p.fd = undefined;
    }
  }

  private openPacks(packDir: string): void {
    if (!existsSync(packDir)) return;
    for (const name of readdirSync(packDir)) {
      if (!name.endsWith('.idx')) continue;
      const idx = readFileSync(join(packDir, name));
      const packPath = join(packDir, name.replace(/\.idx$/, '.pack'));
      if (!existsSync(packPath)) continue;
      // v2 index: magic ff744f63, version 2, 256-entry fanout.
      if (idx.readUInt32BE(0) !== 0xff744f63 || idx.readUInt32BE(4) !== 2) continue;
      const count = idx.readUInt32BE(8 + 255 * 4);
      const fd = openSync(packPath, 'r');
      const size = fstatSync(fd).size;
      if (size <= this.wholePacksUpTo) {
        let pack: Buffer;
        try {
          pack = readFileSync(fd);
        } finally {
          closeSync(fd);
        }
        this.packs.push({ pack, fd: undefined, size, idx, count, cache: new Map() });
      } else {
        this.packs.push({ pack: undefined, fd, size, idx, count, cache: new Map() });
      }
    }
  }

  private offsetAt(idx: Buffer, count: number, i: number): number {
    const offTable = 8 + 256 * 4 + count * 20 + count * 4;
    const v = readU32(idx, offTable + i * 4);
    if (v < 0x80000000) return v;
    const big = offTable + count * 4 + (v - 0x80000000) * 8;
    return readU32(idx, big) * 2 ** 32 + readU32(idx, big + 4);
  }

  /** Binary search of the idx's sorted id table, narrowed by the fan-out table (no per-pack map to build). */
  private findInPack(p: Pack, oid: string): number {
    const want = this.want;
    if (oid.length !== 40 || want.write(oid, 0, 'hex') !== 20) return -1;
    const idx = p.idx;
    const first = want[0]!;
    let lo = first === 0 ? 0 : readU32(idx, 8 + (first - 1) * 4);
    let hi = readU32(idx, 8 + first * 4) - 1;
    const shaTable = 8 + 256 * 4;
    const head = readU32(want, 0);
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const at = shaTable + mid * 20;
      let c = readU32(idx, at) - head;
      // The rest byte by byte in JS: cheaper than a native compare call for 16 bytes.
      for (let k = 4; c === 0 && k < 20; k++) c = idx[at + k]! - want[k]!;
      if (c === 0) return this.offsetAt(idx, p.count, mid);
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /**
   * `offset * 4096 + pack` of `oid` (just the offset when there is one pack), or -1 when no pack
   * has it. Not memoised: the fan-out narrowed binary search costs about what hashing a fresh
   * 40-character id for a Map lookup does, and a map of every id would outlive young-generation GC.
   */
  private locate(oid: string): number {
    const single = this.packs.length === 1;
    for (let i = 0; i < this.packs.length && i < 4096; i++) {
      const offset = this.findInPack(this.packs[i]!, oid);
      if (offset >= 0) return single ? offset : offset * 4096 + i;
    }
    return -1;
  }

  private readonly want = Buffer.alloc(20);
  /** Where commit heads are inflated (parsed into strings at once, so one buffer serves them all). */
  private readonly shortHead = Buffer.alloc(ONE_PARENT_HEAD_BYTES);
  private readonly longHead = Buffer.alloc(COMMIT_HEAD_BYTES);

  /**
   * The bytes of the entry at `offset`. A whole pack is used in place, up to its trailer: zlib stops
   * at the end of the entry's stream by itself, so no table of entry boundaries is needed (sorting
   * 20,000 offsets cost ~15 ms of every history scan's start-up). Otherwise the entry is read from
   * the file: a first read of up to 4 kB holds the header and, for most objects, everything; a
   * bigger one is read again with room for zlib's worst case (deflateBound: the inflated size plus
   * about 0.1%).
   */
  private entryBytes(p: Pack, offset: number): EntryBytes {
    const limit = p.size - 20;
    if (p.pack) return { buf: p.pack, at: offset, end: limit };
    const first = this.readAt(p, offset, Math.min(4096, limit - offset));
    const { size, dataStart } = readEntryHeader(first, 0);
    // Header, then at most 20 bytes of delta base reference, then the compressed data.
    const needed = dataStart + 20 + size + (size >> 10) + 64;
    if (needed <= first.length || first.length === limit - offset)
      return { buf: first, at: 0, end: first.length };
    const all = this.readAt(p, offset, Math.min(needed, limit - offset));
    return { buf: all, at: 0, end: all.length };
  }

  private readAt(p: Pack, offset: number, length: number): Buffer {
    if (p.fd === undefined) throw new Error('pack file closed');
    const buf = Buffer.allocUnsafe(Math.max(0, length));
    let done = 0;
    while (done < buf.length) {
      const n = readSync(p.fd, buf, done, buf.length - done, offset + done);
      if (n === 0) throw new Error('pack file shorter than its index says');
      done += n;
    }
    return buf;
  }

  private remember(p: Pack, offset: number, obj: GitObject): GitObject {
    if (obj.data.length > 8 * 1024 * 1024) return obj;
    p.cache.set(offset, obj);
    this.cacheBytes += obj.data.length;
    if (this.cacheBytes > GitObjectStore.CACHE_LIMIT) {
      // Oldest first, pack by pack, down to half the limit.
      for (const pack of this.packs) {
        for (const [k, v] of pack.cache) {
          pack.cache.delete(k);
          this.cacheBytes -= v.data.length;
          if (this.cacheBytes < GitObjectStore.CACHE_LIMIT / 2) return obj;
        }
      }
    }
    return obj;
  }

  private readPacked(p: Pack, packIndex: number, offset: number): GitObject {
    // A number, not a string: this lookup runs for every object and every delta base.
    const hit = p.cache.get(offset);
    if (hit) return hit;
    const { buf, at, end } = this.entryBytes(p, offset);
    const { typeNum, size, dataStart } = readEntryHeader(buf, at);
    let pos = dataStart;
    const type = TYPES[typeNum];
    if (type === 'ofs-delta') {
      let byte = buf[pos++]!;
      let rel = byte & 0x7f;
      while (byte & 0x80) {
        byte = buf[pos++]!;
        rel = (rel + 1) * 128 + (byte & 0x7f);
      }
      const base = this.readPacked(p, packIndex, offset - rel);
      const delta = inflateEntry(buf, pos, end, size);
      return this.remember(p, offset, { type: base.type, data: applyDelta(base.data, delta) });
    }
    if (type === 'ref-delta') {
      const baseOid = buf.subarray(pos, pos + 20).toString('hex');
      const base = this.read(baseOid);
      if (!base) throw new Error(`missing delta base ${baseOid}`);
      const delta = inflateEntry(buf, pos + 20, end, size);
      return this.remember(p, offset, { type: base.type, data: applyDelta(base.data, delta) });
    }
    if (type !== 'commit' && type !== 'tree' && type !== 'blob' && type !== 'tag') {
      throw new Error(`unknown pack entry type ${typeNum}`);
    }
    const data = inflateEntry(buf, pos, end, size);
    // Base objects of delta chains are read again and again: keep them.
    return this.remember(p, offset, { type, data });
  }

  /**
   * A packed commit's tree and parents from the first few hundred bytes of the entry (only those
   * are inflated), or undefined when the commit is not a plain packed entry (deltified, loose,
   * unusual): the caller then reads the whole object.
   */
  readCommitHead(oid: string): { tree: string; parents: string[] } | undefined {
    for (let i = 0; i < this.packs.length; i++) {
      const p = this.packs[i]!;
      const offset = this.findInPack(p, oid);
      if (offset < 0) continue;
      const entry = this.entryBytes(p, offset);
      const { typeNum, size, dataStart: pos } = readEntryHeader(entry.buf, entry.at);
      if (typeNum !== 1) return undefined;
      // Most commits have one parent: their tree, parent and the start of the author line fit in
      // ONE_PARENT_HEAD_BYTES, and zlib stops decoding there. A merge needs a second, longer read.
      return (
        this.commitHeadOf(entry, pos, size, ONE_PARENT_HEAD_BYTES) ??
        this.commitHeadOf(entry, pos, size, COMMIT_HEAD_BYTES)
      );
    }
    return undefined;
  }

  /** Tree and parents from the first `limit` bytes of a packed commit, if those hold all of them. */
  private commitHeadOf(
    entry: EntryBytes,
    pos: number,
    size: number,
    limit: number,
  ): { tree: string; parents: string[] } | undefined {
    const want = Math.min(size, limit);
    const { buf, end } = entry;
    const data =
      want === size
        ? inflateExact(buf, pos, end, size)
        : inflateHead(buf, pos, end, want === ONE_PARENT_HEAD_BYTES ? this.shortHead : this.longHead);
    if (!data) return undefined;
    const head = readCommitHeader(data);
    // Complete only if the author line was reached (or the whole commit was inflated).
    if (want !== size && !startsWithBytes(data, head.stop, AUTHOR)) return undefined;
    if (head.tree.length !== 40) return undefined;
    for (const parent of head.parents) if (parent.length !== 40) return undefined;
    return { tree: head.tree, parents: head.parents };
  }

  /** Reads an object, or undefined when this reader cannot find it (the caller falls back). */
  read(oid: string): GitObject | undefined {
    const at = this.locate(oid);
    if (at >= 0) {
      if (this.packs.length === 1) return this.readPacked(this.packs[0]!, 0, at);
      const i = at % 4096;
      return this.readPacked(this.packs[i]!, i, (at - i) / 4096);
    }
    let raw: Buffer | undefined;
    for (const dir of this.objectDirs) {
      try {
        raw = inflateSync(readFileSync(join(dir, oid.slice(0, 2), oid.slice(2))));
        break;
      } catch {
        // Not in this folder (or unreadable): the next one, then the caller's fallback.
      }
    }
    if (!raw) return undefined;
    const nul = raw.indexOf(0);
    const type = raw.subarray(0, raw.indexOf(0x20)).toString() as GitObject['type'];
    return { type, data: raw.subarray(nul + 1) };
  }
}

/**
 * An objects folder followed by its alternates (objects/info/alternates: one folder per line,
 * relative to the objects folder, `#` comments), recursively as git does (at most 5 deep).
 */
function objectDirectories(objects: string, depth = 0, seen = new Set<string>()): string[] {
  const dir = resolve(objects);
  if (seen.has(dir)) return [];
  seen.add(dir);
  const out = [dir];
  if (depth >= 5) return out;
  let list: string;
  try {
    list = readFileSync(join(dir, 'info', 'alternates'), 'utf8');
  } catch {
    return out;
  }
  for (const line of list.split('\n')) {
    const path = line.trim();
    if (path === '' || path.startsWith('#')) continue;
    out.push(...objectDirectories(resolve(dir, path), depth + 1, seen));
  }
  return out;
}

/** A big-endian uint32 (Buffer#readUInt32BE checks its arguments in JS on every call). */
function readU32(buf: Buffer, at: number): number {
  return buf[at]! * 0x1000000 + ((buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!);
}

/** Bytes of a commit inflated for the walk: the tree line, four parent lines and then some. */
const COMMIT_HEAD_BYTES = 288;
/** `tree <40 hex>\n` (46) + `parent <40 hex>\n` (48) + `author ` (7). */
const ONE_PARENT_HEAD_BYTES = 101;

/** Inflates one pack entry whose inflated size the entry header gives. */
function inflateEntry(buf: Buffer, start: number, end: number, size: number): Buffer {
  return inflateExact(buf, start, end, size);
}

/** git's delta format: copy ranges of the base and insert literal bytes. */
export function applyDelta(base: Buffer, delta: Buffer): Buffer {
  let pos = 0;
  while (delta[pos++]! & 0x80); // the base's size (checked by the copies' bounds)
  let size = 0;
  let shift = 0;
  let byte: number;
  do {
    byte = delta[pos++]!;
    size = addVarintGroup(size, byte, shift);
    shift += 7;
  } while (byte & 0x80);
  const out = allocObjectBuffer(size);
  // Base, delta and result usually sit in the same slab (native-inflate.ts): then long runs are
  // copied with copyWithin on one view of the slab, without a view object per copy.
  const slab = out.buffer === base.buffer || out.buffer === delta.buffer ? wholeView(out.buffer) : undefined;
  const baseAt = slab && base.buffer === out.buffer ? base.byteOffset : -1;
  const deltaAt = slab && delta.buffer === out.buffer ? delta.byteOffset : -1;
  const outAt = out.byteOffset;
  let o = 0;
  while (pos < delta.length) {
    const op = delta[pos++]!;
    if (op & 0x80) {
      let off = 0;
      let len = 0;
      if (op & 0x01) off |= delta[pos++]!;
      if (op & 0x02) off |= delta[pos++]! << 8;
      if (op & 0x04) off |= delta[pos++]! << 16;
      if (op & 0x08) off = (off | (delta[pos++]! << 24)) >>> 0;
      if (op & 0x10) len |= delta[pos++]!;
      if (op & 0x20) len |= delta[pos++]! << 8;
      if (op & 0x40) len |= delta[pos++]! << 16;
      if (len === 0) len = 0x10000;
      if (off + len > base.length || o + len > size) throw new Error('delta copies out of range');
      // Short runs in a loop: a copy call with its view costs more than ~16 bytes of loop. Longer ones
      // with TypedArray#set of a plain Uint8Array view (Buffer#copy and Buffer#subarray go
      // through JS wrappers and Buffer's constructor, slow before they are hot).
      if (len < 16) for (let k = 0; k < len; k++) out[o + k] = base[off + k]!;
      else if (baseAt >= 0) slab!.copyWithin(outAt + o, baseAt + off, baseAt + off + len);
      else out.set(new Uint8Array(base.buffer, base.byteOffset + off, len), o);
      o += len;
    } else if (op > 0) {
      if (pos + op > delta.length || o + op > size) throw new Error('delta inserts out of range');
      if (op < 16) for (let k = 0; k < op; k++) out[o + k] = delta[pos + k]!;
      else if (deltaAt >= 0) slab!.copyWithin(outAt + o, deltaAt + pos, deltaAt + pos + op);
      else out.set(new Uint8Array(delta.buffer, delta.byteOffset + pos, op), o);
      o += op;
      pos += op;
    } else {
      throw new Error('invalid delta opcode 0');
    }
  }
  if (o !== size) throw new Error('delta size mismatch');
  return out;
}

let lastBuffer: ArrayBufferLike | undefined;
let lastView: Uint8Array | undefined;

/** A Uint8Array over a whole ArrayBuffer (the last one is kept: objects come from few slabs). */
function wholeView(buffer: ArrayBufferLike): Uint8Array {
  if (buffer !== lastBuffer) {
    lastBuffer = buffer;
    lastView = new Uint8Array(buffer);
  }
  return lastView!;
}

/** Parses a tree object into entries (mode, name, oid). */
export function parseTree(
  data: Buffer,
): { mode: string; path: string; oid: string; type: 'blob' | 'tree' | 'commit' }[] {
  const out: { mode: string; path: string; oid: string; type: 'blob' | 'tree' | 'commit' }[] = [];
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    const nul = data.indexOf(0, space);
    const mode = data.subarray(pos, space).toString();
    const path = data.subarray(space + 1, nul).toString('utf8');
    const oid = data.subarray(nul + 1, nul + 21).toString('hex');
    pos = nul + 21;
    const type = mode === '40000' || mode === '040000' ? 'tree' : mode === '160000' ? 'commit' : 'blob';
    out.push({ mode, path, oid, type });
  }
  return out;
}

/** A commit's tree and parents, read straight from the header bytes (`tree <hex>`, `parent <hex>` lines). */
export function readCommitHeader(data: Buffer): { tree: string; parents: string[]; stop: number } {
  let tree = '';
  const parents: string[] = [];
  let pos = 0;
  while (pos < data.length && data[pos] !== 0x0a) {
    let end = pos;
    while (end < data.length && data[end] !== 0x0a) end++;
    // "tree " and "parent " lines come first; anything else ends the part we need. Bytes are
    // compared directly: this runs for every commit of a history.
    if (startsWithBytes(data, pos, TREE)) tree = data.toString('latin1', pos + 5, end);
    else if (startsWithBytes(data, pos, PARENT)) parents.push(data.toString('latin1', pos + 7, end));
    else if (tree !== '') break;
    pos = end + 1;
  }
  return { tree, parents, stop: pos };
}

const TREE = [0x74, 0x72, 0x65, 0x65, 0x20]; // "tree "
const PARENT = [0x70, 0x61, 0x72, 0x65, 0x6e, 0x74, 0x20]; // "parent "
const AUTHOR = [0x61, 0x75, 0x74, 0x68, 0x6f, 0x72, 0x20]; // "author "

function startsWithBytes(data: Uint8Array, at: number, prefix: number[]): boolean {
  if (at + prefix.length > data.length) return false;
  for (let k = 0; k < prefix.length; k++) if (data[at + k] !== prefix[k]) return false;
  return true;
}

/** Parses a commit object's header fields used by the scan. */
export function parseCommit(data: Buffer): {
  tree: string;
  parents: string[];
  authorName: string;
  authorEmail: string;
  authorTime: number;
  message: string;
} {
  const text = data.toString('utf8');
  const headerEnd = text.indexOf('\n\n');
  const header = headerEnd >= 0 ? text.slice(0, headerEnd) : text;
  const message = headerEnd >= 0 ? text.slice(headerEnd + 2) : '';
  let tree = '';
  const parents: string[] = [];
  let authorName = '';
  let authorEmail = '';
  let authorTime = 0;
  for (const line of header.split('\n')) {
    if (line.startsWith('tree ')) tree = line.slice(5);
    else if (line.startsWith('parent ')) parents.push(line.slice(7));
    else if (line.startsWith('author ')) {
      const m = /^author (.*) <([^>]*)> (\d+) [+-]\d{4}$/.exec(line);
      if (m) {
        authorName = m[1]!;
        authorEmail = m[2]!;
        authorTime = Number(m[3]);
      }
    }
  }
  return { tree, parents, authorName, authorEmail, authorTime, message };
}
