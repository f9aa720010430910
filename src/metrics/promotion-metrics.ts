import type { StoreResult } from '../audit/record.js';
import { PromotionRefusedError } from '../promote/errors.js';
import { type PromoteOutcome, PromotionFailedError } from '../promote/promote.js';
import { type GaugeFamily, writeMetricsFileOrWarn } from './exposition.js';

/** How a promotion ended, as the `result` label names it. */
export type PromotionResult = 'succeeded' | 'up-to-date' | 'failed' | 'refused';

/** Every result, so each run writes all four series (1 for the outcome, 0 for the others). */
export const promotionResults: readonly PromotionResult[] = ['succeeded', 'up-to-date', 'failed', 'refused'];

/** What one promote/rollback run observed, reduced to what the metrics need (no values). */
export interface PromotionObservation {
  environment: string;
  result: PromotionResult;
  durationSeconds: number;
  finishedAt: Date;
  /** Writes per store in this run (0 for a store not written). */
  stores: { store: string; writes: number }[];
}

/**
 * The result of a promotion that threw: `refused` when a safeguard said no before anything was
 * written (drift, check, policy gate: exit 1), `failed` for everything else (store, lock, key,
 * plan-hash, apply or record errors).
 */
export function classifyPromotionError(error: unknown): PromotionResult {
  return error instanceof PromotionRefusedError ? 'refused' : 'failed';
}

/** Writes per store for a run that threw: what an attempted apply recorded, else 0 for every store. */
export function storeWritesOfError(
  error: unknown,
  storeNames: readonly string[],
): { store: string; writes: number }[] {
  const recorded: StoreResult[] = error instanceof PromotionFailedError ? error.stores : [];
  return storeNames.map((store) => ({
    store,
    writes: recorded.find((s) => s.store === store)?.writes ?? 0,
  }));
}

/** Writes per store for a run that returned. */
export function storeWritesOfOutcome(outcome: PromoteOutcome): { store: string; writes: number }[] {
  return outcome.stores.map((s) => ({ store: s.store, writes: s.writes }));
}

/** The promotion gauges of one run (pure). */
export function buildPromotionMetrics(observation: PromotionObservation): GaugeFamily[] {
  const { environment } = observation;
  return [
    {
      name: 'llmcm_promotion_duration_seconds',
      help: 'Wall time of the last llmcm promote/rollback run of the environment, in seconds.',
      labelNames: ['environment'],
      samples: [{ labels: { environment }, value: observation.durationSeconds }],
    },
    {
      name: 'llmcm_promotion_result',
      help: 'Outcome of the last promote/rollback run: 1 for its result (succeeded, up-to-date, failed, refused), 0 for the others.',
      labelNames: ['environment', 'result'],
      samples: promotionResults.map((result) => ({
        labels: { environment, result },
        value: result === observation.result ? 1 : 0,
      })),
    },
    {
      name: 'llmcm_store_writes',
      help: 'Keys written to each store by the last promote/rollback run of the environment.',
      labelNames: ['environment', 'store'],
      samples: observation.stores.map((s) => ({ labels: { environment, store: s.store }, value: s.writes })),
    },
    {
      name: 'llmcm_promotion_timestamp_seconds',
      help: 'Unix time the last promote/rollback run of the environment ended, whatever its result.',
      labelNames: ['environment'],
      samples: [{ labels: { environment }, value: observation.finishedAt.getTime() / 1000 }],
    },
  ];
}

/** Builds and writes the promotion metrics; a write failure is a warning on stderr, never an error. */
export async function writePromotionMetrics(
  path: string,
  observation: PromotionObservation,
  stderr: { write(text: string): unknown },
): Promise<boolean> {
  return writeMetricsFileOrWarn(path, buildPromotionMetrics(observation), stderr);
}
