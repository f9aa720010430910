import { booleanOption, type CommandSpec } from '../command.js';

/** `llmcm policy build`: compile policies/ to the committed wasm bundle (cached by source hash). */
export const policyBuildCommand: CommandSpec = {
  name: 'policy build',
  summary: 'compile policies/ (Rego + data) to the wasm bundle in policies/bundle/',
  usage: 'policy build [--check] [--force]',
  details:
    'Runs the pinned opa (`opa build -t wasm`), cached by the hash of sources + data + OPA version.\n' +
    'Commit policies/bundle/ so `llmcm check` works with Node alone.\n' +
    '--check exits 1 when the committed bundle is stale (for CI) and writes nothing.',
  options: {
    check: { type: 'boolean', description: 'only report whether the committed bundle is up to date' },
    force: { type: 'boolean', description: 'rebuild even when the cache has this bundle' },
  },
  maxArgs: 0,
  async run(context) {
    const { buildPolicyBundle, checkBundleFreshness } = await import('../../policy/policy-bundle.js');
    if (booleanOption(context, 'check')) {
      const freshness = checkBundleFreshness(context.cwd);
      if (freshness.fresh) {
        context.stdout.write(`policy bundle is up to date (${freshness.sourceHash})\n`);
        return 0;
      }
      context.stdout.write(
        `policy bundle is stale: ${freshness.reason}; run 'llmcm policy build' and commit policies/bundle/\n`,
      );
      return 1;
    }
    const result = await buildPolicyBundle({
      root: context.cwd,
      force: booleanOption(context, 'force'),
      env: context.env,
    });
    context.stdout.write(
      `${result.updated ? 'wrote' : 'unchanged'} policies/bundle/bundle.tar.gz (${result.cached ? 'from cache' : 'built'}; ` +
        `policy.wasm sha256 ${result.manifest.policy_wasm_sha256.slice(0, 16)}…, sources ${result.manifest.source_hash.slice(0, 23)}…)\n`,
    );
    return 0;
  },
};
