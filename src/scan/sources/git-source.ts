import * as fs from 'node:fs';
import { join, resolve } from 'node:path';
import { LlmcmError } from '../../core/errors.js';
import { parseRevision, walkRevision } from '../../repo/revision.js';
import { isBinaryContent } from './chunk.js';
import { objectsHome, readRefsDirectly, resolveRefDirectly } from './git-refs.js';
import { splitLines } from './line-diff.js';
import {
  type GitObject,
  GitObjectStore,
  type GitObjectStoreOptions,
  parseCommit,
  parseTree,
  readCommitHeader,
} from './object-store.js';

/** isomorphic-git's object cache, shared by every read of one scan (pack indexes stay parsed). */
export type GitCache = Record<string, unknown>;

/** A file changed by a commit (or by the index, for staged scans). */
export interface FileChange {
  path: string;
  oldPath: string | undefined;
  oldOid: string | undefined;
  newOid: string;
}

/** Commit metadata, in gitleaks' report fields. */
export interface CommitInfo {
  sha: string;
  author: string;
  email: string;
  /** RFC 3339, UTC, whole seconds (gitleaks' Date). */
  date: string;
  message: string;
  parents: string[];
  tree: string;
}

const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

/**
 * A commit whose tree and parents are read from the raw header bytes at once (the walk needs
 * only those) while author, date and message are decoded on first use: a history scan touches
 * every commit but reports on few.
 */
class LazyCommit implements CommitInfo {
  readonly parents: string[];
  private meta: { author: string; email: string; date: string; message: string } | undefined;

  constructor(
    readonly sha: string,
    readonly tree: string,
    parents: string[],
    shallow: boolean,
    private load: (() => Buffer) | undefined,
  ) {
    // Like git, a shallow boundary commit is treated as a root (its whole content is new).
    this.parents = shallow ? [] : parents;
  }

  private details(): { author: string; email: string; date: string; message: string } {
    if (!this.meta) {
      const c = parseCommit(this.load!());
      this.meta = {
        author: c.authorName,
        email: c.authorEmail,
        date: new Date(c.authorTime * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        message: c.message.replace(/\n+$/, ''),
      };
      this.load = undefined;
    }
    return this.meta;
  }

  get author(): string {
    return this.details().author;
  }
  get email(): string {
    return this.details().email;
  }
  get date(): string {
    return this.details().date;
  }
  get message(): string {
    return this.details().message;
  }
}

/** Where a work tree keeps its objects: `.git/`, the target of a `.git` file, or the folder itself (bare). */
function findGitdir(dir: string): string {
  const dotGit = join(dir, '.git');
  try {
    const st = fs.statSync(dotGit);
    if (st.isDirectory()) return dotGit;
    const m = /^gitdir:\s*(.+)$/m.exec(fs.readFileSync(dotGit, 'utf8'));
    if (m) return resolve(dir, m[1]!.trim());
  } catch {}
  return dir;
}

/** The work tree root containing `dir` (where `.git` is), or `dir` itself when there is none. */
export function findWorkTreeRoot(dir: string): string {
  let current = resolve(dir);
  for (;;) {
    if (fs.existsSync(join(current, '.git'))) return current;
    const parent = resolve(current, '..');
    if (parent === current) return resolve(dir);
    current = parent;
  }
}

/**
 * Thrown by the synchronous reads of GitReader when the native object store does not have an
 * object: the caller awaits `GitReader.recover` (which fetches it with isomorphic-git) and retries.
 */
export class MissingObject extends Error {
  constructor(readonly oid: string) {
    super(`object ${oid} is not in the pack files or loose objects`);
  }
}

/**
 * Object access for history scans: the native-zlib object store first, isomorphic-git as the
 * fallback (alternates, anything the fast path does not know).
 *
 * The reads are synchronous: a history scan makes ~15 object reads per commit, and as async calls
 * each one cost a promise and a microtask turn (plus their garbage). An object the store lacks
 * surfaces as MissingObject; `recover` fetches it asynchronously, and the caller retries the
 * (side-effect free) step that needed it.
 */
export class GitReader {
  readonly cache: GitCache = {};
  private readonly store: GitObjectStore;
  private readonly trees = new Map<string, Map<string, TreeEntry>>();
  private readonly commits = new Map<string, CommitInfo>();
  /** Objects fetched through isomorphic-git (only for repositories the store cannot read alone). */
  private readonly fetched = new Map<string, GitObject>();

  /** Commits whose parents a shallow clone does not have (`.git/shallow`): they are roots here. */
  private readonly shallow: Set<string>;
  /** The git dir: `.git`, a linked worktree's own dir, or the folder itself when bare. */
  readonly gitdir: string;

  constructor(
    readonly dir: string,
    options: GitObjectStoreOptions = {},
  ) {
    const gitdir = findGitdir(dir);
    this.gitdir = gitdir;
    const home = objectsHome(gitdir);
    if (!fs.existsSync(join(gitdir, 'HEAD')) || !fs.existsSync(join(home, 'objects'))) {
      throw gitError(
        `${dir} is not a git repository`,
        'run git scans (--staged, --base, --history) inside a git work tree',
      );
    }
    this.store = new GitObjectStore(home, options);
    let shallow: string[] = [];
    try {
      shallow = fs.readFileSync(join(gitdir, 'shallow'), 'utf8').split('\n').filter(Boolean);
    } catch {}
    this.shallow = new Set(shallow);
  }

  /** Releases the pack files the store reads entry by entry. */
  close(): void {
    this.store.close();
  }

  /** An object, read synchronously; throws MissingObject when only isomorphic-git can read it. */
  objectSync(oid: string): GitObject {
    const fast = this.store.read(oid) ?? this.fetched.get(oid);
    if (fast) return fast;
    throw new MissingObject(oid);
  }

  /**
   * After a MissingObject: reads the object with isomorphic-git so the retried step finds it.
   * Any other error is rethrown; an object nobody can read is a one-line input error.
   */
  async recover(error: unknown): Promise<void> {
    if (!(error instanceof MissingObject)) throw error;
    const oid = error.oid;
    if (this.fetched.has(oid)) throw gitError(`git object ${oid} cannot be read`, 'is the clone damaged?');
    const git = await isomorphicGit();
    try {
      const obj = await git.readObject({ fs, dir: this.dir, oid, cache: this.cache, format: 'content' });
      // Bounded: a repository read entirely through the fallback keeps the recent objects only.
      if (this.fetched.size >= 20_000) this.fetched.clear();
      this.fetched.set(oid, {
        type: obj.type as GitObject['type'],
        data: Buffer.from(obj.object as Uint8Array),
      });
    } catch (cause) {
      throw gitError(
        `git object ${oid} is missing from ${this.dir}`,
        'a partial or damaged clone? fetch the full history (git fetch --unshallow) and retry',
        cause,
      );
    }
  }

  /** Runs a synchronous read step, fetching whatever objects it misses and retrying it. */
  async retry<T>(step: () => T): Promise<T> {
    for (;;) {
      try {
        return step();
      } catch (error) {
        await this.recover(error);
      }
    }
  }

  async object(oid: string): Promise<GitObject> {
    return this.retry(() => this.objectSync(oid));
  }

  commitSync(oid: string): CommitInfo {
    const known = this.commits.get(oid);
    if (known) return known;
    let info: LazyCommit;
    const head = this.store.readCommitHead(oid);
    if (head) {
      // The walk needed only the head; the rest is read again for the few commits with findings.
      const load = (): Buffer => this.objectSync(oid).data;
      info = new LazyCommit(oid, head.tree, head.parents, this.shallow.has(oid), load);
    } else {
      const obj = this.objectSync(oid);
      if (obj.type !== 'commit') throw gitError(`${oid} is a ${obj.type}, not a commit`, 'give a commit');
      const full = readCommitHeader(obj.data);
      info = new LazyCommit(oid, full.tree, full.parents, this.shallow.has(oid), () => obj.data);
    }
    this.commits.set(oid, info);
    return info;
  }

  async commit(oid: string): Promise<CommitInfo> {
    return this.retry(() => this.commitSync(oid));
  }

  treeSync(oid: string): Map<string, TreeEntry> {
    const known = this.trees.get(oid);
    if (known) return known;
    const map = new Map<string, TreeEntry>();
    if (oid !== EMPTY_TREE) {
      for (const e of parseTree(this.objectSync(oid).data))
        map.set(e.path, { mode: e.mode, oid: e.oid, type: e.type });
    }
    if (this.trees.size > 50_000) this.trees.clear();
    this.trees.set(oid, map);
    return map;
  }

  blobSync(oid: string): Buffer {
    return this.objectSync(oid).data;
  }

  async blob(oid: string): Promise<Uint8Array> {
    return this.retry(() => this.blobSync(oid));
  }

  /** The blob id at `path` in a commit, if any. */
  blobAtSync(commit: string, path: string): string | undefined {
    let tree = this.commitSync(commit).tree;
    const parts = path.split('/');
    for (let i = 0; i < parts.length; i++) {
      const entry = this.treeSync(tree).get(parts[i]!);
      if (!entry) return undefined;
      if (i === parts.length - 1) return entry.type === 'blob' ? entry.oid : undefined;
      if (entry.type !== 'tree') return undefined;
      tree = entry.oid;
    }
    return undefined;
  }
}

/** isomorphic-git, loaded on first use: a working-tree scan never pays for parsing it. */
export async function isomorphicGit(): Promise<typeof import('isomorphic-git').default> {
  return (await import('isomorphic-git')).default;
}

function gitError(message: string, hint: string, cause?: unknown): LlmcmError {
  return new LlmcmError(message, { code: 'SCAN_GIT', kind: 'input', hint, cause });
}

/**
 * Resolves a ref, branch, tag or (abbreviated) SHA, with git's `~n` / `^n` suffixes, to a commit SHA;
 * a missing ref is an error naming it.
 */
export async function resolveCommit(reader: GitReader, ref: string): Promise<string> {
  const spec = parseRevision(ref);
  if (!spec) throw missingRef(reader.dir, ref);
  const start = await resolveCommitWithoutSuffix(reader, spec.base, ref);
  const oid = await walkRevision(start, spec.steps, async (commit) => {
    const header = (await reader.object(commit)).data.toString('utf8');
    return [...header.slice(0, header.indexOf('\n\n')).matchAll(/^parent ([0-9a-f]{40})$/gm)].map(
      (m) => m[1]!,
    );
  });
  if (!oid) throw missingRef(reader.dir, ref);
  return oid;
}

/**
 * The commit id HEAD names, or undefined on an unborn branch (nothing committed yet). Read from the
 * git dir directly; isomorphic-git only for layouts the direct reader leaves to it.
 */
export async function resolveHead(reader: GitReader): Promise<string | undefined> {
  const direct = resolveRefDirectly(reader.gitdir, 'HEAD');
  if (direct !== undefined) return direct ?? undefined;
  const git = await isomorphicGit();
  try {
    return await git.resolveRef({ fs, dir: reader.dir, ref: 'HEAD' });
  } catch {
    return undefined; // unborn branch
  }
}

function missingRef(dir: string, ref: string): LlmcmError {
  return gitError(
    `ref '${ref}' does not exist in ${dir}`,
    'check the branch, tag or commit name (git fetch first?)',
  );
}

async function resolveCommitWithoutSuffix(reader: GitReader, ref: string, asTyped: string): Promise<string> {
  const dir = reader.dir;
  // A full object id is itself; a ref name is read from the git dir, without isomorphic-git
  // (loading it is a good share of a pull-request scan). Abbreviated ids, and layouts the direct
  // reader does not know, still go to isomorphic-git.
  if (/^[0-9a-f]{40}$/i.test(ref)) return peelToCommit(reader, ref.toLowerCase(), asTyped);
  const direct = resolveRefDirectly(reader.gitdir, ref);
  if (typeof direct === 'string') return peelToCommit(reader, direct, asTyped);
  if (direct === null && !/^[0-9a-f]{4,39}$/i.test(ref)) throw missingRef(dir, asTyped);
  const cache = reader.cache;
  const git = await isomorphicGit();
  let oid: string | undefined;
  try {
    oid = await git.resolveRef({ fs, dir, ref });
  } catch {
    if (/^[0-9a-f]{4,40}$/i.test(ref)) {
      try {
        oid = await git.expandOid({ fs, dir, oid: ref.toLowerCase(), cache });
      } catch {}
    }
  }
  if (!oid) throw missingRef(dir, asTyped);
  return peelToCommit(reader, oid, asTyped);
}

async function peelToCommit(reader: GitReader, oidIn: string, label: string): Promise<string> {
  const oid = await peelToCommitOrNothing(reader, oidIn);
  if (oid === undefined) {
    throw gitError(`ref '${label}' does not point to a commit`, 'give a branch, tag or commit');
  }
  return oid;
}

/**
 * The commit a ref names (through annotated tags), or undefined when it names a tree or a blob.
 * An object that cannot be read is an error, never "no commit": a history scan must not skip
 * a ref it failed to read.
 */
async function peelToCommitOrNothing(reader: GitReader, oidIn: string): Promise<string | undefined> {
  let oid = oidIn;
  for (let i = 0; i < 10; i++) {
    const obj = await reader.object(oid);
    if (obj.type === 'commit') return oid;
    if (obj.type !== 'tag') return undefined;
    const m = /^object ([0-9a-f]{40})/.exec(obj.data.toString('utf8'));
    if (!m) return undefined;
    oid = m[1]!;
  }
  return undefined;
}

/** Tips of every ref (branches, tags, remotes, stash) plus HEAD, like `git log --all`. */
export async function listAllTips(reader: GitReader): Promise<string[]> {
  const dir = reader.dir;
  // Plain repositories: read the refs directly (loading isomorphic-git costs more than a small scan).
  const direct = readRefsDirectly(reader.gitdir);
  if (direct) {
    const tips = new Set<string>();
    for (const oid of direct) {
      // A ref to a tree or blob: nothing to walk.
      const commit = await peelToCommitOrNothing(reader, oid);
      if (commit) tips.add(commit);
    }
    return [...tips];
  }
  const git = await isomorphicGit();
  const tips = new Set<string>();
  let names: string[] = [];
  try {
    names = (await git.listRefs({ fs, dir, filepath: 'refs' })).map((n) => `refs/${n}`);
  } catch (error) {
    throw gitError(`${dir} is not a git repository`, 'run the history scan inside a git work tree', error);
  }
  for (const ref of ['HEAD', ...names]) {
    let oid: string;
    try {
      oid = await git.resolveRef({ fs, dir, ref });
    } catch {
      continue; // an unborn HEAD: nothing to walk
    }
    // A ref to a tree or blob: nothing to walk; an unreadable object is an error.
    const commit = await peelToCommitOrNothing(reader, oid);
    if (commit) tips.add(commit);
  }
  // Never report a clean history that was not read: an empty result here means the refs could
  // not be read (an empty repository is handled by the direct reader above).
  if (tips.size === 0) {
    throw gitError(
      `cannot read the refs of ${dir}`,
      'unsupported repository layout (reftable?): scan a clone with files-based refs',
    );
  }
  return [...tips];
}

/** Every commit reachable from `tips`, each once (order: discovery). */
export async function walkCommits(reader: GitReader, tips: string[]): Promise<CommitInfo[]> {
  const seen = new Set<string>();
  const out: CommitInfo[] = [];
  const todo = [...tips];
  while (todo.length > 0) {
    const oid = todo.pop()!;
    if (seen.has(oid)) continue;
    seen.add(oid);
    const read = readCommit(reader, oid);
    const info = read instanceof Promise ? await read : read;
    out.push(info);
    for (let p = 0; p < info.parents.length; p++) todo.push(info.parents[p]!);
  }
  return out;
}

/** Extra commits git's range walk looks at once only excluded ones are left (clock-skew margin). */
const SLOP = 5;

/**
 * The commits of `exclude..tips` (reachable from a tip, not from any excluded commit), found the
 * way `git rev-list` finds them (revision.c limit_list): both sides are walked newest first by
 * committer date, marks of excluded commits flow down to their parents, and the walk stops once
 * everything still queued is excluded (plus SLOP more steps for clock skew). A pull request's range
 * thus costs about its own commits, not the whole history below its base; and where committer dates
 * are skewed, the result is git's (gitleaks reads ranges through `git log`).
 */
export async function walkRange(reader: GitReader, tips: string[], exclude: string[]): Promise<CommitInfo[]> {
  const excluded = new Set<string>();
  /** Commits read so far (git parses a commit when it queues it): exclusion marks flow through them. */
  const parsed = new Map<string, CommitInfo>();
  // Newest first; a commit goes after those of the same date (git's commit_list_insert_by_date).
  const queue: { info: CommitInfo; date: number }[] = [];
  const enqueue = async (oid: string): Promise<void> => {
    const read = readCommit(reader, oid);
    const info = read instanceof Promise ? await read : read;
    parsed.set(oid, info);
    const date = committerTime((await reader.object(oid)).data);
    let lo = 0;
    let hi = queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (queue[mid]!.date >= date) lo = mid + 1;
      else hi = mid;
    }
    queue.splice(lo, 0, { info, date });
  };
  /** git's mark_parents_uninteresting: the mark goes down through every commit already read. */
  const excludeParentsOf = (oid: string): void => {
    const stack = [...(parsed.get(oid)?.parents ?? [])];
    while (stack.length > 0) {
      const parent = stack.pop()!;
      if (excluded.has(parent)) continue;
      excluded.add(parent);
      stack.push(...(parsed.get(parent)?.parents ?? []));
    }
  };
  // `git rev-list ^base head` queues the excluded side first.
  for (const [oids, out] of [
    [exclude, true],
    [tips, false],
  ] as const) {
    for (const oid of oids) {
      if (out) excluded.add(oid);
      if (!parsed.has(oid)) await enqueue(oid);
    }
  }
  const listed: CommitInfo[] = [];
  let lastListedDate = Number.POSITIVE_INFINITY;
  let slop = SLOP;
  while (queue.length > 0) {
    const { info, date } = queue.shift()!;
    const out = excluded.has(info.sha);
    for (const parent of info.parents) {
      // Read (and queue) first, so that an exclusion mark passes on through the parent's own parents.
      if (!parsed.has(parent)) await enqueue(parent);
      if (out && !excluded.has(parent)) {
        excluded.add(parent);
        excludeParentsOf(parent);
      }
    }
    if (out) {
      excludeParentsOf(info.sha);
      // git's still_interesting: go on while something queued is not excluded, or is newer than
      // the last commit listed; after that, SLOP more steps.
      if (queue.length === 0) break;
      if (lastListedDate <= queue[0]!.date || queue.some((q) => !excluded.has(q.info.sha))) slop = SLOP;
      else slop--;
      if (slop > 0) continue;
      break;
    }
    lastListedDate = date;
    listed.push(info);
  }
  // A mark that arrived after a commit was listed still removes it (git filters its output too).
  return listed.filter((info) => !excluded.has(info.sha));
}

/** The committer timestamp (seconds) of a raw commit object; 0 when it has none. */
function committerTime(data: Buffer): number {
  const text = data.toString('latin1', 0, Math.min(data.length, 4096));
  const m = /^committer .*> (\d+) [+-]\d{4}$/m.exec(text.slice(0, text.indexOf('\n\n') >>> 0));
  return m ? Number(m[1]) : 0;
}

/** A commit, synchronously when the store has it (no promise per commit of a long walk). */
function readCommit(reader: GitReader, oid: string): CommitInfo | Promise<CommitInfo> {
  try {
    return reader.commitSync(oid);
  } catch (error) {
    if (error instanceof MissingObject) return reader.commit(oid);
    throw error;
  }
}

interface TreeEntry {
  mode: string;
  oid: string;
  type: string;
}

/** A blob-level change between two trees, before rename detection. */
export interface RawChange {
  path: string;
  oldOid: string | undefined;
  newOid: string | undefined;
}

/** Blob-level differences between two trees, descending only into subtrees whose ids differ. */
interface RawEntry {
  next: number;
  nameStart: number;
  nameEnd: number;
  oidStart: number;
  kind: 'tree' | 'blob' | 'commit';
  modeStart: number;
}

function readEntry(buf: Buffer, pos: number): RawEntry {
  const space = buf.indexOf(0x20, pos);
  const nul = buf.indexOf(0, space);
  // Modes: 40000 tree, 160000 submodule (commit), anything else a blob (file or symlink).
  const kind = buf[pos] === 0x34 ? 'tree' : buf[pos] === 0x31 && buf[pos + 1] === 0x36 ? 'commit' : 'blob';
  return { next: nul + 21, nameStart: space + 1, nameEnd: nul, oidStart: nul + 1, kind, modeStart: pos };
}

/** Byte comparison of two short ranges (a JS loop beats the native call for ~20 bytes). */
function compareBytes(a: Buffer, aStart: number, b: Buffer, bStart: number, length: number): number {
  for (let k = 0; k < length; k++) {
    const d = a[aStart + k]! - b[bStart + k]!;
    if (d !== 0) return d;
  }
  return 0;
}

/** Length of the common prefix of `a[i..]` and `b[j..]`, by bisection with native comparisons. */
function commonPrefixLength(a: Buffer, i: number, b: Buffer, j: number): number {
  let lo = 0;
  let hi = Math.min(a.length - i, b.length - j);
  if (hi <= 64) {
    // Small trees (a root with a few entries): a loop beats a dozen native calls.
    while (lo < hi && a[i + lo] === b[j + lo]) lo++;
    return lo;
  }
  if (a.compare(b, j, j + hi, i, i + hi) === 0) return hi;
  hi--;
  // Invariant: the first `lo` bytes agree and the first difference is at most at `hi`.
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (a.compare(b, j + lo, j + mid, i + lo, i + mid) === 0) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** git's tree order (base_name_compare): names compare bytewise, a tree as if it ended with '/'. */
function compareEntries(a: Buffer, x: RawEntry, b: Buffer, y: RawEntry): number {
  const lenA = x.nameEnd - x.nameStart;
  const lenB = y.nameEnd - y.nameStart;
  const min = Math.min(lenA, lenB);
  const c = compareBytes(a, x.nameStart, b, y.nameStart, min);
  if (c !== 0) return c;
  const ca = lenA > min ? a[x.nameStart + min]! : x.kind === 'tree' ? 0x2f : 0;
  const cb = lenB > min ? b[y.nameStart + min]! : y.kind === 'tree' ? 0x2f : 0;
  return ca - cb;
}

const EMPTY = Buffer.alloc(0);

/**
 * Blob-level differences between two trees: a merge walk over the raw (sorted) tree objects that
 * only decodes names and ids of entries that changed, descending only into differing subtrees.
 * Synchronous: throws MissingObject for the caller to recover (see GitReader.retry).
 */
export function diffTrees(
  reader: GitReader,
  oldTree: string,
  newTree: string,
  prefix = '',
  out: RawChange[] = [],
): RawChange[] {
  if (oldTree === newTree) return out;
  const a = oldTree === EMPTY_TREE ? EMPTY : reader.objectSync(oldTree).data;
  const b = newTree === EMPTY_TREE ? EMPTY : reader.objectSync(newTree).data;
  let i = 0;
  let j = 0;
  const hex = (buf: Buffer, e: RawEntry): string => buf.toString('hex', e.oidStart, e.oidStart + 20);
  const name = (buf: Buffer, e: RawEntry): string => buf.toString('utf8', e.nameStart, e.nameEnd);
  while (i < a.length || j < b.length) {
    // Unchanged entries in bulk: one native comparison finds how far both trees agree, and whole
    // entries inside that stretch are skipped without decoding (most of a tree is unchanged).
    const same = commonPrefixLength(a, i, b, j);
    if (i + same === a.length && j + same === b.length) break;
    const stop = i + same;
    for (;;) {
      const end = a.indexOf(0, i) + 21;
      if (end <= 20 || end > stop) break;
      j += end - i;
      i = end;
    }
    const x = i < a.length ? readEntry(a, i) : undefined;
    const y = j < b.length ? readEntry(b, j) : undefined;
    const order = !x ? 1 : !y ? -1 : compareEntries(a, x, b, y);
    if (order === 0) {
      i = x!.next;
      j = y!.next;
      const sameId = compareBytes(a, x!.oidStart, b, y!.oidStart, 20) === 0;
      const sameMode =
        x!.nameStart - x!.modeStart === y!.nameStart - y!.modeStart &&
        compareBytes(a, x!.modeStart, b, y!.modeStart, x!.nameStart - x!.modeStart) === 0;
      if (sameId && sameMode) continue;
      const path = prefix + name(b, y!);
      if (x!.kind === 'tree' && y!.kind === 'tree') {
        diffTrees(reader, hex(a, x!), hex(b, y!), `${path}/`, out);
      } else if (x!.kind === 'blob' && y!.kind === 'blob' && !sameId) {
        out.push({ path, oldOid: hex(a, x!), newOid: hex(b, y!) });
      }
      continue;
    }
    if (order < 0) {
      i = x!.next;
      const path = prefix + name(a, x!);
      if (x!.kind === 'tree') diffTrees(reader, hex(a, x!), EMPTY_TREE, `${path}/`, out);
      else if (x!.kind === 'blob') out.push({ path, oldOid: hex(a, x!), newOid: undefined });
    } else {
      j = y!.next;
      const path = prefix + name(b, y!);
      if (y!.kind === 'tree') diffTrees(reader, EMPTY_TREE, hex(b, y!), `${path}/`, out);
      else if (y!.kind === 'blob') out.push({ path, oldOid: undefined, newOid: hex(b, y!) });
    }
  }
  return out;
}

/**
 * Pairs deletions with additions the way `git log` shows renames (diff.renames is on by default):
 * identical blobs first, then content at least 50% similar. A renamed file only contributes the
 * lines that changed, so a secret that merely moved is not reported again under its new name.
 */
export function detectRenames(
  changes: RawChange[],
  loadText: (oid: string) => string | undefined,
): FileChange[] {
  if (changes.length === 1 && changes[0]!.oldOid && changes[0]!.newOid) {
    // The usual commit: one file edited in place (nothing to pair).
    const c = changes[0]!;
    return [{ path: c.path, oldPath: c.path, oldOid: c.oldOid, newOid: c.newOid! }];
  }
  const deleted = changes.filter((c) => c.oldOid && !c.newOid);
  const added = changes.filter((c) => !c.oldOid && c.newOid);
  const result: FileChange[] = changes
    .filter((c) => c.oldOid && c.newOid)
    .map((c) => ({ path: c.path, oldPath: c.path, oldOid: c.oldOid, newOid: c.newOid! }));
  const usedDeleted = new Set<RawChange>();
  const pending: RawChange[] = [];
  for (const add of added) {
    const exact = deleted.find((d) => !usedDeleted.has(d) && d.oldOid === add.newOid);
    if (exact) {
      usedDeleted.add(exact);
      result.push({ path: add.path, oldPath: exact.path, oldOid: exact.oldOid, newOid: add.newOid! });
    } else {
      pending.push(add);
    }
  }
  const candidates = deleted.filter((d) => !usedDeleted.has(d));
  if (candidates.length > 0 && pending.length > 0 && candidates.length * pending.length <= 10_000) {
    const scored: { add: RawChange; del: RawChange; score: number }[] = [];
    for (const add of pending) {
      const newText = loadText(add.newOid!);
      if (newText === undefined) continue;
      for (const del of candidates) {
        const oldText = loadText(del.oldOid!);
        if (oldText === undefined) continue;
        const score = similarity(oldText, newText);
        if (score >= 0.5) scored.push({ add, del, score });
      }
    }
    scored.sort((p, q) => q.score - p.score);
    const pairedAdds = new Set<RawChange>();
    for (const s of scored) {
      if (pairedAdds.has(s.add) || usedDeleted.has(s.del)) continue;
      pairedAdds.add(s.add);
      usedDeleted.add(s.del);
      result.push({ path: s.add.path, oldPath: s.del.path, oldOid: s.del.oldOid, newOid: s.add.newOid! });
    }
    for (const add of pending) {
      if (!pairedAdds.has(add))
        result.push({ path: add.path, oldPath: undefined, oldOid: undefined, newOid: add.newOid! });
    }
  } else {
    for (const add of pending)
      result.push({ path: add.path, oldPath: undefined, oldOid: undefined, newOid: add.newOid! });
  }
  return result.sort((p, q) => (p.path < q.path ? -1 : p.path > q.path ? 1 : 0));
}

/** git's rename score, approximated on lines: bytes of shared lines over the larger size. */
function similarity(a: string, b: string): number {
  const size = Math.max(a.length, b.length);
  if (size === 0) return 1;
  const pool = new Map<string, number>();
  for (const line of splitLines(a)) pool.set(line, (pool.get(line) ?? 0) + 1);
  let common = 0;
  for (const line of splitLines(b)) {
    const n = pool.get(line) ?? 0;
    if (n > 0) {
      pool.set(line, n - 1);
      common += line.length;
    }
  }
  return common / size;
}

/** Decodes a blob as text, or undefined when git would treat it as binary. */
export function blobText(bytes: Uint8Array): string | undefined {
  if (isBinaryContent(bytes)) return undefined;
  // toString() without arguments is Node's direct UTF-8 path (no encoding lookup).
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return buf.toString();
}
