import {
  assertEnvironmentName,
  assertKey,
  assertStampMatches,
  isNoOpApply,
  resolveChanges,
  stampsEqual,
} from '../change-set.js';
import {
  StoreConflictError,
  storeConfigError,
  storeCorruptError,
  storeRejectedError,
  storeTimeoutError,
  storeUnavailableError,
  storeUnreachableError,
} from '../store-errors.js';
import type { StoreSettings } from '../store-settings.js';
import type {
  ApplyOptions,
  ApplyResult,
  OpenStoreContext,
  RestoreOptions,
  Store,
  StoreChangeSet,
  StoreStamp,
  StoreState,
} from '../types.js';

/** The reserved field, inside the secret's data, holding the llmcm stamp as JSON. */
export const vaultStampField = '__llmcm_stamp';
/** The reserved field holding all values as one JSON object, when the secret is packed. */
export const vaultPackedField = '__llmcm_values';

/**
 * How values are laid out in the secret. `fields`: one field per key (what apps and the Vault UI
 * expect). `packed`: one JSON field, because Vault/OpenBao refuse request bodies with more than about
 * 1,000 JSON strings by default (so more than ~490 keys). `auto`: fields up to `maxFields` keys.
 */
export type VaultLayout = 'fields' | 'packed' | 'auto';

interface VaultReadBody {
  data?: {
    data?: Record<string, unknown> | null;
    metadata?: { version?: number; deletion_time?: string; destroyed?: boolean } | null;
  };
  errors?: string[];
}

/**
 * HashiCorp Vault (or OpenBao) KV v2, over its HTTP API: one secret per environment at
 * `<mount>/data/<prefix>/<env>`, holding every key plus the reserved `__llmcm_stamp` field, so values
 * and stamp change in one versioned write. Writes use KV v2 check-and-set (`options.cas`), which
 * the server enforces atomically; the secret's version is the store revision, and Vault's version
 * history keeps every earlier state (`readVersion`).
 */
export class VaultStore implements Store {
  readonly kind = 'vault' as const;

  constructor(
    readonly name: string,
    private readonly address: string,
    private readonly token: string,
    private readonly mount: string,
    private readonly prefix: string,
    private readonly namespace: string | undefined,
    private readonly timeoutMs: number,
    private readonly layout: VaultLayout = 'auto',
    private readonly maxFields = 450,
  ) {}

  async read(environment: string): Promise<StoreState> {
    assertEnvironmentName(this.name, environment);
    return this.readAt(environment, undefined);
  }

  /** The state as of an earlier version (Vault keeps the history; useful for audits and manual rollback). */
  async readVersion(environment: string, version: string): Promise<StoreState> {
    assertEnvironmentName(this.name, environment);
    if (!/^\d+$/.test(version))
      throw storeConfigError(this.name, `'${version}' is not a Vault version number`);
    return this.readAt(environment, version);
  }

  async apply(environment: string, changes: StoreChangeSet, options: ApplyOptions): Promise<ApplyResult> {
    assertEnvironmentName(this.name, environment);
    const current = await this.read(environment);
    if (current.revision !== options.expectedRevision)
      throw new StoreConflictError(this.name, environment, options.expectedRevision, current.revision);
    const resolved = resolveChanges(this.name, current.values, changes);
    assertStampMatches(this.name, resolved.next, options.stamp);
    if (isNoOpApply(current, resolved, options.stamp)) return { revision: current.revision, writes: 0 };
    const revision = await this.write(environment, resolved.next, options.stamp, options.expectedRevision);
    return { revision, writes: resolved.writes };
  }

  async restore(environment: string, previous: StoreState, options: RestoreOptions = {}): Promise<void> {
    assertEnvironmentName(this.name, environment);
    for (const key of Object.keys(previous.values)) assertKey(this.name, key);
    const current = await this.read(environment);
    if (options.expectedRevision !== undefined && current.revision !== options.expectedRevision)
      throw new StoreConflictError(this.name, environment, options.expectedRevision, current.revision);
    if (sameValues(current.values, previous.values) && stampsEqual(current.stamp, previous.stamp)) return;
    // A new version with the old content: the revision moves forward, so a stale writer still conflicts.
    await this.write(environment, previous.values, previous.stamp, current.revision);
  }

  async close(): Promise<void> {}

  private dataUrl(environment: string): string {
    return `${this.address}/v1/${this.mount}/data/${this.prefix}/${environment}`;
  }

  private async readAt(environment: string, version: string | undefined): Promise<StoreState> {
    const url =
      version === undefined ? this.dataUrl(environment) : `${this.dataUrl(environment)}?version=${version}`;
    const response = await this.request('GET', url);
    const body = (await response.json().catch(() => ({}))) as VaultReadBody;
    const metadata = body.data?.metadata;
    if (response.status === 404 && !metadata && (body.errors ?? []).length > 0) {
      // A missing secret answers 404 with no errors; a 404 with an error means no such mount/route.
      throw storeRejectedError(
        this.name,
        `read answered HTTP 404: ${(body.errors ?? []).join('; ').slice(0, 200)}`,
        undefined,
        `check that a KV v2 secrets engine is mounted at '${this.mount}/'`,
      );
    }
    if (response.status === 404) {
      // A soft-deleted or destroyed latest version still has a version number, which CAS checks against.
      const deletedVersion = metadata?.version;
      return { values: {}, revision: deletedVersion ? String(deletedVersion) : null, stamp: null };
    }
    if (!response.ok) throw this.failure(response.status, body, 'read');
    const raw = body.data?.data ?? {};
    if (typeof metadata?.version !== 'number')
      throw storeCorruptError(
        this.name,
        `${this.mount}/${this.prefix}/${environment} has no version metadata; is ${this.mount}/ a KV v2 mount?`,
      );
    const values: Record<string, string> = {};
    let stamp: StoreStamp | null = null;
    for (const [key, value] of Object.entries(raw)) {
      if (key === vaultStampField) stamp = parseStamp(value);
      else if (key === vaultPackedField) Object.assign(values, this.unpack(value, environment));
      else values[key] = typeof value === 'string' ? value : JSON.stringify(value);
    }
    return { values, revision: String(metadata.version), stamp };
  }

  private async write(
    environment: string,
    values: Record<string, string>,
    stamp: StoreStamp | null,
    expectedRevision: string | null,
  ): Promise<string> {
    const packed =
      this.layout === 'packed' || (this.layout === 'auto' && Object.keys(values).length > this.maxFields);
    const data: Record<string, string> = packed
      ? { [vaultPackedField]: JSON.stringify(values) }
      : { ...values };
    if (stamp)
      data[vaultStampField] = JSON.stringify({
        promotionId: stamp.promotionId,
        contentHash: stamp.contentHash,
      });
    // cas=0 means "only if the secret does not exist yet".
    const cas = expectedRevision === null ? 0 : Number(expectedRevision);
    const response = await this.request('POST', this.dataUrl(environment), { options: { cas }, data });
    const body = (await response.json().catch(() => ({}))) as {
      data?: { version?: number };
      errors?: string[];
    };
    if (response.status === 400 && (body.errors ?? []).some((e) => /check-and-set/i.test(e))) {
      const now = await this.read(environment).catch(() => null);
      throw new StoreConflictError(this.name, environment, expectedRevision, now?.revision ?? null);
    }
    if (!response.ok) throw this.failure(response.status, body, 'write');
    if (typeof body.data?.version !== 'number')
      throw storeCorruptError(this.name, 'the write reply carries no version');
    return String(body.data.version);
  }

  private unpack(value: unknown, environment: string): Record<string, string> {
    let parsed: unknown;
    try {
      parsed = typeof value === 'string' ? JSON.parse(value) : undefined;
    } catch {}
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
      throw storeCorruptError(
        this.name,
        `${vaultPackedField} of ${this.prefix}/${environment} is not a JSON object`,
      );
    const values: Record<string, string> = {};
    for (const [key, inner] of Object.entries(parsed as Record<string, unknown>))
      values[key] = typeof inner === 'string' ? inner : JSON.stringify(inner);
    return values;
  }

  private async request(method: string, url: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = { 'X-Vault-Token': this.token };
    if (this.namespace) headers['X-Vault-Namespace'] = this.namespace;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    try {
      return await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      if ((error as Error).name === 'TimeoutError')
        throw storeTimeoutError(this.name, this.address, this.timeoutMs, error);
      throw storeUnreachableError(
        this.name,
        this.address,
        error,
        'check that Vault is running and `address` points at it',
      );
    }
  }

  /** Only the status and Vault's error strings, which never contain secret data. */
  private failure(status: number, body: { errors?: string[] }, what: string) {
    const detail = `${what} answered HTTP ${status}${body.errors?.length ? `: ${body.errors.join('; ').slice(0, 200)}` : ''}`;
    if (status === 429 || status >= 500) return storeUnavailableError(this.name, detail);
    if (status === 403 || status === 401)
      return storeRejectedError(
        this.name,
        detail,
        undefined,
        'the Vault token is missing, expired or lacks a policy for this path',
      );
    return storeRejectedError(this.name, detail);
  }
}

/** Opens a Vault KV v2 store. Settings: address, token | tokenEnv (default VAULT_TOKEN), mount, prefix, namespace, layout, maxFields, timeoutMs. */
export async function openVaultStore(settings: StoreSettings, context: OpenStoreContext): Promise<Store> {
  const address = (settings.string('address') ?? context.env.VAULT_ADDR)?.replace(/\/+$/, '');
  if (!address)
    throw storeConfigError(settings.name, "setting 'address' is required", 'set address: or VAULT_ADDR');
  settings.assertEndpointAllowed(address);
  const token = settings.requireSecret('token', 'VAULT_TOKEN');
  const mount = settings.string('mount', 'secret') as string;
  const prefix = settings.string('prefix', 'llmcm') as string;
  for (const [setting, value] of [
    ['mount', mount],
    ['prefix', prefix],
  ] as const) {
    if (!/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/.test(value))
      throw storeConfigError(
        settings.name,
        `setting '${setting}' must be a path of letters, digits, - and _`,
      );
  }
  const layout = settings.string('layout', 'auto') as string;
  if (!['fields', 'packed', 'auto'].includes(layout))
    throw storeConfigError(settings.name, "setting 'layout' must be fields, packed or auto");
  return new VaultStore(
    settings.name,
    address,
    token,
    mount,
    prefix,
    settings.string('namespace'),
    settings.integer('timeoutMs', 10_000),
    layout as VaultLayout,
    settings.integer('maxFields', 450),
  );
}

function parseStamp(value: unknown): StoreStamp | null {
  if (typeof value !== 'string') return null;
  try {
    const parsed = JSON.parse(value) as Partial<StoreStamp>;
    return typeof parsed.promotionId === 'string' && typeof parsed.contentHash === 'string'
      ? { promotionId: parsed.promotionId, contentHash: parsed.contentHash }
      : null;
  } catch {
    return null;
  }
}

function sameValues(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return (
    keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && a[key] === b[key])
  );
}
