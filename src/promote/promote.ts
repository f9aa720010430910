import { randomBytes } from 'node:crypto';
import {
  listRecords,
  type PromotionRecord,
  type StoredRecord,
  type StoreResult,
  writeRecord,
} from '../audit/record.js';
import { LlmcmError } from '../core/errors.js';
import { keyedFingerprint } from '../core/fingerprint.js';
import type { CommitSigner } from '../repo/commits.js';
import type { GitIdentity, Repository } from '../repo/repository.js';
import type { Store, StoreConfig } from '../stores/types.js';
import { type ApplyTarget, applyPlan, callWithRetry } from './apply.js';
import { type Approval, collectApprovals } from './approvals.js';
import { canonicalJson } from './canonical.js';
import { PromotionRefusedError } from './errors.js';
import { acquireLock, type HeldLock, lockHeldError, readLock, releaseLock } from './lock.js';
import { type PromotionPlan, planPromotion, redactPlan, type StorePlanInput } from './plan.js';

/** The desired state of one environment at one commit, flattened for the stores. */
export interface DesiredState {
  values: Record<string, string>;
  secretKeys: ReadonlySet<string>;
}

/** The policy gate's answer (src/policy), reduced to what the promoter records. */
export interface GateDecision {
  allowed: boolean;
  reasons: string[];
  decisionId: string | null;
  bundleSha256: string | null;
}

/** What the gate is asked: who promotes what where, with which approvals, and what changes (redacted). */
export interface GateRequest {
  actor: string;
  environment: string;
  /** The environment the source comes from (`--from`), if any. */
  sourceEnvironment?: string;
  source: string;
  approvals: Approval[];
  plan: PromotionPlan;
  now: Date;
}

/** The outside world the promoter talks to; the CLI wires the real one, unit tests a small one. */
export interface PromotionDeps {
  repo: Repository;
  /** Environments the project declares (for the unknown-environment error). */
  environments: readonly string[];
  storeConfigs(environment: string): StoreConfig[];
  openStore(config: StoreConfig): Promise<Store>;
  loadDesired(environment: string, commit: string): Promise<DesiredState>;
  /** Runs `check` on the exact source commit; returns value-free error lines (empty = pass). */
  runCheck?(environment: string, commit: string): Promise<string[]>;
  evaluateGate?(request: GateRequest): Promise<GateDecision>;
  fingerprintKey: Uint8Array;
  identity: GitIdentity;
  onSign?: CommitSigner;
  signingKey?: string;
  now?: () => Date;
  /** Progress lines for the CLI (never values). */
  log?: (line: string) => void;
}

/** A plan together with what is needed to apply it. */
export interface PreparedPlan {
  plan: PromotionPlan;
  targets: ApplyTarget[];
  records: StoredRecord[];
  lock: HeldLock | null;
}

/** Checks that an environment is declared. */
export function assertEnvironment(deps: Pick<PromotionDeps, 'environments'>, environment: string): void {
  if (!deps.environments.includes(environment)) {
    throw new LlmcmError(`unknown environment '${environment}'`, {
      code: 'UNKNOWN_ENVIRONMENT',
      kind: 'input',
      hint: `declared environments: ${deps.environments.join(', ') || '(none)'}`,
    });
  }
}

/** Fingerprint of a store's whole content, under the project key (what records and drift compare). */
export function fingerprintStoreContent(
  key: Uint8Array,
  store: string,
  values: Record<string, string>,
): string {
  return keyedFingerprint(key, `store:${store}`, canonicalJson(values));
}

/** Names the fingerprint key without revealing it, so records say which key their fingerprints use. */
export function fingerprintKeyId(key: Uint8Array): string {
  return keyedFingerprint(key, 'llmcm:fingerprint-key-id', '');
}

/** Opens the stores of an environment, reads their state, renders the desired state and plans. */
export async function preparePlan(
  deps: PromotionDeps,
  environment: string,
  source: string,
  extraKnownIds: readonly string[] = [],
  readTimeoutMs?: number,
): Promise<PreparedPlan & { close(): Promise<void> }> {
  assertEnvironment(deps, environment);
  const desired = await deps.loadDesired(environment, source);
  const configs = deps.storeConfigs(environment);
  const opened: Store[] = [];
  const close = async () => {
    await Promise.allSettled(opened.map((s) => s.close()));
  };
  try {
    const stores: Store[] = [];
    for (const config of configs) {
      const store = await deps.openStore(config);
      opened.push(store);
      stores.push(store);
    }
    // Stores are read in parallel; reads are bounded like writes, so an unanswering store fails
    // planning clearly instead of hanging.
    const states = await Promise.all(
      stores.map((store, i) =>
        callWithRetry(() => store.read(environment), {
          store: configs[i]!.name,
          retries: 1,
          backoffMs: 100,
          timeoutMs: readTimeoutMs ?? 30_000,
        }),
      ),
    );
    const targets: ApplyTarget[] = configs.map((config, i) => ({
      store: stores[i]!,
      input: {
        store: config.name,
        kind: config.kind,
        desired: desired.values,
        secretKeys: desired.secretKeys,
        actual: states[i]!,
      } satisfies StorePlanInput,
    }));
    // Lock and records are read *after* the stores: a promotion that wrote a store we just read
    // either still holds its lock (we see it) or has recorded its id (we know it), so its values
    // never look foreign to us.
    const lock = await readLock(deps.repo, environment, deps.now?.());
    const records = await listRecords(deps.repo, environment);
    const known = new Set([...records.map((r) => r.promotionId), ...extraKnownIds]);
    if (lock) known.add(lock.holder.promotionId);
    const plan = planPromotion({
      environment,
      source,
      stores: targets.map((t) => t.input),
      knownPromotionIds: known,
      fingerprint: (path, value) => keyedFingerprint(deps.fingerprintKey, path, value),
    });
    return { plan, targets, records, lock, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** What to promote, by whom, and with which safeguards. */
export interface PromoteRequest {
  environment: string;
  /** The resolved source commit. */
  source: string;
  actor: string;
  /** `--approval` ids; empty = every approval recorded for this source. */
  approvalIds: readonly string[];
  planHash?: string;
  force: boolean;
  operation: 'promote' | 'rollback';
  /** The environment the source comes from (`--from`), passed to the gate. */
  sourceEnvironment?: string;
  /** Passed to applyPlan (tests shorten them). */
  apply?: { concurrency?: number; retries?: number; backoffMs?: number; timeoutMs?: number };
  /** Test-only fault hook, see docs/promote.md ("Fault injection"). */
  afterStoreApplied?: (store: string, appliedSoFar: number) => void;
}

/** `up-to-date`: the stores already held the source and nothing was written. */
export type PromoteStatus = 'succeeded' | 'up-to-date';

/** The result of a promotion that did not fail. */
export interface PromoteOutcome {
  status: PromoteStatus;
  plan: PromotionPlan;
  promotionId: string | null;
  record: string | null;
  stores: StoreResult[];
  approvals: Approval[];
  decision: GateDecision | null;
  /** Set when a stale lock of a killed promotion was found and recorded as interrupted. */
  recovered: { promotionId: string; reason: string; record: string } | null;
}

/** The failure of an attempted apply, after every store was restored and the attempt recorded. */
export class PromotionFailedError extends LlmcmError {
  readonly record: string;
  readonly stores: StoreResult[];
  constructor(cause: LlmcmError, record: string, stores: StoreResult[]) {
    const restoreFailed = stores.filter((s) => s.outcome === 'restore-failed').map((s) => s.store);
    super(
      restoreFailed.length > 0
        ? `promotion failed (${cause.message}) and could not restore ${restoreFailed.join(', ')}`
        : `promotion failed and every store was restored: ${cause.message}`,
      {
        code: restoreFailed.length > 0 ? 'PROMOTION_RESTORE_FAILED' : 'PROMOTION_FAILED',
        kind: 'store',
        hint:
          restoreFailed.length > 0
            ? `inspect those stores; 'llmcm drift' shows them and the next promote re-applies (record ${record.slice(0, 12)})`
            : `the attempt is recorded as ${record.slice(0, 12)}; fix the store and run promote again`,
        cause,
      },
    );
    this.record = record;
    this.stores = stores;
  }
}

function newPromotionId(now: Date): string {
  return `p-${now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}-${randomBytes(4).toString('hex')}`;
}

function planJson(plan: PromotionPlan): string {
  return `${JSON.stringify(redactPlan(plan), null, 2)}\n`;
}

/** Describes stores a plan refuses to overwrite (drift), value-free. */
export function driftReasons(plan: PromotionPlan): string[] {
  return plan.stores
    .filter((s) => s.ownership === 'foreign' || s.ownership === 'modified')
    .map((s) =>
      s.ownership === 'foreign'
        ? `store '${s.store}' holds values llmcm did not write${s.stampedBy ? ` (stamped by unknown promotion ${s.stampedBy})` : ''}`
        : `store '${s.store}' was changed outside llmcm since promotion ${s.stampedBy}`,
    );
}

/** At most this many reasons (each one line, at most 300 characters) go into a refusal record. */
const maxRecordedReasons = 20;

/** One line, bounded: reasons are value-free already, this only keeps trailers readable. */
function oneLine(text: string, limit = 300): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > limit ? `${line.slice(0, limit - 1)}…` : line;
}

/**
 * Records a refused attempt on refs/llmcm/promotions/<env> (`Llmcm-Result: refused`, the refusal
 * code, the value-free reasons, the decision id when the gate decided). Takes no lock and touches
 * no store. Returns the error to throw, its hint naming the record; if the record cannot be
 * written the refusal still stands (it is thrown unchanged, the failure is logged).
 */
async function recordRefusal(
  deps: PromotionDeps,
  request: PromoteRequest,
  attempt: {
    plan: PromotionPlan;
    approvals: Approval[];
    decision: GateDecision | null;
    now: Date;
    started: number;
    error: PromotionRefusedError;
  },
): Promise<PromotionRefusedError> {
  const { plan, decision, error } = attempt;
  const reasons = error.reasons.slice(0, maxRecordedReasons).map((r) => oneLine(r));
  if (error.reasons.length > maxRecordedReasons)
    reasons.push(`… and ${error.reasons.length - maxRecordedReasons} more`);
  const record: PromotionRecord = {
    promotionId: newPromotionId(attempt.now),
    operation: request.operation,
    environment: request.environment,
    source: request.source,
    actor: request.actor,
    approvals: attempt.approvals.map((a) => `${a.approver}@${a.id}`),
    decisionId: decision?.decisionId ?? null,
    bundleSha256: decision?.bundleSha256 ?? null,
    planHash: plan.hash,
    result: 'refused',
    stores: plan.stores.map((s) => ({ store: s.store, outcome: 'skipped', writes: 0 })),
    durationMs: Date.now() - attempt.started,
    startedAt: attempt.now.toISOString(),
    forced: false,
    fingerprintKeyId: fingerprintKeyId(deps.fingerprintKey),
    error: oneLine(error.message),
    refusal: { code: error.code, reasons },
  };
  let oid: string;
  try {
    oid = await writeRecord(deps.repo, record, {
      committer: deps.identity,
      planJson: planJson(plan),
      ...(deps.onSign ? { onSign: deps.onSign, signingKey: deps.signingKey ?? '' } : {}),
    });
  } catch (recordError) {
    deps.log?.(`the refused attempt could not be recorded: ${(recordError as Error).message.split('\n')[0]}`);
    return error;
  }
  const refused = new PromotionRefusedError(error.message, error.reasons, {
    code: error.code,
    hint: `${error.hint ? `${error.hint}; ` : ''}the refused attempt is recorded as ${oid.slice(0, 12)} ('llmcm history ${request.environment}')`,
  });
  refused.record = oid;
  return refused;
}

/**
 * Promotes a source commit into every store of an environment:
 * plan (+ live-lock, plan-hash and drift refusals) → check → gate → lock → re-plan under the lock → apply
 * (all-or-nothing) → record → unlock. Nothing is written before the lock is held, and nothing at
 * all when the stores already hold the source (re-running a completed promotion is a no-op).
 */
export async function promote(deps: PromotionDeps, request: PromoteRequest): Promise<PromoteOutcome> {
  const now = deps.now?.() ?? new Date();
  const started = Date.now();
  const log = deps.log ?? (() => {});
  const { environment, source } = request;
  assertEnvironment(deps, environment);

  const prepared = await preparePlan(deps, environment, source, [], request.apply?.timeoutMs);
  let { plan } = prepared;
  try {
    if (prepared.lock && !prepared.lock.staleReason) {
      throw lockHeldError(prepared.lock);
    }
    // Refusals by a safeguard (drift, check, gate) are recorded as `refused` attempts before they
    // are thrown: no lock, no store write, only a record commit (compare-and-set on the chain).
    let approvals: Approval[] = [];
    let decision: GateDecision | null = null;
    const refuse = (error: PromotionRefusedError): Promise<PromotionRefusedError> =>
      recordRefusal(deps, request, { plan, approvals, decision, now, started, error });
    if (request.planHash && request.planHash !== plan.hash) {
      throw new LlmcmError(
        `the plan changed since it was reviewed (reviewed ${request.planHash.slice(0, 12)}, now ${plan.hash.slice(0, 12)})`,
        {
          code: 'PLAN_HASH_MISMATCH',
          kind: 'input',
          hint: `run 'llmcm plan ${environment}' again and review the new plan`,
        },
      );
    }
    if (plan.drift && !request.force) {
      const reasons = driftReasons(plan);
      throw await refuse(
        new PromotionRefusedError(
          `refusing to overwrite values llmcm did not write: ${reasons.join('; ')}`,
          reasons,
          {
            code: 'STORE_DRIFT',
            hint: `inspect with 'llmcm drift ${environment}'; pass --force to overwrite`,
          },
        ),
      );
    }
    if (deps.runCheck) {
      const problems = await deps.runCheck(environment, source);
      if (problems.length > 0) {
        throw await refuse(
          new PromotionRefusedError(
            `check fails on source ${source.slice(0, 12)} (${problems.length} error${problems.length === 1 ? '' : 's'})`,
            problems,
            {
              code: 'CHECK_FAILED',
              hint: `run 'llmcm check --env ${environment}' on that commit and fix the findings`,
            },
          ),
        );
      }
    }
    approvals = await collectApprovals(deps.repo, environment, source, request.approvalIds);
    if (deps.evaluateGate) {
      decision = await deps.evaluateGate({
        actor: request.actor,
        environment,
        source,
        approvals,
        plan,
        now,
        ...(request.sourceEnvironment ? { sourceEnvironment: request.sourceEnvironment } : {}),
      });
      if (!decision.allowed) {
        throw await refuse(
          new PromotionRefusedError(
            `the policy gate denies promoting ${source.slice(0, 12)} to ${environment} by ${request.actor}`,
            decision.reasons,
            {
              code: 'GATE_DENIED',
              hint: 'get the approvals the policy asks for, or ask someone allowed to promote',
            },
          ),
        );
      }
    }
    if (plan.empty && !prepared.lock) {
      return {
        status: 'up-to-date',
        plan,
        promotionId: null,
        record: null,
        stores: plan.stores.map((s) => ({ store: s.store, outcome: 'unchanged', writes: 0 })),
        approvals,
        decision,
        recovered: null,
      };
    }

    // From here on we write: take the lock first (replacing a stale one), so only the winner of the
    // lock race records the interrupted attempt.
    const promotionId = newPromotionId(now);
    let recovered: PromoteOutcome['recovered'] = null;
    const stale = prepared.lock;
    const lockOid = await acquireLock(
      deps.repo,
      { promotionId, environment, actor: request.actor, source, planHash: plan.hash },
      deps.identity,
      { ...(stale ? { replace: stale } : {}), now },
    );
    // Released at the end unless stores were written and the record could not be: then the lock
    // (naming our promotion id) is the only trace of what we wrote, and the next run recovers from it.
    let keepLock = false;
    try {
      if (stale) {
        const interrupted: PromotionRecord = {
          promotionId: stale.holder.promotionId,
          operation: 'promote',
          environment,
          source: stale.holder.source,
          actor: stale.holder.actor,
          approvals: [],
          decisionId: null,
          bundleSha256: null,
          planHash: stale.holder.planHash,
          result: 'interrupted',
          stores: prepared.targets.map((t) => ({
            store: t.input.store,
            outcome: t.input.actual.stamp?.promotionId === stale.holder.promotionId ? 'applied' : 'skipped',
            writes: 0,
            revision: t.input.actual.revision,
          })),
          durationMs: Math.max(0, now.getTime() - Date.parse(stale.holder.startedAt)),
          startedAt: stale.holder.startedAt,
          forced: false,
          error: `lock holder vanished: ${stale.staleReason}`,
        };
        const record = await writeRecord(deps.repo, interrupted, {
          committer: deps.identity,
          planJson: '{}\n',
        });
        recovered = { promotionId: stale.holder.promotionId, reason: stale.staleReason!, record };
        log(
          `recovered stale lock of promotion ${stale.holder.promotionId} (${stale.staleReason}); recorded it as interrupted`,
        );
      }
      // Re-read under the lock: a store may have moved between planning and locking.
      const again = await preparePlan(
        deps,
        environment,
        source,
        stale ? [stale.holder.promotionId] : [],
        request.apply?.timeoutMs,
      );
      try {
        if (again.plan.hash !== plan.hash) {
          throw new LlmcmError('a store changed between planning and locking', {
            code: 'PLAN_CHANGED',
            kind: 'store',
            hint: `run 'llmcm plan ${environment}' again and review the new plan`,
          });
        }
        plan = again.plan;
        log(`applying plan ${plan.hash.slice(0, 12)} to ${plan.stores.length} store(s)`);
        keepLock = true;
        const result = await applyPlan(environment, plan, again.targets, {
          promotionId,
          ...request.apply,
          fingerprintContent: (store, values) => fingerprintStoreContent(deps.fingerprintKey, store, values),
          ...(request.afterStoreApplied ? { afterStoreApplied: request.afterStoreApplied } : {}),
        });
        const record: PromotionRecord = {
          promotionId,
          operation: request.operation,
          environment,
          source,
          actor: request.actor,
          approvals: approvals.map((a) => `${a.approver}@${a.id}`),
          decisionId: decision?.decisionId ?? null,
          bundleSha256: decision?.bundleSha256 ?? null,
          planHash: plan.hash,
          result: result.ok ? 'succeeded' : 'failed',
          stores: result.stores,
          durationMs: Date.now() - started,
          startedAt: now.toISOString(),
          forced: request.force && plan.drift,
          fingerprintKeyId: fingerprintKeyId(deps.fingerprintKey),
          ...(result.error ? { error: result.error.message.split('\n')[0] } : {}),
        };
        let recordOid: string;
        try {
          recordOid = await writeRecord(deps.repo, record, {
            committer: deps.identity,
            planJson: planJson(plan),
            ...(deps.onSign ? { onSign: deps.onSign, signingKey: deps.signingKey ?? '' } : {}),
          });
        } catch (error) {
          throw new LlmcmError(
            `promotion ${promotionId} ${result.ok ? 'was applied' : 'failed'} but its record could not be written: ${(error as Error).message.split('\n')[0]}`,
            {
              code: 'RECORD_FAILED',
              kind: 'store',
              hint: `the lock of '${environment}' is kept so the next promote recovers and records it`,
              cause: error,
            },
          );
        }
        keepLock = false;
        if (!result.ok) throw new PromotionFailedError(result.error!, recordOid, result.stores);
        return {
          status: 'succeeded',
          plan,
          promotionId,
          record: recordOid,
          stores: result.stores,
          approvals,
          decision,
          recovered,
        };
      } finally {
        await again.close();
      }
    } finally {
      if (!keepLock) await releaseLock(deps.repo, environment, lockOid);
    }
  } finally {
    await prepared.close();
  }
}
