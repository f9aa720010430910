import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { writeFileAtomic } from '../../core/atomic-write.js';
import { isProcessAlive } from '../../core/process-alive.js';
import {
  assertEnvironmentName,
  assertKey,
  assertStampMatches,
  isNoOpApply,
  resolveChanges,
  stampsEqual,
} from '../change-set.js';
import { computeContentHash } from '../content-hash.js';
import {
  StoreConflictError,
  storeConfigError,
  storeCorruptError,
  storeRejectedError,
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
import { parseNestedJson, renderDotEnv, renderNestedJson } from './render.js';

/** Format tag of manifest.json, bumped if the layout ever changes. */
const manifestFormat = 'llmcm-file-store/1';
const historyLimit = 50;

/** One line of the manifest's history: what an earlier revision held (never the values). */
export interface FileRevisionSummary {
  revision: number;
  promotionId: string | null;
  contentHash: string;
  writtenAt: string;
}

/** manifest.json, written beside config.json and .env in every revision directory. */
export interface FileStoreManifest extends FileRevisionSummary {
  format: string;
  environment: string;
  stamp: StoreStamp | null;
  keys: number;
  /** Earlier revisions, newest first; the directories of the last `keepRevisions` are kept on disk. */
  history: FileRevisionSummary[];
  /** sha256 (hex) of each rendered artifact as written (`config.json`, `.env`), to detect hand edits. */
  files?: Record<string, string>;
  /** sha256 (hex) of this manifest's JSON without `digest`: a hand edit of the manifest shows. */
  digest?: string;
}

/** The rendered artifacts apps read, beside manifest.json. */
const renderedFiles = ['config.json', '.env'] as const;

function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

/** manifest.json as written: pretty JSON ending in `digest`, the hash of everything before it. */
function renderManifest(manifest: FileStoreManifest): string {
  const { digest: _ignored, ...body } = manifest;
  return `${JSON.stringify({ ...body, digest: sha256(JSON.stringify(body, null, 2)) }, null, 2)}\n`;
}

/**
 * The embedded default store: rendered config per environment on the local disk.
 *
 * Layout of `<directory>/<env>/`:
 *   revisions/00000007/{config.json,.env,manifest.json}   one immutable directory per revision (0700, files 0600)
 *   current -> revisions/00000007                         swapped with an atomic rename of a new symlink
 *   config.json -> current/config.json, .env -> current/.env   stable paths for apps
 *
 * A reader never locks: every path it opens resolves `current` once, so it sees a whole old or a
 * whole new revision. Writers take `.lock` (exclusive create) for the read-compare-write, which is
 * what makes the revision check a real compare-and-set between processes.
 */
export class FileStore implements Store {
  readonly kind = 'file' as const;

  constructor(
    readonly name: string,
    /** Absolute directory holding one folder per environment. */
    readonly directory: string,
    private readonly keepRevisions: number,
  ) {}

  async read(environment: string): Promise<StoreState> {
    assertEnvironmentName(this.name, environment);
    return this.readState(join(this.directory, environment));
  }

  async apply(environment: string, changes: StoreChangeSet, options: ApplyOptions): Promise<ApplyResult> {
    assertEnvironmentName(this.name, environment);
    const envDir = join(this.directory, environment);
    return this.withLock(envDir, environment, () => {
      const current = this.readState(envDir);
      if (current.revision !== options.expectedRevision)
        throw new StoreConflictError(this.name, environment, options.expectedRevision, current.revision);
      const resolved = resolveChanges(this.name, current.values, changes);
      assertStampMatches(this.name, resolved.next, options.stamp);
      // A hand-edited artifact is repaired by rewriting the revision even when the values agree.
      if (isNoOpApply(current, resolved, options.stamp) && !current.tampered)
        return { revision: current.revision, writes: 0 };
      const revision = this.writeRevision(envDir, environment, resolved.next, options.stamp);
      return { revision, writes: resolved.writes };
    });
  }

  async restore(environment: string, previous: StoreState, options: RestoreOptions = {}): Promise<void> {
    assertEnvironmentName(this.name, environment);
    for (const key of Object.keys(previous.values)) assertKey(this.name, key);
    const envDir = join(this.directory, environment);
    this.withLock(envDir, environment, () => {
      const current = this.readState(envDir);
      if (options.expectedRevision !== undefined && current.revision !== options.expectedRevision)
        throw new StoreConflictError(this.name, environment, options.expectedRevision, current.revision);
      if (
        sameValues(current.values, previous.values) &&
        stampsEqual(current.stamp, previous.stamp) &&
        !current.tampered
      )
        return;
      this.writeRevision(envDir, environment, previous.values, previous.stamp);
    });
  }

  async close(): Promise<void> {}

  /** The manifest of the current revision, or null for an environment never written. */
  readManifest(environment: string): FileStoreManifest | null {
    assertEnvironmentName(this.name, environment);
    const envDir = join(this.directory, environment);
    const target = this.currentTarget(envDir);
    return target === null ? null : this.loadManifest(join(envDir, target));
  }

  private readState(envDir: string): StoreState {
    // A concurrent writer may prune the revision we resolved between readlink and open: retry once.
    for (let attempt = 0; ; attempt++) {
      const target = this.currentTarget(envDir);
      if (target === null) return { values: {}, revision: null, stamp: null };
      const revisionDir = join(envDir, target);
      const configFile = join(revisionDir, 'config.json');
      let text: string;
      try {
        text = readFileSync(configFile, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT' && attempt === 0) continue;
        throw storeCorruptError(this.name, `cannot read ${configFile}`, configFile, error);
      }
      const values = parseNestedJson(this.name, text, configFile);
      const manifest = this.loadManifest(revisionDir);
      const state: StoreState = {
        values,
        revision: String(parseRevisionName(target)),
        stamp: manifest?.stamp ?? null,
      };
      const tampered = this.inspectArtifacts(envDir, revisionDir, text, manifest);
      if (tampered.length > 0) state.tampered = tampered;
      return state;
    }
  }

  /**
   * Compares what the current revision holds with what this store wrote there: each rendered
   * artifact against the hash the manifest recorded, the manifest against its own digest, and the
   * stable top-level paths apps open against the `current/` links. Value-free reasons; empty = intact.
   */
  private inspectArtifacts(
    envDir: string,
    revisionDir: string,
    configText: string,
    manifest: FileStoreManifest | null,
  ): string[] {
    const problems: string[] = [];
    if (manifest === null) return ['manifest.json is missing'];
    const manifestText = readText(join(revisionDir, 'manifest.json'));
    if (manifest.digest !== undefined && manifestText !== renderManifest(manifest))
      problems.push('manifest.json was edited outside llmcm');
    if (manifest.files) {
      for (const file of renderedFiles) {
        const text = file === 'config.json' ? configText : readText(join(revisionDir, file));
        if (text === null) problems.push(`${file} is missing`);
        else if (sha256(text) !== manifest.files[file]) problems.push(`${file} was edited outside llmcm`);
      }
    }
    for (const file of renderedFiles) {
      const path = join(envDir, file);
      try {
        const stat = lstatSync(path);
        if (stat.isSymbolicLink() && readlinkSync(path) === `current/${file}`) continue;
        // Apps read this path: a link replaced by a file (e.g. `sed -i`) holds whatever was written.
        problems.push(`${file} no longer follows the current revision (replaced outside llmcm)`);
      } catch {
        problems.push(`${file} is missing`);
      }
    }
    return problems;
  }

  /** `revisions/<n>` as recorded in the `current` symlink, or null before the first write. */
  private currentTarget(envDir: string): string | null {
    let target: string;
    try {
      target = readlinkSync(join(envDir, 'current'));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return null;
      if (code === 'ENOTDIR' || code === 'EACCES' || code === 'ELOOP')
        throw storeUnreachableError(
          this.name,
          envDir,
          error,
          'the file store directory must be a readable directory',
        );
      throw storeCorruptError(
        this.name,
        `${join(envDir, 'current')} is not a symlink (${code})`,
        join(envDir, 'current'),
        error,
      );
    }
    if (!/^revisions\/\d+$/.test(target))
      throw storeCorruptError(
        this.name,
        `${join(envDir, 'current')} points outside revisions/`,
        join(envDir, 'current'),
      );
    return target;
  }

  private loadManifest(revisionDir: string): FileStoreManifest | null {
    const file = join(revisionDir, 'manifest.json');
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw storeCorruptError(this.name, 'manifest.json is not valid JSON', file, error);
    }
    const manifest = parsed as FileStoreManifest;
    if (manifest?.format !== manifestFormat)
      throw storeCorruptError(this.name, 'manifest.json has an unknown format', file);
    const stamp = manifest.stamp;
    if (stamp !== null && (typeof stamp?.promotionId !== 'string' || typeof stamp?.contentHash !== 'string'))
      throw storeCorruptError(this.name, 'manifest.json has a malformed stamp', file);
    return manifest;
  }

  /** Writes a new immutable revision directory and points `current` at it. Caller holds the lock. */
  private writeRevision(
    envDir: string,
    environment: string,
    values: Record<string, string>,
    stamp: StoreStamp | null,
  ): string {
    const configJson = renderNestedJson(this.name, values);
    const dotEnv = renderDotEnv(this.name, values);
    const revisionsDir = join(envDir, 'revisions');
    mkdirSync(revisionsDir, { recursive: true, mode: 0o700 });
    const existing = this.listRevisions(revisionsDir);
    // Leftover temp directories can only come from a crashed writer: we hold the lock.
    for (const entry of readdirSync(revisionsDir))
      if (entry.startsWith('.tmp-')) rmSync(join(revisionsDir, entry), { recursive: true, force: true });
    const currentTarget = this.currentTarget(envDir);
    const previousManifest = currentTarget === null ? null : this.loadManifest(join(envDir, currentTarget));
    const revision = Math.max(0, ...existing) + 1;
    const now = new Date().toISOString();
    const contentHash = computeContentHash(values);
    const history: FileRevisionSummary[] = previousManifest
      ? [
          {
            revision: previousManifest.revision,
            promotionId: previousManifest.promotionId,
            contentHash: previousManifest.contentHash,
            writtenAt: previousManifest.writtenAt,
          },
          ...previousManifest.history,
        ].slice(0, historyLimit)
      : [];
    const manifest: FileStoreManifest = {
      format: manifestFormat,
      environment,
      revision,
      promotionId: stamp?.promotionId ?? null,
      contentHash,
      writtenAt: now,
      stamp,
      keys: Object.keys(values).length,
      history,
      files: { 'config.json': sha256(configJson), '.env': sha256(dotEnv) },
    };
    const temp = join(revisionsDir, `.tmp-${randomBytes(6).toString('hex')}`);
    const name = revisionName(revision);
    try {
      mkdirSync(temp, { mode: 0o700 });
      writeFileAtomic(join(temp, 'config.json'), configJson, { mode: 0o600 });
      writeFileAtomic(join(temp, '.env'), dotEnv, { mode: 0o600 });
      writeFileAtomic(join(temp, 'manifest.json'), renderManifest(manifest), { mode: 0o600 });
      renameSync(temp, join(revisionsDir, name));
    } catch (error) {
      rmSync(temp, { recursive: true, force: true });
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' || code === 'ENOTEMPTY')
        throw new StoreConflictError(
          this.name,
          environment,
          currentTarget && String(parseRevisionName(currentTarget)),
          String(revision),
        );
      throw storeRejectedError(
        this.name,
        `cannot write revision ${revision} under ${envDir} (${code ?? 'error'})`,
        error,
        'check that the store directory is writable',
      );
    }
    fsyncPath(revisionsDir);
    // The stable links go first (dangling until the first `current` exists), so no reader ever
    // sees a current revision without them.
    this.ensureStableLinks(envDir);
    // The commit point: one rename of a fresh symlink over `current`.
    const link = join(envDir, `.current-${randomBytes(6).toString('hex')}`);
    symlinkSync(`revisions/${name}`, link);
    renameSync(link, join(envDir, 'current'));
    fsyncPath(envDir);
    this.pruneRevisions(revisionsDir, revision);
    return String(revision);
  }

  /** `config.json` and `.env` at the environment's top level follow `current`, for apps. */
  private ensureStableLinks(envDir: string): void {
    for (const file of ['config.json', '.env']) {
      const path = join(envDir, file);
      try {
        if (lstatSync(path).isSymbolicLink() && readlinkSync(path) === `current/${file}`) continue;
      } catch {
        // missing: create below
      }
      const link = join(envDir, `.${file}-${randomBytes(6).toString('hex')}`);
      symlinkSync(`current/${file}`, link);
      renameSync(link, path);
    }
  }

  private listRevisions(revisionsDir: string): number[] {
    return readdirSync(revisionsDir)
      .filter((entry) => /^\d+$/.test(entry))
      .map(Number)
      .sort((a, b) => a - b);
  }

  private pruneRevisions(revisionsDir: string, current: number): void {
    const all = this.listRevisions(revisionsDir).filter((n) => n !== current);
    const excess = all.length - (this.keepRevisions - 1);
    for (const revision of all.slice(0, Math.max(0, excess)))
      rmSync(join(revisionsDir, revisionName(revision)), { recursive: true, force: true });
  }

  /**
   * Runs `body` holding `<env>/.lock` (O_EXCL create). A lock left by a dead process on this host
   * is taken over; a live holder means a concurrent write, reported as a conflict.
   */
  private withLock<T>(envDir: string, environment: string, body: () => T): T {
    try {
      mkdirSync(envDir, { recursive: true, mode: 0o700 });
      this.ensureGitignore();
    } catch (error) {
      throw storeUnreachableError(
        this.name,
        envDir,
        error,
        'the file store directory must be a writable directory',
      );
    }
    const lockFile = join(envDir, '.lock');
    const token = randomBytes(8).toString('hex');
    const mine = JSON.stringify({ pid: process.pid, host: hostname(), token, at: new Date().toISOString() });
    for (let attempt = 0; ; attempt++) {
      try {
        const fd = openSync(lockFile, 'wx', 0o600);
        try {
          writeSync(fd, mine);
        } finally {
          closeSync(fd);
        }
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const text = readText(lockFile);
        const holder = parseLockHolder(text);
        if (
          attempt < 2 &&
          text !== null &&
          holder &&
          holder.host === hostname() &&
          !isProcessAlive(holder.pid)
        ) {
          this.takeOverStaleLock(lockFile, text, environment);
          continue;
        }
        const conflict = new StoreConflictError(this.name, environment, null, null);
        conflict.message = `store '${this.name}' is being written by another process${holder ? ` (pid ${holder.pid} on ${holder.host})` : ''} for environment '${environment}'`;
        throw conflict;
      }
    }
    try {
      return body();
    } finally {
      // Release only our own lock: never one another writer took after a takeover race.
      if (readText(lockFile) === mine) rmSync(lockFile, { force: true });
    }
  }

  /**
   * Moves a dead writer's lock aside with one atomic rename, so two processes taking over the same
   * stale lock cannot both succeed. If what got moved is not the stale lock we saw (a live writer
   * replaced it meanwhile), it is put back and the caller reports a conflict.
   */
  private takeOverStaleLock(lockFile: string, staleText: string, environment: string): void {
    const aside = `${lockFile}.stale-${randomBytes(6).toString('hex')}`;
    try {
      renameSync(lockFile, aside);
    } catch {
      return; // someone else moved it first: just try to create ours again
    }
    const moved = readText(aside);
    if (moved === staleText) {
      rmSync(aside, { force: true });
      return;
    }
    try {
      linkSync(aside, lockFile);
    } catch {
      // a third writer holds the lock by now; the live lock we moved was released or superseded
    }
    rmSync(aside, { force: true });
    throw new StoreConflictError(this.name, environment, null, null);
  }

  /** Rendered secrets must never be committed by accident: the store root ignores itself. */
  private ensureGitignore(): void {
    const file = join(this.directory, '.gitignore');
    if (!existsSync(file))
      writeFileAtomic(file, '# written by llmcm: rendered config holds secrets\n*\n', { mode: 0o600 });
  }
}

/** Opens the file store; `path` (default `.llmcm/stores/<name>`) is relative to the project root. */
export async function openFileStore(settings: StoreSettings, context: OpenStoreContext): Promise<Store> {
  // `path` is the documented name; `directory` is its older spelling. Both at once is ambiguous.
  if (settings.string('path') !== undefined && settings.string('directory') !== undefined)
    throw storeConfigError(settings.name, "give either 'path' or its older name 'directory', not both");
  const configured = (settings.string('path') ??
    settings.string('directory', join('.llmcm', 'stores', settings.name))) as string;
  const directory = isAbsolute(configured) ? configured : resolve(context.root, configured);
  return new FileStore(settings.name, directory, Math.max(2, settings.integer('keepRevisions', 20)));
}

function revisionName(revision: number): string {
  return String(revision).padStart(8, '0');
}

function parseRevisionName(target: string): number {
  return Number(target.slice('revisions/'.length));
}

function sameValues(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => Object.hasOwn(b, key) && a[key] === b[key]);
}

function fsyncPath(path: string): void {
  try {
    const fd = openSync(path, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Directory fsync is best effort (some filesystems refuse it); the rename already happened.
  }
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function parseLockHolder(text: string | null): { pid: number; host: string } | null {
  if (text === null) return null;
  try {
    const parsed = JSON.parse(text) as { pid?: unknown; host?: unknown };
    return typeof parsed.pid === 'number' && typeof parsed.host === 'string'
      ? { pid: parsed.pid, host: parsed.host }
      : null;
  } catch {
    return null;
  }
}
