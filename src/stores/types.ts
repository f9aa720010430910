/**
 * The one interface every backend store implements (file, vault, aws-secrets-manager, redis, postgres).
 *
 * A store holds, per environment, a flat map of keys (dotted paths of the rendered config, e.g.
 * `providers.openai.api_key`) to string values, plus a small metadata record naming the promotion
 * that last wrote it. Each `apply` is atomic *within* the store (one CAS write, one MULTI/EXEC, one
 * transaction); all-or-nothing *across* stores is the promoter's job, using `restore` with the state
 * it read before applying.
 */
export type StoreKind = 'file' | 'vault' | 'aws-secrets-manager' | 'redis' | 'postgres';

/** What llmcm records beside the values, so drift and foreign writes can be told apart. */
export interface StoreStamp {
  /** The promotion id that wrote this state. */
  promotionId: string;
  /** sha256 (hex) over the canonical JSON of the values map (sorted keys). */
  contentHash: string;
}

export interface StoreState {
  values: Record<string, string>;
  /** The store's own version/revision (Vault metadata version, AWS VersionId, a counter...), null if empty. */
  revision: string | null;
  /** null when llmcm never wrote this environment (or the stamp is missing). */
  stamp: StoreStamp | null;
  /**
   * Added later (additive): value-free reasons why what the store holds besides the values no longer
   * matches what it wrote, e.g. a hand-edited rendered `.env` or manifest of the file store. Present
   * only when non-empty; the planner then treats the store as modified (drift).
   */
  tampered?: string[];
}

export interface StoreChangeSet {
  /** Keys to add or change, with their new values. */
  set: Record<string, string>;
  /** Keys to remove. */
  delete: string[];
}

export interface ApplyOptions {
  /** Compare-and-set: the revision read before planning; the write fails with StoreConflictError if it moved. */
  expectedRevision: string | null;
  /**
   * Its contentHash must be computeContentHash(values after the change) (src/stores/content-hash.ts);
   * every store checks it and refuses a mismatch with STORE_STAMP_MISMATCH, writing nothing.
   */
  stamp: StoreStamp;
}

export interface ApplyResult {
  revision: string | null;
  /**
   * Number of key writes the backend performed (for benchmarks and the record): keys whose value
   * is new or different plus keys that existed and were deleted. 0 when nothing changed, and then
   * the store wrote nothing at all (the revision stays) if it already carried a stamp for this content.
   */
  writes: number;
}

export interface Store {
  readonly name: string;
  readonly kind: StoreKind;
  /** Reads the whole current state of one environment. */
  read(environment: string): Promise<StoreState>;
  /** Applies a change set atomically (all keys or none) with compare-and-set on the revision. */
  apply(environment: string, changes: StoreChangeSet, options: ApplyOptions): Promise<ApplyResult>;
  /**
   * Puts back a state previously returned by `read` (used for rollback after a failed promotion):
   * afterwards `read` returns the same `values` and `stamp` (the revision moves forward, never back).
   * Writes nothing when the store already holds that state. `options` was added later (additive).
   */
  restore(environment: string, previous: StoreState, options?: RestoreOptions): Promise<void>;
  /** Releases connections. */
  close(): Promise<void>;
}

/**
 * Added after the first version (additive): optional compare-and-set for `restore`. When
 * `expectedRevision` is given, the restore fails with STORE_CONFLICT if the store moved since.
 */
export interface RestoreOptions {
  expectedRevision?: string | null;
}

/**
 * Added after the first version (additive): what `openStore(config, context)` needs besides the
 * settings. `root` resolves relative paths (the file store's directory); `env` supplies secrets
 * named by `*Env` settings (e.g. `tokenEnv: VAULT_TOKEN`) and LLMCM_LOOPBACK_ONLY.
 */
export interface OpenStoreContext {
  root: string;
  env: NodeJS.ProcessEnv;
}

/** Store settings as written in llmcm.yaml (`stores:`); `kind` selects the implementation. */
export interface StoreConfig {
  name: string;
  kind: StoreKind;
  [setting: string]: unknown;
}
