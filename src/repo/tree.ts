import * as fs from 'node:fs';
import git from 'isomorphic-git';
import type { Repository } from './repository.js';

/** One entry of a directory at a commit. */
export interface TreeEntryInfo {
  name: string;
  /** `blob` for files, `tree` for directories. */
  type: 'blob' | 'tree' | 'commit';
  oid: string;
}

/** Reads files and directories as they are at one commit, without touching the working tree. */
export interface TreeReader {
  /** The file's bytes as UTF-8 text, or null when the path does not exist at that commit. */
  readFile(path: string): Promise<string | null>;
  /** The directory's entries sorted by name, or null when it does not exist. */
  listDir(path: string): Promise<TreeEntryInfo[] | null>;
  /** The blob/tree id at a path, or null. */
  oidAt(path: string): Promise<string | null>;
}

function normalize(path: string): string {
  return path.replace(/^\.?\/+/, '').replace(/\/+$/, '');
}

/** A reader over the tree of `commit`; the config loader uses it to load an environment from a git ref. */
export function createTreeReader(repo: Repository, commit: string): TreeReader {
  const base = { fs, dir: repo.dir, gitdir: repo.gitdir, cache: repo.cache };
  const listDir = async (path: string): Promise<TreeEntryInfo[] | null> => {
    const filepath = normalize(path);
    try {
      const result = await git.readTree({ ...base, oid: commit, ...(filepath ? { filepath } : {}) });
      return result.tree
        .map((e) => ({ name: e.path, type: e.type, oid: e.oid }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    } catch {
      return null;
    }
  };
  const oidAt = async (path: string): Promise<string | null> => {
    const filepath = normalize(path);
    if (!filepath) return (await git.readCommit({ ...base, oid: commit })).commit.tree;
    const slash = filepath.lastIndexOf('/');
    const entries = await listDir(slash < 0 ? '' : filepath.slice(0, slash));
    return entries?.find((e) => e.name === filepath.slice(slash + 1))?.oid ?? null;
  };
  return {
    listDir,
    oidAt,
    async readFile(path) {
      try {
        const { blob } = await git.readBlob({ ...base, oid: commit, filepath: normalize(path) });
        return Buffer.from(blob).toString('utf8');
      } catch {
        return null;
      }
    },
  };
}

/** Reads a blob by id as UTF-8 text. */
export async function readBlobText(repo: Repository, oid: string): Promise<string> {
  const { blob } = await git.readBlob({ fs, dir: repo.dir, gitdir: repo.gitdir, oid, cache: repo.cache });
  return Buffer.from(blob).toString('utf8');
}

/** Reads a blob by id as raw bytes (binary files such as a policy bundle). */
export async function readBlobBytes(repo: Repository, oid: string): Promise<Uint8Array> {
  const { blob } = await git.readBlob({ fs, dir: repo.dir, gitdir: repo.gitdir, oid, cache: repo.cache });
  return blob;
}

/** Every file under `path` at a commit, as path → blob id (recursive, sorted). */
export async function listFilesRecursive(
  repo: Repository,
  commit: string,
  path: string,
): Promise<Map<string, string>> {
  const reader = createTreeReader(repo, commit);
  const out = new Map<string, string>();
  const visit = async (dir: string): Promise<void> => {
    const entries = await reader.listDir(dir);
    if (!entries) return;
    for (const entry of entries) {
      const full = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.type === 'tree') await visit(full);
      else if (entry.type === 'blob') out.set(full, entry.oid);
    }
  };
  await visit(normalize(path));
  return out;
}

/** A file that differs between two commits. */
export interface FileChange {
  path: string;
  /** Blob id before, null when added. */
  before: string | null;
  /** Blob id after, null when deleted. */
  after: string | null;
}

/** The files under `path` that differ between two commits (added, changed, deleted), sorted by path. */
export async function diffCommits(
  repo: Repository,
  from: string | null,
  to: string,
  path = '',
): Promise<FileChange[]> {
  const before = from ? await listFilesRecursive(repo, from, path) : new Map<string, string>();
  const after = await listFilesRecursive(repo, to, path);
  const changes: FileChange[] = [];
  for (const p of new Set([...before.keys(), ...after.keys()])) {
    const b = before.get(p) ?? null;
    const a = after.get(p) ?? null;
    if (a !== b) changes.push({ path: p, before: b, after: a });
  }
  return changes.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
}
