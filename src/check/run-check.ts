import { documentKindOf, loadEnvironment, type ParsedSource } from '../config/environment.js';
import { findEnvironment, loadProject } from '../config/project.js';
import { createWorkingTreeReader } from '../config/reader.js';
import type { ConfigReader, LoadedEnvironment, LoadedFile, ProjectConfig } from '../config/types.js';
import { type Finding, sortFindings } from '../core/findings.js';
import type { BaseComparison } from './base-ref.js';
import { compileProjectSchemas } from './schema-registry.js';
import { validateEnvironmentSchemas } from './schema-stage.js';
import { checkSecretStrength } from './secret-strength.js';
import { diffEnvironments, type EnvironmentDiff } from './semantic-diff.js';
import { checkPlaintextSecrets, checkSemantics } from './semantic-stage.js';

/** A policy rule that found nothing in a file of one environment (value-free: ids and paths only). */
export interface CheckPass {
  stage: 'policy';
  ruleId: string;
  /** File the rule examined, relative to the project root. */
  file: string;
  environment: string;
}

/** Runs the policy stage over the loaded environments; returns its findings and passes (a seam for src/policy). */
export type PolicyStageRunner = (input: {
  root: string;
  environments: LoadedEnvironment[];
  diffs: EnvironmentDiff[];
}) => Promise<{ findings: Finding[]; passes?: CheckPass[]; skipped?: string }>;

/** Options of `runCheck`. */
export interface CheckOptions {
  /** Project root (the folder holding llmcm.yaml). */
  root: string;
  /** Check only this environment. */
  environment?: string;
  /** Check only environments touched since this git ref, and show a semantic diff against it. */
  base?: string;
  /** age identities; when present, files are decrypted and plaintext-only checks run. */
  identities?: string[];
  /** Key of the keyed fingerprints shown for changed secrets. */
  fingerprintKey: Uint8Array;
  /** The policy stage (src/policy); skipped when absent. */
  policy?: PolicyStageRunner;
}

/** What `runCheck` found, and what it looked at. */
export interface CheckResult {
  project: ProjectConfig;
  /** Environments checked, in declaration order. */
  environments: string[];
  /** Environments skipped because --base found them untouched. */
  untouched: string[];
  decrypted: boolean;
  /** Every source file read, relative to the root. */
  files: string[];
  findings: Finding[];
  /** Policy rules that passed, per rule, file and environment (empty when the policy stage did not run). */
  passes: CheckPass[];
  diffs: EnvironmentDiff[];
  base?: Pick<BaseComparison, 'ref' | 'commit' | 'changedFiles' | 'allBecause'>;
  policySkipped?: string;
}

/**
 * `llmcm check`: load → decrypt if keys are present → validate → semantics → secret strength → policy.
 * Bad input and key problems are thrown (exit 2 / 3); everything found is returned as findings.
 */
export async function runCheck(options: CheckOptions): Promise<CheckResult> {
  const project = await loadProject(options.root);
  let names = project.environments.map((e) => e.name);
  if (options.environment) names = [findEnvironment(project, options.environment).name];
  const schemas = compileProjectSchemas(project);

  let comparison: BaseComparison | undefined;
  let untouched: string[] = [];
  if (options.base) {
    // git access (isomorphic-git) is loaded only when a base is asked for.
    const { compareWithBase } = await import('./base-ref.js');
    comparison = await compareWithBase(project, options.base);
    untouched = names.filter((n) => !comparison!.touched.has(n));
    names = names.filter((n) => comparison!.touched.has(n));
  }

  const cache = new Map<string, Promise<ParsedSource>>();
  // One listing per folder per run: the base layer folder is listed once, not once per environment.
  const reader = memoizeListings(createWorkingTreeReader(project.root));
  const keyOptions = options.identities?.length ? { identities: options.identities } : {};
  const loadOptions = { cache, reader, ...keyOptions };
  const loaded: LoadedEnvironment[] = [];
  for (const name of names) loaded.push(await loadEnvironment(project, name, loadOptions));

  const collected: Finding[] = [];
  const filesSeen = new Map<string, LoadedFile>();
  for (const env of loaded) {
    for (const f of env.files) if (!filesSeen.has(f.file)) filesSeen.set(f.file, f);
    tag(collected, validateEnvironmentSchemas(env, schemas), env.name);
    tag(collected, checkSemantics(env), env.name);
    tag(collected, checkSecretStrength(env), env.name);
  }
  for (const file of filesSeen.values()) collected.push(...checkPlaintextSecrets(file));

  const diffs: EnvironmentDiff[] = [];
  if (comparison) {
    let baseProject: ProjectConfig | undefined;
    try {
      baseProject = await loadProject(options.root, { reader: comparison.reader });
    } catch {
      baseProject = undefined; // No (valid) project file at the base: everything counts as added.
    }
    for (const env of loaded) {
      let before: LoadedEnvironment | undefined;
      if (baseProject?.environments.some((e) => e.name === env.name)) {
        // The same parse cache: files unchanged since the base are not read or parsed again.
        before = await loadEnvironment(baseProject, env.name, { ...loadOptions, reader: comparison.reader });
      }
      diffs.push(
        diffEnvironments(
          env.name,
          before,
          env,
          options.fingerprintKey,
          changedKinds(project, comparison, env.name),
        ),
      );
    }
  }

  let policySkipped: string | undefined;
  const passes: CheckPass[] = [];
  if (options.policy && loaded.length > 0) {
    const policy = await options.policy({ root: project.root, environments: loaded, diffs });
    collected.push(...policy.findings);
    passes.push(...(policy.passes ?? []));
    policySkipped = policy.skipped;
  }

  return {
    project,
    environments: names,
    untouched,
    decrypted: loaded.length > 0 && loaded.every((e) => e.decrypted),
    files: [...filesSeen.keys()].sort(),
    findings: sortFindings(dedupe(collected)),
    passes: sortPasses(passes),
    diffs,
    ...(comparison
      ? {
          base: {
            ref: comparison.ref,
            commit: comparison.commit,
            changedFiles: comparison.changedFiles,
            ...(comparison.allBecause ? { allBecause: comparison.allBecause } : {}),
          },
        }
      : {}),
    ...(policySkipped ? { policySkipped } : {}),
  };
}

/** Document kinds whose files changed for one environment (its own folder or the base layer); undefined = all. */
function changedKinds(
  project: ProjectConfig,
  comparison: BaseComparison,
  environment: string,
): Set<string> | undefined {
  if (comparison.changedFiles.some((f) => !f.startsWith(`${project.directory}/`))) return undefined;
  const folders = [
    `${project.directory}/${environment}/`,
    ...(project.base ? [`${project.directory}/${project.base}/`] : []),
  ];
  const kinds = new Set<string>();
  for (const file of comparison.changedFiles) {
    if (folders.some((f) => file.startsWith(f)) && /\.ya?ml$/.test(file))
      kinds.add(documentKindOf(file.slice(file.lastIndexOf('/') + 1)));
  }
  return kinds;
}

function memoizeListings(reader: ConfigReader): ConfigReader {
  const listings = new Map<string, Promise<string[]>>();
  return {
    readFile: (path) => reader.readFile(path),
    listDir(path) {
      let listing = listings.get(path);
      if (!listing) {
        listing = reader.listDir(path);
        listings.set(path, listing);
      }
      return listing;
    },
  };
}

function tag(into: Finding[], findings: Finding[], environment: string): void {
  for (const f of findings) into.push({ ...f, properties: { ...f.properties, environments: [environment] } });
}

/** A finding in a shared base-layer file is reported once, naming every environment it affects. */
function dedupe(findings: Finding[]): Finding[] {
  const byKey = new Map<string, Finding>();
  for (const f of findings) {
    const key = [f.stage, f.ruleId, f.file, f.line, f.column, f.message].join('\0');
    const existing = byKey.get(key);
    if (!existing) {
      byKey.set(key, f);
      continue;
    }
    const envs = new Set([
      ...((existing.properties?.environments as string[] | undefined) ?? []),
      ...((f.properties?.environments as string[] | undefined) ?? []),
    ]);
    existing.properties = { ...existing.properties, environments: [...envs] };
  }
  return [...byKey.values()];
}

function sortPasses(passes: CheckPass[]): CheckPass[] {
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return passes.sort(
    (a, b) => cmp(a.file, b.file) || cmp(a.ruleId, b.ruleId) || cmp(a.environment, b.environment),
  );
}

/** The exit code of a check: 1 on errors (or warnings with --fail-on-warn), else 0. Info never fails. */
export function checkExitCode(findings: readonly Finding[], failOnWarn: boolean): 0 | 1 {
  return findings.some((f) => f.severity === 'error' || (failOnWarn && f.severity === 'warning')) ? 1 : 0;
}
