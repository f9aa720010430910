import pg from 'pg';
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

/** What listeners on the NOTIFY channel receive after every write: never a value. */
export interface PostgresChangeNotice {
  environment: string;
  revision: string;
  promotionId: string | null;
}

interface Tables {
  heads: string;
  values: string;
  revisions: string;
  current: string;
}

/**
 * PostgreSQL: a versioned table. Every value row carries the revision that wrote it (`valid_from`)
 * and the one that replaced or deleted it (`valid_to`, NULL while current), so the state at any
 * past revision stays queryable and a change touches only the changed keys. A `<table>_heads` row
 * per environment holds the revision counter and the stamp; a write locks it (SELECT … FOR UPDATE),
 * checks the revision and commits values, head, a history row and a NOTIFY in one transaction.
 * Apps read the `<table>_current` view.
 */
export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  private schemaReady: Promise<void> | undefined;

  constructor(
    readonly name: string,
    private readonly pool: pg.Pool,
    private readonly target: string,
    private readonly tables: Tables,
    private readonly channel: string,
    private readonly timeoutMs: number,
  ) {}

  async read(environment: string): Promise<StoreState> {
    assertEnvironmentName(this.name, environment);
    return this.transaction(async (client) => {
      // REPEATABLE READ: head and values come from one snapshot.
      await client.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
      return this.readState(client, environment, false);
    });
  }

  /** The values as of an earlier revision (the table keeps them all). */
  async readRevision(environment: string, revision: string): Promise<Record<string, string>> {
    assertEnvironmentName(this.name, environment);
    if (!/^\d+$/.test(revision)) throw storeInputError(this.name, `'${revision}' is not a revision number`);
    return this.transaction(async (client) => {
      const rows = await client.query<{ key: string; value: string }>(
        `SELECT key, value FROM ${this.tables.values} WHERE environment = $1 AND valid_from <= $2 AND (valid_to IS NULL OR valid_to > $2)`,
        [environment, revision],
      );
      return Object.fromEntries(rows.rows.map((row) => [row.key, row.value]));
    });
  }

  async apply(environment: string, changes: StoreChangeSet, options: ApplyOptions): Promise<ApplyResult> {
    assertEnvironmentName(this.name, environment);
    for (const [key, value] of Object.entries(changes.set)) assertStorable(this.name, key, value);
    return this.transaction(async (client) => {
      const current = await this.readState(client, environment, true);
      if (current.revision !== options.expectedRevision)
        throw new StoreConflictError(this.name, environment, options.expectedRevision, current.revision);
      const resolved = resolveChanges(this.name, current.values, changes);
      assertStampMatches(this.name, resolved.next, options.stamp);
      if (isNoOpApply(current, resolved, options.stamp)) return { revision: current.revision, writes: 0 };
      const revision = await this.write(
        client,
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
    for (const [key, value] of Object.entries(previous.values)) {
      assertKey(this.name, key);
      assertStorable(this.name, key, value);
    }
    await this.transaction(async (client) => {
      const current = await this.readState(client, environment, true);
      if (options.expectedRevision !== undefined && current.revision !== options.expectedRevision)
        throw new StoreConflictError(this.name, environment, options.expectedRevision, current.revision);
      const set: Record<string, string> = {};
      for (const [key, value] of Object.entries(previous.values))
        if (current.values[key] !== value) set[key] = value;
      const deleted = Object.keys(current.values).filter((key) => !Object.hasOwn(previous.values, key));
      if (Object.keys(set).length === 0 && deleted.length === 0 && stampsEqual(current.stamp, previous.stamp))
        return;
      await this.write(client, environment, current, set, deleted, previous.stamp);
    });
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }

  private async readState(client: pg.PoolClient, environment: string, lock: boolean): Promise<StoreState> {
    const head = await client.query<{
      revision: string;
      promotion_id: string | null;
      content_hash: string | null;
    }>(
      `SELECT revision::text AS revision, promotion_id, content_hash FROM ${this.tables.heads} WHERE environment = $1${lock ? ' FOR UPDATE' : ''}`,
      [environment],
    );
    const row = head.rows[0];
    if (!row) return { values: {}, revision: null, stamp: null };
    const rows = await client.query<{ key: string; value: string }>(
      `SELECT key, value FROM ${this.tables.values} WHERE environment = $1 AND valid_to IS NULL`,
      [environment],
    );
    const values: Record<string, string> = {};
    for (const { key, value } of rows.rows) values[key] = value;
    const stamp =
      row.promotion_id !== null && row.content_hash !== null
        ? { promotionId: row.promotion_id, contentHash: row.content_hash }
        : null;
    return { values, revision: row.revision, stamp };
  }

  /** Inside the caller's transaction, with the head row locked (or known absent). */
  private async write(
    client: pg.PoolClient,
    environment: string,
    current: StoreState,
    set: Record<string, string>,
    deleted: string[],
    stamp: StoreStamp | null,
  ): Promise<string> {
    const revision = String(Number(current.revision ?? '0') + 1);
    if (current.revision === null) {
      // No row to lock yet: the primary key decides between two creators; the loser inserts nothing.
      const created = await client.query(
        `INSERT INTO ${this.tables.heads} (environment, revision, promotion_id, content_hash) VALUES ($1, $2, $3, $4)
         ON CONFLICT (environment) DO NOTHING RETURNING environment`,
        [environment, revision, stamp?.promotionId ?? null, stamp?.contentHash ?? null],
      );
      if (created.rowCount === 0)
        throw new StoreConflictError(this.name, environment, null, 'created concurrently');
    } else {
      await client.query(
        `UPDATE ${this.tables.heads} SET revision = $2, promotion_id = $3, content_hash = $4, updated_at = now() WHERE environment = $1`,
        [environment, revision, stamp?.promotionId ?? null, stamp?.contentHash ?? null],
      );
    }
    const setKeys = Object.keys(set);
    const closing = [...setKeys.filter((key) => Object.hasOwn(current.values, key)), ...deleted];
    if (closing.length > 0)
      await client.query(
        `UPDATE ${this.tables.values} SET valid_to = $2 WHERE environment = $1 AND valid_to IS NULL AND key = ANY($3::text[])`,
        [environment, revision, closing],
      );
    if (setKeys.length > 0)
      await client.query(
        `INSERT INTO ${this.tables.values} (environment, key, value, valid_from)
         SELECT $1, k, v, $2 FROM unnest($3::text[], $4::text[]) AS t(k, v)`,
        [environment, revision, setKeys, setKeys.map((key) => set[key])],
      );
    await client.query(
      `INSERT INTO ${this.tables.revisions} (environment, revision, promotion_id, content_hash, writes) VALUES ($1, $2, $3, $4, $5)`,
      [
        environment,
        revision,
        stamp?.promotionId ?? null,
        stamp?.contentHash ?? null,
        setKeys.length + deleted.length,
      ],
    );
    const notice: PostgresChangeNotice = { environment, revision, promotionId: stamp?.promotionId ?? null };
    await client.query('SELECT pg_notify($1, $2)', [this.channel, JSON.stringify(notice)]);
    return revision;
  }

  /** Runs `body` in BEGIN … COMMIT on one pooled connection; any failure rolls back. */
  private async transaction<T>(body: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient | undefined;
    let failure: Error | undefined;
    const onError = (error: Error) => {
      failure = error;
    };
    try {
      await this.ensureSchema();
      client = await this.pool.connect();
      // A checked-out client emits 'error' when the server goes away; the failing query reports it.
      client.on('error', onError);
      await client.query('BEGIN');
      const result = await body(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      failure ??= error as Error;
      // Our own refusals (conflict, bad input) leave a healthy connection: roll back and reuse it.
      // Anything else (timeout, dropped socket, server error) destroys the connection instead,
      // which makes the server abort the transaction without waiting on a possibly stuck socket.
      if (client && error instanceof LlmcmError) await client.query('ROLLBACK').catch(() => undefined);
      throw this.mapError(error);
    } finally {
      client?.off('error', onError);
      client?.release(failure && !(failure instanceof LlmcmError) ? failure : undefined);
    }
  }

  private ensureSchema(): Promise<void> {
    if (!this.schemaReady) {
      this.schemaReady = this.createSchema().catch((error) => {
        this.schemaReady = undefined;
        throw error;
      });
    }
    return this.schemaReady;
  }

  /** Idempotent DDL, serialised by an advisory lock so parallel first runs do not race. */
  private async createSchema(): Promise<void> {
    const client = await this.pool.connect();
    const ignore = () => {};
    client.on('error', ignore);
    const t = this.tables;
    try {
      await client.query('BEGIN');
      await client.query("SELECT pg_advisory_xact_lock(hashtext('llmcm-store-schema'))");
      await client.query(`CREATE TABLE IF NOT EXISTS ${t.heads} (
        environment text PRIMARY KEY,
        revision bigint NOT NULL,
        promotion_id text,
        content_hash text,
        updated_at timestamptz NOT NULL DEFAULT now())`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${t.values} (
        environment text NOT NULL,
        key text NOT NULL,
        value text NOT NULL,
        valid_from bigint NOT NULL,
        valid_to bigint,
        PRIMARY KEY (environment, key, valid_from))`);
      await client.query(
        `CREATE UNIQUE INDEX IF NOT EXISTS ${t.values}_current_idx ON ${t.values} (environment, key) WHERE valid_to IS NULL`,
      );
      await client.query(`CREATE TABLE IF NOT EXISTS ${t.revisions} (
        environment text NOT NULL,
        revision bigint NOT NULL,
        promotion_id text,
        content_hash text,
        writes integer NOT NULL,
        written_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (environment, revision))`);
      await client.query(
        `CREATE OR REPLACE VIEW ${t.current} AS SELECT environment, key, value FROM ${t.values} WHERE valid_to IS NULL`,
      );
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.off('error', ignore);
      client.release();
    }
  }

  /** SQLSTATE and error class only: a driver message may quote data. */
  private mapError(error: unknown): unknown {
    if (error instanceof LlmcmError) return error;
    const code = (error as { code?: unknown })?.code;
    const message = (error as Error)?.message ?? '';
    if (/timeout/i.test(message)) return storeTimeoutError(this.name, this.target, this.timeoutMs, error);
    if (
      isConnectionFailure(error) ||
      /Connection terminated|connection error|Client has encountered a connection error/i.test(message) ||
      (typeof code === 'string' &&
        (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03'))
    )
      return storeUnreachableError(
        this.name,
        this.target,
        error,
        'check that PostgreSQL is running and the host/port settings point at it',
      );
    if (code === '40001' || code === '40P01' || code === '53300' || code === '55P03')
      return storeUnavailableError(this.name, `transaction aborted (SQLSTATE ${code})`, error);
    if (code === '28P01' || code === '28000' || code === '42501')
      return storeRejectedError(
        this.name,
        `access denied (SQLSTATE ${code})`,
        error,
        'check the postgres user, password (passwordEnv) and grants',
      );
    if (code === '57014') return storeTimeoutError(this.name, this.target, this.timeoutMs, error);
    return storeRejectedError(
      this.name,
      `query failed (SQLSTATE ${typeof code === 'string' ? code : 'unknown'})`,
      error,
    );
  }
}

/** PostgreSQL text cannot hold NUL; refuse it up front with the key name rather than a driver error. */
function assertStorable(store: string, key: string, value: string): void {
  if (key.includes('\u0000') || (typeof value === 'string' && value.includes('\u0000')))
    throw storeInputError(
      store,
      `key '${key.replace(/\u0000/g, '\\0')}' contains a NUL character, which PostgreSQL text cannot store`,
    );
}

/**
 * Opens a PostgreSQL store. Settings: connectionString, or host/port/user/database, password |
 * passwordEnv (default PGPASSWORD); table (name prefix, default llmcm_store), schema, channel, timeoutMs.
 */
export async function openPostgresStore(settings: StoreSettings, _context: OpenStoreContext): Promise<Store> {
  const timeoutMs = settings.integer('timeoutMs', 10_000);
  const connectionString = settings.secret('connectionString');
  let config: pg.PoolConfig;
  let target: string;
  if (connectionString) {
    let parsed: URL;
    try {
      parsed = new URL(connectionString);
    } catch {
      throw storeConfigError(settings.name, 'connectionString is not a postgres:// URL');
    }
    settings.assertEndpointAllowed(connectionString);
    config = { connectionString };
    target = `postgres://${parsed.hostname}:${parsed.port || 5432}${parsed.pathname}`;
  } else {
    const host = settings.string('host', '127.0.0.1') as string;
    settings.assertEndpointAllowed(`postgres://${host}`);
    const port = settings.integer('port', 5432);
    const database = settings.string('database', 'postgres') as string;
    config = {
      host,
      port,
      user: settings.string('user', 'postgres'),
      database,
      password: settings.secret('password', 'PGPASSWORD'),
    };
    target = `postgres://${host}:${port}/${database}`;
  }
  const identifier = /^[a-z_][a-z0-9_]{0,40}$/;
  const table = settings.string('table', 'llmcm_store') as string;
  const schema = settings.string('schema');
  if (!identifier.test(table))
    throw storeConfigError(settings.name, "setting 'table' must be a lower-case SQL identifier");
  if (schema !== undefined && !identifier.test(schema))
    throw storeConfigError(settings.name, "setting 'schema' must be a lower-case SQL identifier");
  const qualified = (suffix: string) => (schema ? `${schema}.${table}_${suffix}` : `${table}_${suffix}`);
  const pool = new pg.Pool({
    ...config,
    max: 4,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    idleTimeoutMillis: 10_000,
    application_name: 'llmcm',
  });
  // An idle connection dropped by the server must not crash the process; the next query reports it.
  pool.on('error', () => {});
  return new PostgresStore(
    settings.name,
    pool,
    target,
    {
      heads: qualified('heads'),
      values: qualified('values'),
      revisions: qualified('revisions'),
      current: qualified('current'),
    },
    settings.string('channel', 'llmcm_changed') as string,
    timeoutMs,
  );
}
