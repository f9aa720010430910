import type { StoreResult } from '../audit/record.js';
import { LlmcmError } from '../core/errors.js';
import { computeContentHash } from '../stores/content-hash.js';
import { isConnectionFailure, isTransientStoreError } from '../stores/store-errors.js';
import type { Store, StoreState } from '../stores/types.js';
import { changeSetFor, isDrifted, type PromotionPlan, type StorePlanInput } from './plan.js';

/** One store taking part in an apply: the open store, its planning input (with the state read before). */
export interface ApplyTarget {
  store: Store;
  input: StorePlanInput;
}

/** How applyPlan runs: concurrency, retries, timeouts, and the hooks it calls. */
export interface ApplyPlanOptions {
  promotionId: string;
  /** How many stores are written at the same time (default 4). */
  concurrency?: number;
  /** Retries after a transient error (unreachable, timeout), with exponential backoff (default 3). */
  retries?: number;
  /** First backoff delay in ms (default 100, doubled each retry). */
  backoffMs?: number;
  /** Per-call timeout in ms (default 30 000). */
  timeoutMs?: number;
  /** Keyed fingerprint of a store's whole content, for the record. */
  fingerprintContent: (store: string, values: Record<string, string>) => string;
  /** Called after each store is applied; the test-only kill hook lives here (see docs/promote.md). */
  afterStoreApplied?: (store: string, appliedSoFar: number) => void;
}

/** Per-store outcomes of an apply; `ok` only when every store with changes was written. */
export interface ApplyPlanResult {
  ok: boolean;
  stores: StoreResult[];
  /** The first error (value-free), when not ok. */
  error?: LlmcmError;
}

/** Whether a failure may go away on retry: connection problems, timeouts and 5xx/throttling, never a refusal or conflict. */
export function isTransient(error: unknown): boolean {
  if (isTransientStoreError(error)) return true;
  const code = (error as { code?: unknown })?.code;
  if (code === 'STORE_CONFLICT' || code === 'STORE_REJECTED') return false;
  return isConnectionFailure(error);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function withTimeout<T>(work: () => Promise<T>, ms: number, store: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new LlmcmError(`store '${store}' did not answer within ${ms} ms`, {
            code: 'STORE_TIMEOUT',
            kind: 'store',
            hint: 'the server may be overloaded or unreachable; retry, or raise the promote timeout',
          }),
        ),
      ms,
    );
  });
  try {
    return await Promise.race([work(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `work` with a timeout, retrying transient failures with exponential backoff. */
export async function callWithRetry<T>(
  work: () => Promise<T>,
  options: { store: string; retries: number; backoffMs: number; timeoutMs: number },
  onRetry?: (error: unknown) => Promise<T | undefined>,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await withTimeout(work, options.timeoutMs, options.store);
    } catch (error) {
      if (!isTransient(error) || attempt >= options.retries) throw error;
      await sleep(options.backoffMs * 2 ** attempt);
      if (onRetry) {
        const settled = await onRetry(error);
        if (settled !== undefined) return settled;
      }
    }
  }
}

function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]!.slice(0, 300);
}

function asLlmcmError(error: unknown): LlmcmError {
  if (error instanceof LlmcmError) return error;
  return new LlmcmError(oneLine(error), { code: 'STORE_FAILED', kind: 'store', cause: error });
}

/**
 * Applies a plan to every store that has changes: bounded concurrency, retry with backoff on
 * transient errors, compare-and-set on the revision read while planning. All-or-nothing across
 * stores: after any failure no new store is started, and every store that was (or may have been)
 * written is restored to the state read before the apply. Stores without changes are not touched.
 */
export async function applyPlan(
  environment: string,
  plan: PromotionPlan,
  targets: readonly ApplyTarget[],
  options: ApplyPlanOptions,
): Promise<ApplyPlanResult> {
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const call = {
    retries: options.retries ?? 3,
    backoffMs: options.backoffMs ?? 100,
    timeoutMs: options.timeoutMs ?? 30_000,
  };
  const byName = new Map(targets.map((t) => [t.input.store, t]));
  const results = new Map<string, StoreResult>();
  const touched = new Set<string>();
  const failures = new Map<string, unknown>();
  let firstError: LlmcmError | undefined;
  let applied = 0;

  // A drifted store is rewritten even without key changes (only a forced plan gets here with drift).
  const needsWrite = (s: (typeof plan.stores)[number]) => s.changes.length > 0 || isDrifted(s.ownership);
  const queue = plan.stores.filter(needsWrite);
  for (const s of plan.stores) {
    if (!needsWrite(s)) {
      const t = byName.get(s.store)!;
      results.set(s.store, {
        store: s.store,
        outcome: 'unchanged',
        writes: 0,
        revision: t.input.actual.revision,
        content: options.fingerprintContent(s.store, t.input.actual.values),
      });
    }
  }

  const applyOne = async (storePlan: (typeof queue)[number]): Promise<void> => {
    const target = byName.get(storePlan.store)!;
    const changes = changeSetFor(target.input, storePlan);
    const stamp = {
      promotionId: options.promotionId,
      contentHash: computeContentHash({ ...target.input.desired }),
    };
    touched.add(storePlan.store);
    try {
      const result = await callWithRetry(
        () =>
          target.store.apply(environment, changes, { expectedRevision: target.input.actual.revision, stamp }),
        { store: storePlan.store, ...call },
        // After a timeout the first write may have landed: if the store now carries our stamp, it did.
        async () => {
          try {
            const now = await target.store.read(environment);
            if (now.stamp?.promotionId === stamp.promotionId && now.stamp.contentHash === stamp.contentHash) {
              return { revision: now.revision, writes: storePlan.changes.length };
            }
          } catch {
            // Still unreachable: the retry will tell.
          }
          return undefined;
        },
      );
      results.set(storePlan.store, {
        store: storePlan.store,
        outcome: 'applied',
        writes: result.writes,
        revision: result.revision,
        content: options.fingerprintContent(storePlan.store, target.input.desired),
      });
      applied++;
      options.afterStoreApplied?.(storePlan.store, applied);
    } catch (error) {
      firstError ??= asLlmcmError(error);
      failures.set(storePlan.store, error);
      results.set(storePlan.store, {
        store: storePlan.store,
        outcome: 'failed',
        writes: 0,
        error: oneLine(error),
      });
    }
  };

  let next = 0;
  const workers = Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
    while (next < queue.length && !firstError) {
      const storePlan = queue[next++]!;
      await applyOne(storePlan);
    }
  });
  await Promise.all(workers);
  for (const s of queue) {
    if (!results.has(s.store)) results.set(s.store, { store: s.store, outcome: 'skipped', writes: 0 });
  }

  /**
   * Undoes one store after a failed apply, never clobbering someone else's write:
   * - applied by us: restore with compare-and-set on the revision our apply produced;
   * - failed: restore only if our write landed anyway (the store carries our stamp, e.g. after a
   *   timeout); a compare-and-set refusal or an unreachable server means we wrote nothing there.
   */
  const undoStore = async (
    target: ApplyTarget,
    previous: StoreResult,
    failure: unknown,
  ): Promise<StoreResult> => {
    const name = target.input.store;
    const before: StoreState = target.input.actual;
    const restored = (outcome: StoreResult['outcome']): StoreResult => ({
      store: name,
      outcome,
      writes: previous.writes,
      revision: before.revision,
      content: options.fingerprintContent(name, before.values),
      ...(previous.error ? { error: previous.error } : {}),
    });
    let expectedRevision: string | null;
    if (previous.outcome === 'applied') {
      expectedRevision = previous.revision ?? null;
    } else {
      if ((failure as { code?: unknown })?.code === 'STORE_CONFLICT') return previous;
      let now: StoreState;
      try {
        now = await callWithRetry(() => target.store.read(environment), { store: name, ...call });
      } catch (error) {
        return isConnectionFailure(failure) || (failure as { code?: unknown })?.code === 'STORE_UNREACHABLE'
          ? previous
          : { ...previous, outcome: 'restore-failed', error: `state unknown: ${oneLine(error)}` };
      }
      if (now.stamp?.promotionId !== options.promotionId) return previous;
      expectedRevision = now.revision;
    }
    try {
      await callWithRetry(() => target.store.restore(environment, before, { expectedRevision }), {
        store: name,
        ...call,
      });
      return restored(previous.outcome === 'applied' ? 'restored' : 'failed');
    } catch (error) {
      return { ...previous, outcome: 'restore-failed', error: `restore failed: ${oneLine(error)}` };
    }
  };

  if (firstError) {
    for (const name of [...touched].sort()) {
      results.set(name, await undoStore(byName.get(name)!, results.get(name)!, failures.get(name)));
    }
  }
  const stores = plan.stores.map((s) => results.get(s.store)!);
  return firstError ? { ok: false, stores, error: firstError } : { ok: true, stores };
}
