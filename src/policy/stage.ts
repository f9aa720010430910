import type { Finding } from '../core/findings.js';
import type { DecisionRecord } from './decision-log.js';
import {
  type AccessResult,
  type ConfigPolicyResult,
  loadPolicyEngine,
  type PolicyEngine,
  type PolicyPass,
} from './engine.js';
import { type LocateValue, policyFindings } from './findings.js';
import { hasPolicies } from './policy-sources.js';
import { redactConfig } from './redact.js';

/** An environment as the policy stage needs it (structurally, what src/config's loader returns). */
export interface PolicyStageEnvironment {
  name: string;
  /** Document kind -> merged document (plaintext or ENC[...] values; redacted here before use). */
  tree: Record<string, unknown>;
  /** JSON pointer -> where the value came from. */
  provenance?: ReadonlyMap<string, { file: string; line: number; column: number; layer: string }>;
  /** JSON pointers of values stored encrypted. */
  secrets?: ReadonlyMap<string, unknown> | ReadonlySet<string>;
  /** Files read, in layer order (the last file of a kind is the one findings point at). */
  files?: ReadonlyArray<{ file: string; layer: string; kind: string }>;
}

/** Keys added, removed and changed in one environment (JSON pointers; never values). */
export interface EnvironmentChange {
  added?: string[];
  removed?: string[];
  changed?: string[];
}

/** Options of `runPolicyStage`. */
export interface RunPolicyStageOptions {
  root: string;
  environments: readonly PolicyStageEnvironment[];
  /** Per environment; enables the change-window rule and (with `actor`) the access check. */
  change?: Record<string, EnvironmentChange>;
  /** Evaluation time; default the clock, normalized to an RFC 3339 UTC second. */
  now?: Date | string;
  /** Who makes the change: when given with `change`, access control is checked too. */
  actor?: string;
  /** Reuse a loaded engine (one per run). */
  engine?: PolicyEngine;
  decisionLog?: string | false;
  env?: NodeJS.ProcessEnv;
}

/** Output of the policy stage for `llmcm check`. */
export interface PolicyStageResult {
  findings: Finding[];
  decisions: DecisionRecord[];
  passes: PolicyPass[];
  config?: ConfigPolicyResult;
  access?: AccessResult;
  /** Set when the stage did not run (no policies in this project). */
  skipped?: string;
}

/** `2026-11-27T09:30:00Z`: the only time format the policies compare (as strings). */
export function formatPolicyTime(now: Date | string = new Date()): string {
  const date = typeof now === 'string' ? new Date(now) : now;
  if (Number.isNaN(date.getTime())) throw new RangeError(`not a time: ${String(now)}`);
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The input of a promotion gate decision (`evaluateAccess`), in the shape of schemas/policy-input.schema.json. */
export function createPromotionInput(options: {
  actor: string;
  environment: string;
  sourceEnvironment?: string;
  sourceCommit?: string;
  approvals: ReadonlyArray<{ by: string; at?: string; commit?: string; ref?: string }>;
  now?: Date | string;
}): Record<string, unknown> {
  const input: Record<string, unknown> = {
    now: formatPolicyTime(options.now),
    action: 'promote',
    actor: { id: options.actor },
    approvals: options.approvals.map((a) => ({ ...a, ...(a.at ? { at: formatPolicyTime(a.at) } : {}) })),
    environment: options.environment,
    config: {},
  };
  if (options.sourceEnvironment) input.source_environment = options.sourceEnvironment;
  if (options.sourceCommit) input.source_commit = options.sourceCommit;
  return input;
}

/** The policy input of `llmcm check`: redacted configs, files per section, the change and the actor. */
export function createCheckInput(
  options: Omit<RunPolicyStageOptions, 'root' | 'engine' | 'decisionLog' | 'env'>,
): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  const files: Record<string, Record<string, string>> = {};
  for (const environment of options.environments) {
    config[environment.name] = redactConfig(environment.tree, environment.secrets ?? new Set());
    const byKind: Record<string, string> = {};
    for (const file of environment.files ?? []) byKind[file.kind] = file.file;
    files[environment.name] = byKind;
  }
  const input: Record<string, unknown> = {
    now: formatPolicyTime(options.now),
    action: 'change',
    config,
    files,
  };
  if (options.change) {
    const change: Record<string, EnvironmentChange> = {};
    for (const [env, c] of Object.entries(options.change)) {
      change[env] = { added: c.added ?? [], removed: c.removed ?? [], changed: c.changed ?? [] };
    }
    input.change = change;
  }
  if (options.actor) input.actor = { id: options.actor };
  return input;
}

/**
 * The policy stage of `llmcm check`: evaluates the config rules over every environment (and, when
 * an actor and a change are given, who may make that change) and returns findings, passes and the
 * decision records. Secrets are redacted before anything reaches the policy or the log.
 */
export async function runPolicyStage(options: RunPolicyStageOptions): Promise<PolicyStageResult> {
  if (!options.engine && !hasPolicies(options.root)) {
    return { findings: [], decisions: [], passes: [], skipped: 'no policies/ directory in this project' };
  }
  const engine =
    options.engine ??
    (await loadPolicyEngine({ root: options.root, decisionLog: options.decisionLog, env: options.env }));
  const input = createCheckInput(options);
  const config = engine.evaluateConfigPolicies(input);
  let access: AccessResult | undefined;
  const changed = Object.values(options.change ?? {}).some(
    (c) => (c.added?.length ?? 0) + (c.removed?.length ?? 0) + (c.changed?.length ?? 0) > 0,
  );
  if (options.actor && changed) access = engine.evaluateAccess(input);
  const provenance = new Map(options.environments.map((e) => [e.name, e.provenance]));
  const locate: LocateValue = (env, pointer) => provenance.get(env)?.get(pointer);
  const findings = policyFindings(config, {
    locate,
    rules: (engine.data.rules ?? {}) as Record<string, { description?: string }>,
    access,
  });
  return {
    findings,
    decisions: access ? [config.decision, access.decision] : [config.decision],
    passes: config.passes,
    config,
    access,
  };
}
