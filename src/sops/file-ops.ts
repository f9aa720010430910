import { readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { writeFileAtomic } from '../core/atomic-write.js';
import { LlmcmError, usageError } from '../core/errors.js';
import type { SopsFormat } from './formats/types.js';

/** Validates `--input-type`. */
export function parseFormatOption(value: string | undefined): SopsFormat | undefined {
  if (value === undefined) return undefined;
  if (value === 'yaml' || value === 'json' || value === 'dotenv') return value;
  throw usageError(`unknown --input-type '${value}'`, 'use yaml, json or dotenv');
}

/** Current permission bits of a file, or undefined when it does not exist. */
export function fileMode(path: string): number | undefined {
  try {
    return statSync(path).mode & 0o777;
  } catch {
    return undefined;
  }
}

/**
 * Writes a command's result: in place (atomic, keeping the file mode), to --output (atomic), or
 * to stdout. The original file is untouched when anything fails.
 */
export function writeResult(
  text: string,
  target: { file: string; inPlace: boolean; output?: string; stdout: NodeJS.WritableStream; mode?: number },
): void {
  if (target.inPlace && target.output) throw usageError('use either --in-place or --output, not both');
  if (target.inPlace) {
    writeFileAtomic(target.file, text, { mode: target.mode ?? fileMode(target.file) ?? 0o600 });
    return;
  }
  if (target.output) {
    writeFileAtomic(target.output, text, { mode: target.mode ?? fileMode(target.output) ?? 0o600 });
    return;
  }
  target.stdout.write(text);
}

const skippedDirs = new Set(['.git', 'node_modules', '.tools', 'dist', '.cache']);

/** Expands FILE...|DIR arguments: directories are walked recursively (skipping .git, node_modules). */
export function expandFileArguments(args: readonly string[]): string[] {
  const files: string[] = [];
  const visit = (path: string, explicit: boolean) => {
    let stat: ReturnType<typeof statSync>;
    try {
      stat = statSync(path);
    } catch {
      throw new LlmcmError('no such file or directory', {
        code: 'FILE_UNREADABLE',
        kind: 'input',
        file: path,
      });
    }
    if (stat.isDirectory()) {
      for (const entry of readdirSync(path).sort()) {
        if (skippedDirs.has(entry)) continue;
        visit(join(path, entry), false);
      }
    } else if (explicit || /\.(ya?ml|json|env)$/i.test(path) || /(^|\/)\.env(\.|$)/.test(path)) {
      files.push(path);
    }
  };
  for (const a of args) visit(a, true);
  return files;
}

/** A command-line path resolved against the command's working directory. */
export function resolveArg(cwd: string, path: string): string {
  return isAbsolute(path) ? path : join(cwd, path);
}

/** True when the path exists and is a directory. */
export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Reads a file as UTF-8, turning fs errors into one-line input errors. */
export function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new LlmcmError(`cannot read file (${code})`, {
      code: 'FILE_UNREADABLE',
      kind: 'input',
      file,
      hint: code === 'ENOENT' ? 'check the path' : undefined,
    });
  }
}
