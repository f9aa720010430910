import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { expect, it } from 'vitest';
import { isLlmcmError, type LlmcmError } from '../../../src/core/errors.js';
import { computeContentHash } from '../../../src/stores/content-hash.js';
import type { Store, StoreChangeSet, StoreStamp, StoreState } from '../../../src/stores/types.js';

/** How the contract suite reaches one store kind. */
export interface ContractTarget {
  /** A new store instance on the shared server (each test uses its own environment names). */
  open(): Promise<Store>;
  /** A store of the same kind whose server is not reachable. */
  openUnreachable(): Promise<Store>;
}

/** A value that must never appear in any error message (canary). */
const canary = `canary-${randomBytes(8).toString('hex')}`;

let counter = 0;
/** A fresh environment name, so tests never see each other's state and need no reset. */
export function freshEnvironment(): string {
  counter++;
  return `c${counter}-${randomBytes(3).toString('hex')}`;
}

/** A stamp for the state that `changes` turns `base` into. */
export function stampFor(
  base: Record<string, string>,
  changes: StoreChangeSet,
  promotionId: string,
): StoreStamp {
  const next = { ...base, ...changes.set };
  for (const key of changes.delete) delete next[key];
  return { promotionId, contentHash: computeContentHash(next) };
}

/** Applies `changes` on top of what `store` holds now, with a correct revision and stamp. */
export async function applyOnTop(
  store: Store,
  environment: string,
  changes: StoreChangeSet,
  promotionId = 'p-test',
) {
  const before = await store.read(environment);
  const result = await store.apply(environment, changes, {
    expectedRevision: before.revision,
    stamp: stampFor(before.values, changes, promotionId),
  });
  return { before, result };
}

async function expectLlmcmError(promise: Promise<unknown>): Promise<LlmcmError> {
  try {
    await promise;
  } catch (error) {
    if (!isLlmcmError(error)) throw error;
    expect(error.message).not.toContain(canary);
    expect(error.hint ?? '').not.toContain(canary);
    // Not even in the cause chain, which `--debug` prints.
    expect(inspect(error, { depth: 8 })).not.toContain(canary);
    return error;
  }
  throw new Error('expected the call to fail with an LlmcmError');
}

/**
 * The behaviour every store must show, run against a real server for each kind. Registers `it`
 * blocks in the caller's describe; `target()` is called lazily, after the caller's beforeAll.
 */
export function defineStoreContract(target: () => ContractTarget): void {
  const withStore = async (body: (store: Store) => Promise<void>) => {
    const store = await target().open();
    try {
      await body(store);
    } finally {
      await store.close();
    }
  };

  it('reads an environment it never wrote as empty, with no revision and no stamp', () =>
    withStore(async (store) => {
      expect(await store.read(freshEnvironment())).toEqual({ values: {}, revision: null, stamp: null });
    }));

  it('applies adds, then changes and deletes, counting only real key writes', () =>
    withStore(async (store) => {
      const env = freshEnvironment();
      const first = await applyOnTop(store, env, {
        set: { 'llm.model': 'gpt-4o', 'llm.temperature': '0.2', 'providers.openai.api_key': canary },
        delete: [],
      });
      expect(first.result.writes).toBe(3);
      expect(first.result.revision).not.toBeNull();
      const afterFirst = await store.read(env);
      expect(afterFirst.values).toEqual({
        'llm.model': 'gpt-4o',
        'llm.temperature': '0.2',
        'providers.openai.api_key': canary,
      });
      expect(afterFirst.revision).toBe(first.result.revision);

      // One change, one unchanged value re-sent, one delete, one delete of a key that does not exist.
      const second = await applyOnTop(store, env, {
        set: { 'llm.model': 'gpt-4.1', 'llm.temperature': '0.2' },
        delete: ['providers.openai.api_key', 'never.there'],
      });
      expect(second.result.writes).toBe(2);
      expect(second.result.revision).not.toBe(first.result.revision);
      const afterSecond = await store.read(env);
      expect(afterSecond.values).toEqual({ 'llm.model': 'gpt-4.1', 'llm.temperature': '0.2' });
      expect(afterSecond.revision).toBe(second.result.revision);
    }));

  it('round-trips the stamp', () =>
    withStore(async (store) => {
      const env = freshEnvironment();
      const changes = { set: { 'a.b': '1', 'a.c': '2' }, delete: [] };
      const stamp = stampFor({}, changes, 'promotion-2026-11-27-abc');
      await store.apply(env, changes, { expectedRevision: null, stamp });
      expect((await store.read(env)).stamp).toEqual(stamp);
    }));

  it('detects a compare-and-set conflict and leaves the state untouched', () =>
    withStore(async (store) => {
      const env = freshEnvironment();
      await applyOnTop(store, env, { set: { 'x.y': 'one' }, delete: [] });
      const stale = await store.read(env);
      await applyOnTop(store, env, { set: { 'x.y': 'two' }, delete: [] });
      const moved = await store.read(env);
      const changes = { set: { 'x.y': canary }, delete: [] };
      const error = await expectLlmcmError(
        store.apply(env, changes, {
          expectedRevision: stale.revision,
          stamp: stampFor(stale.values, changes, 'late'),
        }),
      );
      expect(error.code).toBe('STORE_CONFLICT');
      expect(error.kind).toBe('store');
      expect(await store.read(env)).toEqual(moved);
      // Creating an environment that already exists is a conflict too.
      const create = await expectLlmcmError(
        store.apply(env, changes, { expectedRevision: null, stamp: stampFor({}, changes, 'late') }),
      );
      expect(create.code).toBe('STORE_CONFLICT');
    }));

  for (const existing of [true, false]) {
    it(`lets exactly one of two concurrent writers win (${existing ? 'existing environment' : 'both creating it'})`, async () => {
      const [a, b] = [await target().open(), await target().open()];
      try {
        const env = freshEnvironment();
        if (existing) await applyOnTop(a, env, { set: { k: '0' }, delete: [] });
        const base = await a.read(env);
        const write = (store: Store, value: string) => {
          const changes = { set: { k: value }, delete: [] };
          return store.apply(env, changes, {
            expectedRevision: base.revision,
            stamp: stampFor(base.values, changes, value),
          });
        };
        const results = await Promise.allSettled([write(a, 'A'), write(b, 'B')]);
        const won = results.filter((r) => r.status === 'fulfilled');
        const lost = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(1);
        expect((lost[0] as PromiseRejectedResult).reason.code).toBe('STORE_CONFLICT');
        const winner = results[0]?.status === 'fulfilled' ? 'A' : 'B';
        const state = await b.read(env);
        expect(state.values).toEqual({ k: winner });
        expect(state.stamp?.promotionId).toBe(winner);
      } finally {
        await a.close();
        await b.close();
      }
    });
  }

  it('restores the previous state exactly (values and stamp), including back to empty', () =>
    withStore(async (store) => {
      const env = freshEnvironment();
      const empty = await store.read(env);
      await applyOnTop(store, env, { set: { 'a.one': '1', 'a.two': '2', 'b.three': '3' }, delete: [] }, 'p1');
      const previous = await store.read(env);
      await applyOnTop(store, env, { set: { 'a.one': 'changed', 'c.four': '4' }, delete: ['a.two'] }, 'p2');
      await store.restore(env, previous);
      const restored = await store.read(env);
      expect(restored.values).toEqual(previous.values);
      expect(restored.stamp).toEqual(previous.stamp);
      // Restoring a state the store already holds writes nothing.
      await store.restore(env, previous);
      expect((await store.read(env)).revision).toBe(restored.revision);
      // With a stale expected revision, restore refuses.
      const error = await expectLlmcmError(
        store.restore(env, empty, { expectedRevision: previous.revision }),
      );
      expect(error.code).toBe('STORE_CONFLICT');
      // Back to "never written": no values and no stamp.
      await store.restore(env, empty, { expectedRevision: restored.revision });
      const cleared = await store.read(env);
      expect(cleared.values).toEqual({});
      expect(cleared.stamp).toBeNull();
    }));

  it('keeps large values and unicode keys and values intact', () =>
    withStore(async (store) => {
      const env = freshEnvironment();
      const big = 'λ🚀"\\\n\t$x '.repeat(1200) + randomBytes(2048).toString('base64');
      const values = {
        'prompts.system': big,
        'prompts.émoji_🚀': "こんにちは 世界 — “quotes” 'single' `back`",
        'limits.empty': '',
        'multi.line': 'line1\nline2\r\nline3',
      };
      await applyOnTop(store, env, { set: values, delete: [] });
      const state = await store.read(env);
      expect(state.values).toEqual(values);
      expect(state.stamp?.contentHash).toBe(computeContentHash(values));
    }));

  it('holds 1,000 keys and re-applying the same change set writes nothing', () =>
    withStore(async (store) => {
      const env = freshEnvironment();
      const set: Record<string, string> = {};
      for (let i = 0; i < 1000; i++) set[`group${i % 10}.key${String(i).padStart(4, '0')}`] = `value-${i}`;
      const changes = { set, delete: [] };
      const stamp = stampFor({}, changes, 'p-bulk');
      const first = await store.apply(env, changes, { expectedRevision: null, stamp });
      expect(first.writes).toBe(1000);
      const state = await store.read(env);
      expect(Object.keys(state.values)).toHaveLength(1000);
      expect(state.values).toEqual(set);
      const again = await store.apply(env, changes, { expectedRevision: state.revision, stamp });
      expect(again).toEqual({ revision: state.revision, writes: 0 });
      expect(await store.read(env)).toEqual(state);
    }));

  it('refuses a stamp whose content hash does not match, writing nothing', () =>
    withStore(async (store) => {
      const env = freshEnvironment();
      const error = await expectLlmcmError(
        store.apply(
          env,
          { set: { k: canary }, delete: [] },
          {
            expectedRevision: null,
            stamp: { promotionId: 'p', contentHash: computeContentHash({ k: 'other' }) },
          },
        ),
      );
      expect(error.code).toBe('STORE_STAMP_MISMATCH');
      expect(await store.read(env)).toEqual({ values: {}, revision: null, stamp: null } satisfies StoreState);
    }));

  it('refuses an unsafe environment name', () =>
    withStore(async (store) => {
      const error = await expectLlmcmError(store.read('../etc'));
      expect(error.code).toBe('STORE_BAD_INPUT');
    }));

  it('reports an unreachable server as a store error naming the store, without values', async () => {
    const store = await target().openUnreachable();
    try {
      const read = await expectLlmcmError(store.read('dev'));
      expect(read.kind).toBe('store');
      expect(read.message).toContain(store.name);
      expect(read.hint).toBeTruthy();
      const changes = { set: { k: canary }, delete: [] };
      const apply = await expectLlmcmError(
        store.apply('dev', changes, { expectedRevision: null, stamp: stampFor({}, changes, 'p') }),
      );
      expect(apply.kind).toBe('store');
    } finally {
      await store.close();
    }
  });
}
