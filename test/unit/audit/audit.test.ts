import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderAuditCsv } from '../../../src/audit/export.js';
import { auditKeys } from '../../../src/audit/key-history.js';
import { type PromotionRecord, recordRef, writeRecord } from '../../../src/audit/record.js';
import { verifyRecords } from '../../../src/audit/verify.js';
import { planPromotion } from '../../../src/promote/plan.js';
import { openRepository, type Repository } from '../../../src/repo/repository.js';
import { createTempRepo, type TempRepo } from '../repo/temp-repo.js';

const key = Buffer.from('audit-key');
let temp: TempRepo;
let repo: Repository;
beforeEach(async () => {
  temp = createTempRepo();
  repo = await openRepository(temp.dir);
});
afterEach(() => temp.remove());

async function record(
  environment: string,
  source: string,
  extra: Partial<PromotionRecord> = {},
): Promise<string> {
  const plan = planPromotion({
    environment,
    source,
    stores: [],
    knownPromotionIds: new Set(),
    fingerprint: () => 'fp:0',
  });
  return writeRecord(
    repo,
    {
      promotionId: `p-${source.slice(0, 6)}`,
      operation: 'promote',
      environment,
      source,
      actor: 'alice',
      approvals: [],
      decisionId: null,
      bundleSha256: null,
      planHash: plan.hash,
      result: 'succeeded',
      stores: [],
      durationMs: 1,
      startedAt: '2026-01-01T00:00:00.000Z',
      forced: false,
      ...extra,
    },
    { committer: { name: 'llmcm', email: 'l@x' }, planJson: JSON.stringify(plan) },
  );
}

describe('audit of keys', () => {
  it('reports who changed which key when, with PRs and the promotions that carried it, without values', async () => {
    const c1 = temp.commit(
      { 'environments/dev/providers.yaml': 'openai:\n  api_key: sk-CANARY-one\n  timeout: 30\n' },
      'add openai',
    );
    await record('dev', c1);
    temp.commit({ 'README.md': 'unrelated' }, 'docs only');
    temp.commit(
      { 'environments/dev/providers.yaml': 'openai:\n  api_key: sk-CANARY-two\n  timeout: 30\n' },
      'rotate key (#7)',
      'Bob <bob@x.test>',
    );
    const c3 = temp.commit({ 'environments/dev/providers.yaml': 'openai:\n  timeout: 30\n' }, 'drop key');
    await record('dev', c3);
    const events = await auditKeys(repo, {
      directory: 'environments',
      environments: ['dev'],
      fingerprintKey: key,
    });
    const apiKey = events.filter((e) => e.key === 'providers.openai.api_key');
    expect(apiKey.map((e) => [e.action, e.author, e.pr])).toEqual([
      ['added', 'Ada', null],
      ['changed', 'Bob', 7],
      ['removed', 'Ada', null],
    ]);
    expect(apiKey[0]!.promotions).toEqual([`dev:p-${c1.slice(0, 6)}`]);
    expect(apiKey[1]!.promotions).toEqual([]);
    const timeout = events.find((e) => e.key === 'providers.openai.timeout')!;
    expect(timeout.promotions).toHaveLength(2);
    const outputs = JSON.stringify(events) + renderAuditCsv(events);
    expect(outputs).not.toContain('CANARY');
    // Filters, and a second run served from the blob cache gives the same answer.
    const only = await auditKeys(repo, {
      directory: 'environments',
      environments: ['dev'],
      fingerprintKey: key,
      key: 'providers.openai.api_key',
      since: new Date(Date.now() + 60_000),
    });
    expect(only).toEqual([]);
    expect(
      await auditKeys(repo, { directory: 'environments', environments: ['dev'], fingerprintKey: key }),
    ).toEqual(events);
  });

  it('credits a promotion of a branch commit to the value it carried', async () => {
    temp.commit({ 'environments/dev/flags.yaml': 'beta:\n  enabled: true\n' }, 'add beta');
    temp.git('checkout', '-q', '-b', 'feature');
    const onBranch = temp.commit({ 'README.md': 'branch work' }, 'branch work');
    temp.git('checkout', '-q', 'main');
    temp.commit({ 'environments/dev/flags.yaml': 'beta:\n  enabled: false\n' }, 'turn beta off');
    await record('dev', onBranch);
    const events = await auditKeys(repo, {
      directory: 'environments',
      environments: ['dev'],
      fingerprintKey: key,
    });
    const beta = events.filter((e) => e.key === 'flags.beta.enabled');
    expect(beta.map((e) => [e.action, e.promotions.length])).toEqual([
      ['added', 1],
      ['changed', 0],
    ]);
  });

  it('writes CSV with quoting and formula neutralisation', () => {
    const csv = renderAuditCsv([
      {
        environment: 'dev',
        file: 'a,b.yaml',
        key: '=cmd',
        action: 'added',
        commit: 'c',
        author: 'A "q"',
        email: 'e',
        date: 'd',
        pr: null,
        fingerprint: 'fp:1',
        encrypted: false,
        promotions: [],
      },
    ]);
    expect(csv.split('\r\n')[1]).toBe(`d,dev,"a,b.yaml",'=cmd,added,c,"A ""q""",e,,fp:1,false,`);
  });
});

describe('audit verify', () => {
  it('accepts an intact chain', async () => {
    const c1 = temp.commit({ f: '1' });
    await record('dev', c1);
    await record('dev', c1, { result: 'failed' });
    const report = await verifyRecords(repo);
    expect(report.problems).toEqual([]);
    expect(report.environments[0]!.records).toBe(2);
  });

  it('reports an edited record, a rewritten record ref, and a source dropped from history', async () => {
    const c1 = temp.commit({ f: '1' });
    const first = await record('dev', c1);
    const second = await record('dev', c1);
    // Rewrite: point the ref back at the first record (dropping the second), with git itself.
    temp.git('update-ref', recordRef('dev'), first);
    let report = await verifyRecords(repo);
    expect(report.ok).toBe(false);
    expect(report.problems.map((p) => p.message).join('\n')).toMatch(/rewritten/);
    temp.git('update-ref', recordRef('dev'), second);
    expect((await verifyRecords(repo)).ok).toBe(true);

    // Edit: amend a record's message (trailers no longer match record.json).
    const edited = temp.git(
      'commit-tree',
      `${second}^{tree}`,
      '-p',
      first,
      '-m',
      'promote dev\n\nLlmcm-Promotion-Id: p-x\nLlmcm-Result: succeeded',
    );
    temp.git('update-ref', recordRef('dev'), edited);
    report = await verifyRecords(repo);
    expect(report.problems.some((p) => /trailers do not match/.test(p.message))).toBe(true);
    expect(report.problems.some((p) => /rewritten/.test(p.message))).toBe(true);
  });

  it('reports a promoted source that is no longer on any branch', async () => {
    temp.commit({ f: '1' });
    const c2 = temp.commit({ f: '2' });
    await record('dev', c2);
    temp.git('reset', '-q', '--hard', 'HEAD~1');
    const report = await verifyRecords(repo);
    expect(report.problems.map((p) => p.message).join('\n')).toMatch(/no longer on any branch/);
  });

  it('checks that cited approvals exist and approve the promoted source', async () => {
    const c1 = temp.commit({ f: '1' });
    const c2 = temp.commit({ f: '2' });
    const { recordApproval } = await import('../../../src/promote/approvals.js');
    const who = { name: 'Bob', email: 'b@x' };
    const good = await recordApproval(repo, {
      environment: 'dev',
      source: c1,
      approver: 'bob',
      identity: who,
    });
    const other = await recordApproval(repo, {
      environment: 'dev',
      source: c2,
      approver: 'eve',
      identity: who,
    });
    await record('dev', c1, { approvals: [`bob@${good.id}`] });
    expect((await verifyRecords(repo)).ok).toBe(true);
    await record('dev', c1, { approvals: [`eve@${other.id}`, `mallory@${'0'.repeat(40)}`] });
    const messages = (await verifyRecords(repo)).problems.map((p) => p.message);
    expect(messages.filter((m) => /cited approval/.test(m))).toHaveLength(2);
  });

  it('reports a plan that does not rehash', async () => {
    const c1 = temp.commit({ f: '1' });
    await record('dev', c1, { planHash: 'f'.repeat(64) });
    const report = await verifyRecords(repo);
    expect(report.problems.map((p) => p.message)).toContain(
      'the stored plan does not rehash to Llmcm-Plan-Hash',
    );
  });
});
