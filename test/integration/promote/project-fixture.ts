import { stringify } from 'yaml';
import type { StoreConfig } from '../../../src/stores/types.js';
import { createTempRepo, type TempRepo } from '../../unit/repo/temp-repo.js';

/**
 * A scratch config repo with plaintext environments (encryption: optional) so the promotion path
 * can be tested against real stores without keys; the demo and e2e tests cover the encrypted path.
 */
export function createProjectRepo(
  stores: StoreConfig[],
  environments = ['dev', 'staging'],
): TempRepo & {
  /** Commits environments/<env>/flags.yaml; key `k` is stored as `flags.k.description`. */
  setValues(env: string, values: Record<string, unknown>): string;
} {
  const repo = createTempRepo('llmcm-promote-');
  const storeMap = Object.fromEntries(stores.map(({ name, ...rest }) => [name, rest]));
  const project = {
    version: 1,
    directory: 'environments',
    encryption: 'optional',
    environments: Object.fromEntries(environments.map((e) => [e, { stores: stores.map((s) => s.name) }])),
    promotion: environments,
    stores: storeMap,
  };
  repo.commit({ 'llmcm.yaml': stringify(project), '.gitignore': '.llmcm/\n' }, 'project');
  return {
    ...repo,
    setValues(env, values) {
      // Valid `flags` documents (so check passes): each value becomes a flag's description.
      const flags = Object.fromEntries(
        Object.entries(values).map(([k, v]) => [k, { enabled: true, description: String(v) }]),
      );
      return repo.commit({ [`environments/${env}/flags.yaml`]: stringify(flags) }, `set ${env}`);
    },
  };
}
