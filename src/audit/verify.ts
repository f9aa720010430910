import { readApproval } from '../promote/approvals.js';
import { hashPlan, type PromotionPlan } from '../promote/plan.js';
import { isAncestor, parseTrailers, readCommitInfo, type Trailer } from '../repo/commits.js';
import { hasObject, listHistoryRoots, listRefsUnder, type Repository, readRef } from '../repo/repository.js';
import { readCheckpoint, writeCheckpoint } from './checkpoint.js';
import { readRecord, readRecordPlan, recordTrailers } from './record.js';

/** One problem found in the record chain. */
export interface VerifyProblem {
  environment: string;
  /** The record commit concerned (or the ref head). */
  record: string;
  severity: 'error' | 'warning';
  message: string;
}

/** The result of `llmcm audit verify`. */
export interface VerifyReport {
  environments: { environment: string; head: string; records: number }[];
  problems: VerifyProblem[];
  ok: boolean;
}

function sameTrailers(a: readonly Trailer[], b: readonly Trailer[]): boolean {
  // formatMessage folds line breaks inside a value; compare the same way.
  const fold = (v: string) => v.replace(/\s*\n\s*/g, ' ');
  return (
    a.length === b.length && a.every((t, i) => t.key === b[i]!.key && fold(t.value) === fold(b[i]!.value))
  );
}

/**
 * Checks every promotion record chain: each record parses, its trailers match its record.json, its
 * parent is a record of the same environment, its source commit exists and is still reachable from a
 * branch or tag, the approvals it cites exist and approve that source, its plan rehashes to the recorded plan hash, and the chain still contains the head
 * llmcm saw last (a rewritten record ref is reported). A clean run moves that checkpoint forward.
 */
export async function verifyRecords(repo: Repository): Promise<VerifyReport> {
  const problems: VerifyProblem[] = [];
  const environments: VerifyReport['environments'] = [];
  const roots = await listHistoryRoots(repo);
  const checkpoint = readCheckpoint(repo);
  const refs = await listRefsUnder(repo, 'refs/llmcm/promotions');
  const seenEnvs = new Set<string>();
  for (const ref of refs) {
    const environment = ref.slice('refs/llmcm/promotions/'.length);
    seenEnvs.add(environment);
    const head = (await readRef(repo, ref))!;
    const chain = new Set<string>();
    const add = (record: string, message: string, severity: VerifyProblem['severity'] = 'error') =>
      problems.push({ environment, record, severity, message });
    let count = 0;
    let next: string | null = head;
    while (next) {
      const oid: string = next;
      chain.add(oid);
      count++;
      let record: Awaited<ReturnType<typeof readRecord>>;
      try {
        record = await readRecord(repo, oid);
      } catch {
        add(oid, 'commit in the record chain is not a promotion record');
        break;
      }
      const info = await readCommitInfo(repo, oid);
      if (info.parents.length > 1) add(oid, 'record commit has more than one parent');
      if (record.environment !== environment)
        add(oid, `record names environment '${record.environment}' on ${ref}`);
      if (!sameTrailers(parseTrailers(info.message), recordTrailers(record))) {
        add(oid, 'trailers do not match the record.json stored in the commit (edited record?)');
      }
      if (!(await hasObject(repo, record.source))) {
        add(
          oid,
          `source commit ${record.source.slice(0, 12)} does not exist (history rewritten or not fetched)`,
        );
      } else {
        let reachable = false;
        for (const root of roots) {
          if (await isAncestor(repo, record.source, root)) {
            reachable = true;
            break;
          }
        }
        if (!reachable) {
          add(
            oid,
            `source commit ${record.source.slice(0, 12)} is no longer on any branch or tag (rewritten history?)`,
          );
        }
      }
      for (const cited of record.approvals) {
        const at = cited.lastIndexOf('@');
        const approval = await readApproval(repo, cited.slice(at + 1));
        if (
          !approval ||
          approval.approver !== cited.slice(0, at) ||
          approval.source !== record.source ||
          approval.environment !== environment
        ) {
          add(
            oid,
            `cited approval ${cited.slice(0, at + 13)} is missing or does not approve this source for ${environment}`,
          );
        }
      }
      if (record.result !== 'interrupted') {
        const planText = await readRecordPlan(repo, oid);
        let rehash: string | null = null;
        try {
          rehash = planText ? hashPlan(JSON.parse(planText) as PromotionPlan) : null;
        } catch {
          rehash = null;
        }
        if (rehash !== record.planHash) add(oid, 'the stored plan does not rehash to Llmcm-Plan-Hash');
      }
      next = record.parent;
    }
    const seen = checkpoint[environment];
    if (seen && !chain.has(seen)) {
      add(
        head,
        `record chain was rewritten: the head seen earlier (${seen.slice(0, 12)}) is no longer in it`,
      );
    }
    environments.push({ environment, head, records: count });
  }
  for (const [environment, seen] of Object.entries(checkpoint)) {
    if (!seenEnvs.has(environment)) {
      problems.push({
        environment,
        record: seen,
        severity: 'error',
        message: `record ref of '${environment}' was deleted`,
      });
    }
  }
  const ok = !problems.some((p) => p.severity === 'error');
  if (ok) for (const e of environments) writeCheckpoint(repo, e.environment, e.head);
  return { environments, problems, ok };
}
