import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listRecords, recordRef } from '../../../src/audit/record.js';
import { recordApproval } from '../../../src/promote/approvals.js';
import { acquireLock, lockRef, readLock } from '../../../src/promote/lock.js';
import { type PromoteRequest, type PromotionDeps, promote } from '../../../src/promote/promote.js';
import { openRepository, type Repository, readRef } from '../../../src/repo/repository.js';
import type { StoreConfig } from '../../../src/stores/types.js';
import { createTempRepo, type TempRepo } from '../repo/temp-repo.js';
import { MemoryStore } from './memory-store.js';

const SECRET = 'sk-CANARY-do-not-print-0123456789';
let temp: TempRepo;
let repo: Repository;
let stores: Map<string, MemoryStore>;
let desired: Record<string, Record<string, string>>;
let source: string;

function deps(extra: Partial<PromotionDeps> = {}): PromotionDeps {
  return {
    repo,
    environments: ['dev', 'prod'],
    storeConfigs: () => [...stores.keys()].map((name) => ({ name, kind: 'file' }) as StoreConfig),
    openStore: async (config) => stores.get(config.name)!,
    loadDesired: async (_env, commit) => ({
      values: desired[commit] ?? {},
      secretKeys: new Set(['providers.openai.api_key']),
    }),
    fingerprintKey: Buffer.from('k'),
    identity: { name: 'llmcm', email: 'llmcm@example.test' },
    ...extra,
  };
}

function request(extra: Partial<PromoteRequest> = {}): PromoteRequest {
  return {
    environment: 'dev',
    source,
    actor: 'alice',
    approvalIds: [],
    force: false,
    operation: 'promote',
    apply: { retries: 2, backoffMs: 1, timeoutMs: 200 },
    ...extra,
  };
}

beforeEach(async () => {
  temp = createTempRepo();
  repo = await openRepository(temp.dir);
  source = temp.commit({ 'README.md': 'x' });
  stores = new Map([
    ['a', new MemoryStore('a')],
    ['b', new MemoryStore('b')],
    ['c', new MemoryStore('c')],
  ]);
  desired = { [source]: { 'providers.openai.api_key': SECRET, 'models.gpt.temperature': '0.2' } };
});
afterEach(() => temp.remove());

describe('promote', () => {
  it('applies to every store, records the promotion, and a re-run writes nothing', async () => {
    const out = await promote(deps(), request());
    expect(out.status).toBe('succeeded');
    for (const s of stores.values())
      expect((await s.read('dev')).values['models.gpt.temperature']).toBe('0.2');
    const records = await listRecords(repo, 'dev');
    expect(records).toHaveLength(1);
    expect(records[0]!.result).toBe('succeeded');
    expect(records[0]!.stores.map((s) => s.outcome)).toEqual(['applied', 'applied', 'applied']);
    expect(temp.git('log', '-1', '--format=%B', recordRef('dev'))).toContain('Llmcm-Result: succeeded');
    expect(temp.git('log', '-p', recordRef('dev'))).not.toContain('CANARY');
    expect(await readRef(repo, lockRef('dev'))).toBeNull();

    const writes = [...stores.values()].map((s) => s.writes);
    const again = await promote(deps(), request());
    expect(again.status).toBe('up-to-date');
    expect([...stores.values()].map((s) => s.writes)).toEqual(writes);
    expect(await listRecords(repo, 'dev')).toHaveLength(1);
  });

  it('restores every store when one refuses a write, and records the failure', async () => {
    stores.get('b')!.faults.rejectApplyCall = 1;
    await expect(
      promote(deps(), request({ apply: { concurrency: 1, retries: 0, timeoutMs: 200 } })),
    ).rejects.toMatchObject({
      code: 'PROMOTION_FAILED',
      exitCode: 4,
    });
    for (const s of stores.values()) expect((await s.read('dev')).values).toEqual({});
    const [record] = await listRecords(repo, 'dev');
    expect(record!.result).toBe('failed');
    expect(record!.stores.map((s) => [s.store, s.outcome])).toEqual([
      ['a', 'restored'],
      ['b', 'failed'],
      ['c', 'skipped'],
    ]);
    expect(await readRef(repo, lockRef('dev'))).toBeNull();
  });

  it('retries transient errors with backoff', async () => {
    stores.get('a')!.faults.unreachableTimes = 2;
    const out = await promote(deps(), request());
    expect(out.status).toBe('succeeded');
    expect(stores.get('a')!.applyCalls).toBe(3);
  });

  it('fails and restores on a timeout', async () => {
    stores.get('c')!.faults.hang = true;
    await expect(promote(deps(), request({ apply: { retries: 0, timeoutMs: 50 } }))).rejects.toMatchObject({
      code: 'PROMOTION_FAILED',
    });
    for (const name of ['a', 'b']) expect((await stores.get(name)!.read('dev')).values).toEqual({});
  });

  it('restores a store whose timed-out write landed anyway (it carries our stamp)', async () => {
    stores.get('b')!.faults.landThenHang = true;
    await expect(
      promote(deps(), request({ apply: { concurrency: 1, retries: 0, timeoutMs: 50 } })),
    ).rejects.toMatchObject({ code: 'PROMOTION_FAILED' });
    for (const s of stores.values()) expect((await s.read('dev')).values).toEqual({});
    const [record] = await listRecords(repo, 'dev');
    expect(record!.stores.map((s) => [s.store, s.outcome])).toEqual([
      ['a', 'restored'],
      ['b', 'failed'],
      ['c', 'skipped'],
    ]);
  });

  it('counts a timed-out write that landed as done when retrying (no double apply)', async () => {
    stores.get('b')!.faults.landThenHang = true;
    const out = await promote(
      deps(),
      request({ apply: { concurrency: 1, retries: 1, backoffMs: 1, timeoutMs: 50 } }),
    );
    expect(out.status).toBe('succeeded');
    expect(stores.get('b')!.applyCalls).toBe(1);
    expect((await stores.get('b')!.read('dev')).stamp?.promotionId).toBe(out.promotionId);
  });

  it('refuses to overwrite a value it did not write, unless forced', async () => {
    stores.get('b')!.data.set('dev', { values: { foreign: 'x' }, revision: '1', stamp: null });
    await expect(promote(deps(), request())).rejects.toMatchObject({ code: 'STORE_DRIFT', exitCode: 1 });
    // Recorded as refused; no store written.
    expect((await listRecords(repo, 'dev')).map((r) => r.result)).toEqual(['refused']);
    expect(stores.get('a')!.writes).toBe(0);
    const out = await promote(deps(), request({ force: true }));
    expect(out.status).toBe('succeeded');
    expect((await listRecords(repo, 'dev'))[0]!.forced).toBe(true);
  });

  it('refuses a stale plan hash, an unknown environment, and a failing check, writing no store', async () => {
    await expect(promote(deps(), request({ planHash: 'f'.repeat(64) }))).rejects.toMatchObject({
      code: 'PLAN_HASH_MISMATCH',
    });
    await expect(promote(deps(), request({ environment: 'qa' }))).rejects.toMatchObject({
      code: 'UNKNOWN_ENVIRONMENT',
      exitCode: 2,
    });
    await expect(
      promote(deps({ runCheck: async () => ['environments/dev/x.yaml:3: bad'] }), request()),
    ).rejects.toMatchObject({ code: 'CHECK_FAILED', exitCode: 1 });
    // Only the check refusal is a recorded attempt (input errors are not attempts).
    const records = await listRecords(repo, 'dev');
    expect(records.map((r) => [r.result, r.refusal?.code])).toEqual([['refused', 'CHECK_FAILED']]);
    expect(records[0]!.refusal!.reasons).toEqual(['environments/dev/x.yaml:3: bad']);
    expect([...stores.values()].every((s) => s.writes === 0 && s.applyCalls === 0)).toBe(true);
  });

  it('records a gate refusal (reasons, decision id) without the lock or any store write; a completed re-run writes nothing', async () => {
    const gate = async (r: { actor: string }) => ({
      allowed: r.actor === 'alice',
      reasons: r.actor === 'alice' ? [] : [`no role of '${r.actor}' may promote to dev`],
      decisionId: `d-${r.actor}`,
      bundleSha256: 'b'.repeat(64),
    });
    const error = await promote(deps({ evaluateGate: gate }), request({ actor: 'mallory' })).then(
      () => null,
      (e: unknown) => e as { code: string; record: string | null; hint: string },
    );
    expect(error).toMatchObject({ code: 'GATE_DENIED', exitCode: 1 });
    expect(error!.record).toMatch(/^[0-9a-f]{40}$/);
    expect(error!.hint).toContain(error!.record!.slice(0, 12));
    expect(await readRef(repo, lockRef('dev'))).toBeNull();
    expect([...stores.values()].every((s) => s.applyCalls === 0)).toBe(true);
    const [refused] = await listRecords(repo, 'dev');
    expect(refused).toMatchObject({
      result: 'refused',
      actor: 'mallory',
      decisionId: 'd-mallory',
      refusal: { code: 'GATE_DENIED', reasons: ["no role of 'mallory' may promote to dev"] },
    });
    expect(refused!.stores.every((s) => s.outcome === 'skipped' && s.writes === 0)).toBe(true);
    const message = temp.git('log', '-1', '--format=%B', recordRef('dev'));
    expect(message).toContain('Llmcm-Result: refused');
    expect(message).toContain('Llmcm-Decision-Id: d-mallory');
    expect(message).toContain("Llmcm-Refusal-Reason: no role of 'mallory' may promote to dev");
    expect(temp.git('log', '-p', recordRef('dev'))).not.toContain('CANARY');
    // The chain with a refused record verifies.
    const { verifyRecords } = await import('../../../src/audit/verify.js');
    expect((await verifyRecords(repo)).problems).toEqual([]);
    // Then alice promotes, and re-running her completed promotion writes nothing at all.
    expect((await promote(deps({ evaluateGate: gate }), request())).status).toBe('succeeded');
    const head = await readRef(repo, recordRef('dev'));
    const again = await promote(deps({ evaluateGate: gate }), request());
    expect(again.status).toBe('up-to-date');
    expect(await readRef(repo, recordRef('dev'))).toBe(head);
    expect((await listRecords(repo, 'dev')).map((r) => r.result)).toEqual(['succeeded', 'refused']);
    expect((await verifyRecords(repo)).ok).toBe(true);
  });

  it('passes approvals to the gate and refuses when it denies', async () => {
    await recordApproval(repo, {
      environment: 'dev',
      source,
      approver: 'bob',
      identity: { name: 'Bob', email: 'bob@example.test' },
    });
    let seen: string[] = [];
    const gate = async (r: { approvals: { approver: string }[] }) => {
      seen = r.approvals.map((a) => a.approver);
      return {
        allowed: seen.length >= 2,
        reasons: ['needs 2 approvals'],
        decisionId: 'd-1',
        bundleSha256: 'b'.repeat(64),
      };
    };
    await expect(promote(deps({ evaluateGate: gate }), request())).rejects.toMatchObject({
      code: 'GATE_DENIED',
    });
    expect(seen).toEqual(['bob']);
    await recordApproval(repo, {
      environment: 'dev',
      source,
      approver: 'eve',
      identity: { name: 'Eve', email: 'e@x.test' },
    });
    const out = await promote(deps({ evaluateGate: gate }), request());
    expect(out.status).toBe('succeeded');
    const [record] = await listRecords(repo, 'dev');
    expect(record!.decisionId).toBe('d-1');
    expect(record!.approvals.map((a) => a.split('@')[0])).toEqual(['bob', 'eve']);
  });

  it('gives the loser of a held lock a clear error naming the holder', async () => {
    await acquireLock(
      repo,
      { promotionId: 'p-other', environment: 'dev', actor: 'mallory', source, planHash: 'h' },
      {
        name: 'x',
        email: 'x@x',
      },
    );
    await expect(promote(deps(), request())).rejects.toMatchObject({
      code: 'LOCK_HELD',
      exitCode: 4,
      message: expect.stringContaining('mallory'),
    });
  });

  it('lets exactly one of two concurrent promotions succeed', async () => {
    const results = await Promise.allSettled([
      promote(deps(), request()),
      promote(deps(), request({ actor: 'bob' })),
    ]);
    const ok = results.filter((r) => r.status === 'fulfilled');
    expect(ok).toHaveLength(1);
    const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(['LOCK_HELD', 'PLAN_CHANGED', 'STORE_CONFLICT', 'PROMOTION_FAILED']).toContain(failed.reason.code);
  });

  it('recovers a stale lock left by a killed promotion and completes', async () => {
    // Simulate: promotion p-dead applied store a, then its process died holding the lock.
    const stale = await acquireLock(
      repo,
      { promotionId: 'p-dead', environment: 'dev', actor: 'alice', source, planHash: 'h' },
      {
        name: 'x',
        email: 'x@x',
      },
    );
    const { computeContentHash } = await import('../../../src/stores/content-hash.js');
    const values = desired[source]!;
    stores.get('a')!.data.set('dev', {
      values,
      revision: '1',
      stamp: { promotionId: 'p-dead', contentHash: computeContentHash(values) },
    });
    // Make the lock look dead: rewrite its holder pid to one that does not exist.
    const lock = (await readLock(repo, 'dev'))!;
    expect(lock.oid).toBe(stale);
    const { updateRefCas } = await import('../../../src/repo/ref-update.js');
    const { writeCommitObject } = await import('../../../src/repo/commits.js');
    const deadOid = await writeCommitObject(repo, {
      message: 'lock\n',
      files: { 'lock.json': JSON.stringify({ ...lock.holder, pid: 2 ** 22 + 12345 }) },
      parents: [],
      author: { name: 'x', email: 'x@x' },
    });
    await updateRefCas(repo, lockRef('dev'), stale, deadOid);
    const out = await promote(deps(), request());
    expect(out.recovered?.promotionId).toBe('p-dead');
    expect(out.status).toBe('succeeded');
    expect(out.stores.map((s) => s.outcome)).toEqual(['unchanged', 'applied', 'applied']);
    const records = await listRecords(repo, 'dev');
    expect(records.map((r) => r.result)).toEqual(['succeeded', 'interrupted']);
  });

  it('keeps the lock when the record cannot be written after an apply, so the next run recovers', async () => {
    const { mkdirSync, writeFileSync, rmSync } = await import('node:fs');
    mkdirSync(`${temp.dir}/.git/refs/llmcm/promotions`, { recursive: true });
    writeFileSync(`${temp.dir}/.git/refs/llmcm/promotions/dev.lock`, '');
    await expect(promote(deps(), request())).rejects.toMatchObject({ code: 'RECORD_FAILED', exitCode: 4 });
    rmSync(`${temp.dir}/.git/refs/llmcm/promotions/dev.lock`);
    const lock = (await readLock(repo, 'dev'))!;
    expect(lock.holder.actor).toBe('alice');
    const applied = (await stores.get('a')!.read('dev')).stamp!.promotionId;
    expect(applied).toBe(lock.holder.promotionId);
    // This process is alive, so the lock is live: a second run is refused, naming the holder.
    await expect(promote(deps(), request())).rejects.toMatchObject({ code: 'LOCK_HELD' });
    // Once the holder is gone, the next run records the attempt and finds the stores already done.
    const { updateRefCas } = await import('../../../src/repo/ref-update.js');
    const { writeCommitObject } = await import('../../../src/repo/commits.js');
    const dead = await writeCommitObject(repo, {
      message: 'lock\n',
      files: { 'lock.json': JSON.stringify({ ...lock.holder, pid: 2 ** 22 + 54321 }) },
      parents: [],
      author: { name: 'x', email: 'x@x' },
    });
    await updateRefCas(repo, lockRef('dev'), lock.oid, dead);
    const out = await promote(deps(), request());
    expect(out.recovered?.promotionId).toBe(applied);
    expect(out.stores.map((s) => s.outcome)).toEqual(['unchanged', 'unchanged', 'unchanged']);
    expect((await listRecords(repo, 'dev')).map((r) => r.result)).toEqual(['succeeded', 'interrupted']);
    expect(await readRef(repo, lockRef('dev'))).toBeNull();
  });

  it('never mixes two promotions from different clones (no shared lock): store CAS decides', async () => {
    const other = createTempRepo();
    try {
      const otherRepo = await openRepository(other.dir);
      const otherSource = other.commit({ 'README.md': 'y' });
      desired[otherSource] = { 'providers.openai.api_key': 'other', 'models.gpt.temperature': '0.9' };
      for (let round = 0; round < 5; round++) {
        for (const s of stores.values()) s.data.clear();
        const results = await Promise.allSettled([
          promote(deps(), request({ apply: { concurrency: 1, retries: 0, timeoutMs: 500 } })),
          promote(
            { ...deps(), repo: otherRepo },
            request({ source: otherSource, apply: { concurrency: 1, retries: 0, timeoutMs: 500 } }),
          ),
        ]);
        expect(results.filter((r) => r.status === 'fulfilled').length).toBeLessThanOrEqual(1);
        const states = await Promise.all([...stores.values()].map((s) => s.read('dev')));
        const temps = new Set(states.map((st) => st.values['models.gpt.temperature'] ?? 'none'));
        // Every store holds the same promotion's values, or all are back to empty.
        expect(temps.size).toBe(1);
      }
    } finally {
      other.remove();
    }
  });
});
