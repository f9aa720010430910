/**
 * A small zlib (RFC 1950/1951) inflater for the tiny objects that dominate git histories: commit
 * headers, tree and blob deltas of a few dozen bytes. Node's native inflateSync costs several
 * microseconds per call before it inflates a byte (a stream object and a zlib state per call);
 * decoding a 60-byte delta here takes a fraction of that. The output size is known from the
 * pack entry, so the output buffer is exact. Bigger entries still go to native zlib.
 * Structure after Mark Adler's puff.c (canonical Huffman decoding without lookup tables, which
 * would cost more to build than tiny inputs take to decode).
 */

/** Thrown for input this inflater will not decode; the caller falls back to native zlib. */
class InflateError extends Error {}

/** Thrown (a plain object: no stack to capture) when a prefix read has all the bytes it wants. */
const FULL = { full: true };

const MAX_BITS = 15;

interface Huffman {
  count: Int16Array;
  symbol: Int16Array;
}

const LENGTH_BASE = [
  3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195,
  227, 258,
];
const LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE = [
  1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097,
  6145, 8193, 12289, 16385, 24577,
];
const DIST_EXTRA = [
  0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
];
const CODE_LENGTH_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

/** Builds canonical decoding tables; returns the number of unused codes (0 = complete). */
function construct(h: Huffman, lengths: Uint8Array | number[], n: number): number {
  h.count.fill(0);
  for (let s = 0; s < n; s++) h.count[lengths[s]!]!++;
  if (h.count[0] === n) return 0;
  let left = 1;
  for (let len = 1; len <= MAX_BITS; len++) {
    left <<= 1;
    left -= h.count[len]!;
    if (left < 0) throw new InflateError('over-subscribed code');
  }
  const offs = new Int16Array(MAX_BITS + 1);
  for (let len = 1; len < MAX_BITS; len++) offs[len + 1] = offs[len]! + h.count[len]!;
  for (let s = 0; s < n; s++) if (lengths[s] !== 0) h.symbol[offs[lengths[s]!]!++] = s;
  return left;
}

function newHuffman(symbols: number): Huffman {
  return { count: new Int16Array(MAX_BITS + 1), symbol: new Int16Array(symbols) };
}

let fixedLength: Huffman | undefined;
let fixedDistance: Huffman | undefined;

function fixedTables(): [Huffman, Huffman] {
  if (!fixedLength || !fixedDistance) {
    const lengths = new Uint8Array(288);
    lengths.fill(8, 0, 144);
    lengths.fill(9, 144, 256);
    lengths.fill(7, 256, 280);
    lengths.fill(8, 280, 288);
    fixedLength = newHuffman(288);
    construct(fixedLength, lengths, 288);
    fixedDistance = newHuffman(30);
    construct(fixedDistance, new Uint8Array(30).fill(5), 30);
  }
  return [fixedLength, fixedDistance];
}

/** Decoder state; one instance is reused (the code tables are the only allocation worth saving). */
class State {
  bitbuf = 0;
  bitcnt = 0;
  out = 0;
  src: Uint8Array = new Uint8Array(0);
  pos = 0;
  end = 0;
  dest: Uint8Array = new Uint8Array(0);
  /** Prefix mode: stop (throwing FULL) once `dest` is full instead of failing. */
  prefix = false;
  readonly dynLength = newHuffman(288);
  readonly dynDistance = newHuffman(30);
  readonly lengths = new Uint8Array(320);
  readonly codeLengths = newHuffman(19);

  reset(src: Uint8Array, pos: number, end: number, dest: Uint8Array, prefix = false): void {
    this.prefix = prefix;
    this.bitbuf = 0;
    this.bitcnt = 0;
    this.out = 0;
    this.src = src;
    this.pos = pos;
    this.end = end;
    this.dest = dest;
  }

  bits(need: number): number {
    let val = this.bitbuf;
    while (this.bitcnt < need) {
      if (this.pos >= this.end) throw new InflateError('input ends early');
      val |= this.src[this.pos++]! << this.bitcnt;
      this.bitcnt += 8;
    }
    this.bitbuf = val >>> need;
    this.bitcnt -= need;
    return val & ((1 << need) - 1);
  }

  decode(h: Huffman): number {
    let code = 0;
    let first = 0;
    let index = 0;
    let bitbuf = this.bitbuf;
    let left = this.bitcnt;
    let len = 1;
    const count = h.count;
    for (;;) {
      while (left-- > 0) {
        code |= bitbuf & 1;
        bitbuf >>>= 1;
        const c = count[len]!;
        if (code - c < first) {
          this.bitbuf = bitbuf;
          this.bitcnt = (this.bitcnt - len) & 7;
          return h.symbol[index + (code - first)]!;
        }
        index += c;
        first += c;
        first <<= 1;
        code <<= 1;
        len++;
      }
      left = MAX_BITS + 1 - len;
      if (left === 0) throw new InflateError('code not found');
      if (this.pos >= this.end) throw new InflateError('input ends early');
      bitbuf = this.src[this.pos++]!;
      if (left > 8) left = 8;
    }
  }

  stored(): void {
    this.bitbuf = 0;
    this.bitcnt = 0;
    if (this.pos + 4 > this.end) throw new InflateError('input ends early');
    const src = this.src;
    const len = src[this.pos]! | (src[this.pos + 1]! << 8);
    const nlen = src[this.pos + 2]! | (src[this.pos + 3]! << 8);
    this.pos += 4;
    if (len !== (~nlen & 0xffff)) throw new InflateError('stored length mismatch');
    if (this.pos + len > this.end) throw new InflateError('input ends early');
    if (this.out + len > this.dest.length) {
      if (!this.prefix) throw new InflateError('output overflows');
      this.dest.set(src.subarray(this.pos, this.pos + this.dest.length - this.out), this.out);
      this.out = this.dest.length;
      throw FULL;
    }
    this.dest.set(src.subarray(this.pos, this.pos + len), this.out);
    this.pos += len;
    this.out += len;
  }

  codes(lencode: Huffman, distcode: Huffman): void {
    const dest = this.dest;
    const size = dest.length;
    for (;;) {
      let symbol = this.decode(lencode);
      if (symbol < 256) {
        if (this.out >= size) {
          if (this.prefix) throw FULL;
          throw new InflateError('output overflows');
        }
        dest[this.out++] = symbol;
        continue;
      }
      if (symbol === 256) return;
      symbol -= 257;
      if (symbol >= 29) throw new InflateError('invalid length symbol');
      const len = LENGTH_BASE[symbol]! + this.bits(LENGTH_EXTRA[symbol]!);
      const ds = this.decode(distcode);
      if (ds >= 30) throw new InflateError('invalid distance symbol');
      const dist = DIST_BASE[ds]! + this.bits(DIST_EXTRA[ds]!);
      if (dist > this.out) throw new InflateError('distance too far back');
      const full = this.out + len > size;
      if (full && !this.prefix) throw new InflateError('output overflows');
      let o = this.out;
      const stop = full ? size : o + len;
      while (o < stop) {
        dest[o] = dest[o - dist]!;
        o++;
      }
      this.out = o;
      if (full) throw FULL;
    }
  }

  dynamic(): void {
    const nlen = this.bits(5) + 257;
    const ndist = this.bits(5) + 1;
    const ncode = this.bits(4) + 4;
    if (nlen > 286 || ndist > 30) throw new InflateError('bad counts');
    const lengths = this.lengths;
    lengths.fill(0, 0, 19);
    for (let i = 0; i < ncode; i++) lengths[CODE_LENGTH_ORDER[i]!] = this.bits(3);
    if (construct(this.codeLengths, lengths, 19) !== 0) throw new InflateError('incomplete code-length code');
    let index = 0;
    while (index < nlen + ndist) {
      let symbol = this.decode(this.codeLengths);
      if (symbol < 16) {
        lengths[index++] = symbol;
        continue;
      }
      let len = 0;
      if (symbol === 16) {
        if (index === 0) throw new InflateError('repeat with no first length');
        len = lengths[index - 1]!;
        symbol = 3 + this.bits(2);
      } else if (symbol === 17) symbol = 3 + this.bits(3);
      else symbol = 11 + this.bits(7);
      if (index + symbol > nlen + ndist) throw new InflateError('too many lengths');
      while (symbol-- > 0) lengths[index++] = len;
    }
    if (lengths[256] === 0) throw new InflateError('no end-of-block code');
    const err = construct(this.dynLength, lengths, nlen);
    // Incomplete codes are allowed only as a single one-bit code (zlib's and puff's rule).
    if (err !== 0 && nlen !== this.dynLength.count[0]! + this.dynLength.count[1]!)
      throw new InflateError('incomplete literal/length code');
    const errd = construct(this.dynDistance, lengths.subarray(nlen), ndist);
    if (errd !== 0 && ndist !== this.dynDistance.count[0]! + this.dynDistance.count[1]!)
      throw new InflateError('incomplete distance code');
    this.codes(this.dynLength, this.dynDistance);
  }
}

function adler32(data: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (let i = 0; i < data.length; ) {
    // 5552 bytes is the most that can be summed before the 32-bit sums need reducing.
    const stop = Math.min(i + 5552, data.length);
    for (; i < stop; i++) {
      a += data[i]!;
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

const state = new State();
const EMPTY = new Uint8Array(0);

/**
 * Inflates the zlib stream in `src[start..end)` into exactly `size` bytes, or returns undefined
 * when the stream is not one this decoder accepts (preset dictionary, malformed data, a size
 * that does not match): the caller then uses native zlib, which reports real errors.
 */
export function inflateKnownSize(
  src: Uint8Array,
  start: number,
  end: number,
  size: number,
): Buffer | undefined {
  return run(src, start, end, size, false);
}

/**
 * The first `want` bytes of the zlib stream in `src[start..end)` (decoding stops there; the
 * checksum is not verified), or undefined when the stream is shorter or not decodable here.
 * A commit walk needs only the `tree` and `parent` lines at the top of each commit.
 */
export function inflatePrefix(src: Uint8Array, start: number, end: number, want: number): Buffer | undefined {
  return run(src, start, end, want, true);
}

function run(src: Uint8Array, start: number, end: number, size: number, prefix: boolean): Buffer | undefined {
  if (end - start < 2) return undefined;
  const cmf = src[start]!;
  const flg = src[start + 1]!;
  // Method 8 (deflate), window ≤ 32 kB, header checksum, no preset dictionary.
  if ((cmf & 0x0f) !== 8 || cmf >> 4 > 7 || ((cmf << 8) | flg) % 31 !== 0 || flg & 0x20) return undefined;
  const dest = Buffer.allocUnsafe(size);
  const s = state;
  s.reset(src, start + 2, end, dest, prefix);
  try {
    let last = 0;
    do {
      last = s.bits(1);
      const type = s.bits(2);
      if (type === 0) s.stored();
      else if (type === 1) {
        const [l, d] = fixedTables();
        s.codes(l, d);
      } else if (type === 2) s.dynamic();
      else return undefined;
    } while (!last);
    if (prefix) return s.out === size ? dest : undefined;
    if (s.out !== size || s.pos + 4 > end) return undefined;
    // The Adler-32 trailer, as zlib checks it: a damaged pack is not read silently.
    const want =
      ((src[s.pos]! << 24) | (src[s.pos + 1]! << 16) | (src[s.pos + 2]! << 8) | src[s.pos + 3]!) >>> 0;
    return adler32(dest) === want ? dest : undefined;
  } catch (error) {
    if (error === FULL) return s.out === size ? dest : undefined;
    if (error instanceof InflateError) return undefined;
    throw error;
  } finally {
    s.reset(EMPTY, 0, 0, EMPTY); // hold no reference to the pack or the object
  }
}
