/**
 * Milliseconds on a monotonic clock, from an arbitrary origin (for durations only).
 *
 * Why not `performance.now()`: the global `performance` is created on first use by loading
 * perf_hooks and its half-dozen internal modules, about a millisecond of every `llmcm scan` that
 * only wanted a clock reading. `process.hrtime()` reads the same clock and costs the same per call.
 */
export function monotonicMs(): number {
  const [seconds, nanoseconds] = process.hrtime();
  return seconds * 1e3 + nanoseconds / 1e6;
}
