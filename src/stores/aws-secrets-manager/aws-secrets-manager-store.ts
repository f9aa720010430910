import { randomUUID } from 'node:crypto';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { LlmcmError } from '../../core/errors.js';
import {
  assertEnvironmentName,
  assertKey,
  assertStampMatches,
  isNoOpApply,
  resolveChanges,
  stampsEqual,
} from '../change-set.js';
import {
  isConnectionFailure,
  StoreConflictError,
  storeConfigError,
  storeCorruptError,
  storeInputError,
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

/** The reserved member of the secret's JSON holding the llmcm stamp. */
export const awsStampField = '__llmcm_stamp';
/** The label a new version carries until it is promoted to AWSCURRENT. */
export const pendingStage = 'LLMCM_PENDING';
/** AWS refuses a SecretString over 65,536 bytes. */
const maxSecretBytes = 65_536;

/**
 * AWS Secrets Manager: one secret per environment (`<prefix>/<env>`) whose SecretString is a flat
 * JSON object of all keys plus `__llmcm_stamp`; the AWSCURRENT VersionId is the revision.
 *
 * Compare-and-set: a write first stores the new version under the LLMCM_PENDING label (AWSCURRENT
 * does not move), then moves AWSCURRENT with UpdateSecretVersionStage naming the expected version
 * in RemoveFromVersionId. The service refuses that move when AWSCURRENT is no longer on the expected
 * version, so a concurrent writer loses with a conflict instead of silently overwriting. A new
 * environment is created with CreateSecret, which fails if the secret already exists. Readers only
 * ever see AWSCURRENT, so the pending version is invisible until the move.
 */
export class AwsSecretsManagerStore implements Store {
  readonly kind = 'aws-secrets-manager' as const;

  constructor(
    readonly name: string,
    private readonly client: SecretsManagerClient,
    private readonly target: string,
    private readonly prefix: string,
    private readonly timeoutMs: number,
    private readonly kmsKeyId: string | undefined,
  ) {}

  /** The secret name holding `environment`. */
  secretName(environment: string): string {
    return `${this.prefix}/${environment}`;
  }

  async read(environment: string): Promise<StoreState> {
    assertEnvironmentName(this.name, environment);
    return this.call(() => this.readState(environment));
  }

  async apply(environment: string, changes: StoreChangeSet, options: ApplyOptions): Promise<ApplyResult> {
    assertEnvironmentName(this.name, environment);
    return this.call(async () => {
      const current = await this.readState(environment);
      if (current.revision !== options.expectedRevision)
        throw new StoreConflictError(this.name, environment, options.expectedRevision, current.revision);
      const resolved = resolveChanges(this.name, current.values, changes);
      assertStampMatches(this.name, resolved.next, options.stamp);
      if (isNoOpApply(current, resolved, options.stamp)) return { revision: current.revision, writes: 0 };
      const revision = await this.write(environment, resolved.next, options.stamp, current.revision);
      return { revision, writes: resolved.writes };
    });
  }

  async restore(environment: string, previous: StoreState, options: RestoreOptions = {}): Promise<void> {
    assertEnvironmentName(this.name, environment);
    for (const key of Object.keys(previous.values)) assertKey(this.name, key);
    await this.call(async () => {
      const current = await this.readState(environment);
      if (options.expectedRevision !== undefined && current.revision !== options.expectedRevision)
        throw new StoreConflictError(this.name, environment, options.expectedRevision, current.revision);
      if (sameValues(current.values, previous.values) && stampsEqual(current.stamp, previous.stamp)) return;
      await this.write(environment, previous.values, previous.stamp, current.revision);
    });
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  private async readState(environment: string): Promise<StoreState> {
    let reply: { SecretString?: string; VersionId?: string };
    try {
      // Ask for the AWSCURRENT label explicitly: moto (5.x) keeps serving the old "default" version
      // after UpdateSecretVersionStage moves the label, while AWS itself resolves the label.
      reply = await this.client.send(
        new GetSecretValueCommand({ SecretId: this.secretName(environment), VersionStage: 'AWSCURRENT' }),
      );
    } catch (error) {
      if (errorName(error) === 'ResourceNotFoundException')
        return { values: {}, revision: null, stamp: null };
      throw error;
    }
    if (typeof reply.SecretString !== 'string' || !reply.VersionId)
      throw storeCorruptError(
        this.name,
        `${this.secretName(environment)} has no SecretString (binary secrets are not supported)`,
      );
    let parsed: unknown;
    try {
      parsed = JSON.parse(reply.SecretString);
    } catch {
      throw storeCorruptError(this.name, `${this.secretName(environment)} is not a JSON object`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      throw storeCorruptError(this.name, `${this.secretName(environment)} is not a JSON object`);
    const values: Record<string, string> = {};
    let stamp: StoreStamp | null = null;
    for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
      if (key === awsStampField) stamp = parseStamp(value);
      else values[key] = typeof value === 'string' ? value : JSON.stringify(value);
    }
    return { values, revision: reply.VersionId, stamp };
  }

  private async write(
    environment: string,
    values: Record<string, string>,
    stamp: StoreStamp | null,
    expectedRevision: string | null,
  ): Promise<string> {
    const document: Record<string, unknown> = { ...values };
    if (stamp) document[awsStampField] = { promotionId: stamp.promotionId, contentHash: stamp.contentHash };
    const secretString = JSON.stringify(document);
    const bytes = Buffer.byteLength(secretString, 'utf8');
    if (bytes > maxSecretBytes)
      throw storeInputError(
        this.name,
        `environment '${environment}' renders to ${bytes} bytes; AWS Secrets Manager holds at most ${maxSecretBytes} per secret`,
        'split the configuration across stores, or use the vault/postgres store for large environments',
      );
    const versionId = randomUUID();
    const secretId = this.secretName(environment);
    if (expectedRevision === null) {
      try {
        await this.client.send(
          new CreateSecretCommand({
            Name: secretId,
            SecretString: secretString,
            ClientRequestToken: versionId,
            KmsKeyId: this.kmsKeyId,
          }),
        );
      } catch (error) {
        if (errorName(error) === 'ResourceExistsException')
          throw new StoreConflictError(this.name, environment, null, 'created concurrently');
        throw error;
      }
      return versionId;
    }
    // Stage the new version without touching AWSCURRENT, then move AWSCURRENT only if it is still
    // on the version we read: the service performs that check, so it is a real compare-and-set.
    await this.client.send(
      new PutSecretValueCommand({
        SecretId: secretId,
        SecretString: secretString,
        ClientRequestToken: versionId,
        VersionStages: [pendingStage],
      }),
    );
    try {
      await this.client.send(
        new UpdateSecretVersionStageCommand({
          SecretId: secretId,
          VersionStage: 'AWSCURRENT',
          MoveToVersionId: versionId,
          RemoveFromVersionId: expectedRevision,
        }),
      );
    } catch (error) {
      if (errorName(error) === 'InvalidParameterException') {
        const now = await this.readState(environment).catch(() => null);
        throw new StoreConflictError(this.name, environment, expectedRevision, now?.revision ?? null);
      }
      throw error;
    }
    return versionId;
  }

  /** Runs an SDK call sequence, mapping SDK errors to store errors (names and status only). */
  private async call<T>(body: () => Promise<T>): Promise<T> {
    try {
      return await body();
    } catch (error) {
      throw this.mapError(error);
    }
  }

  private mapError(error: unknown): unknown {
    if (error instanceof LlmcmError) return error;
    const name = errorName(error);
    const status = (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
    if (
      name === 'TimeoutError' ||
      name === 'RequestTimeout' ||
      /timed? ?out/i.test((error as Error)?.message ?? '')
    )
      return storeTimeoutError(this.name, this.target, this.timeoutMs, error);
    if (isConnectionFailure(error))
      return storeUnreachableError(
        this.name,
        this.target,
        error,
        'check that the endpoint is right and the service is reachable',
      );
    if (
      name === 'ThrottlingException' ||
      name === 'InternalServiceError' ||
      (status !== undefined && status >= 500)
    )
      return storeUnavailableError(this.name, `${name} (HTTP ${status ?? '?'})`, error);
    if (name === 'InvalidRequestException')
      return storeRejectedError(
        this.name,
        `${name}: the secret may be scheduled for deletion`,
        error,
        'restore it with `aws secretsmanager restore-secret`, or choose another prefix',
      );
    return storeRejectedError(
      this.name,
      `${name}${status ? ` (HTTP ${status})` : ''}`,
      error,
      'check the credentials, region and IAM permissions for this store',
    );
  }
}

/**
 * Opens an AWS Secrets Manager store. Settings: region, endpoint, accessKeyId | accessKeyIdEnv,
 * secretAccessKey | secretAccessKeyEnv, sessionToken | sessionTokenEnv, prefix, kmsKeyId, timeoutMs.
 * Credentials must be explicit: the SDK's default chain is never used, because without credentials
 * it probes the instance metadata address.
 */
export async function openAwsSecretsManagerStore(
  settings: StoreSettings,
  context: OpenStoreContext,
): Promise<Store> {
  const region = settings.string('region') ?? context.env.AWS_REGION;
  if (!region)
    throw storeConfigError(settings.name, "setting 'region' is required", 'set region: (e.g. us-east-1)');
  const endpoint = settings.string('endpoint');
  if (endpoint) settings.assertEndpointAllowed(endpoint);
  else if (context.env.LLMCM_LOOPBACK_ONLY === '1')
    throw storeConfigError(
      settings.name,
      "setting 'endpoint' is required under LLMCM_LOOPBACK_ONLY=1",
      'point it at http://127.0.0.1:<port>',
    );
  const accessKeyId = settings.requireSecret('accessKeyId', 'AWS_ACCESS_KEY_ID');
  const secretAccessKey = settings.requireSecret('secretAccessKey', 'AWS_SECRET_ACCESS_KEY');
  const sessionToken = settings.secret('sessionToken', 'AWS_SESSION_TOKEN');
  const prefix = settings.string('prefix', 'llmcm') as string;
  if (!/^[A-Za-z0-9/_+=.@-]+$/.test(prefix))
    throw storeConfigError(settings.name, "setting 'prefix' has characters AWS secret names do not allow");
  const timeoutMs = settings.integer('timeoutMs', 10_000);
  // The SDK warns on Node < 22 about releases after January 2027; the SDK version is pinned, and the
  // warning would land in the middle of the CLI's one-line output. The user's own setting wins.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const client = new SecretsManagerClient({
    region,
    endpoint,
    credentials: { accessKeyId, secretAccessKey, sessionToken },
    // One attempt per call: the promoter owns retries and backoff.
    maxAttempts: 1,
    requestHandler: { connectionTimeout: timeoutMs, requestTimeout: timeoutMs },
  });
  const target = endpoint ?? `secretsmanager.${region}.amazonaws.com`;
  return new AwsSecretsManagerStore(
    settings.name,
    client,
    target,
    prefix,
    timeoutMs,
    settings.string('kmsKeyId'),
  );
}

function errorName(error: unknown): string {
  return String((error as { name?: unknown })?.name ?? 'Error');
}

function parseStamp(value: unknown): StoreStamp | null {
  const stamp = value as Partial<StoreStamp> | null;
  return stamp && typeof stamp.promotionId === 'string' && typeof stamp.contentHash === 'string'
    ? { promotionId: stamp.promotionId, contentHash: stamp.contentHash }
    : null;
}

function sameValues(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return (
    keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && a[key] === b[key])
  );
}
