import { LlmcmError } from '../core/errors.js';

/**
 * Recovers the UTF-8 text of a message the opa-wasm SDK decoded byte by byte from an Int8Array
 * (so every byte >= 0x80 became U+FF80..U+FFFF): the low byte of each code unit is the original byte.
 */
export function repairWasmString(garbled: string): string {
  if (!/[\u0080-\uffff]/.test(garbled)) return garbled;
  const bytes = Uint8Array.from(garbled, (ch) => ch.charCodeAt(0) & 0xff);
  return new TextDecoder('utf-8', { fatal: false }).decode(bytes);
}

/**
 * Turns whatever the SDK threw (a plain string from opa_abort, an object with `message`, or an
 * Error) into an LlmcmError with a readable, repaired message.
 */
export function toPolicyEvalError(thrown: unknown, entrypoint: string): LlmcmError {
  if (thrown instanceof LlmcmError) return thrown;
  let text: string;
  if (typeof thrown === 'string') text = thrown;
  else if (thrown instanceof Error) text = thrown.message;
  else if (
    thrown &&
    typeof thrown === 'object' &&
    typeof (thrown as { message?: unknown }).message === 'string'
  ) {
    text = (thrown as { message: string }).message;
  } else text = String(thrown);
  text = repairWasmString(text).trim() || 'unknown error';
  const builtin = /not implemented: built-in function \d+: (\S+)/.exec(text);
  if (builtin) {
    return new LlmcmError(
      `policy ${entrypoint} calls ${builtin[1]}, which the wasm runtime does not provide`,
      {
        code: 'POLICY_BUILTIN_MISSING',
        kind: 'config',
        hint: 'avoid that builtin (time.*, crypto.*, http.send, ... are not available in wasm) or provide it as a host builtin',
        cause: thrown,
      },
    );
  }
  // Runtime errors carry the Rego location: `policies/x.rego:12:1: var assignment conflict`.
  const located = /^(\S+\.rego):(\d+)(?::(\d+))?: (.*)$/.exec(text);
  if (/var assignment conflict|conflict|multiple outputs/i.test(text)) {
    return new LlmcmError(`policy ${entrypoint} failed: ${located?.[4] ?? text}`, {
      code: 'POLICY_EVAL_CONFLICT',
      kind: 'config',
      file: located?.[1],
      line: located ? Number(located[2]) : undefined,
      column: located?.[3] ? Number(located[3]) : undefined,
      hint: 'a complete rule or function produced two different values for this input; make its bodies exclusive',
      cause: thrown,
    });
  }
  return new LlmcmError(`policy ${entrypoint} failed in the wasm runtime: ${located?.[4] ?? text}`, {
    code: 'POLICY_EVAL_FAILED',
    kind: 'config',
    file: located?.[1],
    line: located ? Number(located[2]) : undefined,
    hint: 'run `llmcm policy eval --input FILE` and `opa eval` on the same input to compare',
    cause: thrown,
  });
}
