import { LlmcmError } from '../core/errors.js';

/**
 * Errors raised by the backend stores. Every message names the store and the environment, never a
 * value: a server's reply is summarised by its status and error code, not echoed.
 */

/** A compare-and-set write lost: the store moved since it was read. The promoter re-plans or gives up. */
export class StoreConflictError extends LlmcmError {
  constructor(store: string, environment: string, expected: string | null, actual: string | null) {
    super(
      `store '${store}' changed under us for environment '${environment}' (expected revision ${expected ?? 'none'}, found ${actual ?? 'none'})`,
      {
        code: 'STORE_CONFLICT',
        kind: 'store',
        hint: 'another promotion or a manual edit wrote this environment; run `llmcm plan` again and review the new plan',
      },
    );
    this.name = 'StoreConflictError';
  }
}

/** True for a compare-and-set conflict (as opposed to an unreachable or failing store). */
export function isStoreConflict(error: unknown): error is LlmcmError {
  return error instanceof LlmcmError && error.code === 'STORE_CONFLICT';
}

/** The store could not be reached at all (connection refused, DNS, socket closed). */
export function storeUnreachableError(
  store: string,
  target: string,
  cause: unknown,
  hint?: string,
): LlmcmError {
  return new LlmcmError(`store '${store}' is unreachable at ${target}${describeCause(cause)}`, {
    code: 'STORE_UNREACHABLE',
    kind: 'store',
    hint: hint ?? 'check that the server is running and that the store settings in llmcm.yaml point at it',
    cause,
  });
}

/** The store did not answer in time. */
export function storeTimeoutError(
  store: string,
  target: string,
  timeoutMs: number,
  cause?: unknown,
): LlmcmError {
  return new LlmcmError(`store '${store}' did not answer within ${timeoutMs} ms at ${target}`, {
    code: 'STORE_TIMEOUT',
    kind: 'store',
    hint: 'the server may be overloaded or a network path is blocked; raise `timeoutMs` in the store settings or retry',
    cause,
  });
}

/** The store answered with a temporary failure (5xx, 429, throttling): worth a retry with backoff. */
export function storeUnavailableError(store: string, what: string, cause?: unknown): LlmcmError {
  return new LlmcmError(`store '${store}' is temporarily unavailable: ${what}`, {
    code: 'STORE_UNAVAILABLE',
    kind: 'store',
    hint: 'retry later; if it persists, check the server logs',
    cause,
  });
}

/** Error codes that mean "try again later" (the promoter retries these with backoff); others do not. */
export const transientStoreErrorCodes: readonly string[] = [
  'STORE_UNREACHABLE',
  'STORE_TIMEOUT',
  'STORE_UNAVAILABLE',
];

/** True when retrying the same call may succeed (connection, timeout, 5xx); false for conflicts and refusals. */
export function isTransientStoreError(error: unknown): boolean {
  return error instanceof LlmcmError && transientStoreErrorCodes.includes(error.code);
}

/** The store answered but refused the request (auth, permissions, limits, server error). */
export function storeRejectedError(store: string, what: string, cause?: unknown, hint?: string): LlmcmError {
  return new LlmcmError(`store '${store}' refused the request: ${what}`, {
    code: 'STORE_REJECTED',
    kind: 'store',
    hint: hint ?? 'check the credentials and permissions configured for this store',
    cause,
  });
}

/** What the store holds cannot be interpreted (hand-edited file, foreign JSON...). */
export function storeCorruptError(store: string, what: string, file?: string, cause?: unknown): LlmcmError {
  return new LlmcmError(`store '${store}' holds data llmcm cannot read: ${what}`, {
    code: 'STORE_CORRUPT',
    kind: 'store',
    hint: 'inspect the store by hand; `llmcm rollback` can write a known state back',
    file,
    cause,
  });
}

/** Bad or missing store settings in llmcm.yaml. */
export function storeConfigError(store: string, what: string, hint?: string): LlmcmError {
  return new LlmcmError(`store '${store}': ${what}`, {
    code: 'STORE_CONFIG',
    kind: 'config',
    hint: hint ?? 'fix the `stores:` section of llmcm.yaml (see docs/stores.md)',
  });
}

/** A caller handed the store something it cannot hold (bad key, bad environment name, oversize value). */
export function storeInputError(store: string, what: string, hint?: string): LlmcmError {
  return new LlmcmError(`store '${store}': ${what}`, {
    code: 'STORE_BAD_INPUT',
    kind: 'input',
    hint: hint ?? 'see docs/stores.md for what each store can hold',
  });
}

/** Network error codes that mean "could not reach the server", as opposed to a server-side failure. */
const unreachableCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** True when an error (or its cause chain) is a connection-level failure. */
export function isConnectionFailure(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && unreachableCodes.has(code)) return true;
    const message = (current as { message?: unknown }).message;
    if (
      typeof message === 'string' &&
      /Connection is closed|connect ECONNREFUSED|socket hang up/i.test(message)
    )
      return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** A short, value-free description of a low-level cause: its error code only. */
function describeCause(cause: unknown): string {
  let current: unknown = cause;
  for (let depth = 0; depth < 5 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return ` (${code})`;
    current = (current as { cause?: unknown }).cause;
  }
  return '';
}
