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
  stamp: StoreStamp;
}

export interface ApplyResult {
  revision: string | null;
  /** Number of key writes the backend performed (for benchmarks and the record). */
  writes: number;
}

export interface Store {
  readonly name: string;
  readonly kind: StoreKind;
  /** Reads the whole current state of one environment. */
  read(environment: string): Promise<StoreState>;
  /** Applies a change set atomically (all keys or none) with compare-and-set on the revision. */
  apply(environment: string, changes: StoreChangeSet, options: ApplyOptions): Promise<ApplyResult>;
  /** Puts back a state previously returned by `read` (used for rollback after a failed promotion). */
  restore(environment: string, previous: StoreState): Promise<void>;
  /** Releases connections. */
  close(): Promise<void>;
}

/** Store settings as written in llmcm.yaml (`stores:`); `kind` selects the implementation. */
export interface StoreConfig {
  name: string;
  kind: StoreKind;
  [setting: string]: unknown;
}
