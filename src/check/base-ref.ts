import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import type { ConfigReader, ProjectConfig } from '../config/types.js';
import { LlmcmError } from '../core/errors.js';
import { parseRevision, walkRevision } from '../repo/revision.js';
import { type GitIndex, readGitIndex } from './git-index.js';

/** What changed between a git ref and the working tree, as `llmcm check --base` needs it. */
export interface BaseComparison {
  ref: string;
  commit: string;
  /** Reads the config repo as it is at the ref. */
  reader: ConfigReader;
  /** Files (relative to the project root) added, removed or modified since the ref. */
  changedFiles: string[];
  /** Environments to check: those whose own folder changed, or every one when shared input changed. */
  touched: Set<string>;
  /** Why every environment is checked, when it is (the base layer, the project file or a schema changed). */
  allBecause?: string;
}

function readdirOrEmpty(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

// isomorphic-git through require: the ESM loader would first scan its 575 KB CommonJS bundle for
// exports, which costs more than the whole comparison.
type Git = typeof import('isomorphic-git').default;
const git = createRequire(import.meta.url)('isomorphic-git') as Git;

/** The working tree root holding `.git`, walking up from `dir` as git does. */
function findRepositoryRoot(dir: string): string {
  for (let current = dir; ; current = dirname(current)) {
    if (fs.existsSync(join(current, '.git'))) return current;
    if (dirname(current) === current) {
      throw new LlmcmError(`${dir} is not inside a git repository, so --base cannot compare`, {
        code: 'NOT_A_GIT_REPO',
        kind: 'usage',
        hint: 'run llmcm check --base inside the git checkout of the config repo',
      });
    }
  }
}

/** A branch, tag or (abbreviated) commit id, with `~n` / `^n` suffixes → the commit id; a clear usage error otherwise. */
async function resolveBaseCommit(
  base: { fs: typeof fs; dir: string; gitdir: string; cache: object },
  ref: string,
): Promise<string> {
  const spec = parseRevision(ref);
  const start = spec ? await resolveBaseCommitWithoutSuffix(base, spec.base, ref) : undefined;
  const oid =
    start && spec
      ? await walkRevision(
          start,
          spec.steps,
          async (commit) => (await git.readCommit({ ...base, oid: commit })).commit.parent,
        )
      : undefined;
  if (!oid) throw baseRefNotFound(base.dir, ref);
  return oid;
}

function baseRefNotFound(dir: string, ref: string): LlmcmError {
  return new LlmcmError(`--base ref '${ref}' does not name a commit in ${dir}`, {
    code: 'BASE_REF_NOT_FOUND',
    kind: 'usage',
    hint: 'give a branch, tag or commit that exists (git log --oneline), e.g. --base origin/main',
  });
}

async function resolveBaseCommitWithoutSuffix(
  base: { fs: typeof fs; dir: string; gitdir: string; cache: object },
  ref: string,
  asTyped: string,
): Promise<string> {
  let oid: string | undefined;
  try {
    oid = await git.resolveRef({ ...base, ref });
  } catch {
    if (/^[0-9a-f]{4,40}$/i.test(ref))
      oid = await git.expandOid({ ...base, oid: ref.toLowerCase() }).catch(() => undefined);
  }
  for (let depth = 0; oid && depth < 5; depth++) {
    let read: Awaited<ReturnType<Git['readObject']>>;
    try {
      read = await git.readObject({ ...base, oid });
    } catch {
      throw new LlmcmError(
        `--base ref '${asTyped}' names ${oid.slice(0, 12)}, but that object is not in this clone`,
        {
          code: 'BASE_OBJECTS_MISSING',
          kind: 'input',
          hint: 'fetch the base commit (a shallow CI checkout needs fetch-depth: 0, or git fetch origin main)',
        },
      );
    }
    const { type, object } = read;
    if (type === 'commit') return oid;
    if (type !== 'tag') break;
    oid = (object as { object: string }).object;
  }
  throw baseRefNotFound(base.dir, asTyped);
}

/** git's blob id of some bytes, so working files compare with tree entries without spawning git. */
function blobId(bytes: Buffer): string {
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

// Synchronous reads: for a thousand small files they are several times cheaper than promises.
function hashFile(path: string): string | undefined {
  try {
    return blobId(fs.readFileSync(path));
  } catch {
    return undefined;
  }
}

/** A working file's blob id and mode: from the git index when its stat data still match, else hashed. */
function workingBlob(
  path: string,
  indexPath: string,
  index: GitIndex | undefined,
): { oid: string; mode: string } | undefined {
  let stat: fs.BigIntStats;
  try {
    stat = fs.lstatSync(path, { bigint: true });
  } catch {
    return undefined;
  }
  if (!stat.isFile()) return undefined;
  const mode = stat.mode & 0o111n ? '100755' : '100644';
  const entry = index?.entries.get(indexPath);
  if (
    entry &&
    index &&
    BigInt(entry.size) === stat.size &&
    BigInt(entry.mtimeSeconds) === stat.mtimeNs / 1_000_000_000n &&
    BigInt(entry.mtimeNanoseconds) === stat.mtimeNs % 1_000_000_000n &&
    // "Racily clean": a file modified in the same instant the index was written must be hashed.
    Number(stat.mtimeMs) < index.mtimeMs - 1
  ) {
    return { oid: entry.oid, mode };
  }
  const oid = hashFile(path);
  return oid ? { oid, mode } : undefined;
}

/** git's tree id of a folder of plain files (entries sorted bytewise, as git does). */
function treeId(files: Map<string, { oid: string; mode: string }>): string {
  const names = [...files.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const parts: Buffer[] = [];
  for (const name of names) {
    const f = files.get(name)!;
    parts.push(
      Buffer.from(`${f.mode === '100755' ? '100755' : '100644'} ${name}\0`),
      Buffer.from(f.oid, 'hex'),
    );
  }
  const body = Buffer.concat(parts);
  return createHash('sha1').update(`tree ${body.length}\0`).update(body).digest('hex');
}

/**
 * Compares the working tree with `ref` in one pass over the environments folder: each folder's tree is
 * read once from git, each working file is hashed as a git blob, and only differing files count.
 */
export async function compareWithBase(project: ProjectConfig, ref: string): Promise<BaseComparison> {
  const dir = findRepositoryRoot(project.root);
  const repo = { dir, gitdir: join(dir, '.git') };
  const base = { fs, dir, gitdir: repo.gitdir, cache: {} };
  const commit = await resolveBaseCommit(base, ref);
  const prefix = relative(repo.dir, project.root).split(sep).join('/');
  const inRepo = (p: string) => (prefix ? `${prefix}/${p}` : p);
  const treeAt = async (path: string): Promise<Map<string, { oid: string; type: string }>> => {
    try {
      const { tree } = await git.readTree({ ...base, oid: commit, filepath: path });
      return new Map(tree.map((e) => [e.path, { oid: e.oid, type: e.type }]));
    } catch {
      return new Map();
    }
  };
  const readTreeOid = async (oid: string) => {
    try {
      return (await git.readTree({ ...base, oid })).tree;
    } catch {
      throw new LlmcmError(`tree ${oid.slice(0, 12)} of --base '${ref}' is not in this clone`, {
        code: 'BASE_OBJECTS_MISSING',
        kind: 'input',
        hint: 'fetch the base commit fully (a shallow or partial CI checkout needs fetch-depth: 0)',
      });
    }
  };

  const changedFiles: string[] = [];
  let allBecause: string | undefined;
  // Blob ids at the base of every file looked at, and folder listings, so the base reader needs one
  // object read per file instead of walking from the commit root each time.
  const baseBlobs = new Map<string, string>();
  // Blob ids of the working files, so the base reader can tell which files are unchanged.
  const workingBlobs = new Map<string, string>();
  const baseListings = new Map<string, string[]>();

  // Shared inputs: the project file and every schema file the project names.
  const shared = [project.file, ...Object.values(project.documents).filter((s) => !s.startsWith('llmcm:'))];
  for (const file of shared) {
    const slash = file.lastIndexOf('/');
    const entries = await treeAt(inRepo(slash < 0 ? '' : file.slice(0, slash)).replace(/\/$/, ''));
    const atBase = entries.get(file.slice(slash + 1))?.oid;
    if (atBase) baseBlobs.set(file, atBase);
    const now = hashFile(join(project.root, file));
    if (now) workingBlobs.set(file, now);
    if (atBase !== now) {
      changedFiles.push(file);
      allBecause ??= `${file} changed`;
    }
  }

  const touched = new Set<string>();
  const baseDirs = await treeAt(inRepo(project.directory));
  const workingDirs = readdirOrEmpty(join(project.root, project.directory));
  const layers = new Set([...baseDirs.keys(), ...workingDirs]);
  baseListings.set(project.directory, [...baseDirs.keys()].sort());
  const index = readGitIndex(repo.gitdir);
  await Promise.all(
    [...layers].map(async (layer) => {
      const folder = `${project.directory}/${layer}`;
      const dir = join(project.root, project.directory, layer);
      // The working folder as git would see it: blob ids from the index when stat data match.
      const working = new Map<string, { oid: string; mode: string }>();
      let plainFolder = true;
      for (const name of readdirOrEmpty(dir)) {
        const blob = workingBlob(join(dir, name), inRepo(`${folder}/${name}`), index);
        if (blob) {
          working.set(name, blob);
          workingBlobs.set(`${folder}/${name}`, blob.oid);
        } else if (fs.statSync(join(dir, name), { throwIfNoEntry: false })?.isDirectory())
          plainFolder = false;
      }
      const entry = baseDirs.get(layer);
      // Same tree id as at the base: nothing changed, and the base files are the working ones.
      if (entry?.type === 'tree' && plainFolder && treeId(working) === entry.oid) {
        for (const [name, blob] of working) baseBlobs.set(`${folder}/${name}`, blob.oid);
        baseListings.set(folder, [...working.keys()].sort());
        return;
      }
      const baseFiles = new Map<string, string>();
      if (entry?.type === 'tree') {
        const entries = await readTreeOid(entry.oid);
        for (const e of entries) {
          if (e.type !== 'blob') continue;
          baseFiles.set(e.path, e.oid);
          baseBlobs.set(`${folder}/${e.path}`, e.oid);
        }
        baseListings.set(folder, entries.map((e) => e.path).sort());
      }
      let changed = false;
      for (const [name, blob] of working) {
        if (baseFiles.get(name) !== blob.oid) {
          changed = true;
          changedFiles.push(`${folder}/${name}`);
        }
      }
      for (const name of baseFiles.keys()) {
        if (!working.has(name)) {
          changed = true;
          changedFiles.push(`${folder}/${name}`);
        }
      }
      if (!changed) return;
      if (layer === project.base) allBecause ??= `the base layer ${folder} changed`;
      else touched.add(layer);
    }),
  );
  const declared = project.environments.map((e) => e.name);
  const result = allBecause ? new Set(declared) : new Set(declared.filter((e) => touched.has(e)));
  const readAt = async (p: string): Promise<string | undefined> => {
    try {
      const { blob } = await git.readBlob({ ...base, oid: commit, filepath: inRepo(p) });
      return Buffer.from(blob).toString('utf8');
    } catch {
      return undefined;
    }
  };
  const listAt = async (p: string): Promise<string[]> => {
    try {
      const { tree } = await git.readTree({
        ...base,
        oid: commit,
        ...(inRepo(p) ? { filepath: inRepo(p) } : {}),
      });
      return tree.map((e) => e.path).sort();
    } catch {
      return [];
    }
  };
  const reader: ConfigReader = {
    // Files unchanged since the base share the working tree's parse; changed ones are keyed by blob id.
    identity(p) {
      const oid = baseBlobs.get(p);
      return oid !== undefined && oid === workingBlobs.get(p) ? undefined : `base:${oid ?? p}`;
    },
    async readFile(p) {
      const oid = baseBlobs.get(p);
      if (!oid) return readAt(p);
      // An unchanged file is read from the working tree: cheaper than inflating the git object.
      if (oid === workingBlobs.get(p)) {
        try {
          return fs.readFileSync(join(project.root, p), 'utf8');
        } catch {
          // Fall through to git.
        }
      }
      const { blob } = await git.readBlob({ ...base, oid });
      return Buffer.from(blob).toString('utf8');
    },
    async listDir(p) {
      // Every layer folder at the base was listed above; one missing there did not exist.
      return baseListings.get(p) ?? (p.startsWith(`${project.directory}/`) ? [] : listAt(p));
    },
  };
  return {
    ref,
    commit,
    reader,
    changedFiles: changedFiles.sort(),
    touched: result,
    ...(allBecause ? { allBecause } : {}),
  };
}
