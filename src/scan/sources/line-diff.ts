/** Splits text into lines the way git does for diffs: each line keeps its `\n` (the last may lack it). */
export function splitLines(text: string): string[] {
  const lines: string[] = [];
  let start = 0;
  for (;;) {
    const nl = text.indexOf('\n', start);
    if (nl === -1) {
      if (start < text.length) lines.push(text.slice(start));
      return lines;
    }
    lines.push(text.slice(start, nl + 1));
    start = nl + 1;
  }
}

/** Number of lines in `text` as splitLines counts them. */
function countLines(text: string, from: number, to: number): number {
  let n = 0;
  let at = text.indexOf('\n', from);
  while (at !== -1 && at < to) {
    n++;
    at = text.indexOf('\n', at + 1);
  }
  // A last line without its newline still counts.
  return to > from && text.charCodeAt(to - 1) !== 10 ? n + 1 : n;
}

/**
 * `count` consecutive numbers from `first`, in an array built by push. Why not Array.from or map:
 * those make holey arrays, the literals and pushes elsewhere make packed ones, and every function
 * that handles line-number arrays (the whole per-commit path of a history scan) was deoptimised
 * the first time it met the other kind, and then ran unoptimised for thousands of commits.
 */
function numbersFrom(first: number, count: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(first + i);
  return out;
}

/** Characters compared at once when looking for the common prefix and suffix. */
const BLOCK = 128;

/**
 * Exactly `addedLineNumbers(splitLines(oldText), splitLines(newText))`, but the common prefix and
 * suffix are found on characters, so only the changed middle is split into lines: a one-line edit
 * of a large file costs two string scans instead of two arrays of line strings.
 */
export function addedLinesOfTexts(oldText: string | undefined, newText: string): number[] {
  if (oldText === undefined || oldText.length === 0) {
    return numbersFrom(1, countLines(newText, 0, newText.length));
  }
  const a = oldText;
  const b = newText;
  const min = Math.min(a.length, b.length);
  // Whole blocks first (native string comparison), then characters.
  let p = 0;
  while (p + BLOCK <= min && a.slice(p, p + BLOCK) === b.slice(p, p + BLOCK)) p += BLOCK;
  while (p < min && a.charCodeAt(p) === b.charCodeAt(p)) p++;
  if (p === a.length && p === b.length) return [];
  // Whole common lines end at the last newline inside the common prefix.
  const cut = p === 0 ? 0 : a.lastIndexOf('\n', p - 1) + 1;
  const prefixLines = cut === 0 ? 0 : countLines(a, 0, cut);
  let s = 0;
  const limit = Math.min(a.length, b.length) - cut;
  while (
    s + BLOCK <= limit &&
    a.slice(a.length - s - BLOCK, a.length - s) === b.slice(b.length - s - BLOCK, b.length - s)
  )
    s += BLOCK;
  while (s < limit && a.charCodeAt(a.length - 1 - s) === b.charCodeAt(b.length - 1 - s)) s++;
  // The common suffix starts on a line boundary only where both texts start a line there.
  const startsLine = (t: string, at: number): boolean => at === cut || t.charCodeAt(at - 1) === 10;
  let r = 0;
  if (!(startsLine(a, a.length - s) && startsLine(b, b.length - s))) {
    const nl = b.indexOf('\n', b.length - s);
    r = nl === -1 ? s : nl + 1 - (b.length - s);
  }
  const aEnd = a.length - s + r;
  const bEnd = b.length - s + r;
  const added = addedLineNumbers(splitLines(a.slice(cut, aEnd)), splitLines(b.slice(cut, bEnd)));
  for (let i = 0; i < added.length; i++) added[i] = added[i]! + prefixLines;
  return added;
}

/** Above this edit distance the exact diff is not worth its cost; a multiset comparison is used. */
const MAX_EDIT_DISTANCE = 1000;

/**
 * Which lines of `newLines` are additions relative to `oldLines` (1-based line numbers), from a
 * Myers shortest edit script like `git diff` uses. Common prefix and suffix are stripped first, so
 * the usual small edit to a large file costs almost nothing.
 */
export function addedLineNumbers(oldLines: readonly string[], newLines: readonly string[]): number[] {
  let prefix = 0;
  while (prefix < oldLines.length && prefix < newLines.length && oldLines[prefix] === newLines[prefix])
    prefix++;
  let suffix = 0;
  while (
    suffix < oldLines.length - prefix &&
    suffix < newLines.length - prefix &&
    oldLines[oldLines.length - 1 - suffix] === newLines[newLines.length - 1 - suffix]
  ) {
    suffix++;
  }
  const a = oldLines.slice(prefix, oldLines.length - suffix);
  const b = newLines.slice(prefix, newLines.length - suffix);
  if (b.length === 0) return [];
  if (a.length === 0) return numbersFrom(prefix + 1, b.length);
  // One line replaced by another (the commonest edit): they differ, or the prefix would hold them.
  if (a.length === 1 && b.length === 1) return [prefix + 1];
  // Intern lines as integers for fast comparison.
  const ids = new Map<string, number>();
  const intern = (s: string): number => {
    let id = ids.get(s);
    if (id === undefined) {
      id = ids.size;
      ids.set(s, id);
    }
    return id;
  };
  const A = Int32Array.from(a, intern);
  const B = Int32Array.from(b, intern);
  const added = myersAdded(A, B);
  if (added === null) {
    // Too different for an exact script: a line is added when it is not left over from the old side.
    const pool = new Map<number, number>();
    for (const x of A) pool.set(x, (pool.get(x) ?? 0) + 1);
    const out: number[] = [];
    B.forEach((y, i) => {
      const left = pool.get(y) ?? 0;
      if (left > 0) pool.set(y, left - 1);
      else out.push(prefix + i + 1);
    });
    return out;
  }
  for (let i = 0; i < added.length; i++) added[i] = prefix + added[i]! + 1;
  return added;
}

/** Indexes (0-based) of B that a shortest edit script inserts, or null past MAX_EDIT_DISTANCE. */
function myersAdded(A: Int32Array, B: Int32Array): number[] | null {
  const n = A.length;
  const m = B.length;
  const max = Math.min(n + m, MAX_EDIT_DISTANCE);
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  // trace[d] holds V[-d..d] as it was before round d (memory O(D²), bounded by MAX_EDIT_DISTANCE).
  const trace: Int32Array[] = [];
  let found = -1;
  for (let d = 0; d <= max; d++) {
    trace.push(v.slice(offset - d - 1, offset + d + 2));
    for (let k = -d; k <= d; k += 2) {
      let x: number;
      if (k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!)) x = v[offset + k + 1]!;
      else x = v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && A[x] === B[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
    if (found >= 0) break;
  }
  if (found < 0) return null;
  // Walk back through the trace, collecting insertions.
  const added: number[] = [];
  let x = n;
  let y = m;
  for (let d = found; d > 0; d--) {
    const vd = trace[d]!;
    const at = (kk: number): number => vd[kk + d + 1]!;
    const k = x - y;
    let prevK: number;
    if (k === -d || (k !== d && at(k - 1) < at(k + 1))) prevK = k + 1;
    else prevK = k - 1;
    const prevX = at(prevK);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      x--;
      y--;
    }
    if (prevK === k + 1) added.push(prevY); // insertion of B[prevY]
    x = prevX;
    y = prevY;
  }
  return added.reverse();
}

/** Length of the common prefix of two byte ranges, by bisection with native comparisons. */
function commonPrefixBytes(a: Buffer, b: Buffer, limit: number): number {
  if (a.compare(b, 0, limit, 0, limit) === 0) return limit;
  let lo = 0;
  let hi = limit - 1;
  // Invariant: the first `lo` bytes agree and the first difference is at most at `hi`.
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (a.compare(b, lo, mid, lo, mid) === 0) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Length of the common suffix of two buffers, at most `limit`, by bisection. */
function commonSuffixBytes(a: Buffer, b: Buffer, limit: number): number {
  const al = a.length;
  const bl = b.length;
  if (a.compare(b, bl - limit, bl, al - limit, al) === 0) return limit;
  let lo = 0;
  let hi = limit - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (a.compare(b, bl - mid, bl - lo, al - mid, al - lo) === 0) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Lines in `bytes[from..to)` as splitLines counts them. */
function countByteLines(bytes: Buffer, from: number, to: number): number {
  let n = 0;
  let at = bytes.indexOf(10, from);
  while (at !== -1 && at < to) {
    n++;
    at = bytes.indexOf(10, at + 1);
  }
  return to > from && bytes[to - 1] !== 10 ? n + 1 : n;
}

const asBuffer = (bytes: Uint8Array): Buffer =>
  Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** A line of a blob by number (1-based) and the byte offset where it starts. */
export interface LineStart {
  line: number;
  offset: number;
}

/**
 * `addedLinesOfTexts` on the UTF-8 decoded blobs, computed on the bytes: the common prefix and
 * suffix are found with native comparisons and only the changed middle is decoded and split into
 * lines. For valid UTF-8 the result is identical (a newline byte is always a whole character, so
 * both find the same line boundaries); like git, it compares bytes, not decoded text.
 * `start`, when given, receives a line of the new blob at or before the first added line (where
 * the common prefix ends), so that a reader of the added lines need not count lines from the top.
 */
export function addedLinesOfBytes(
  oldBytes: Uint8Array | undefined,
  newBytes: Uint8Array,
  start?: LineStart,
): number[] {
  const b = asBuffer(newBytes);
  if (start) {
    start.line = 1;
    start.offset = 0;
  }
  if (oldBytes === undefined || oldBytes.length === 0) {
    return numbersFrom(1, countByteLines(b, 0, b.length));
  }
  const a = asBuffer(oldBytes);
  const min = Math.min(a.length, b.length);
  const p = commonPrefixBytes(a, b, min);
  if (p === a.length && p === b.length) return [];
  // Whole common lines end at the last newline inside the common prefix.
  const cut = p === 0 ? 0 : a.lastIndexOf(10, p - 1) + 1;
  const prefixLines = cut === 0 ? 0 : countByteLines(a, 0, cut);
  if (start) {
    // The common prefix is the same bytes in both blobs: line prefixLines + 1 starts at `cut` in each.
    start.line = prefixLines + 1;
    start.offset = cut;
  }
  const s = commonSuffixBytes(a, b, min - cut);
  // The common suffix starts on a line boundary only where both texts start a line there.
  const startsLine = (t: Buffer, at: number): boolean => at === cut || t[at - 1] === 10;
  let r = 0;
  if (!(startsLine(a, a.length - s) && startsLine(b, b.length - s))) {
    const nl = b.indexOf(10, b.length - s);
    r = nl === -1 ? s : nl + 1 - (b.length - s);
  }
  const aEnd = a.length - s + r;
  const bEnd = b.length - s + r;
  const added = addedLineNumbers(
    splitLines(a.toString('utf8', cut, aEnd)),
    splitLines(b.toString('utf8', cut, bEnd)),
  );
  for (let i = 0; i < added.length; i++) added[i] = added[i]! + prefixLines;
  return added;
}
