import { spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { LlmcmError } from '../core/errors.js';
import { loadAgeIdentities } from './age-keys.js';
import { settingsFor } from './api.js';
import { encryptText, formatFromPath, openEncryptedText, parseSopsText, reencryptText } from './codec.js';
import { fileMode, parseFormatOption, resolveArg, writeResult } from './file-ops.js';

/** Inputs of one `llmcm edit` run. */
export interface EditSessionOptions {
  arg: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  inputType?: string;
  ignoreMac?: boolean;
  stderr: NodeJS.WritableStream;
  stdout: NodeJS.WritableStream;
}

/** Overwrites a file with zeros before unlinking it, so the plaintext does not linger on disk. */
function wipeFile(path: string): void {
  try {
    const size = statSync(path).size;
    const fd = openSync(path, 'r+');
    try {
      writeSync(fd, Buffer.alloc(size));
    } finally {
      closeSync(fd);
    }
  } catch {
    // Already gone.
  }
  rmSync(path, { force: true });
}

function runEditor(env: NodeJS.ProcessEnv, path: string): void {
  const editor = env.VISUAL || env.EDITOR || 'vi';
  // Through the shell, like git: EDITOR may carry arguments ("code --wait").
  const result = spawnSync('/bin/sh', ['-c', `${editor} "$1"`, 'llmcm-editor', path], {
    stdio: 'inherit',
    env,
  });
  if (result.error || result.status !== 0) {
    throw new LlmcmError(
      `the editor exited with ${result.status ?? result.error?.message}; nothing was saved`,
      {
        code: 'EDITOR_FAILED',
        kind: 'usage',
        hint: 'check $EDITOR',
      },
    );
  }
}

/** Runs the edit loop; returns the exit code. The temp file is wiped on every path out. */
export async function runEditSession(options: EditSessionOptions): Promise<number> {
  const file = resolveArg(options.cwd, options.arg);
  const format = parseFormatOption(options.inputType) ?? formatFromPath(file);
  const exists = existsSync(file);
  const opened = exists
    ? await openEncryptedText(readFileSync(file, 'utf8'), {
        file: options.arg,
        format,
        identities: await loadAgeIdentities(options.env),
        ignoreMac: options.ignoreMac,
        onWarning: (m) => options.stderr.write(`llmcm: ${m}\n`),
      })
    : undefined;
  const settings = exists ? undefined : settingsFor(file, { env: options.env });
  // Prefer the per-user runtime directory (a tmpfs on most Linux systems): the plaintext never hits disk.
  const runtime = options.env.XDG_RUNTIME_DIR;
  const base = runtime && existsSync(runtime) ? runtime : tmpdir();
  const dir = mkdtempSync(join(base, 'llmcm-edit-'));
  const temp = join(dir, basename(file));
  const maxAttempts = Math.max(1, Number(options.env.LLMCM_EDIT_MAX_ATTEMPTS ?? 5) || 5);
  try {
    const initial = opened?.plaintext ?? '';
    const fd = openSync(temp, 'wx', 0o600);
    writeSync(fd, initial);
    closeSync(fd);
    for (let attempt = 1; ; attempt++) {
      runEditor(options.env, temp);
      const edited = readFileSync(temp, 'utf8');
      if (edited === initial) {
        options.stderr.write('llmcm: file unchanged, nothing written\n');
        return 0;
      }
      try {
        parseSopsText(edited, format, options.arg);
      } catch (error) {
        const message = error instanceof LlmcmError ? error.toOneLine() : (error as Error).message;
        if (attempt >= maxAttempts) {
          throw new LlmcmError(
            `the edited file is still invalid after ${attempt} attempts; nothing was saved`,
            {
              code: 'EDIT_INVALID',
              kind: 'input',
              file: options.arg,
            },
          );
        }
        options.stderr.write(`llmcm: ${message}\nllmcm: the file is invalid; reopening the editor\n`);
        continue;
      }
      const out = opened
        ? await reencryptText(opened, edited)
        : await encryptText(edited, { ...settings!, file: options.arg, format });
      writeResult(out, { file, inPlace: true, stdout: options.stdout, mode: fileMode(file) ?? 0o600 });
      return 0;
    }
  } finally {
    wipeFile(temp);
    rmSync(dir, { recursive: true, force: true });
  }
}
