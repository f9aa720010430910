import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { hashCanonical } from './canonical-json.js';

/**
 * One policy decision in OPA's decision-log shape (https://www.openpolicyagent.org/docs/management-decision-logs).
 * OPA writes none when wasm is evaluated from Node, so llmcm does. The raw input is never kept: it is
 * erased and replaced by `input_sha256` (sha256 of its canonical JSON), since it describes secrets.
 */
export interface DecisionRecord {
  decision_id: string;
  /** The entrypoint, e.g. `llmcm/access/decision`. */
  path: string;
  input_sha256: string;
  erased: ['/input'];
  result: unknown;
  bundles: { llmcm: { revision: string } };
  policy: { wasm_sha256: string; bundle_sha256: string; source_hash: string; opa_version: string };
  timestamp: string;
  labels: { app: 'llmcm'; action?: string; actor?: string; environment?: string };
  requested_by: string;
  metrics: { timer_wasm_eval_ns: number };
}

/** What the engine knows about the bundle it evaluates, for records. */
export interface DecisionContext {
  revision: string;
  wasmSha256: string;
  bundleSha256: string;
  sourceHash: string;
  opaVersion: string;
}

/** Builds the record of one evaluation. */
export function createDecisionRecord(
  context: DecisionContext,
  path: string,
  input: unknown,
  result: unknown,
  evalNs: number,
  now: Date = new Date(),
): DecisionRecord {
  const labels: DecisionRecord['labels'] = { app: 'llmcm' };
  if (input && typeof input === 'object' && !Array.isArray(input)) {
    const object = input as { action?: unknown; actor?: { id?: unknown }; environment?: unknown };
    if (typeof object.action === 'string') labels.action = object.action;
    if (typeof object.actor?.id === 'string') labels.actor = object.actor.id;
    if (typeof object.environment === 'string') labels.environment = object.environment;
  }
  return {
    decision_id: randomUUID(),
    path,
    input_sha256: hashCanonical(input),
    erased: ['/input'],
    result,
    bundles: { llmcm: { revision: context.revision } },
    policy: {
      wasm_sha256: context.wasmSha256,
      bundle_sha256: context.bundleSha256,
      source_hash: context.sourceHash,
      opa_version: context.opaVersion,
    },
    timestamp: now.toISOString(),
    labels,
    requested_by: 'llmcm',
    metrics: { timer_wasm_eval_ns: evalNs },
  };
}

/** Appends records to a JSONL decision log (one JSON object per line), creating its folder. */
export function appendDecisionRecords(logPath: string, records: readonly DecisionRecord[]): void {
  if (records.length === 0) return;
  mkdirSync(dirname(logPath), { recursive: true });
  appendFileSync(logPath, records.map((r) => `${JSON.stringify(r)}\n`).join(''), { mode: 0o600 });
}

/** The commit the policies were read at (HEAD of the repo holding `root`), or `unknown` outside git. */
export async function resolveRevision(root: string): Promise<string> {
  try {
    // CommonJS package: `.default` is module.exports both under Node's loader and in the bundled CLI.
    const git = (await import('isomorphic-git')).default;
    const dir = await git.findRoot({ fs, filepath: root });
    return await git.resolveRef({ fs, dir, ref: 'HEAD' });
  } catch {
    return 'unknown';
  }
}
