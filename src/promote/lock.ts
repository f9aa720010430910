import { hostname } from 'node:os';
import { LlmcmError } from '../core/errors.js';
import { isProcessAlive } from '../core/process-alive.js';
import { writeCommitObject } from '../repo/commits.js';
import { RefConflictError, updateRefCas } from '../repo/ref-update.js';
import { type GitIdentity, type Repository, readRef } from '../repo/repository.js';
import { createTreeReader } from '../repo/tree.js';

/** Who holds an environment's promotion lock (stored in the lock commit; never secret). */
export interface LockHolder {
  promotionId: string;
  environment: string;
  actor: string;
  source: string;
  planHash: string;
  host: string;
  pid: number;
  startedAt: string;
}

/** A lock as found in git. */
export interface HeldLock {
  oid: string;
  holder: LockHolder;
  /** Why we believe the holder is gone (dead pid on this host, or older than the TTL), or null if alive. */
  staleReason: string | null;
}

/** The ref that is the lock of an environment. */
export function lockRef(environment: string): string {
  return `refs/llmcm/locks/${environment}`;
}

const LOCK_FILE = 'lock.json';
const DEFAULT_TTL_MS = 30 * 60 * 1000;

/** Reads the current lock of an environment, or null. */
export async function readLock(
  repo: Repository,
  environment: string,
  now: Date = new Date(),
  ttlMs = DEFAULT_TTL_MS,
): Promise<HeldLock | null> {
  const oid = await readRef(repo, lockRef(environment));
  if (!oid) return null;
  const text = await createTreeReader(repo, oid).readFile(LOCK_FILE);
  const holder = text ? (JSON.parse(text) as LockHolder) : null;
  if (!holder) {
    return {
      oid,
      holder: {
        promotionId: 'unknown',
        environment,
        actor: 'unknown',
        source: 'unknown',
        planHash: 'unknown',
        host: 'unknown',
        pid: 0,
        startedAt: 'unknown',
      },
      staleReason: 'the lock commit has no holder information',
    };
  }
  let staleReason: string | null = null;
  if (holder.host === hostname() && !isProcessAlive(holder.pid)) {
    staleReason = `process ${holder.pid} on ${holder.host} is gone`;
  } else if (now.getTime() - Date.parse(holder.startedAt) > ttlMs) {
    staleReason = `held for more than ${Math.round(ttlMs / 60000)} min`;
  }
  return { oid, holder, staleReason };
}

function describeHolder(lock: HeldLock): string {
  const h = lock.holder;
  return `${h.actor} (promotion ${h.promotionId}, source ${h.source.slice(0, 12)}, pid ${h.pid} on ${h.host}, since ${h.startedAt})`;
}

/** The error the loser of a lock race gets: it names the holder. */
export function lockHeldError(lock: HeldLock): LlmcmError {
  return new LlmcmError(
    `the promotion lock of '${lock.holder.environment}' is held by ${describeHolder(lock)}`,
    {
      code: 'LOCK_HELD',
      kind: 'store',
      hint: lock.staleReason
        ? `the holder looks stale (${lock.staleReason}); run promote again to recover it`
        : 'wait for that promotion to finish, then run again',
    },
  );
}

/**
 * Takes the lock with an atomic create of refs/llmcm/locks/<env> (compare-and-set from "absent"),
 * or, when `replace` is given, from that stale lock's id. Returns the lock commit id.
 */
export async function acquireLock(
  repo: Repository,
  holder: Omit<LockHolder, 'host' | 'pid' | 'startedAt'>,
  identity: GitIdentity,
  options: { replace?: HeldLock; now?: Date } = {},
): Promise<string> {
  const full: LockHolder = {
    ...holder,
    host: hostname(),
    pid: process.pid,
    startedAt: (options.now ?? new Date()).toISOString(),
  };
  const oid = await writeCommitObject(repo, {
    message: `lock ${holder.environment} for promotion ${holder.promotionId}\n`,
    files: { [LOCK_FILE]: `${JSON.stringify(full, null, 2)}\n` },
    parents: [],
    author: identity,
  });
  try {
    await updateRefCas(repo, lockRef(holder.environment), options.replace?.oid ?? null, oid);
  } catch (error) {
    if (error instanceof RefConflictError) {
      const current = await readLock(repo, holder.environment);
      if (current) throw lockHeldError(current);
      throw new LlmcmError(`lost the race for the promotion lock of '${holder.environment}'`, {
        code: 'LOCK_HELD',
        kind: 'store',
        hint: 'another promotion just finished or started; run again',
      });
    }
    throw error;
  }
  return oid;
}

/** Releases our lock (compare-and-set from our lock id, so we never drop someone else's). */
export async function releaseLock(repo: Repository, environment: string, oid: string): Promise<void> {
  await updateRefCas(repo, lockRef(environment), oid, null);
}
