import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative } from 'node:path';
import { writeFileAtomic } from '../core/atomic-write.js';
import { isLlmcmError, LlmcmError } from '../core/errors.js';
import { fileMode, readText } from './file-ops.js';

/** One file of a tree run: where it is read, how it is shown, and its path under an output dir. */
export interface TreeFile {
  /** Absolute path. */
  file: string;
  /** As shown in messages (relative to the working directory when possible). */
  shown: string;
  /** Its path under `--output-dir`: relative to the DIR argument it was found in. */
  relativePath: string;
  /** Named on the command line (a failure to qualify is an error) rather than found in a DIR. */
  explicit: boolean;
}

const skippedDirs = new Set(['.git', 'node_modules', '.tools', 'dist', '.cache']);
const candidateName = /\.(ya?ml|json|env)$|(^|\/)\.env(\.|$)/i;

/**
 * Expands FILE...|DIR arguments for encrypt/decrypt tree mode. Directories are walked
 * recursively in name order (skipping .git, node_modules and the like, and `.sops.yaml` itself);
 * only YAML, JSON and dotenv names are candidates there. Duplicates are dropped.
 */
export function expandTreeArguments(args: readonly string[], cwd: string): TreeFile[] {
  const out: TreeFile[] = [];
  const seen = new Set<string>();
  const shownOf = (file: string) => {
    const rel = relative(cwd, file);
    return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? file : rel;
  };
  const add = (file: string, relativePath: string, explicit: boolean) => {
    if (seen.has(file)) return;
    seen.add(file);
    out.push({ file, shown: shownOf(file), relativePath, explicit });
  };
  const walk = (root: string, dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    )) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!skippedDirs.has(entry.name)) walk(root, path);
      } else if (entry.isFile() && entry.name !== '.sops.yaml' && candidateName.test(entry.name)) {
        add(path, relative(root, path), false);
      }
    }
  };
  for (const arg of args) {
    const file = isAbsolute(arg) ? arg : join(cwd, arg);
    let isDir: boolean;
    try {
      isDir = statSync(file).isDirectory();
    } catch {
      throw new LlmcmError('no such file or directory', {
        code: 'FILE_UNREADABLE',
        kind: 'input',
        file: arg,
      });
    }
    if (isDir) walk(file, file);
    else {
      const rel = relative(cwd, file);
      add(file, rel.startsWith('..') || isAbsolute(rel) ? basename(file) : rel, true);
    }
  }
  return out;
}

/** What a tree step decided for one file: its new text, or that it is not a file to process. */
export type TreeStepResult = { text: string } | { skip: string };

/** Where the results go: back into each file, or under a directory (same relative layout). */
export type TreeTarget = { inPlace: true } | { outputDir: string };

/** The outcome of a tree run (only returned when every file succeeded and was written). */
export interface TreeRunSummary {
  written: number;
  skipped: number;
}

/**
 * Runs `step` on every file, all in memory first; only when every file succeeded are the results
 * written, each one atomically (temp file + rename; mode kept in place, 0600 under an output
 * directory). On any failure each failing file is reported on stderr and nothing is written.
 * Progress goes to stderr once a run takes longer than a second.
 */
export async function runTree(
  files: readonly TreeFile[],
  step: (text: string, file: TreeFile) => Promise<TreeStepResult>,
  options: { target: TreeTarget; verb: string; stderr: NodeJS.WritableStream & { isTTY?: boolean } },
): Promise<TreeRunSummary> {
  const results: Array<{ file: TreeFile; text: string }> = [];
  const failures: Array<{ file: TreeFile; error: LlmcmError }> = [];
  let skipped = 0;
  const started = Date.now();
  let lastProgress = started;
  for (let i = 0; i < files.length; i++) {
    const file = files[i]!;
    try {
      const result = await step(readText(file.file), file);
      if ('skip' in result) skipped++;
      else results.push({ file, text: result.text });
    } catch (error) {
      // A bug is not a per-file failure: let the CLI report it as an internal error.
      if (!isLlmcmError(error)) throw error;
      failures.push({ file, error });
      options.stderr.write(`llmcm: error: ${error.toOneLine()}\n`);
    }
    const now = Date.now();
    if (now - lastProgress >= 1000) {
      lastProgress = now;
      options.stderr.write(`llmcm: ${options.verb}: ${i + 1}/${files.length} files checked\n`);
    }
  }
  if (failures.length > 0) {
    const first = failures[0]!.error;
    throw new LlmcmError(
      `${failures.length} of ${files.length} file(s) failed (first: ${failures[0]!.file.shown}); no file was written`,
      { code: 'SOPS_TREE_FAILED', kind: first.kind, hint: first.hint },
    );
  }
  // Every result exists before the first write, so a bad file never leaves the tree half done.
  for (const { file, text } of results) {
    if ('inPlace' in options.target) {
      writeFileAtomic(file.file, text, { mode: fileMode(file.file) ?? 0o600 });
    } else {
      const path = join(options.target.outputDir, file.relativePath);
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      writeFileAtomic(path, text, { mode: 0o600 });
    }
  }
  return { written: results.length, skipped };
}
