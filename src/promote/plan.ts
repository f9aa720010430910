import { computeContentHash } from '../stores/content-hash.js';
import type { StoreKind, StoreState } from '../stores/types.js';
import { canonicalJson, sha256Hex } from './canonical.js';

/** What one store should hold after the promotion, next to what it holds now. */
export interface StorePlanInput {
  store: string;
  kind: StoreKind;
  /** The rendered, flattened desired values (plaintext; never leaves the planner except as a change set). */
  desired: Readonly<Record<string, string>>;
  /** Keys of `desired` whose values are secret: shown only as keyed fingerprints. */
  secretKeys: ReadonlySet<string>;
  actual: StoreState;
}

/** Everything the planner needs; it does no I/O and reads no clock. */
export interface PlanInput {
  environment: string;
  /** The source commit id the desired state was rendered from. */
  source: string;
  stores: readonly StorePlanInput[];
  /** Promotion ids llmcm wrote for this environment (records plus an interrupted attempt's id). */
  knownPromotionIds: ReadonlySet<string>;
  /** Keyed fingerprint of a value at a path (src/core/fingerprint.ts, bound to the project key). */
  fingerprint: (path: string, value: string) => string;
}

/** What a plan does to one key. */
export type ChangeAction = 'add' | 'change' | 'delete';

/** A value as a plan may show it: always a fingerprint; the value itself only when it is not secret. */
export interface ValueView {
  fingerprint: string;
  value?: string;
}

/** One planned key change; values appear only as ValueView (fingerprint, plain value if not secret). */
export interface KeyChange {
  key: string;
  action: ChangeAction;
  secret: boolean;
  before?: ValueView;
  after?: ValueView;
}

/**
 * Whether the store holds what llmcm last wrote:
 * - `empty`: nothing there yet;
 * - `ours`: stamped by a known promotion and unchanged since;
 * - `modified`: stamped by llmcm, but the values changed since (someone edited the store);
 * - `foreign`: values llmcm never wrote (no stamp, or a promotion id we do not know).
 */
export type StoreOwnership = 'empty' | 'ours' | 'modified' | 'foreign';

/** The plan of one store. */
export interface StorePlan {
  store: string;
  kind: StoreKind;
  ownership: StoreOwnership;
  /** The promotion that stamped the store, if any. */
  stampedBy: string | null;
  /** Revision read while planning; apply uses it for compare-and-set. */
  revision: string | null;
  changes: KeyChange[];
  counts: { add: number; change: number; delete: number };
}

/** A reviewed, hashable plan. It never contains a secret value. */
export interface PromotionPlan {
  environment: string;
  source: string;
  stores: StorePlan[];
  /** True when a store holds values llmcm did not write: promote refuses without --force. */
  drift: boolean;
  /** True when no store needs a write. */
  empty: boolean;
  /** sha256 over the canonical plan (without itself and without store revisions). */
  hash: string;
}

function byKey(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function view(input: PlanInput, key: string, value: string, secret: boolean): ValueView {
  const fingerprint = input.fingerprint(key, value);
  return secret ? { fingerprint } : { fingerprint, value };
}

/** Whether a store holds something llmcm did not write (promote refuses it unless forced). */
export function isDrifted(ownership: StoreOwnership): boolean {
  return ownership === 'foreign' || ownership === 'modified';
}

/** Classifies a store's current state against its stamp. */
export function classifyOwnership(actual: StoreState, known: ReadonlySet<string>): StoreOwnership {
  const hasValues = Object.keys(actual.values).length > 0;
  if (!actual.stamp) return hasValues ? 'foreign' : 'empty';
  if (!known.has(actual.stamp.promotionId)) return hasValues ? 'foreign' : 'empty';
  // A rendered artifact edited by hand (the file store's .env, say) is a modification too.
  if (actual.tampered && actual.tampered.length > 0) return 'modified';
  return actual.stamp.contentHash === computeContentHash(actual.values) ? 'ours' : 'modified';
}

/** Plans one store: adds, changes and deletes per key, sorted by key. */
export function planStore(input: PlanInput, store: StorePlanInput): StorePlan {
  const changes: KeyChange[] = [];
  const keys = new Set([...Object.keys(store.desired), ...Object.keys(store.actual.values)]);
  for (const key of [...keys].sort(byKey)) {
    const want = Object.hasOwn(store.desired, key) ? store.desired[key] : undefined;
    const have = Object.hasOwn(store.actual.values, key) ? store.actual.values[key] : undefined;
    const secret = store.secretKeys.has(key);
    if (want !== undefined && have === undefined) {
      changes.push({ key, action: 'add', secret, after: view(input, key, want, secret) });
    } else if (want === undefined && have !== undefined) {
      // A deleted key's secrecy is unknown (it is not in the desired state): show a fingerprint only.
      changes.push({
        key,
        action: 'delete',
        secret: true,
        before: { fingerprint: input.fingerprint(key, have) },
      });
    } else if (want !== undefined && have !== undefined && want !== have) {
      changes.push({
        key,
        action: 'change',
        secret,
        before: view(input, key, have, secret),
        after: view(input, key, want, secret),
      });
    }
  }
  const counts = { add: 0, change: 0, delete: 0 };
  for (const c of changes) counts[c.action]++;
  return {
    store: store.store,
    kind: store.kind,
    ownership: classifyOwnership(store.actual, input.knownPromotionIds),
    stampedBy: store.actual.stamp?.promotionId ?? null,
    revision: store.actual.revision,
    changes,
    counts,
  };
}

/**
 * The plan without any value: only keyed fingerprints. This is what the record keeps in git and what
 * the hash covers (the fingerprints bind the values), so a shown non-secret value never lands in git.
 */
export function redactPlan<T extends Pick<PromotionPlan, 'stores'>>(plan: T): T {
  const strip = (v: ValueView | undefined) => (v ? { fingerprint: v.fingerprint } : undefined);
  return {
    ...plan,
    stores: plan.stores.map((s) => ({
      ...s,
      changes: s.changes.map((c) => {
        const out: KeyChange = { key: c.key, action: c.action, secret: c.secret };
        const before = strip(c.before);
        const after = strip(c.after);
        if (before) out.before = before;
        if (after) out.after = after;
        return out;
      }),
    })),
  };
}

/** The plan hash: what a reviewer approves. Revisions and plain values are left out (fingerprints stay). */
export function hashPlan(plan: Pick<PromotionPlan, 'environment' | 'source' | 'stores'>): string {
  const redacted = redactPlan(plan);
  return sha256Hex(
    canonicalJson({
      version: 1,
      environment: redacted.environment,
      source: redacted.source,
      stores: redacted.stores.map((s) => ({
        store: s.store,
        kind: s.kind,
        ownership: s.ownership,
        changes: s.changes,
      })),
    }),
  );
}

/** Desired vs actual for every store of an environment. Pure and deterministic. */
export function planPromotion(input: PlanInput): PromotionPlan {
  const stores = [...input.stores].sort((a, b) => byKey(a.store, b.store)).map((s) => planStore(input, s));
  const body = { environment: input.environment, source: input.source, stores };
  return {
    ...body,
    drift: stores.some((s) => isDrifted(s.ownership)),
    // A drifted store with no key change still needs a write (a forced promote repairs it).
    empty: stores.every((s) => s.changes.length === 0 && !isDrifted(s.ownership)),
    hash: hashPlan(body),
  };
}

/** The change set a store must apply to reach the desired state (plaintext: only for Store.apply). */
export function changeSetFor(
  store: StorePlanInput,
  plan: StorePlan,
): { set: Record<string, string>; delete: string[] } {
  const set: Record<string, string> = {};
  const del: string[] = [];
  for (const change of plan.changes) {
    if (change.action === 'delete') del.push(change.key);
    else set[change.key] = store.desired[change.key]!;
  }
  return { set, delete: del };
}
