import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../core/atomic-write.js';
import { LlmcmError } from '../core/errors.js';
import {
  type CommitSigner,
  formatMessage,
  parseTrailers,
  readCommitInfo,
  type Trailer,
  trailerValues,
  writeCommitObject,
} from '../repo/commits.js';
import { updateRefCas } from '../repo/ref-update.js';
import { type GitIdentity, type Repository, readRef } from '../repo/repository.js';
import { createTreeReader } from '../repo/tree.js';
import { writeCheckpoint } from './checkpoint.js';

/**
 * How a promotion attempt ended. `refused`: a safeguard (check on the source, the policy gate, drift)
 * said no before the lock was taken, so no store was touched; the attempt is recorded all the same.
 */
export type PromotionResult = 'succeeded' | 'failed' | 'interrupted' | 'refused';

/** Why a refused attempt was refused: the error code and the value-free reasons. */
export interface RefusalRecord {
  code: string;
  reasons: string[];
}

/** What happened in one store during an attempt. */
export type StoreOutcome = 'applied' | 'unchanged' | 'restored' | 'failed' | 'restore-failed' | 'skipped';

/** One store's outcome in a record (the Llmcm-Store-Result trailer). */
export interface StoreResult {
  store: string;
  outcome: StoreOutcome;
  writes: number;
  /** Store revision after the attempt, when known. */
  revision?: string | null;
  /** Keyed fingerprint of the store's whole content after the attempt (drift compares against it). */
  content?: string;
  /** One-line error (never a value). */
  error?: string;
}

/** One promotion attempt, as recorded in git. */
export interface PromotionRecord {
  promotionId: string;
  /** `promote` or `rollback`. */
  operation: 'promote' | 'rollback';
  environment: string;
  source: string;
  actor: string;
  /** Approval record ids (commits on refs/llmcm/approvals/<env>) with the approver, `actor@oid`. */
  approvals: string[];
  decisionId: string | null;
  bundleSha256: string | null;
  planHash: string;
  result: PromotionResult;
  stores: StoreResult[];
  durationMs: number;
  startedAt: string;
  forced: boolean;
  /** Which fingerprint key the `content` fingerprints use (its own fingerprint, never the key). */
  fingerprintKeyId?: string;
  error?: string;
  /** Only on `refused` records. */
  refusal?: RefusalRecord;
}

/** A record as read back from git. */
export interface StoredRecord extends PromotionRecord {
  /** The record commit id. */
  oid: string;
  /** Parent record commit, if any. */
  parent: string | null;
  trailers: Trailer[];
  signed: boolean;
}

/** The ref holding the record chain of an environment. */
export function recordRef(environment: string): string {
  return `refs/llmcm/promotions/${environment}`;
}

const RECORD_FILE = 'record.json';
const PLAN_FILE = 'plan.json';

function storeResultTrailer(s: StoreResult): string {
  const parts = [s.store, s.outcome, `writes=${s.writes}`];
  if (s.revision !== undefined && s.revision !== null) parts.push(`revision=${s.revision}`);
  if (s.content) parts.push(`content=${s.content}`);
  if (s.error) parts.push(`error=${JSON.stringify(s.error)}`);
  return parts.join(' ');
}

/** The trailers of a record, in the documented order (docs/promote.md, "The record"). */
export function recordTrailers(record: PromotionRecord): Trailer[] {
  const t: Trailer[] = [
    { key: 'Llmcm-Promotion-Id', value: record.promotionId },
    { key: 'Llmcm-Operation', value: record.operation },
    { key: 'Llmcm-Source', value: record.source },
    { key: 'Llmcm-Environment', value: record.environment },
    { key: 'Llmcm-Actor', value: record.actor },
  ];
  for (const a of record.approvals) t.push({ key: 'Llmcm-Approval', value: a });
  t.push({ key: 'Llmcm-Decision-Id', value: record.decisionId ?? 'none' });
  t.push({ key: 'Llmcm-Bundle-Sha256', value: record.bundleSha256 ?? 'none' });
  t.push({ key: 'Llmcm-Plan-Hash', value: record.planHash });
  for (const s of record.stores) t.push({ key: 'Llmcm-Store-Result', value: storeResultTrailer(s) });
  t.push({ key: 'Llmcm-Duration-Ms', value: String(record.durationMs) });
  if (record.refusal) {
    t.push({ key: 'Llmcm-Refusal', value: record.refusal.code });
    for (const reason of record.refusal.reasons) t.push({ key: 'Llmcm-Refusal-Reason', value: reason });
  }
  if (record.forced) t.push({ key: 'Llmcm-Forced', value: 'true' });
  t.push({ key: 'Llmcm-Result', value: record.result });
  return t;
}

/** Who commits a record, the plan stored with it, and optional signing. */
export interface WriteRecordOptions {
  committer: GitIdentity;
  /** The redacted plan (JSON text) the attempt applied; stored beside the record so verify can rehash it. */
  planJson: string;
  onSign?: CommitSigner;
  signingKey?: string;
}

/**
 * Appends a record commit to refs/llmcm/promotions/<env> with compare-and-set on the parent,
 * retrying a few times if another run appended concurrently (records are never lost or reordered).
 */
export async function writeRecord(
  repo: Repository,
  record: PromotionRecord,
  options: WriteRecordOptions,
): Promise<string> {
  const ref = recordRef(record.environment);
  const subject = `${record.operation} ${record.environment}: ${record.source.slice(0, 12)} by ${record.actor} — ${record.result}`;
  const body = record.error ? `error: ${record.error}` : '';
  const message = formatMessage(subject, body, recordTrailers(record));
  for (let attempt = 0; ; attempt++) {
    const parent = await readRef(repo, ref);
    const oid = await writeCommitObject(repo, {
      message,
      files: { [RECORD_FILE]: `${JSON.stringify(record, null, 2)}\n`, [PLAN_FILE]: options.planJson },
      parents: parent ? [parent] : [],
      author: options.committer,
      ...(options.onSign ? { onSign: options.onSign, signingKey: options.signingKey ?? '' } : {}),
    });
    try {
      await updateRefCas(repo, ref, parent, oid);
      writeCheckpoint(repo, record.environment, oid);
      return oid;
    } catch (error) {
      if (attempt >= 5 || (error as LlmcmError).code !== 'REF_CONFLICT') throw error;
      await new Promise((r) => setTimeout(r, 20 * (attempt + 1)));
    }
  }
}

/** Parses a record commit; throws when the commit is not a record. */
export async function readRecord(repo: Repository, oid: string): Promise<StoredRecord> {
  const info = await readCommitInfo(repo, oid);
  const trailers = parseTrailers(info.message);
  const json = await createTreeReader(repo, oid).readFile(RECORD_FILE);
  if (!json || trailerValues(trailers, 'Llmcm-Promotion-Id').length === 0) {
    throw new LlmcmError(`commit ${oid.slice(0, 12)} is not a promotion record`, {
      code: 'NOT_A_RECORD',
      kind: 'input',
    });
  }
  const record = JSON.parse(json) as PromotionRecord;
  return { ...record, oid, parent: info.parents[0] ?? null, trailers, signed: info.signed };
}

/** The redacted plan stored with a record, as text. */
export async function readRecordPlan(repo: Repository, oid: string): Promise<string | null> {
  return createTreeReader(repo, oid).readFile(PLAN_FILE);
}

const CACHE_FILE = 'record-cache.json';
const caches = new WeakMap<Repository, { records: Record<string, StoredRecord>; dirty: boolean }>();

/**
 * Parsed records by commit id, kept in .git/llmcm/record-cache.json. Record commits are immutable,
 * so a cached parse stays right; it saves reading every record of a long chain on each plan
 * (500 records: ~0.5–1 s cold). `audit verify` never uses it: it re-reads everything from git.
 */
function recordCache(repo: Repository): { records: Record<string, StoredRecord>; dirty: boolean } {
  let cache = caches.get(repo);
  if (!cache) {
    let records: Record<string, StoredRecord> = {};
    try {
      records = JSON.parse(readFileSync(join(repo.gitdir, 'llmcm', CACHE_FILE), 'utf8')) as Record<
        string,
        StoredRecord
      >;
    } catch {
      // No cache yet, or unreadable: start empty.
    }
    cache = { records, dirty: false };
    caches.set(repo, cache);
  }
  return cache;
}

/** Every record of an environment, newest first. */
export async function listRecords(repo: Repository, environment: string): Promise<StoredRecord[]> {
  const head = await readRef(repo, recordRef(environment));
  if (!head) return [];
  const cache = recordCache(repo);
  const out: StoredRecord[] = [];
  let next: string | null = head;
  while (next) {
    let record: StoredRecord | undefined = cache.records[next];
    if (!record) {
      record = await readRecord(repo, next);
      cache.records[next] = record;
      cache.dirty = true;
    }
    out.push(record);
    next = record.parent;
  }
  if (cache.dirty) {
    try {
      mkdirSync(join(repo.gitdir, 'llmcm'), { recursive: true });
      writeFileAtomic(join(repo.gitdir, 'llmcm', CACHE_FILE), JSON.stringify(cache.records));
      cache.dirty = false;
    } catch {
      // The cache is an optimisation; a read-only .git just means no cache.
    }
  }
  return out;
}

/** The newest successful promotion of an environment, or null. */
export async function lastSuccessfulRecord(
  repo: Repository,
  environment: string,
): Promise<StoredRecord | null> {
  return (await listRecords(repo, environment)).find((r) => r.result === 'succeeded') ?? null;
}
