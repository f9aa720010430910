import { LlmcmError } from '../core/errors.js';
import { storeConfigError } from './store-errors.js';
import { StoreSettings } from './store-settings.js';
import type { OpenStoreContext, Store, StoreConfig, StoreKind } from './types.js';

type StoreFactory = (settings: StoreSettings, context: OpenStoreContext) => Promise<Store>;

/**
 * One lazy loader per store kind. Each store lives in its own folder and pulls in its client library
 * only there, so a project that uses only the file store never loads pg, ioredis or the AWS SDK.
 */
const storeLoaders: Record<StoreKind, () => Promise<StoreFactory>> = {
  file: async () => (await import('./file/file-store.js')).openFileStore,
  vault: async () => (await import('./vault/vault-store.js')).openVaultStore,
  'aws-secrets-manager': async () =>
    (await import('./aws-secrets-manager/aws-secrets-manager-store.js')).openAwsSecretsManagerStore,
  redis: async () => (await import('./redis/redis-store.js')).openRedisStore,
  postgres: async () => (await import('./postgres/postgres-store.js')).openPostgresStore,
};

/** The npm package each kind needs beyond Node itself (they are optional dependencies). */
const requiredPackage: Partial<Record<StoreKind, string>> = {
  'aws-secrets-manager': '@aws-sdk/client-secrets-manager',
  redis: 'ioredis',
  postgres: 'pg',
};

/**
 * Every setting each kind understands (besides `name` and `kind`). A secret setting `x` may also be
 * given as `xEnv`. Anything else is a typo or a setting of another kind, and refused: a silently
 * ignored `path:` once sent rendered secrets to the default directory.
 */
const knownSettings: Record<StoreKind, readonly string[]> = {
  // `directory` is the older name of `path`, still accepted (scripts/bench uses it).
  file: ['path', 'directory', 'keepRevisions'],
  vault: ['address', 'token', 'tokenEnv', 'mount', 'prefix', 'namespace', 'layout', 'maxFields', 'timeoutMs'],
  'aws-secrets-manager': [
    'region',
    'endpoint',
    'accessKeyId',
    'accessKeyIdEnv',
    'secretAccessKey',
    'secretAccessKeyEnv',
    'sessionToken',
    'sessionTokenEnv',
    'prefix',
    'kmsKeyId',
    'timeoutMs',
  ],
  redis: ['url', 'host', 'port', 'db', 'username', 'password', 'passwordEnv', 'prefix', 'timeoutMs'],
  postgres: [
    'connectionString',
    'connectionStringEnv',
    'host',
    'port',
    'database',
    'user',
    'password',
    'passwordEnv',
    'table',
    'schema',
    'channel',
    'timeoutMs',
  ],
};

/**
 * Validates one `stores:` entry without opening it: a name, a known kind, and only settings that
 * kind understands (STORE_CONFIG, exit 2, naming the store and the setting).
 */
export function validateStoreConfig(config: StoreConfig): void {
  if (!config || typeof config.name !== 'string' || config.name.length === 0)
    throw storeConfigError('?', 'every store needs a name');
  if (!Object.hasOwn(storeLoaders, config.kind))
    throw storeConfigError(
      config.name,
      `unknown store kind '${String(config.kind)}'`,
      `use one of: ${storeKinds.join(', ')}`,
    );
  const known = knownSettings[config.kind];
  for (const setting of Object.keys(config)) {
    if (setting === 'name' || setting === 'kind' || known.includes(setting)) continue;
    throw storeConfigError(
      config.name,
      `unknown setting '${setting}' for a ${config.kind} store`,
      `${config.kind} stores accept: ${known.join(', ')} (see docs/stores.md)`,
    );
  }
}

/** The store kinds llmcm knows, in a stable order (for help texts and validation). */
export const storeKinds: readonly StoreKind[] = Object.keys(storeLoaders).sort() as StoreKind[];

/**
 * Opens the store described by one entry of `stores:` in llmcm.yaml. Validates the settings, loads
 * the implementation (and its client library) on first use, and connects lazily: an unreachable
 * server surfaces on the first read/apply as a STORE_UNREACHABLE error, not here.
 */
export async function openStore(config: StoreConfig, context: OpenStoreContext): Promise<Store> {
  validateStoreConfig(config);
  const loader = storeLoaders[config.kind as StoreKind];
  let factory: StoreFactory;
  try {
    factory = await loader();
  } catch (error) {
    const pkg = requiredPackage[config.kind];
    if (pkg && isModuleNotFound(error)) {
      throw new LlmcmError(
        `store '${config.name}' needs the optional package ${pkg}, which is not installed`,
        {
          code: 'STORE_DEPENDENCY_MISSING',
          kind: 'config',
          hint: `npm install ${pkg}`,
          cause: error,
        },
      );
    }
    throw error;
  }
  return factory(new StoreSettings(config, context.env), context);
}

/** ERR_MODULE_NOT_FOUND, also when a loader wrapped it (the cause chain is followed a few levels). */
function isModuleNotFound(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
