import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listRecords, recordRef } from '../../../src/audit/record.js';
import { verifyRecords } from '../../../src/audit/verify.js';
import { collectApprovals, listApprovals, recordApproval } from '../../../src/promote/approvals.js';
import { detectDrift } from '../../../src/promote/drift.js';
import { type PromotionDeps, promote } from '../../../src/promote/promote.js';
import { findRollbackTarget } from '../../../src/promote/rollback.js';
import { resolveSource } from '../../../src/promote/source.js';
import { openRepository, type Repository } from '../../../src/repo/repository.js';
import type { StoreConfig } from '../../../src/stores/types.js';
import { createTempRepo, type TempRepo } from '../repo/temp-repo.js';
import { MemoryStore } from './memory-store.js';

let temp: TempRepo;
let repo: Repository;
let store: MemoryStore;
const desired = new Map<string, Record<string, string>>();

function deps(extra: Partial<PromotionDeps> = {}): PromotionDeps {
  return {
    repo,
    environments: ['dev', 'staging', 'prod'],
    storeConfigs: () => [{ name: 'mem', kind: 'file' } as StoreConfig],
    openStore: async () => store,
    loadDesired: async (_env, commit) => ({
      values: desired.get(commit) ?? {},
      secretKeys: new Set(['k.secret']),
    }),
    fingerprintKey: Buffer.from('k'),
    identity: { name: 'llmcm', email: 'llmcm@example.test' },
    ...extra,
  };
}

const run = (environment: string, source: string, extra = {}) =>
  promote(deps(), {
    environment,
    source,
    actor: 'alice',
    approvalIds: [],
    force: false,
    operation: 'promote',
    ...extra,
  });

beforeEach(async () => {
  temp = createTempRepo();
  repo = await openRepository(temp.dir);
  store = new MemoryStore('mem');
  desired.clear();
});
afterEach(() => temp.remove());

describe('rollback', () => {
  it('promotes the previous source again through the same path, recorded as a rollback', async () => {
    const c1 = temp.commit({ f: '1' });
    desired.set(c1, { 'k.a': '1', 'k.secret': 'one' });
    const c2 = temp.commit({ f: '2' });
    desired.set(c2, { 'k.a': '2', 'k.secret': 'two' });
    await run('dev', c1);
    await run('dev', c2);
    const target = await findRollbackTarget(repo, 'dev', undefined);
    expect(target.source).toBe(c1);
    const out = await run('dev', target.source, { operation: 'rollback' });
    expect(out.status).toBe('succeeded');
    expect((await store.read('dev')).values).toEqual({ 'k.a': '1', 'k.secret': 'one' });
    const records = await listRecords(repo, 'dev');
    expect(records.map((r) => r.operation)).toEqual(['rollback', 'promote', 'promote']);
    expect((await findRollbackTarget(repo, 'dev', records[1]!.promotionId)).source).toBe(c2);
    await expect(findRollbackTarget(repo, 'dev', 'p-nope')).rejects.toMatchObject({
      code: 'PROMOTION_NOT_FOUND',
    });
  });
});

describe('drift', () => {
  it('is clean after a promotion and reports a store edited outside llmcm, key by key', async () => {
    const c1 = temp.commit({ f: '1' });
    desired.set(c1, { 'k.a': '1', 'k.secret': 'CANARY-secret-value' });
    await run('dev', c1);
    expect((await detectDrift(deps(), 'dev')).drifted).toBe(false);
    const state = store.data.get('dev')!;
    state.values['k.a'] = 'edited by hand';
    const report = await detectDrift(deps(), 'dev');
    expect(report.drifted).toBe(true);
    expect(report.stores[0]!.reasons.join(' ')).toMatch(/edited outside llmcm/);
    expect(report.stores[0]!.changes.map((c) => [c.key, c.action])).toEqual([['k.a', 'change']]);
    expect(JSON.stringify(report)).not.toContain('CANARY');
    expect((await detectDrift(deps(), 'staging')).stores[0]!.status).toBe('never-promoted');
  });
});

describe('drift from another clone (different fingerprint key)', () => {
  it('falls back to the stamp: clean when untouched, drifted when edited', async () => {
    const c1 = temp.commit({ f: '1' });
    desired.set(c1, { 'k.a': '1' });
    await run('dev', c1);
    const elsewhere = deps({ fingerprintKey: Buffer.from('another clone') });
    expect((await detectDrift(elsewhere, 'dev')).drifted).toBe(false);
    store.data.get('dev')!.values['k.a'] = 'edited';
    expect((await detectDrift(elsewhere, 'dev')).drifted).toBe(true);
  });
});

describe('approvals', () => {
  it('records signed-off approvals and refuses one for another source', async () => {
    const c1 = temp.commit({ f: '1' });
    const c2 = temp.commit({ f: '2' });
    const bob = { name: 'Bob', email: 'bob@x.test' };
    const a1 = await recordApproval(repo, {
      environment: 'prod',
      source: c1,
      approver: 'bob',
      identity: bob,
    });
    await recordApproval(repo, { environment: 'prod', source: c2, approver: 'eve', identity: bob });
    expect(temp.git('log', '-1', '--format=%(trailers:key=Signed-off-by,valueonly)', a1.id)).toBe(
      'Bob <bob@x.test>',
    );
    expect((await listApprovals(repo, 'prod')).map((a) => a.approver)).toEqual(['bob', 'eve']);
    expect((await collectApprovals(repo, 'prod', c1, [])).map((a) => a.approver)).toEqual(['bob']);
    expect((await collectApprovals(repo, 'prod', c1, [a1.id.slice(0, 10)]))[0]!.id).toBe(a1.id);
    await expect(collectApprovals(repo, 'prod', c2, [a1.id])).rejects.toMatchObject({
      code: 'APPROVAL_MISMATCH',
    });
    await expect(collectApprovals(repo, 'prod', c1, ['deadbeef'])).rejects.toMatchObject({
      code: 'APPROVAL_NOT_FOUND',
    });
  });
});

describe('sources', () => {
  it('resolves --from to the last successful promotion and enforces the promotion order', async () => {
    const c1 = temp.commit({ f: '1' });
    desired.set(c1, { 'k.a': '1' });
    await run('dev', c1);
    const order = ['dev', 'staging', 'prod'];
    expect((await resolveSource(repo, 'staging', { from: 'dev' }, order)).commit).toBe(c1);
    await expect(resolveSource(repo, 'dev', { from: 'prod' }, order)).rejects.toMatchObject({
      code: 'PROMOTION_ORDER',
    });
    await expect(resolveSource(repo, 'prod', { from: 'staging' }, order)).rejects.toMatchObject({
      code: 'SOURCE_REF_NOT_FOUND',
    });
    await expect(resolveSource(repo, 'prod', { from: 'dev', ref: 'HEAD' }, order)).rejects.toMatchObject({
      code: 'USAGE',
    });
  });
});

describe('signed records', () => {
  it('passes the commit payload to onSign and stores the signature in the record commit', async () => {
    const c1 = temp.commit({ f: '1' });
    desired.set(c1, { 'k.a': '1' });
    const payloads: string[] = [];
    const onSign = async ({ payload }: { payload: string }) => {
      payloads.push(payload);
      return { signature: '-----BEGIN PGP SIGNATURE-----\n\nZmFrZQ==\n-----END PGP SIGNATURE-----' };
    };
    await promote(deps({ onSign }), {
      environment: 'dev',
      source: c1,
      actor: 'alice',
      approvalIds: [],
      force: false,
      operation: 'promote',
    });
    expect(payloads).toHaveLength(1);
    expect(payloads[0]).toContain('Llmcm-Result: succeeded');
    expect(temp.git('cat-file', '-p', recordRef('dev'))).toContain('gpgsig -----BEGIN PGP SIGNATURE-----');
    const [record] = await listRecords(repo, 'dev');
    expect(record!.signed).toBe(true);
    expect((await verifyRecords(repo)).ok).toBe(true);
  });
});
