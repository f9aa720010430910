import vm from 'node:vm';

/**
 * Runs a regex pass that V8's linear-time fallback cannot protect (unicode-flag patterns on
 * non-ASCII text, patterns without an ASCII form) with a hard deadline. JavaScript cannot stop a
 * running regex from inside, but `vm`'s timeout terminates execution from a watchdog thread, which
 * also interrupts a backtracking regex. It costs ~40 µs per call, so it is only used off the fast path.
 */
// Made on first use: a new V8 context costs about a millisecond, and most scans never need one.
let guard: { context: vm.Context; script: vm.Script } | undefined;

/** The result of a guarded call: its value, or `timedOut` when the deadline stopped it. */
export type GuardedResult<T> = { timedOut: false; value: T } | { timedOut: true };

/** Calls `run` with at most `timeoutMs` of execution (at least 1 ms). */
export function runWithDeadline<T>(run: () => T, timeoutMs: number): GuardedResult<T> {
  guard ??= { context: vm.createContext({}), script: new vm.Script('run()') };
  const { context, script } = guard;
  context.run = run;
  try {
    const value = script.runInContext(context, { timeout: Math.max(1, Math.ceil(timeoutMs)) }) as T;
    return { timedOut: false, value };
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') return { timedOut: true };
    throw error;
  } finally {
    context.run = undefined;
  }
}
