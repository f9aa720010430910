import { constants, Inflate, inflateSync } from 'node:zlib';

/**
 * Native zlib inflation of many small streams through ONE zlib handle.
 *
 * Why: `zlib.inflateSync` builds a Transform stream, an event listener, a zlib state and an output
 * buffer per call. A history scan inflates one pack entry per commit, tree and blob (20,000 entries
 * for 5,000 commits), and that set-up cost more than the inflating itself, plus the garbage it left
 * behind (measured: 120-150 ms per-call vs 66 ms reused, cold, for the 20,058 entries of the
 * 5,000-commit benchmark history).
 *
 * How: the handle of one `zlib.Inflate` is driven directly (`writeSync` then `reset`), which is what
 * Node's own `processChunkSync` does per call. This is Node's internal handle API: it is
 * feature-detected, every result is checked (exact size, stream end reached, no error reported),
 * and anything unexpected falls back to `inflateSync`, which also reports real errors.
 */
interface ZlibHandle {
  writeSync(
    flush: number,
    input: Uint8Array,
    inOff: number,
    inLen: number,
    out: Uint8Array,
    outOff: number,
    outLen: number,
  ): void;
  reset(): void;
  onerror: ((message: string, errno: number) => void) | undefined;
}

/** Slab size for object buffers; bigger objects get their own allocation. */
const SLAB_BYTES = 1 << 20;
const SLAB_MAX_OBJECT = 64 * 1024;
let slab = Buffer.allocUnsafeSlow(0);
let slabUsed = 0;

/**
 * An uninitialised buffer for one inflated object, carved out of a 1 MB slab: Node's own pool is
 * 8 kB, so thousands of 2-3 kB objects each cost a backing-store allocation (measured: ~35 ms of a
 * 5,000-commit history scan). A slab stays alive while any object cut from it does, which the
 * bounded object caches keep in check.
 */
export function allocObjectBuffer(size: number): Buffer {
  if (size > SLAB_MAX_OBJECT) return Buffer.allocUnsafeSlow(size);
  const at = reserve(size);
  const out = slab.subarray(at, at + size);
  // Keep slices 8-byte aligned (typed-array views of them stay legal).
  slabUsed += (size + 7) & ~7;
  return out;
}

/** Makes room for `size` bytes at the end of the current slab; returns where they start. */
function reserve(size: number): number {
  if (slabUsed + size > slab.length) {
    slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
    slabUsed = 0;
  }
  return slabUsed;
}

let handle: ZlibHandle | undefined | null = null;
let state: Uint32Array | undefined;
let failed = false;

function engine(): ZlibHandle | undefined {
  if (handle !== null) return handle;
  handle = undefined;
  try {
    const inflater = new Inflate() as unknown as { _handle?: ZlibHandle; _writeState?: Uint32Array };
    const h = inflater._handle;
    const ws = inflater._writeState;
    if (
      h &&
      typeof h.writeSync === 'function' &&
      typeof h.reset === 'function' &&
      ws instanceof Uint32Array
    ) {
      // Errors are reported synchronously through this callback during writeSync.
      h.onerror = () => {
        failed = true;
      };
      handle = h;
      state = ws;
    }
  } catch {
    handle = undefined;
  }
  return handle;
}

/**
 * Runs one stream through the shared handle into `out[outAt..outAt + outLength)`: returns the
 * bytes left free there, or -1 on an error.
 */
function run(
  src: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
  outAt: number,
  outLength: number,
): number {
  const h = engine();
  if (!h) return -1;
  failed = false;
  try {
    h.writeSync(constants.Z_FINISH, src, start, end - start, out, outAt, outLength);
  } catch {
    failed = true;
  }
  const free = failed ? -1 : state![0]!;
  try {
    h.reset();
  } catch {
    handle = undefined; // never trust this handle again
  }
  return free;
}

/**
 * Inflates the zlib stream in `src[start..end)`, which must inflate to exactly `size` bytes (the
 * pack entry header says so). The Adler-32 trailer is verified by zlib. Throws zlib's error for a
 * damaged stream.
 */
export function inflateExact(src: Buffer, start: number, end: number, size: number): Buffer {
  // One spare byte: a stream that ends with room to spare is complete (zlib reached the trailer
  // and checked it); a full buffer would mean the stream is longer than the header said.
  if (size < SLAB_MAX_OBJECT) {
    // Straight into the slab: one Buffer view per object, made only once the inflate succeeded.
    const at = reserve(size + 1);
    if (run(src, start, end, slab, at, size + 1) === 1) {
      slabUsed += (size + 7) & ~7;
      return slab.subarray(at, at + size);
    }
  } else {
    const out = Buffer.allocUnsafeSlow(size + 1);
    if (run(src, start, end, out, 0, size + 1) === 1) return out.subarray(0, size);
  }
  const slow = inflateSync(src.subarray(start, end));
  if (slow.length !== size) throw new Error(`pack entry inflates to ${slow.length} bytes, not ${size}`);
  return slow;
}

/**
 * Fills `into` with the first `into.length` bytes of the zlib stream in `src[start..end)` and
 * returns it, or undefined when the stream is shorter. Decoding stops there (the checksum is not
 * verified): a commit walk needs only the `tree` and `parent` lines at the top of each commit.
 * The caller's buffer is reused from commit to commit: no buffer object per commit of a history.
 */
export function inflateHead(src: Buffer, start: number, end: number, into: Buffer): Buffer | undefined {
  const want = into.length;
  const free = run(src, start, end, into, 0, want);
  if (free === 0) return into;
  if (free > 0) return undefined;
  // Error or no handle: inflate the whole entry the ordinary way.
  try {
    const all = inflateSync(src.subarray(start, end));
    if (all.length < want) return undefined;
    all.copy(into, 0, 0, want);
    return into;
  } catch {
    return undefined;
  }
}
