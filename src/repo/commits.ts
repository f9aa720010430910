import * as fs from 'node:fs';
import git from 'isomorphic-git';
import type { GitIdentity, Repository } from './repository.js';

/** One `Key: value` line at the end of a commit message (git interpret-trailers style). */
export interface Trailer {
  key: string;
  value: string;
}

/** Signs a commit payload (e.g. with gpg or ssh-keygen -Y sign); the promotion record passes it to git. */
export type CommitSigner = (args: { payload: string; secretKey: string }) => Promise<{ signature: string }>;

/** What a new commit holds; the tree is built from the given files (no index, no working tree). */
export interface WriteCommitOptions {
  message: string;
  /** Files of the commit's tree as name → content (flat, no directories). */
  files: Record<string, string>;
  parents: string[];
  author: GitIdentity;
  /** Seconds since the epoch (tests pin it). */
  timestamp?: number;
  onSign?: CommitSigner;
  /** Passed to onSign as `secretKey` (e.g. a key id); 'default' when not given. */
  signingKey?: string;
}

/** Writes a commit object (tree + blobs) and returns its id; it updates no ref. */
export async function writeCommitObject(repo: Repository, options: WriteCommitOptions): Promise<string> {
  const base = { fs, dir: repo.dir, gitdir: repo.gitdir };
  const entries = [];
  for (const name of Object.keys(options.files).sort()) {
    const oid = await git.writeBlob({ ...base, blob: Buffer.from(options.files[name]!, 'utf8') });
    entries.push({ mode: '100644', path: name, oid, type: 'blob' as const });
  }
  const tree = await git.writeTree({ ...base, tree: entries });
  const who = {
    ...options.author,
    timestamp: options.timestamp ?? Math.floor(Date.now() / 1000),
    timezoneOffset: 0,
  };
  if (options.onSign) {
    return git.commit({
      ...base,
      cache: repo.cache,
      message: options.message,
      tree,
      parent: options.parents,
      author: who,
      committer: who,
      noUpdateBranch: true,
      onSign: options.onSign,
      // isomorphic-git signs only when signingKey is non-empty; it is handed to onSign as `secretKey`.
      signingKey: options.signingKey || 'default',
    });
  }
  return git.writeCommit({
    ...base,
    commit: { message: options.message, tree, parent: options.parents, author: who, committer: who },
  });
}

/** Formats a message: subject, blank line, body, blank line, trailers (values must be one line). */
export function formatMessage(subject: string, body: string, trailers: readonly Trailer[]): string {
  const lines = trailers.map((t) => `${t.key}: ${t.value.replace(/\s*\n\s*/g, ' ')}`);
  return `${subject}\n\n${body ? `${body.trim()}\n\n` : ''}${lines.join('\n')}\n`;
}

/** Parses the trailer block (the last paragraph made only of `Key: value` lines). */
export function parseTrailers(message: string): Trailer[] {
  const paragraphs = message.trim().split(/\n\s*\n/);
  const last = paragraphs[paragraphs.length - 1] ?? '';
  const lines = last.split('\n');
  const trailers: Trailer[] = [];
  for (const line of lines) {
    const match = /^([A-Za-z0-9][A-Za-z0-9-]*):\s?(.*)$/.exec(line);
    if (!match) return [];
    trailers.push({ key: match[1]!, value: match[2]! });
  }
  return paragraphs.length > 1 ? trailers : [];
}

/** All values of a trailer key, in order. */
export function trailerValues(trailers: readonly Trailer[], key: string): string[] {
  return trailers.filter((t) => t.key.toLowerCase() === key.toLowerCase()).map((t) => t.value);
}

/** A commit as the audit and history commands need it. */
export interface CommitInfo {
  oid: string;
  message: string;
  parents: string[];
  tree: string;
  author: GitIdentity & { timestamp: number };
  signed: boolean;
}

/** Reads one commit. */
export async function readCommitInfo(repo: Repository, oid: string): Promise<CommitInfo> {
  const { commit } = await git.readCommit({ fs, dir: repo.dir, gitdir: repo.gitdir, oid, cache: repo.cache });
  return {
    oid,
    message: commit.message,
    parents: commit.parent,
    tree: commit.tree,
    author: { name: commit.author.name, email: commit.author.email, timestamp: commit.author.timestamp },
    signed: Boolean(commit.gpgsig),
  };
}

/** Commits reachable from `ref` newest first (first-parent only when asked), at most `depth`. */
export async function listCommits(
  repo: Repository,
  ref: string,
  options: { depth?: number; firstParent?: boolean } = {},
): Promise<CommitInfo[]> {
  if (options.firstParent) {
    const out: CommitInfo[] = [];
    let next: string | undefined = ref.match(/^[0-9a-f]{40}$/) ? ref : undefined;
    if (!next) next = await git.resolveRef({ fs, dir: repo.dir, gitdir: repo.gitdir, ref });
    while (next && (options.depth === undefined || out.length < options.depth)) {
      const info = await readCommitInfo(repo, next);
      out.push(info);
      next = info.parents[0];
    }
    return out;
  }
  const commits = await git.log({
    fs,
    dir: repo.dir,
    gitdir: repo.gitdir,
    ref,
    cache: repo.cache,
    ...(options.depth ? { depth: options.depth } : {}),
  });
  return commits.map((c) => ({
    oid: c.oid,
    message: c.commit.message,
    parents: c.commit.parent,
    tree: c.commit.tree,
    author: {
      name: c.commit.author.name,
      email: c.commit.author.email,
      timestamp: c.commit.author.timestamp,
    },
    signed: Boolean(c.commit.gpgsig),
  }));
}

/** Whether `ancestor` is `oid` or reachable from it. */
export async function isAncestor(repo: Repository, ancestor: string, oid: string): Promise<boolean> {
  if (ancestor === oid) return true;
  try {
    return await git.isDescendent({
      fs,
      dir: repo.dir,
      gitdir: repo.gitdir,
      oid,
      ancestor,
      depth: -1,
      cache: repo.cache,
    });
  } catch {
    return false;
  }
}
