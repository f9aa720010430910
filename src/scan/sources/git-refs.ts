import * as fs from 'node:fs';
import { join, resolve } from 'node:path';

// Refs read straight from a files-based git dir (loose refs, packed-refs, worktrees), for the scans
// that need a few of them: loading isomorphic-git and its promise-based file system costs ~5 ms, a
// sizeable share of a pre-commit hook or a pull-request scan. Whatever these readers do not know
// (reftable, a file they cannot parse) they answer with undefined, and the caller asks isomorphic-git.

const HEX40 = /^[0-9a-f]{40}$/;

/** Reftable repositories keep refs in a format these readers do not parse. */
function usesReftable(gitdir: string, common: string): boolean {
  return fs.existsSync(join(common, 'reftable')) || fs.existsSync(join(gitdir, 'reftable'));
}

/**
 * packed-refs as full name → id (an absent file is an empty table; peeled `^` lines are skipped),
 * or undefined when a line is not what git writes.
 */
function readPackedRefs(common: string): Map<string, string> | undefined {
  const table = new Map<string, string>();
  try {
    const text = fs.readFileSync(join(common, 'packed-refs'), 'utf8');
    for (const line of text.split('\n')) {
      if (line === '' || line.startsWith('#') || line.startsWith('^')) continue;
      if (line.indexOf(' ') !== 40 || !HEX40.test(line.slice(0, 40))) return undefined;
      table.set(line.slice(41), line.slice(0, 40));
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return undefined;
  }
  return table;
}

/**
 * The objects folder's parent: the git dir, or for a linked worktree the main repository's git
 * dir named by its `commondir` file (where the objects live).
 */
export function objectsHome(gitdir: string): string {
  try {
    const common = fs.readFileSync(join(gitdir, 'commondir'), 'utf8').trim();
    if (common) return resolve(gitdir, common);
  } catch {}
  return gitdir;
}

/**
 * The object ids of every ref under refs/ (loose files override packed-refs) and of the HEAD of
 * every worktree, as `git log --all` walks them, or undefined when the layout is one this reader
 * leaves to isomorphic-git (reftable, anything it cannot parse). A linked worktree's git dir holds
 * its HEAD (and per-worktree refs); the shared refs are in the common dir its `commondir` names.
 */
export function readRefsDirectly(gitdir: string): string[] | undefined {
  const common = objectsHome(gitdir);
  if (usesReftable(gitdir, common)) return undefined;
  const refs = readPackedRefs(common);
  if (!refs) return undefined;
  const loose = new Map<string, string>();
  const walk = (base: string, rel: string): void => {
    for (const entry of fs.readdirSync(join(base, rel), { withFileTypes: true })) {
      const name = `${rel}/${entry.name}`;
      if (entry.isDirectory()) walk(base, name);
      else if (entry.isFile() && !entry.name.endsWith('.lock')) {
        loose.set(name, fs.readFileSync(join(base, name), 'utf8').trim());
      }
    }
  };
  try {
    walk(common, 'refs');
    if (common !== gitdir && fs.existsSync(join(gitdir, 'refs'))) walk(gitdir, 'refs');
    loose.set('HEAD', fs.readFileSync(join(gitdir, 'HEAD'), 'utf8').trim());
    // The other worktrees' HEADs (a detached one may be the only ref to its commits).
    const heads = [join(common, 'HEAD')];
    const worktrees = join(common, 'worktrees');
    if (fs.existsSync(worktrees)) {
      for (const name of fs.readdirSync(worktrees)) heads.push(join(worktrees, name, 'HEAD'));
    }
    heads.forEach((file, i) => {
      if (file !== join(gitdir, 'HEAD') && fs.existsSync(file)) {
        loose.set(`worktree ${i} HEAD`, fs.readFileSync(file, 'utf8').trim());
      }
    });
  } catch {
    return undefined;
  }
  for (const [name, value] of loose) refs.set(name, value);
  // Symbolic refs ("ref: refs/heads/main") resolve through the same table; unborn ones drop out.
  const resolveName = (name: string, depth: number): string | null | undefined => {
    const value = refs.get(name);
    if (value === undefined) return null;
    if (HEX40.test(value)) return value;
    if (value.startsWith('ref: ') && depth < 5) return resolveName(value.slice(5).trim(), depth + 1);
    return undefined;
  };
  const out = new Set<string>();
  for (const name of refs.keys()) {
    const oid = resolveName(name, 0);
    if (oid === undefined) return undefined;
    if (oid !== null) out.add(oid);
  }
  return [...out];
}

/**
 * Ref namespaces that belong to one worktree (git's per-worktree refs), read from a linked worktree's
 * own git dir; every other ref under refs/ is shared and read from the common dir.
 */
const PER_WORKTREE = ['refs/bisect/', 'refs/worktree/', 'refs/rewritten/'];

/** git's ways of reading a short name (gitrevisions, "<refname>"), in order. */
const DWIM_RULES = [
  (name: string) => name,
  (name: string) => `refs/${name}`,
  (name: string) => `refs/tags/${name}`,
  (name: string) => `refs/heads/${name}`,
  (name: string) => `refs/remotes/${name}`,
  (name: string) => `refs/remotes/${name}/HEAD`,
];

/**
 * The object id a ref name stands for, as `git rev-parse --verify NAME` finds it (without peeling
 * tags): the name as given (a root ref such as HEAD or FETCH_HEAD, or a full `refs/...` name), then
 * under refs/, refs/tags/, refs/heads/, refs/remotes/, and a remote's HEAD. Loose refs win over
 * packed-refs, and symbolic refs are followed. null when no ref has that name (also for a HEAD on
 * an unborn branch); undefined when this reader cannot tell (reftable, an unreadable or unexpected
 * file): ask isomorphic-git then.
 */
export function resolveRefDirectly(gitdir: string, name: string): string | null | undefined {
  const common = objectsHome(gitdir);
  if (usesReftable(gitdir, common)) return undefined;
  // Read on first need: most names are found as loose files.
  let packed: Map<string, string> | undefined | null = null;
  const packedRefs = (): Map<string, string> | undefined => {
    if (packed === null) packed = readPackedRefs(common);
    return packed;
  };
  /** A full ref name's value: an id, null when there is no such ref, undefined when unreadable. */
  const read = (full: string, depth: number): string | null | undefined => {
    const rootRef = !full.startsWith('refs/');
    const home = rootRef || PER_WORKTREE.some((p) => full.startsWith(p)) ? gitdir : common;
    let text: string | undefined;
    try {
      const file = join(home, full);
      if (fs.statSync(file).isFile()) text = fs.readFileSync(file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') return undefined;
    }
    if (text === undefined) {
      if (rootRef) return null; // root refs are never packed
      const table = packedRefs();
      if (!table) return undefined;
      return table.get(full) ?? null;
    }
    // A loose ref holds an id and a newline; FETCH_HEAD holds lines "id<TAB>..." (the first counts).
    const id = text.slice(0, 40);
    if (HEX40.test(id) && (text.length === 40 || /\s/.test(text[40]!))) return id;
    if (text.startsWith('ref: ') && depth < 5) {
      const target = text.slice(5).trim();
      return target.startsWith('refs/') ? read(target, depth + 1) : undefined;
    }
    return undefined;
  };
  for (const rule of DWIM_RULES) {
    const full = rule(name);
    // Root refs are the all-capitals names git keeps at the top of the git dir (HEAD, FETCH_HEAD,
    // ORIG_HEAD, MERGE_HEAD...): a name like "config" or "index" must not read those files.
    if (!full.startsWith('refs/') && !/^[A-Z][A-Z0-9_]*$/.test(full)) continue;
    if (full.split('/').some((part) => part === '' || part === '.' || part === '..')) return null;
    const value = read(full, 0);
    if (value !== null) return value;
  }
  return null;
}
