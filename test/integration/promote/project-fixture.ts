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
      return repo.commit({ [`environments/${env}/flags.yaml`]: stringify(values) }, `set ${env}`);
    },
  };
}
