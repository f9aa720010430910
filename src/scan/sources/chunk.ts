import type { Fragment } from '../detect/detector.js';

/** gitleaks reads files in 100 kB chunks (sources/file.go defaultBufferSize). */
export const CHUNK_BYTES = 100_000;
/** …then reads on, up to 25 kB more, until two consecutive newlines (sources/common.go maxPeekSize). */
export const MAX_PEEK_BYTES = 25_000;
/** bufio.Reader's default buffer: it decides how large the chunk after a peek is. */
const BUFIO_SIZE = 4096;

const isWhitespace = (b: number): boolean => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;

/** First bytes of the magic numbers below (most text starts with none of them). */
const MAGIC_FIRST_BYTES = new Set([0x25, 0x50, 0x1f, 0x37, 0x52, 0x7f, 0x42, 0xfd, 0x28]);

/**
 * Is this content binary? gitleaks skips files whose magic number says `application/*`; git calls
 * a file binary when its first 8000 bytes contain a NUL. We skip on either, so archives, images
 * with NULs, executables and office documents are never scanned as text.
 */
export function isBinaryContent(head: Uint8Array): boolean {
  // Buffer#indexOf is memchr; no new Buffer view for the common case (a history scan asks this
  // for every blob, most of them Buffers under 8000 bytes).
  const limit = Math.min(head.length, 8000);
  const window =
    Buffer.isBuffer(head) && limit === head.length ? head : Buffer.from(head.buffer, head.byteOffset, limit);
  if (window.indexOf(0) !== -1) return true;
  if (head.length < 2 || !MAGIC_FIRST_BYTES.has(head[0]!)) return false;
  const starts = (...sig: number[]): boolean => sig.every((b, i) => head[i] === b);
  return (
    starts(0x25, 0x50, 0x44, 0x46) || // %PDF
    starts(0x50, 0x4b, 0x03, 0x04) || // zip, docx, jar
    starts(0x1f, 0x8b) || // gzip
    starts(0x37, 0x7a, 0xbc, 0xaf) || // 7z
    starts(0x52, 0x61, 0x72, 0x21) || // rar
    starts(0x7f, 0x45, 0x4c, 0x46) || // ELF
    starts(0x42, 0x5a, 0x68) || // bzip2
    starts(0xfd, 0x37, 0x7a, 0x58, 0x5a) || // xz
    starts(0x28, 0xb5, 0x2f, 0xfd) // zstd
  );
}

/**
 * A byte-exact model of Go's bufio.Reader over an in-memory file. Reads are sequential, so a chunk
 * is always a contiguous range of the file: the model only tracks how many bytes each call returns.
 */
class BufioModel {
  /** Bytes pulled from the file so far. */
  private filePos = 0;
  /** Bytes sitting in bufio's buffer, not yet consumed. */
  private buffered = 0;
  constructor(private readonly file: Uint8Array) {}

  /** Offset of the next byte the caller will see. */
  get offset(): number {
    return this.filePos - this.buffered;
  }

  /** bufio.Reader.Read into a buffer of `size` bytes; returns how many bytes it delivers. */
  read(size: number): number {
    if (this.buffered === 0) {
      if (size >= BUFIO_SIZE) {
        const n = Math.min(size, this.file.length - this.filePos);
        this.filePos += n;
        return n;
      }
      this.fill();
    }
    const n = Math.min(size, this.buffered);
    this.buffered -= n;
    return n;
  }

  readByte(): number {
    if (this.buffered === 0) {
      this.fill();
      if (this.buffered === 0) return -1;
    }
    const b = this.file[this.offset]!;
    this.buffered--;
    return b;
  }

  private fill(): void {
    const n = Math.min(BUFIO_SIZE, this.file.length - this.filePos);
    this.filePos += n;
    this.buffered = n;
  }
}

/**
 * sources/common.go readUntilSafeBoundary: extend the chunk [start, reader.offset) to a blank line
 * when one is near. Returns the chunk's end offset.
 */
function readUntilSafeBoundary(reader: BufioModel, file: Uint8Array, start: number, n: number): number {
  let end = reader.offset;
  if (end === start) return end;
  let newlines = 0;
  if (isWhitespace(file[end - 1]!)) {
    for (let i = end - 1; i >= start; i--) {
      const c = file[i]!;
      if (c === 0x0a) {
        newlines++;
        if (newlines >= 2) return end;
      } else if (!isWhitespace(c)) break;
    }
  }
  newlines = 0;
  for (;;) {
    const last = file[end - 1]!;
    if (last === 0x0a) {
      newlines++;
      if (newlines >= 2) break;
    } else if (!isWhitespace(last)) {
      newlines = 0;
    }
    if (end - start - n >= MAX_PEEK_BYTES) break;
    if (reader.readByte() < 0) break;
    end++;
  }
  return end;
}

function countNewlines(s: string): number {
  let count = 0;
  let i = s.indexOf('\n');
  while (i !== -1) {
    count++;
    i = s.indexOf('\n', i + 1);
  }
  return count;
}

/**
 * Splits file content into fragments exactly where gitleaks' `dir` mode does, so line numbers and
 * multi-line matches agree; returns [] for binary content. Each fragment is at most
 * CHUNK_BYTES + MAX_PEEK_BYTES, which bounds the regex work per call.
 */
export function chunkContent(content: Uint8Array, filePath: string, commit = ''): Fragment[] {
  const fragments: Fragment[] = [];
  const reader = new BufioModel(content);
  let totalLines = 0;
  for (;;) {
    const start = reader.offset;
    const n = reader.read(CHUNK_BYTES);
    if (n === 0) break;
    // gitleaks only sniffs the type while no newline has been seen yet.
    if (totalLines === 0 && isBinaryContent(content.subarray(start, start + n))) return [];
    const end = readUntilSafeBoundary(reader, content, start, n);
    const raw = Buffer.from(content.buffer, content.byteOffset + start, end - start).toString('utf8');
    fragments.push({ raw, filePath, commit, startLine: totalLines + 1 });
    totalLines += countNewlines(raw);
  }
  return fragments;
}
