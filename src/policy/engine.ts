import { join } from 'node:path';
import { type LoadedPolicy, loadPolicy } from '@open-policy-agent/opa-wasm';
import { LlmcmError } from '../core/errors.js';
import { sha256Hex } from './canonical-json.js';
import {
  appendDecisionRecords,
  createDecisionRecord,
  type DecisionContext,
  type DecisionRecord,
  resolveRevision,
} from './decision-log.js';
import { type BundleManifest, resolvePolicyBundle } from './policy-bundle.js';
import { validatePolicyInput } from './policy-schemas.js';
import { readTarGz } from './read-tar-gz.js';
import { toPolicyEvalError } from './wasm-errors.js';

/** One conftest-style report object produced by a config rule. */
export interface PolicyReport {
  id: string;
  msg: string;
  path: string;
  file: string;
  severity: string;
  env?: string;
  details?: Record<string, unknown>;
  dry_run?: boolean;
}

/** A rule that found nothing in a file. */
export interface PolicyPass {
  id: string;
  env: string;
  file: string;
}

/** A violation waived by an active exemption. */
export interface PolicyExemption {
  id: string;
  env: string;
  path: string;
  exemptions: string[];
}

/** Result of the config policies for one input. */
export interface ConfigPolicyResult {
  deny: PolicyReport[];
  warn: PolicyReport[];
  passes: PolicyPass[];
  exempted: PolicyExemption[];
  decision: DecisionRecord;
}

/** One reason an access decision denies. */
export interface AccessDenial {
  id: string;
  env: string;
  path: string;
  msg: string;
}

/** Result of the access policy (the promotion gate, or who may change what). */
export interface AccessResult {
  allowed: boolean;
  reasons: string[];
  deny: AccessDenial[];
  notes: string[];
  roles: string[];
  approvers: string[];
  decision: DecisionRecord;
}

/** Options for loading the engine. */
export interface LoadPolicyEngineOptions {
  /** The project root (holds policies/). */
  root: string;
  /**
   * Where to append decision records: a path, or false for none. Default `<root>/.llmcm/decisions.jsonl`
   * (keep `.llmcm/` git-ignored).
   */
  decisionLog?: string | false;
  env?: NodeJS.ProcessEnv;
}

/** Options of one evaluation. */
export interface EvaluateOptions {
  /** Skip the input schema check (for debugging policies with odd inputs). */
  skipValidation?: boolean;
  /** Where the input came from, for error messages. */
  inputFile?: string;
}

const configEntrypoint = 'llmcm/config/result';
const accessEntrypoint = 'llmcm/access/decision';

/**
 * The compiled policy, loaded once per run. Evaluations are synchronous and in-process; every one
 * yields a decision record, which is appended to the decision log when one is configured.
 */
export class PolicyEngine {
  readonly manifest: BundleManifest;
  /** True when the committed bundle was stale and a cached or rebuilt bundle is used instead. */
  readonly stale: boolean;
  /** The policy data the bundle carries (rules catalog, environments, access, exemptions...). */
  readonly data: Record<string, unknown>;
  readonly entrypoints: readonly string[];
  private readonly policy: LoadedPolicy;
  private readonly context: DecisionContext;
  private readonly logPath: string | undefined;
  private readonly encoder = new TextEncoder();

  constructor(args: {
    policy: LoadedPolicy;
    manifest: BundleManifest;
    stale: boolean;
    data: Record<string, unknown>;
    revision: string;
    logPath: string | undefined;
  }) {
    this.policy = args.policy;
    this.manifest = args.manifest;
    this.stale = args.stale;
    this.data = args.data;
    this.logPath = args.logPath;
    this.entrypoints = Object.keys(args.policy.entrypoints as Record<string, number>).sort();
    this.context = {
      revision: args.revision,
      wasmSha256: args.manifest.policy_wasm_sha256,
      bundleSha256: args.manifest.bundle_sha256,
      sourceHash: args.manifest.source_hash,
      opaVersion: args.manifest.opa_version,
    };
  }

  /** Bytes of wasm linear memory now (it grows and never shrinks; tests watch it stay flat). */
  get memoryBytes(): number {
    return this.policy.mem.buffer.byteLength;
  }

  /**
   * Builtins the compiled policy expects the host to provide (name -> id). The bundle must need none
   * that neither the SDK nor llmcm implements: time.*, crypto.*, http.send... are avoided on purpose.
   */
  requiredHostBuiltins(): string[] {
    const instance = this.policy.wasmInstance as { exports: unknown };
    const exports = instance.exports as { builtins(): number; opa_json_dump(addr: number): number };
    const address = exports.opa_json_dump(exports.builtins());
    const bytes = new Uint8Array(this.policy.mem.buffer);
    let end = address;
    while (bytes[end] !== 0) end++;
    const table = JSON.parse(new TextDecoder().decode(bytes.subarray(address, end))) as Record<
      string,
      number
    >;
    return Object.keys(table).sort();
  }

  /**
   * Evaluates one entrypoint and returns its value (undefined when the rule is undefined), with no
   * schema check and no record: the raw primitive, for parity tests and benchmarks.
   * The input is handed to the SDK as JSON bytes, so `0`, `false`, `""` and `null` are real inputs
   * (the SDK drops falsy JS values as "no input"); `undefined` means no input.
   */
  evaluateRaw(entrypoint: string, input: unknown): unknown {
    const id = (this.policy.entrypoints as Record<string, number>)[entrypoint];
    if (id === undefined) {
      throw new LlmcmError(`the policy bundle has no entrypoint ${entrypoint}`, {
        code: 'POLICY_ENTRYPOINT_MISSING',
        kind: 'usage',
        hint: `use one of: ${this.entrypoints.join(', ')} (entrypoints are set by 'llmcm policy build')`,
      });
    }
    let payload: ArrayBuffer | undefined;
    if (input !== undefined) {
      const text = JSON.stringify(input);
      const bytes = this.encoder.encode(text);
      payload =
        bytes.buffer.byteLength === bytes.byteLength ? (bytes.buffer as ArrayBuffer) : bytes.slice().buffer;
    }
    let resultSet: unknown;
    try {
      resultSet = this.policy.evaluate(payload, id);
    } catch (thrown) {
      throw toPolicyEvalError(thrown, entrypoint);
    }
    if (!Array.isArray(resultSet) || resultSet.length === 0) return undefined;
    return (resultSet[0] as { result?: unknown }).result;
  }

  /** Evaluates an entrypoint with a validated input and records the decision. */
  evaluate(
    entrypoint: string,
    input: unknown,
    options: EvaluateOptions = {},
  ): { result: unknown; decision: DecisionRecord } {
    if (!options.skipValidation) validatePolicyInput(input, options.inputFile);
    const started = process.hrtime.bigint();
    const result = this.evaluateRaw(entrypoint, input);
    const elapsed = Number(process.hrtime.bigint() - started);
    const decision = createDecisionRecord(this.context, entrypoint, input, result ?? null, elapsed);
    if (this.logPath) appendDecisionRecords(this.logPath, [decision]);
    return { result, decision };
  }

  /** The config rules: conftest-style deny / warn, passes per rule and file, and exemptions used. */
  evaluateConfigPolicies(input: unknown, options: EvaluateOptions = {}): ConfigPolicyResult {
    const { result, decision } = this.evaluate(configEntrypoint, input, options);
    const value = (result ?? {}) as Partial<Omit<ConfigPolicyResult, 'decision'>>;
    return {
      deny: sortReports(value.deny ?? []),
      warn: sortReports(value.warn ?? []),
      passes: [...(value.passes ?? [])].sort(
        (a, b) => compare(a.file, b.file) || compare(a.id, b.id) || compare(a.env, b.env),
      ),
      exempted: [...(value.exempted ?? [])].sort(
        (a, b) => compare(a.env, b.env) || compare(a.path, b.path) || compare(a.id, b.id),
      ),
      decision,
    };
  }

  /** The access policy: is this actor allowed this change or promotion, and why. Deny by default. */
  evaluateAccess(input: unknown, options: EvaluateOptions = {}): AccessResult {
    const { result, decision } = this.evaluate(accessEntrypoint, input, options);
    const value = (result ?? {}) as Partial<Omit<AccessResult, 'decision'>>;
    return {
      allowed: value.allowed === true,
      reasons:
        value.reasons ??
        (value.allowed === true ? [] : ['no access decision (undefined result): denied by default']),
      deny: [...(value.deny ?? [])].sort(
        (a, b) => compare(a.env, b.env) || compare(a.path, b.path) || compare(a.id, b.id),
      ),
      notes: value.notes ?? [],
      roles: value.roles ?? [],
      approvers: value.approvers ?? [],
      decision,
    };
  }
}

function compare(a: string | undefined, b: string | undefined): number {
  const x = a ?? '';
  const y = b ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
}

function sortReports(reports: PolicyReport[]): PolicyReport[] {
  return [...reports].sort(
    (a, b) =>
      compare(a.file, b.file) || compare(a.path, b.path) || compare(a.id, b.id) || compare(a.msg, b.msg),
  );
}

/**
 * Loads the project's policy bundle once: the committed bundle when fresh, else a cached or rebuilt
 * one (opa needed), else a clear error naming what to install.
 */
export async function loadPolicyEngine(options: LoadPolicyEngineOptions): Promise<PolicyEngine> {
  const { root } = options;
  const { bundle, manifest, stale } = await resolvePolicyBundle(root, options.env);
  return loadPolicyEngineFromBundle(bundle, manifest, {
    stale,
    revision: await resolveRevision(root),
    logPath:
      options.decisionLog === false
        ? undefined
        : (options.decisionLog ?? join(root, '.llmcm', 'decisions.jsonl')),
  });
}

/** Instantiates an engine from bundle bytes (what loadPolicyEngine does after resolving the bundle). */
export async function loadPolicyEngineFromBundle(
  bundle: Uint8Array,
  manifest: BundleManifest,
  options: { stale?: boolean; revision?: string; logPath?: string } = {},
): Promise<PolicyEngine> {
  const files = readTarGz(bundle, 'policy bundle');
  const wasm = files.get('policy.wasm');
  if (!wasm) {
    throw new LlmcmError('the policy bundle has no policy.wasm (was it built with -t wasm?)', {
      code: 'POLICY_BUNDLE_CORRUPT',
      kind: 'config',
      hint: "rebuild it with 'llmcm policy build'",
    });
  }
  const dataText = files.get('data.json')?.toString('utf8') ?? '{}';
  const data = JSON.parse(dataText) as Record<string, unknown>;
  let policy: LoadedPolicy;
  try {
    policy = await loadPolicy(Uint8Array.from(wasm).buffer as ArrayBuffer);
    policy.setData(new TextEncoder().encode(dataText).buffer as ArrayBuffer);
  } catch (thrown) {
    throw toPolicyEvalError(thrown, 'load');
  }
  const actual = sha256Hex(wasm);
  const effective =
    actual === manifest.policy_wasm_sha256 ? manifest : { ...manifest, policy_wasm_sha256: actual };
  return new PolicyEngine({
    policy,
    manifest: effective,
    stale: options.stale ?? false,
    data,
    revision: options.revision ?? 'unknown',
    logPath: options.logPath,
  });
}
