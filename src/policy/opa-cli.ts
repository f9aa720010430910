import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { LlmcmError } from '../core/errors.js';

/** The OPA release the bundle is built with; a different compiler may emit different wasm bytes. */
export const pinnedOpaVersion = '1.22.3';

/** How to get the pinned compiler, for error hints. */
export const opaInstallHint =
  `install OPA v${pinnedOpaVersion}: 'go install github.com/open-policy-agent/opa@v${pinnedOpaVersion}' ` +
  `(or run scripts/setup-test-env.sh, which puts it in .tools/bin), or set LLMCM_OPA to its path`;

/** Result of one `opa` run. */
export interface OpaRunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The opa binary to use: $LLMCM_OPA, then `<root>/.tools/bin/opa` (the pinned one the setup
 * script installs), then `opa` on PATH. Undefined when none exists.
 */
export function findOpa(root: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.LLMCM_OPA) return existsSync(env.LLMCM_OPA) ? env.LLMCM_OPA : undefined;
  const pinned = join(root, '.tools', 'bin', 'opa');
  if (existsSync(pinned)) return pinned;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'opa');
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Runs opa with arguments (never through a shell) and collects its output. */
export function runOpa(
  opa: string,
  args: string[],
  options: { cwd: string; input?: string },
): Promise<OpaRunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      opa,
      args,
      { cwd: options.cwd, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error && typeof (error as NodeJS.ErrnoException).code === 'string') {
          reject(
            new LlmcmError(`cannot run ${opa}: ${(error as NodeJS.ErrnoException).code}`, {
              code: 'OPA_NOT_RUNNABLE',
              kind: 'config',
              hint: opaInstallHint,
              cause: error,
            }),
          );
          return;
        }
        const code = error ? Number((error as { code?: number }).code ?? 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** The version printed by `opa version` ("1.22.3"). */
export async function readOpaVersion(opa: string, cwd: string): Promise<string> {
  const { code, stdout, stderr } = await runOpa(opa, ['version'], { cwd });
  const match = /^Version:\s*v?(\S+)/m.exec(stdout);
  if (code !== 0 || !match?.[1]) {
    throw new LlmcmError(`'${opa} version' failed: ${(stderr || stdout).split('\n')[0]}`, {
      code: 'OPA_NOT_RUNNABLE',
      kind: 'config',
      hint: opaInstallHint,
    });
  }
  return match[1];
}

/** Finds opa and checks it is the pinned version, or throws an error that says what to install. */
export async function requirePinnedOpa(root: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const opa = findOpa(root, env);
  if (!opa) {
    throw new LlmcmError('the opa CLI is not installed', {
      code: 'OPA_MISSING',
      kind: 'config',
      hint: opaInstallHint,
    });
  }
  const version = await readOpaVersion(opa, root);
  if (version !== pinnedOpaVersion) {
    throw new LlmcmError(
      `${opa} is OPA ${version}, but policies are built with the pinned OPA ${pinnedOpaVersion}`,
      {
        code: 'OPA_VERSION_MISMATCH',
        kind: 'config',
        hint: opaInstallHint,
      },
    );
  }
  return opa;
}

/** One error reported by the OPA compiler, with its location. */
export interface OpaCompileError {
  message: string;
  code?: string;
  file?: string;
  line?: number;
  column?: number;
}

/**
 * Parses OPA's error output: either `--format json` ({errors: [{message, code, location}]}) or the
 * text form `1 error occurred: file:line: code: message`.
 */
export function parseOpaErrors(output: string): OpaCompileError[] {
  const trimmed = output.trim();
  const jsonStart = trimmed.indexOf('{');
  if (jsonStart >= 0) {
    try {
      const parsed = JSON.parse(trimmed.slice(jsonStart)) as {
        errors?: Array<{
          message?: string;
          code?: string;
          location?: { file?: string; row?: number; col?: number };
        }>;
        message?: string;
        code?: string;
      };
      const list = parsed.errors ?? (parsed.message ? [parsed] : []);
      if (list.length > 0) {
        return list.map((e) => ({
          message: e.message ?? 'unknown error',
          code: e.code,
          file: (e as { location?: { file?: string } }).location?.file || undefined,
          line: (e as { location?: { row?: number } }).location?.row,
          column: (e as { location?: { col?: number } }).location?.col,
        }));
      }
    } catch {
      // not JSON; fall through to the text form
    }
  }
  const errors: OpaCompileError[] = [];
  let firstLine: string | undefined;
  for (const raw of trimmed.split('\n')) {
    // "error: load error: 2 errors occurred during loading: file:3: code: msg" (the list may start inline)
    const line = raw.replace(/^.*\d+ errors? occurred( during loading)?:\s*/i, '').trim();
    const match =
      /^([^\s:][^:]*\.(?:rego|json|ya?ml)):(\d+)(?::(\d+))?: (?:(rego_[a-z_]+|[a-z_]+_error): )?(.*)$/.exec(
        line,
      );
    if (match) {
      errors.push({
        file: match[1],
        line: Number(match[2]),
        column: match[3] ? Number(match[3]) : undefined,
        code: match[4],
        message: match[5] ?? line,
      });
    } else if (line && firstLine === undefined) {
      firstLine = line.replace(/^error:\s*/, '');
    }
  }
  if (errors.length === 0 && firstLine) errors.push({ message: firstLine });
  return errors.length > 0 ? errors : [{ message: trimmed.split('\n')[0] || 'opa failed without a message' }];
}

/** A compile failure as an LlmcmError naming the first error's file and line, with a fix hint. */
export function compileError(errors: OpaCompileError[], what: string): LlmcmError {
  const first = errors[0] ?? { message: 'unknown error' };
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
  return new LlmcmError(`${what}: ${first.code ? `${first.code}: ` : ''}${first.message}${more}`, {
    code: 'POLICY_COMPILE_FAILED',
    kind: 'config',
    file: first.file,
    line: first.line,
    column: first.column,
    hint: hintFor(first),
  });
}

function hintFor(error: OpaCompileError): string {
  const code = error.code ?? '';
  if (code.includes('parse'))
    return 'fix the Rego syntax at that line (policies are Rego v1: use `if` and `contains`), then rerun';
  if (code.includes('type'))
    return 'a builtin got an argument of the wrong type or a reference is undefined; fix it and rerun';
  if (code.includes('recursion'))
    return 'a rule depends on itself; break the cycle (data and rules share the data namespace)';
  if (code.includes('unsafe'))
    return 'every variable must be bound in a positive expression of the rule body';
  if (/entrypoint/i.test(error.message))
    return 'add the rule the entrypoint names, or fix the entrypoint list';
  return 'fix the policy and run `llmcm policy build` again';
}
