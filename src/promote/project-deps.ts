import * as fs from 'node:fs';
import { join } from 'node:path';
import git from 'isomorphic-git';
import { loadEnvironment } from '../config/environment.js';
import { flattenForStore, secretKeys } from '../config/flatten.js';
import { loadProject } from '../config/project.js';
import { adaptTreeReader } from '../config/reader.js';
import type { ProjectConfig } from '../config/types.js';
import { resolveFingerprintKey } from '../core/fingerprint.js';
import { isSecretLookingKey } from '../core/secret-keys.js';
import { type GitIdentity, openRepository, type Repository } from '../repo/repository.js';
import { createTreeReader } from '../repo/tree.js';
import { loadAgeIdentities } from '../sops/age-keys.js';
import { openStore, validateStoreConfig } from '../stores/registry.js';
import type { DesiredState, PromotionDeps } from './promote.js';

/** Options the CLI passes when wiring a promotion to a config repo. */
export interface ProjectDepsOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

/** The committer of llmcm's records: git's user.name/user.email, else a neutral default. */
export async function resolveGitIdentity(repo: Repository, env: NodeJS.ProcessEnv): Promise<GitIdentity> {
  const base = { fs, dir: repo.dir, gitdir: repo.gitdir };
  const name =
    env.GIT_COMMITTER_NAME ?? ((await git.getConfig({ ...base, path: 'user.name' })) as string | undefined);
  const email =
    env.GIT_COMMITTER_EMAIL ?? ((await git.getConfig({ ...base, path: 'user.email' })) as string | undefined);
  return { name: name || 'llmcm', email: email || 'llmcm@localhost' };
}

/** Everything a promotion command needs, loaded from the config repo around `cwd`. */
export interface ProjectContext {
  repo: Repository;
  project: ProjectConfig;
  deps: PromotionDeps;
}

/**
 * Wires the promoter to a config repo: llmcm.yaml from the working tree (environments, stores), the
 * desired state rendered from the *source commit* (not the working tree), stores opened lazily.
 */
export async function loadProjectContext(options: ProjectDepsOptions): Promise<ProjectContext> {
  const repo = await openRepository(options.cwd);
  const project = await loadProject(repo.dir);
  // A typo in any store's settings is a config error (exit 2) for every command, not only for the
  // commands that happen to open that store.
  for (const config of Object.values(project.stores)) validateStoreConfig(config);
  const identity = await resolveGitIdentity(repo, options.env);
  const fingerprintKey = resolveFingerprintKey(options.env, join(repo.gitdir, 'llmcm', 'fingerprint.key'));
  const desiredCache = new Map<string, Promise<DesiredState>>();
  const loadDesired = (environment: string, commit: string): Promise<DesiredState> => {
    const key = `${environment}\0${commit}`;
    let pending = desiredCache.get(key);
    if (!pending) {
      pending = (async () => {
        const reader = adaptTreeReader(createTreeReader(repo, commit));
        const atCommit = await loadProject(repo.dir, { reader });
        const { identities } = await loadAgeIdentities(options.env);
        // Without identities an encrypted environment fails in flattenForStore with a clear decrypt error.
        const loaded = await loadEnvironment(atCommit, environment, {
          reader,
          ...(identities.length > 0 ? { identities } : {}),
        });
        const values = flattenForStore(loaded);
        // Encrypted values are secret; so, defensively, is any key whose name looks secret even if a
        // commit left it in plaintext (check refuses that, but plan runs without check).
        const secret = new Set(secretKeys(loaded));
        for (const key of Object.keys(values)) if (key.split('.').some(isSecretLookingKey)) secret.add(key);
        return { values, secretKeys: secret };
      })();
      desiredCache.set(key, pending);
    }
    return pending;
  };
  const deps: PromotionDeps = {
    repo,
    environments: project.environments.map((e) => e.name),
    storeConfigs: (environment) => project.storesByEnvironment[environment] ?? [],
    openStore: (config) => openStore(config, { root: repo.dir, env: options.env }),
    loadDesired,
    fingerprintKey,
    identity,
    ...(options.log ? { log: options.log } : {}),
  };
  return { repo, project, deps };
}
