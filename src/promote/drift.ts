import { listRecords, type StoredRecord } from '../audit/record.js';
import { LlmcmError } from '../core/errors.js';
import { keyedFingerprint } from '../core/fingerprint.js';
import { computeContentHash } from '../stores/content-hash.js';
import { type KeyChange, planStore } from './plan.js';
import {
  assertEnvironment,
  fingerprintKeyId,
  fingerprintStoreContent,
  type PromotionDeps,
} from './promote.js';

/** How one store compares with the last promotion. */
export interface StoreDrift {
  store: string;
  status: 'clean' | 'drifted' | 'never-promoted';
  /** Value-free reasons. */
  reasons: string[];
  /** Per-key differences from the last promoted source (when it can be decrypted). */
  changes: KeyChange[];
}

/** What `llmcm drift` reports for one environment. */
export interface DriftReport {
  environment: string;
  /** The last successful promotion, or null. */
  promotion: { promotionId: string; source: string; record: string } | null;
  stores: StoreDrift[];
  drifted: boolean;
}

/**
 * Compares each store with what the last promotion left there: the content fingerprint in the
 * record, the stamp the store carries, and (when the source can be decrypted) key by key.
 */
export async function detectDrift(deps: PromotionDeps, environment: string): Promise<DriftReport> {
  assertEnvironment(deps, environment);
  const records = await listRecords(deps.repo, environment);
  const known = new Set(records.map((r) => r.promotionId));
  const last: StoredRecord | undefined = records.find((r) => r.result === 'succeeded');
  let desired: Awaited<ReturnType<PromotionDeps['loadDesired']>> | null = null;
  if (last) {
    try {
      desired = await deps.loadDesired(environment, last.source);
    } catch (error) {
      if (!(error instanceof LlmcmError) || error.kind !== 'decrypt') throw error;
    }
  }
  const stores: StoreDrift[] = [];
  for (const config of deps.storeConfigs(environment)) {
    const store = await deps.openStore(config);
    try {
      const actual = await store.read(environment);
      const reasons: string[] = [];
      const expectedRecord = records.find((r) => r.stores.some((s) => s.store === config.name && s.content));
      const expected = expectedRecord?.stores.find((s) => s.store === config.name);
      if (!last || !expected) {
        const empty = Object.keys(actual.values).length === 0;
        stores.push({
          store: config.name,
          status: empty ? 'never-promoted' : 'drifted',
          reasons: empty ? [] : ['holds values but no promotion was recorded for it'],
          changes: [],
        });
        continue;
      }
      // Content fingerprints only compare under the same key; a record written with another key
      // (another clone without a shared LLMCM_FINGERPRINT_KEY) is checked by its stamp alone.
      const sameKey =
        !expectedRecord?.fingerprintKeyId ||
        expectedRecord.fingerprintKeyId === fingerprintKeyId(deps.fingerprintKey);
      const content = fingerprintStoreContent(deps.fingerprintKey, config.name, actual.values);
      if (sameKey && content !== expected.content)
        reasons.push(`content ${content} differs from the recorded ${expected.content}`);
      if (
        !sameKey &&
        actual.stamp?.promotionId !== expectedRecord?.promotionId &&
        expected.outcome !== 'unchanged'
      )
        reasons.push(`stamped by ${actual.stamp?.promotionId ?? 'nothing'}, not by the recorded promotion`);
      if (!actual.stamp) reasons.push('the store carries no llmcm stamp');
      else if (!known.has(actual.stamp.promotionId))
        reasons.push(`stamped by unknown promotion ${actual.stamp.promotionId}`);
      else if (actual.stamp.contentHash !== computeContentHash(actual.values))
        reasons.push(`edited outside llmcm after promotion ${actual.stamp.promotionId}`);
      // Every artifact the store rendered (the file store's config.json, .env, manifest), not only
      // the values read back: an app may read the edited one.
      for (const problem of actual.tampered ?? []) reasons.push(problem);
      let changes: KeyChange[] = [];
      if (desired) {
        changes = planStore(
          {
            environment,
            source: last.source,
            stores: [],
            knownPromotionIds: known,
            fingerprint: (p, v) => keyedFingerprint(deps.fingerprintKey, p, v),
          },
          {
            store: config.name,
            kind: config.kind,
            desired: desired.values,
            secretKeys: desired.secretKeys,
            actual,
          },
        ).changes;
      }
      stores.push({ store: config.name, status: reasons.length > 0 ? 'drifted' : 'clean', reasons, changes });
    } finally {
      await store.close();
    }
  }
  return {
    environment,
    promotion: last ? { promotionId: last.promotionId, source: last.source, record: last.oid } : null,
    stores,
    drifted: stores.some((s) => s.status === 'drifted'),
  };
}
