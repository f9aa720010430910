import { Redis, type RedisOptions } from 'ioredis';
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
  storeRejectedError,
  storeTimeoutError,
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

/** What gateways receive on `<prefix>:<env>:changed` after every write: never a value. */
export interface RedisChangeNotice {
  environment: string;
  revision: string;
  promotionId: string | null;
}

/**
 * Redis: one hash per environment (`<prefix>:<env>`, field = key) that gateways read with HGETALL,
 * and a metadata hash (`<prefix>:<env>:meta`: revision counter, promotion id, content hash).
 * A write WATCHes both, checks the revision, and commits values, metadata and a PUBLISH on
 * `<prefix>:<env>:changed` in one MULTI/EXEC: either all of it happens or none, and EXEC fails if
 * anyone touched the keys in between (that is the compare-and-set).
 */
export class RedisStore implements Store {
  readonly kind = 'redis' as const;
  private client: Redis | undefined;
  /** WATCH is per connection: writes through this instance are serialised. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly name: string,
    private readonly options: RedisOptions,
    private readonly target: string,
    private readonly prefix: string,
    private readonly timeoutMs: number,
  ) {}

  /** The channel a gateway subscribes to for hot reloads of `environment`. */
  channel(environment: string): string {
    return `${this.prefix}:${environment}:changed`;
  }

  async read(environment: string): Promise<StoreState> {
    assertEnvironmentName(this.name, environment);
    return this.serialised(async (redis) => {
      // MULTI gives one consistent snapshot of values and metadata.
      const replies = await redis
        .multi()
        .hgetall(this.hashKey(environment))
        .hgetall(this.metaKey(environment))
        .exec();
      // Only a WATCH armed on this connection could abort it, and serialised() clears those:
      // fail loudly rather than report an empty environment.
      if (!replies) throw storeRejectedError(this.name, 'the snapshot transaction was aborted');
      return this.toState(
        environment,
        replies?.[0]?.[1] as Record<string, string>,
        replies?.[1]?.[1] as Record<string, string>,
      );
    });
  }

  async apply(environment: string, changes: StoreChangeSet, options: ApplyOptions): Promise<ApplyResult> {
    assertEnvironmentName(this.name, environment);
    return this.serialised(async (redis) => {
      const current = await this.watchAndRead(redis, environment);
      if (current.revision !== options.expectedRevision) {
        await redis.unwatch();
        throw new StoreConflictError(this.name, environment, options.expectedRevision, current.revision);
      }
      const resolved = resolveChanges(this.name, current.values, changes);
      assertStampMatches(this.name, resolved.next, options.stamp);
      if (isNoOpApply(current, resolved, options.stamp)) {
        await redis.unwatch();
        return { revision: current.revision, writes: 0 };
      }
      const revision = await this.commit(
        redis,
        environment,
        current,
        resolved.set,
        resolved.delete,
        options.stamp,
      );
      return { revision, writes: resolved.writes };
    });
  }

  async restore(environment: string, previous: StoreState, options: RestoreOptions = {}): Promise<void> {
    assertEnvironmentName(this.name, environment);
    for (const key of Object.keys(previous.values)) assertKey(this.name, key);
    await this.serialised(async (redis) => {
      const current = await this.watchAndRead(redis, environment);
      if (options.expectedRevision !== undefined && current.revision !== options.expectedRevision) {
        await redis.unwatch();
        throw new StoreConflictError(this.name, environment, options.expectedRevision, current.revision);
      }
      const set: Record<string, string> = {};
      for (const [key, value] of Object.entries(previous.values))
        if (current.values[key] !== value) set[key] = value;
      const deleted = Object.keys(current.values).filter((key) => !Object.hasOwn(previous.values, key));
      if (
        Object.keys(set).length === 0 &&
        deleted.length === 0 &&
        stampsEqual(current.stamp, previous.stamp)
      ) {
        await redis.unwatch();
        return;
      }
      await this.commit(redis, environment, current, set, deleted, previous.stamp);
    });
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) client.disconnect();
  }

  private hashKey(environment: string): string {
    return `${this.prefix}:${environment}`;
  }

  private metaKey(environment: string): string {
    return `${this.prefix}:${environment}:meta`;
  }

  private async watchAndRead(redis: Redis, environment: string): Promise<StoreState> {
    await redis.watch(this.hashKey(environment), this.metaKey(environment));
    const [values, meta] = await Promise.all([
      redis.hgetall(this.hashKey(environment)),
      redis.hgetall(this.metaKey(environment)),
    ]);
    return this.toState(environment, values, meta);
  }

  /** MULTI/EXEC of values, metadata and the change notice; a null EXEC means a watched key moved. */
  private async commit(
    redis: Redis,
    environment: string,
    current: StoreState,
    set: Record<string, string>,
    deleted: string[],
    stamp: StoreStamp | null,
  ): Promise<string> {
    const revision = String(Number(current.revision ?? '0') + 1);
    const multi = redis.multi();
    if (deleted.length > 0) multi.hdel(this.hashKey(environment), ...deleted);
    if (Object.keys(set).length > 0) multi.hset(this.hashKey(environment), set);
    multi.hset(this.metaKey(environment), { revision });
    if (stamp)
      multi.hset(this.metaKey(environment), {
        promotionId: stamp.promotionId,
        contentHash: stamp.contentHash,
      });
    else multi.hdel(this.metaKey(environment), 'promotionId', 'contentHash');
    const notice: RedisChangeNotice = { environment, revision, promotionId: stamp?.promotionId ?? null };
    multi.publish(this.channel(environment), JSON.stringify(notice));
    const result = await multi.exec();
    if (result === null) {
      const now = await Promise.all([redis.hget(this.metaKey(environment), 'revision')]).catch(() => [null]);
      throw new StoreConflictError(this.name, environment, current.revision, now[0] ?? null);
    }
    const failed = result.find(([error]) => error);
    if (failed)
      throw storeRejectedError(
        this.name,
        `MULTI/EXEC failed (${(failed[0] as Error).message.slice(0, 120)})`,
      );
    return revision;
  }

  private toState(
    environment: string,
    values: Record<string, string> | undefined,
    meta: Record<string, string> | undefined,
  ): StoreState {
    const revision = meta?.revision ?? null;
    if (revision !== null && !/^\d+$/.test(revision))
      throw storeCorruptError(this.name, `${this.metaKey(environment)} has a non-numeric revision`);
    const stamp =
      meta?.promotionId !== undefined && meta.contentHash !== undefined
        ? { promotionId: meta.promotionId, contentHash: meta.contentHash }
        : null;
    return { values: { ...(values ?? {}) }, revision, stamp };
  }

  /** Runs `body` after every earlier call on this instance, on a live connection, mapping errors. */
  private serialised<T>(body: (redis: Redis) => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      const redis = await this.connect();
      try {
        return await body(redis);
      } catch (error) {
        // A failure between WATCH and EXEC (bad input, stamp mismatch) must not leave the WATCH
        // armed on this connection, or the next read's MULTI would be aborted by it.
        if (redis.status === 'ready') await redis.unwatch().catch(() => undefined);
        throw this.mapError(error);
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async connect(): Promise<Redis> {
    if (this.client && this.client.status === 'ready') return this.client;
    if (this.client) this.client.disconnect();
    const client = new Redis(this.options);
    // Errors surface through the rejected commands; without a listener ioredis prints them.
    client.on('error', () => {});
    this.client = client;
    try {
      await client.connect();
    } catch (error) {
      client.disconnect();
      this.client = undefined;
      throw this.mapError(error);
    }
    return client;
  }

  private mapError(error: unknown): unknown {
    if (error instanceof LlmcmError) return error;
    // ioredis attaches the failed command, arguments (values!) included, to its errors: drop it
    // before the error becomes a cause that --debug would print.
    if (error && typeof error === 'object' && 'command' in error)
      delete (error as { command?: unknown }).command;
    const message = (error as Error)?.message ?? '';
    if (/timed? ?out/i.test(message)) return storeTimeoutError(this.name, this.target, this.timeoutMs, error);
    if (
      isConnectionFailure(error) ||
      /Connection is closed|Stream isn't writeable|ECONNREFUSED/i.test(message)
    ) {
      this.client?.disconnect();
      this.client = undefined;
      return storeUnreachableError(
        this.name,
        this.target,
        error,
        'check that redis-server is running and `url` points at it',
      );
    }
    if (/NOAUTH|WRONGPASS|NOPERM/.test(message))
      return storeRejectedError(
        this.name,
        message.split(' ')[0] as string,
        error,
        'check the redis username/password (passwordEnv)',
      );
    return storeRejectedError(this.name, message.split('\n')[0]?.slice(0, 120) ?? 'error', error);
  }
}

/** Opens a Redis store. Settings: url (redis://host:port/db) or host/port/db, username, password | passwordEnv, prefix, timeoutMs. */
export async function openRedisStore(settings: StoreSettings, _context: OpenStoreContext): Promise<Store> {
  const timeoutMs = settings.integer('timeoutMs', 10_000);
  const url = settings.string('url');
  const base: RedisOptions = {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    // One attempt per call: the promoter owns retries and backoff, so failures surface promptly.
    retryStrategy: () => null,
    enableOfflineQueue: true,
  };
  let options: RedisOptions;
  let target: string;
  if (url) {
    settings.assertEndpointAllowed(url);
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw storeConfigError(settings.name, "setting 'url' is not a redis:// URL");
    }
    if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:')
      throw storeConfigError(settings.name, "setting 'url' must start with redis:// or rediss://");
    options = {
      ...base,
      host: parsed.hostname,
      port: parsed.port ? Number(parsed.port) : 6379,
      db: parseDb(settings.name, parsed.pathname.length > 1 ? parsed.pathname.slice(1) : 0),
      username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
      password: parsed.password ? decodeURIComponent(parsed.password) : settings.secret('password'),
      tls: parsed.protocol === 'rediss:' ? {} : undefined,
    };
    // Never echo a password embedded in the URL.
    target = `${parsed.protocol}//${parsed.hostname}:${options.port}/${options.db}`;
  } else {
    const host = settings.string('host', '127.0.0.1') as string;
    settings.assertEndpointAllowed(`redis://${host}`);
    options = {
      ...base,
      host,
      port: settings.integer('port', 6379),
      db: parseDb(settings.name, settings.config.db ?? 0),
      username: settings.string('username'),
      password: settings.secret('password'),
    };
    target = `redis://${host}:${options.port}/${options.db}`;
  }
  const prefix = settings.string('prefix', 'llmcm') as string;
  if (!/^[A-Za-z0-9_.-]+$/.test(prefix))
    throw storeConfigError(settings.name, "setting 'prefix' must be letters, digits, _ . -");
  return new RedisStore(settings.name, options, target, prefix, timeoutMs);
}

/** Redis logical database: a non-negative integer, from the URL path or the `db` setting. */
function parseDb(store: string, value: unknown): number {
  const db = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof db !== 'number' || !Number.isInteger(db) || db < 0)
    throw storeConfigError(store, 'the redis database (url path or `db`) must be a non-negative integer');
  return db;
}
