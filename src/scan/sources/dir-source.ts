import * as fs from 'node:fs';
import { join, posix, resolve } from 'node:path';
import { LlmcmError } from '../../core/errors.js';
import type { ScanConfig } from '../config/types.js';
import { type Detector, isFragmentAllowed, type RawFinding } from '../detect/detector.js';
import { matchesGo } from '../re2/translate.js';
import type { ScanOptions, ScanStats, ScanWarning } from '../scan-types.js';
import {
  dropSopsNoise,
  type EncryptedShape,
  encryptedShape,
  findDecryptedCopies,
  isSopsFile,
} from '../sops-aware.js';
import { chunkContent } from './chunk.js';
import { isomorphicGit } from './git-source.js';
import { asFragment, MAX_STRUCTURED_BYTES, STRUCTURED, sopsFindings } from './sops-checks.js';

/** Would gitleaks' dir walk skip this path (global allowlist paths, whatever their condition)? */
function skipByGlobalPath(config: ScanConfig, path: string): boolean {
  return config.allowlists.some((a) => a.paths !== undefined && matchesGo(a.paths, path));
}

interface FileEntry {
  path: string;
  abs: string;
}

/** Decides whether a path (directories end with '/') is ignored by the repository's .gitignore files. */
export type IgnorePredicate = (path: string) => Promise<boolean>;

/** `.gitignore` rules of the work tree at `root` (isomorphic-git), or undefined outside a repository. */
export async function gitignorePredicate(root: string): Promise<IgnorePredicate | undefined> {
  if (!fs.existsSync(join(root, '.git'))) return undefined;
  const git = await isomorphicGit();
  return (path) => git.isIgnored({ fs, dir: root, filepath: path }).catch(() => false);
}

/**
 * Files under the given paths in gitleaks' `dir` order: lexical walk, no symlinks, no empty files.
 * With `ignored`, paths the repository ignores are pruned (gitleaks' `dir` has no such option).
 */
export async function listFiles(
  root: string,
  paths: string[],
  config: ScanConfig,
  ignored?: IgnorePredicate,
): Promise<FileEntry[]> {
  const out: FileEntry[] = [];
  const visit = async (display: string, abs: string): Promise<void> => {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(abs);
    } catch {
      throw new LlmcmError(`path '${display}' does not exist`, {
        code: 'SCAN_PATH_MISSING',
        kind: 'input',
        hint: 'give existing files or folders to scan',
      });
    }
    if (st.isSymbolicLink()) return;
    if (st.isDirectory()) {
      const name = posix.basename(display);
      if (name === '.git') return;
      if (display !== '.' && skipByGlobalPath(config, display)) return;
      if (display !== '.' && ignored && (await ignored(`${display}/`))) return;
      for (const entry of fs.readdirSync(abs).sort()) {
        await visit(display === '.' ? entry : `${display}/${entry}`, join(abs, entry));
      }
      return;
    }
    if (!st.isFile() || st.size === 0) return;
    if (skipByGlobalPath(config, display)) return;
    if (ignored && (await ignored(display))) return;
    out.push({ path: display, abs });
  };
  for (const p of paths) {
    const display = posix.normalize(p.split('\\').join('/')).replace(/\/$/, '') || '.';
    await visit(display, resolve(root, p));
  }
  return out;
}

/** Working tree / given paths, gitleaks `dir` semantics, plus the SOPS checks and decrypted-copy detection. */
export async function scanDirectory(
  options: ScanOptions,
  detector: Detector,
  paths: string[],
  stats: ScanStats,
  warnings: ScanWarning[],
): Promise<RawFinding[]> {
  const ignored = options.respectGitignore ? await gitignorePredicate(options.root) : undefined;
  const files = await listFiles(options.root, paths.length > 0 ? paths : ['.'], options.config, ignored);
  const findings: RawFinding[] = [];
  const sopsAware = options.sopsAware !== false;
  const encrypted = new Map<string, EncryptedShape>();
  // Paths only: their text is read again only if some SOPS file turns up (keeps memory flat).
  const plainStructured: { path: string; abs: string }[] = [];
  const progress = options.onProgress;
  for (let index = 0; index < files.length; index++) {
    const file = files[index]!;
    if (progress && (index & 15) === 0) progress({ done: index, total: files.length, unit: 'files' });
    let bytes: Uint8Array;
    try {
      bytes = fs.readFileSync(file.abs);
    } catch (error) {
      warnings.push({
        message: `cannot read ${file.path} (${(error as NodeJS.ErrnoException).code})`,
        file: file.path,
      });
      continue;
    }
    stats.files++;
    stats.bytes += bytes.length;
    const fragments = chunkContent(bytes, file.path);
    let found = fragments.flatMap((f) => detector.detect(f));
    if (!sopsAware || fragments.length === 0) {
      findings.push(...found);
      continue;
    }
    const text = fragments.length === 1 ? fragments[0]!.raw : Buffer.from(bytes).toString('utf8');
    found = dropSopsNoise(found, text);
    findings.push(...found);
    findings.push(...sopsFindings(detector, file.path, text, options.sopsPolicy));
    if (STRUCTURED.test(file.path) && bytes.length <= MAX_STRUCTURED_BYTES) {
      if (isSopsFile(text)) {
        const keys = encryptedShape(file.path, text);
        if (keys) encrypted.set(file.path, keys);
      } else {
        plainStructured.push({ path: file.path, abs: file.abs });
      }
    }
  }
  if (sopsAware) {
    for (const file of encrypted.size > 0 ? plainStructured : []) {
      let text: string;
      try {
        text = fs.readFileSync(file.abs, 'utf8');
      } catch {
        continue;
      }
      const already = new Set(findings.filter((f) => f.file === file.path).map((f) => f.startLine));
      for (const f of findDecryptedCopies(file.path, text, encrypted)) {
        if (!already.has(f.startLine) && !isFragmentAllowed(asFragment(f.file), detector.config.allowlists)) {
          findings.push(f);
        }
      }
    }
  }
  progress?.({ done: files.length, total: files.length, unit: 'files' });
  return findings;
}
