import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../core/atomic-write.js';
import { LlmcmError } from '../core/errors.js';
import { sha256Hex } from './canonical-json.js';
import {
  compileError,
  opaInstallHint,
  parseOpaErrors,
  pinnedOpaVersion,
  requirePinnedOpa,
  runOpa,
} from './opa-cli.js';
import { validatePolicyData } from './policy-schemas.js';
import {
  hashPolicySources,
  listPolicySources,
  loadPolicyData,
  policyEntrypoints,
  policyLayout,
} from './policy-sources.js';
import { readTarGz } from './read-tar-gz.js';

/** policies/bundle/manifest.json: what the committed bundle was built from. */
export interface BundleManifest {
  source_hash: string;
  opa_version: string;
  entrypoints: string[];
  bundle_sha256: string;
  policy_wasm_sha256: string;
  modules: string[];
  data_files: string[];
}

/** The result of `buildPolicyBundle`. */
export interface BuildPolicyBundleResult {
  manifest: BundleManifest;
  /** True when the bundle came from the cache instead of running opa. */
  cached: boolean;
  /** True when the committed bundle or manifest changed. */
  updated: boolean;
  bundlePath: string;
}

/** Options for building; `force` ignores the cache. */
export interface BuildPolicyBundleOptions {
  root: string;
  force?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Write the committed bundle (default) or only fill the cache (what a stale `check` does). */
  writeCommitted?: boolean;
}

/** The bundle cache of a project: `.llmcm/cache/policy/<source hash>.tar.gz` (git-ignored). */
export function bundleCachePath(root: string, sourceHash: string): string {
  return join(root, '.llmcm', 'cache', 'policy', `${sourceHash.replace(/^sha256:/, '')}.tar.gz`);
}

/** Reads policies/bundle/manifest.json, or undefined when there is none. */
export function readBundleManifest(root: string): BundleManifest | undefined {
  const path = join(root, policyLayout.manifest);
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as BundleManifest;
  } catch (error) {
    throw new LlmcmError(`the bundle manifest does not parse: ${(error as Error).message}`, {
      code: 'POLICY_BUNDLE_CORRUPT',
      kind: 'config',
      file: policyLayout.manifest,
      hint: "rebuild it with 'llmcm policy build'",
    });
  }
}

/** Whether the committed bundle matches the current sources. */
export interface BundleFreshness {
  fresh: boolean;
  /** Hash of the sources now (computed with the pinned OPA version). */
  sourceHash: string;
  /** Hash recorded in the committed manifest, if any. */
  committedHash: string | undefined;
  /** Why it is stale, for messages. */
  reason?: string;
}

/** Compares the committed bundle's manifest with the sources, without running opa. */
export function checkBundleFreshness(root: string): BundleFreshness {
  const sources = listPolicySources(root);
  const sourceHash = hashPolicySources(root, sources, pinnedOpaVersion);
  const manifest = readBundleManifest(root);
  if (!manifest)
    return {
      fresh: false,
      sourceHash,
      committedHash: undefined,
      reason: `${policyLayout.manifest} is missing`,
    };
  if (!existsSync(join(root, policyLayout.bundle))) {
    return {
      fresh: false,
      sourceHash,
      committedHash: manifest.source_hash,
      reason: `${policyLayout.bundle} is missing`,
    };
  }
  const bundleSha = sha256Hex(readFileSync(join(root, policyLayout.bundle)));
  if (bundleSha !== manifest.bundle_sha256) {
    return {
      fresh: false,
      sourceHash,
      committedHash: manifest.source_hash,
      reason: 'the bundle does not match its manifest',
    };
  }
  if (manifest.source_hash !== sourceHash) {
    return {
      fresh: false,
      sourceHash,
      committedHash: manifest.source_hash,
      reason: 'policies changed since the bundle was built',
    };
  }
  return { fresh: true, sourceHash, committedHash: manifest.source_hash };
}

/**
 * Validates the data, then compiles policies/rego + policies/data to a wasm bundle with the pinned
 * opa (`opa build -t wasm -e ...`), through a cache keyed by the source hash, and (by default)
 * writes the committed bundle and its manifest.
 */
export async function buildPolicyBundle(options: BuildPolicyBundleOptions): Promise<BuildPolicyBundleResult> {
  const { root } = options;
  const sources = listPolicySources(root);
  if (sources.modules.length === 0) {
    throw new LlmcmError(`no Rego modules under ${policyLayout.rego}/`, {
      code: 'POLICY_SOURCES_MISSING',
      kind: 'config',
      hint: 'add your policies under policies/rego/ (see docs/policy.md)',
    });
  }
  const loaded = loadPolicyData(root, sources.dataFiles);
  validatePolicyData(loaded.data, loaded.locate);

  const opa = await requirePinnedOpa(root, options.env);
  const sourceHash = hashPolicySources(root, sources, pinnedOpaVersion);
  const cachePath = bundleCachePath(root, sourceHash);
  let cached = !options.force && existsSync(cachePath);
  if (cached) {
    try {
      readTarGz(readFileSync(cachePath), cachePath);
    } catch {
      cached = false;
    }
  }
  if (!cached) await compileBundle(opa, root, cachePath);
  const bundle = readFileSync(cachePath);
  const files = readTarGz(bundle, cachePath);
  const wasm = files.get('policy.wasm');
  if (!wasm) {
    throw new LlmcmError('opa build produced no policy.wasm', {
      code: 'POLICY_BUILD_FAILED',
      kind: 'internal',
    });
  }
  const manifest: BundleManifest = {
    source_hash: sourceHash,
    opa_version: pinnedOpaVersion,
    entrypoints: [...policyEntrypoints],
    bundle_sha256: sha256Hex(bundle),
    policy_wasm_sha256: sha256Hex(wasm),
    modules: sources.modules,
    data_files: sources.dataFiles,
  };
  const bundlePath = join(root, policyLayout.bundle);
  let updated = false;
  if (options.writeCommitted !== false) {
    const manifestText = `${JSON.stringify(manifest, null, 2)}\n`;
    const manifestPath = join(root, policyLayout.manifest);
    const before = existsSync(manifestPath) ? readFileSync(manifestPath, 'utf8') : '';
    const bundleBefore = existsSync(bundlePath) ? sha256Hex(readFileSync(bundlePath)) : '';
    if (bundleBefore !== manifest.bundle_sha256) {
      mkdirSync(dirname(bundlePath), { recursive: true });
      writeFileAtomic(bundlePath, bundle);
      updated = true;
    }
    if (before !== manifestText) {
      writeFileAtomic(manifestPath, manifestText);
      updated = true;
    }
  }
  return { manifest, cached, updated, bundlePath };
}

async function compileBundle(opa: string, root: string, target: string): Promise<void> {
  mkdirSync(dirname(target), { recursive: true });
  const temp = `${target}.${process.pid}.tmp`;
  const args = ['build', '-t', 'wasm'];
  for (const entrypoint of policyEntrypoints) args.push('-e', entrypoint);
  args.push('--ignore', '*_test.rego', '-o', temp, policyLayout.rego, policyLayout.data);
  const result = await runOpa(opa, args, { cwd: root });
  if (result.code !== 0) {
    rmSync(temp, { force: true });
    const output = result.stderr || result.stdout;
    const missing = /entrypoint "([^"]+)" does not refer to a rule/.exec(output);
    if (missing) {
      const name = missing[1] ?? '';
      throw new LlmcmError(`entrypoint ${name} does not refer to a rule in ${policyLayout.rego}/`, {
        code: 'POLICY_ENTRYPOINT_MISSING',
        kind: 'config',
        hint: `define rule '${name.split('/').pop()}' in package ${name.split('/').slice(0, -1).join('.')}; llmcm needs ${policyEntrypoints.join(', ')}`,
      });
    }
    throw compileError(parseOpaErrors(output), 'policy does not compile');
  }
  renameSync(temp, target);
}

/**
 * The bundle bytes to evaluate: the committed bundle when it is fresh; otherwise a cached or freshly
 * built one (when opa is available); otherwise an error naming what to install.
 */
export async function resolvePolicyBundle(
  root: string,
  env?: NodeJS.ProcessEnv,
): Promise<{ bundle: Buffer; manifest: BundleManifest; stale: boolean }> {
  const freshness = checkBundleFreshness(root);
  const committed = readBundleManifest(root);
  if (freshness.fresh && committed) {
    return { bundle: readFileSync(join(root, policyLayout.bundle)), manifest: committed, stale: false };
  }
  const cachePath = bundleCachePath(root, freshness.sourceHash);
  if (!existsSync(cachePath)) {
    try {
      await buildPolicyBundle({ root, env, writeCommitted: false });
    } catch (error) {
      if (
        error instanceof LlmcmError &&
        (error.code === 'OPA_MISSING' || error.code === 'OPA_VERSION_MISMATCH')
      ) {
        throw new LlmcmError(
          `the committed bundle is stale (${freshness.reason}) and cannot be rebuilt: ${error.message}`,
          {
            code: 'POLICY_BUNDLE_STALE',
            kind: 'config',
            file: policyLayout.bundle,
            hint: `${opaInstallHint}; then run 'llmcm policy build' and commit the bundle`,
          },
        );
      }
      throw error;
    }
  }
  const bundle = readFileSync(cachePath);
  const files = readTarGz(bundle, cachePath);
  const sources = listPolicySources(root);
  return {
    bundle,
    stale: true,
    manifest: {
      source_hash: freshness.sourceHash,
      opa_version: pinnedOpaVersion,
      entrypoints: [...policyEntrypoints],
      bundle_sha256: sha256Hex(bundle),
      policy_wasm_sha256: sha256Hex(files.get('policy.wasm') ?? Buffer.alloc(0)),
      modules: sources.modules,
      data_files: sources.dataFiles,
    },
  };
}
