import { ExitCode, type ExitCodeValue } from './exit-codes.js';

/** Broad class of a failure; it decides the exit code. */
export type ErrorKind = 'usage' | 'input' | 'config' | 'decrypt' | 'store' | 'internal';

const exitCodeByKind: Record<ErrorKind, ExitCodeValue> = {
  usage: ExitCode.usage,
  input: ExitCode.usage,
  config: ExitCode.usage,
  decrypt: ExitCode.decrypt,
  store: ExitCode.store,
  internal: ExitCode.internal,
};

export interface LlmcmErrorOptions {
  /** A stable machine-readable code, e.g. `SOPS_MAC_MISMATCH`. */
  code: string;
  kind: ErrorKind;
  /** One line telling the user what to do next. */
  hint?: string;
  /** The file the error is about (never its contents). */
  file?: string;
  line?: number;
  column?: number;
  cause?: unknown;
}

/**
 * The one error base class. An exception means a stage could not run (bad input, missing key,
 * store unreachable); a problem *found* by a stage is a Finding, not an exception.
 * Messages must never contain plaintext secret values.
 */
export class LlmcmError extends Error {
  readonly code: string;
  readonly kind: ErrorKind;
  readonly hint: string | undefined;
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly column: number | undefined;

  constructor(message: string, options: LlmcmErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LlmcmError';
    this.code = options.code;
    this.kind = options.kind;
    this.hint = options.hint;
    this.file = options.file;
    this.line = options.line;
    this.column = options.column;
  }

  get exitCode(): ExitCodeValue {
    return exitCodeByKind[this.kind];
  }

  /** `file:line:col: message` — the one-line form printed by the CLI. */
  toOneLine(): string {
    const where = this.file
      ? `${this.file}${this.line !== undefined ? `:${this.line}${this.column !== undefined ? `:${this.column}` : ''}` : ''}: `
      : '';
    return `${where}${this.message}`;
  }
}

export function usageError(message: string, hint?: string): LlmcmError {
  return new LlmcmError(message, { code: 'USAGE', kind: 'usage', hint });
}

export function isLlmcmError(error: unknown): error is LlmcmError {
  return error instanceof LlmcmError;
}
