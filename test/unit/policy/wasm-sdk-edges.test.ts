import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isLlmcmError } from '../../../src/core/errors.js';
import { loadPolicyEngineFromBundle, type PolicyEngine } from '../../../src/policy/index.js';
import { repairWasmString, toPolicyEvalError } from '../../../src/policy/wasm-errors.js';

// echo-bundle.tar.gz is built by opa from fixtures/echo-policy/fixture.rego; the interop suite
// rebuilds it and fails when this committed copy is stale.
const bundle = readFileSync(new URL('./fixtures/echo-bundle.tar.gz', import.meta.url));
const manifest = {
  source_hash: 'fixture',
  opa_version: '1.22.3',
  entrypoints: [],
  bundle_sha256: '',
  policy_wasm_sha256: '',
  modules: [],
  data_files: [],
};

async function fixtureEngine(): Promise<PolicyEngine> {
  return loadPolicyEngineFromBundle(bundle, manifest);
}

/** What the SDK does to a message: bytes read from an Int8Array, one char per (signed) byte. */
function garbleLikeTheSdk(text: string): string {
  return Array.from(new Int8Array(new TextEncoder().encode(text)), (b) => String.fromCharCode(b)).join('');
}

describe('opa-wasm SDK sharp edges', () => {
  it.each([
    [0, 'number'],
    [false, 'boolean'],
    ['', 'string'],
    [null, 'null'],
    [[], 'array'],
  ])('a falsy input %j reaches the policy (not dropped as "no input")', async (value, kind) => {
    const engine = await fixtureEngine();
    expect(engine.evaluateRaw('fixture/echo', value)).toEqual({ input: value });
    expect(engine.evaluateRaw('fixture/kind', value)).toBe(kind);
  });

  it('undefined still means no input', async () => {
    const engine = await fixtureEngine();
    expect(engine.evaluateRaw('fixture/kind', undefined)).toBeUndefined();
  });

  it('returns non-ASCII results intact', async () => {
    const engine = await fixtureEngine();
    expect(engine.evaluateRaw('fixture/greeting', {})).toBe('grüße ✓');
    expect(engine.evaluateRaw('fixture/echo', { name: 'prød ✓ 😀' })).toEqual({
      input: { name: 'prød ✓ 😀' },
    });
  });

  it('turns the string thrown on a rule conflict into an LlmcmError with the Rego location', async () => {
    const engine = await fixtureEngine();
    let error: unknown;
    try {
      engine.evaluateRaw('fixture/conflict', { a: true, b: true });
    } catch (e) {
      error = e;
    }
    expect(isLlmcmError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'POLICY_EVAL_CONFLICT', line: 12, column: 1 });
    expect((error as { file: string }).file).toMatch(/fixture\.rego$/);
    expect(engine.evaluateRaw('fixture/conflict', { a: true })).toBe('first');
  });

  it('reports a builtin the wasm runtime lacks (time.now_ns) by name', async () => {
    const engine = await fixtureEngine();
    let error: unknown;
    try {
      engine.evaluateRaw('fixture/clock', {});
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'POLICY_BUILTIN_MISSING' });
    expect((error as Error).message).toContain('time.now_ns');
    expect(engine.requiredHostBuiltins()).toEqual(['time.now_ns']);
  });

  it('repairs messages the SDK garbled byte by byte', () => {
    const original = 'conflict in rule prød ✓ 😀';
    const garbled = garbleLikeTheSdk(original);
    expect(garbled).not.toBe(original);
    expect(repairWasmString(garbled)).toBe(original);
    expect(repairWasmString('plain ascii')).toBe('plain ascii');
  });

  it('converts strings, {message} objects and Errors', () => {
    expect(toPolicyEvalError('boom', 'x/y')).toMatchObject({ code: 'POLICY_EVAL_FAILED', kind: 'config' });
    expect(
      toPolicyEvalError({ message: 'not implemented: built-in function 3: crypto.sha256' }, 'x/y'),
    ).toMatchObject({
      code: 'POLICY_BUILTIN_MISSING',
    });
    expect(toPolicyEvalError(new Error('x'), 'x/y').message).toContain('x/y failed');
    expect(toPolicyEvalError(garbleLikeTheSdk('é failed'), 'x/y').message).toContain('é failed');
  });
});
