import { LlmcmError } from '../core/errors.js';
import {
  type CommitSigner,
  formatMessage,
  listCommits,
  parseTrailers,
  readCommitInfo,
  trailerValues,
  writeCommitObject,
} from '../repo/commits.js';
import { updateRefCas } from '../repo/ref-update.js';
import { type GitIdentity, type Repository, readRef } from '../repo/repository.js';

/**
 * Approvals are signed-off commits on refs/llmcm/approvals/<env>, one per approval, chained.
 * We chose commits over git notes because a notes ref holds one note per object (two approvers
 * would have to merge a note) and isomorphic-git's addNote has no compare-and-set.
 */
export interface Approval {
  /** The approval record (commit) id. */
  id: string;
  environment: string;
  /** The source commit approved. */
  source: string;
  approver: string;
  signedOffBy: string;
  at: string;
  signed: boolean;
}

/** The ref holding an environment's approvals. */
export function approvalRef(environment: string): string {
  return `refs/llmcm/approvals/${environment}`;
}

/** Records an approval of `source` for `environment` by `approver`; returns the approval id. */
export async function recordApproval(
  repo: Repository,
  args: {
    environment: string;
    source: string;
    approver: string;
    identity: GitIdentity;
    timestamp?: number;
    /** Optional commit signing (src/repo/signing.ts). */
    signer?: { onSign: CommitSigner; signingKey: string };
  },
): Promise<Approval> {
  const ref = approvalRef(args.environment);
  const message = formatMessage(
    `approve ${args.environment}: ${args.source.slice(0, 12)} by ${args.approver}`,
    '',
    [
      { key: 'Llmcm-Approval-Of', value: args.source },
      { key: 'Llmcm-Environment', value: args.environment },
      { key: 'Llmcm-Approver', value: args.approver },
      { key: 'Signed-off-by', value: `${args.identity.name} <${args.identity.email}>` },
    ],
  );
  for (let attempt = 0; ; attempt++) {
    const parent = await readRef(repo, ref);
    const oid = await writeCommitObject(repo, {
      message,
      files: {},
      parents: parent ? [parent] : [],
      author: args.identity,
      ...(args.timestamp !== undefined ? { timestamp: args.timestamp } : {}),
      ...(args.signer ? { onSign: args.signer.onSign, signingKey: args.signer.signingKey } : {}),
    });
    try {
      await updateRefCas(repo, ref, parent, oid);
      return (await readApproval(repo, oid))!;
    } catch (error) {
      if (attempt >= 5 || (error as LlmcmError).code !== 'REF_CONFLICT') throw error;
    }
  }
}

/** Reads one approval record, or null when the commit is not one (or does not exist). */
export async function readApproval(repo: Repository, oid: string): Promise<Approval | null> {
  let info: Awaited<ReturnType<typeof readCommitInfo>>;
  try {
    info = await readCommitInfo(repo, oid);
  } catch {
    return null;
  }
  const t = parseTrailers(info.message);
  const source = trailerValues(t, 'Llmcm-Approval-Of')[0];
  const environment = trailerValues(t, 'Llmcm-Environment')[0];
  const approver = trailerValues(t, 'Llmcm-Approver')[0];
  if (!source || !environment || !approver) return null;
  return {
    id: oid,
    environment,
    source,
    approver,
    signedOffBy: trailerValues(t, 'Signed-off-by')[0] ?? '',
    at: new Date(info.author.timestamp * 1000).toISOString(),
    signed: info.signed,
  };
}

/** Every approval recorded for an environment, oldest first. */
export async function listApprovals(repo: Repository, environment: string): Promise<Approval[]> {
  const head = await readRef(repo, approvalRef(environment));
  if (!head) return [];
  const out: Approval[] = [];
  for (const c of await listCommits(repo, head, { firstParent: true })) {
    const a = await readApproval(repo, c.oid);
    if (a) out.push(a);
  }
  return out.reverse();
}

/**
 * The approvals that count for promoting `source` to `environment`: the ones named with
 * `--approval` (ids or unique prefixes), or, when none are named, all recorded for that source.
 * One approval per approver; a named approval for another source or environment is an error.
 */
export async function collectApprovals(
  repo: Repository,
  environment: string,
  source: string,
  named: readonly string[],
): Promise<Approval[]> {
  const all = await listApprovals(repo, environment);
  let chosen: Approval[];
  if (named.length === 0) {
    chosen = all.filter((a) => a.source === source);
  } else {
    chosen = named.map((id) => {
      const matches = all.filter((a) => a.id.startsWith(id.toLowerCase()));
      if (matches.length !== 1) {
        throw new LlmcmError(
          `approval '${id}' ${matches.length === 0 ? 'is not recorded' : 'is ambiguous'} on ${approvalRef(environment)}`,
          {
            code: 'APPROVAL_NOT_FOUND',
            kind: 'input',
            hint: `record it with 'llmcm approve ${environment} <source-commit>'`,
          },
        );
      }
      const a = matches[0]!;
      if (a.source !== source) {
        throw new LlmcmError(
          `approval ${a.id.slice(0, 12)} approves ${a.source.slice(0, 12)}, not ${source.slice(0, 12)}`,
          {
            code: 'APPROVAL_MISMATCH',
            kind: 'input',
          },
        );
      }
      return a;
    });
  }
  const byApprover = new Map<string, Approval>();
  for (const a of chosen) if (!byApprover.has(a.approver)) byApprover.set(a.approver, a);
  return [...byApprover.values()];
}
