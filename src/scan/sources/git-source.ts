import * as fs from 'node:fs';
import git from 'isomorphic-git';
import { LlmcmError } from '../../core/errors.js';
import { isBinaryContent } from './chunk.js';
import { addedLineNumbers, splitLines } from './line-diff.js';

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

function gitError(message: string, hint: string, cause?: unknown): LlmcmError {
  return new LlmcmError(message, { code: 'SCAN_GIT', kind: 'input', hint, cause });
}

/** Resolves a ref, branch, tag or (abbreviated) SHA to a commit SHA; a missing ref is an error naming it. */
export async function resolveCommit(dir: string, ref: string, cache: GitCache): Promise<string> {
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
  if (!oid) {
    throw gitError(
      `ref '${ref}' does not exist in ${dir}`,
      'check the branch, tag or commit name (git fetch first?)',
    );
  }
  return peelToCommit(dir, oid, cache, ref);
}

async function peelToCommit(dir: string, oidIn: string, cache: GitCache, label: string): Promise<string> {
  let oid = oidIn;
  for (let i = 0; i < 10; i++) {
    const obj = await git.readObject({ fs, dir, oid, cache, format: 'parsed' });
    if (obj.type === 'commit') return oid;
    if (obj.type === 'tag') {
      oid = (obj.object as { object: string }).object;
      continue;
    }
    break;
  }
  throw gitError(`ref '${label}' does not point to a commit`, 'give a branch, tag or commit');
}

/** Tips of every ref (branches, tags, remotes, stash) plus HEAD, like `git log --all`. */
export async function listAllTips(dir: string, cache: GitCache): Promise<string[]> {
  const tips = new Set<string>();
  let names: string[] = [];
  try {
    names = (await git.listRefs({ fs, dir, filepath: 'refs' })).map((n) => `refs/${n}`);
  } catch (error) {
    throw gitError(`${dir} is not a git repository`, 'run the history scan inside a git work tree', error);
  }
  for (const ref of ['HEAD', ...names]) {
    try {
      const oid = await git.resolveRef({ fs, dir, ref });
      tips.add(await peelToCommit(dir, oid, cache, ref));
    } catch {
      // An unborn HEAD or a ref to a tree/blob: nothing to walk.
    }
  }
  return [...tips];
}

/** Reads a commit's metadata. */
export async function readCommitInfo(dir: string, oid: string, cache: GitCache): Promise<CommitInfo> {
  const { commit } = await git.readCommit({ fs, dir, oid, cache });
  return {
    sha: oid,
    author: commit.author.name,
    email: commit.author.email,
    date: new Date(commit.author.timestamp * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    message: commit.message.replace(/\n+$/, ''),
    parents: commit.parent,
    tree: commit.tree,
  };
}

/** Every commit reachable from `tips` but not from `exclude`, each once (order: discovery). */
export async function walkCommits(
  dir: string,
  tips: string[],
  exclude: string[],
  cache: GitCache,
): Promise<CommitInfo[]> {
  const excluded = new Set<string>();
  const stack = [...exclude];
  while (stack.length > 0) {
    const oid = stack.pop()!;
    if (excluded.has(oid)) continue;
    excluded.add(oid);
    const info = await readCommitInfo(dir, oid, cache);
    stack.push(...info.parents);
  }
  const seen = new Set<string>(excluded);
  const out: CommitInfo[] = [];
  const todo = [...tips];
  while (todo.length > 0) {
    const oid = todo.pop()!;
    if (seen.has(oid)) continue;
    seen.add(oid);
    const info = await readCommitInfo(dir, oid, cache);
    out.push(info);
    todo.push(...info.parents);
  }
  return out;
}

interface TreeEntry {
  mode: string;
  oid: string;
  type: string;
}

async function readTreeMap(dir: string, oid: string, cache: GitCache): Promise<Map<string, TreeEntry>> {
  const map = new Map<string, TreeEntry>();
  if (oid === EMPTY_TREE) return map;
  const { tree } = await git.readTree({ fs, dir, oid, cache });
  for (const e of tree) map.set(e.path, { mode: e.mode, oid: e.oid, type: e.type });
  return map;
}

interface RawChange {
  path: string;
  oldOid: string | undefined;
  newOid: string | undefined;
}

/** Blob-level differences between two trees, descending only into subtrees whose ids differ. */
export async function diffTrees(
  dir: string,
  oldTree: string,
  newTree: string,
  cache: GitCache,
  prefix = '',
  out: RawChange[] = [],
): Promise<RawChange[]> {
  if (oldTree === newTree) return out;
  const [a, b] = await Promise.all([readTreeMap(dir, oldTree, cache), readTreeMap(dir, newTree, cache)]);
  const names = new Set([...a.keys(), ...b.keys()]);
  for (const name of [...names].sort()) {
    const x = a.get(name);
    const y = b.get(name);
    if (x && y && x.oid === y.oid && x.mode === y.mode) continue;
    const path = prefix + name;
    const xTree = x?.type === 'tree';
    const yTree = y?.type === 'tree';
    if (xTree || yTree) {
      await diffTrees(dir, xTree ? x!.oid : EMPTY_TREE, yTree ? y!.oid : EMPTY_TREE, cache, `${path}/`, out);
    }
    // Submodules (commits) are not content; trees were handled above.
    const xBlob = x?.type === 'blob' ? x.oid : undefined;
    const yBlob = y?.type === 'blob' ? y.oid : undefined;
    if (xBlob !== yBlob && (xBlob || yBlob)) out.push({ path, oldOid: xBlob, newOid: yBlob });
  }
  return out;
}

/** Reads a blob (cached by the caller). */
export async function readBlobBytes(dir: string, oid: string, cache: GitCache): Promise<Uint8Array> {
  const { blob } = await git.readBlob({ fs, dir, oid, cache });
  return blob;
}

/**
 * Pairs deletions with additions the way `git log` shows renames (diff.renames is on by default):
 * identical blobs first, then content at least 50% similar. A renamed file only contributes the
 * lines that changed, so a secret that merely moved is not reported again under its new name.
 */
export async function detectRenames(
  changes: RawChange[],
  loadText: (oid: string) => Promise<string | undefined>,
): Promise<FileChange[]> {
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
      const newText = await loadText(add.newOid!);
      if (newText === undefined) continue;
      for (const del of candidates) {
        const oldText = await loadText(del.oldOid!);
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
  if (isBinaryContent(bytes.subarray(0, 8000))) return undefined;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

/** Added line numbers of `newText` relative to `oldText` (all lines when there is no old side). */
export function addedLines(oldText: string | undefined, newText: string): number[] {
  return addedLineNumbers(oldText === undefined ? [] : splitLines(oldText), splitLines(newText));
}
