import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keyedFingerprint } from '../../../src/core/fingerprint.js';
import { changeSetFor, classifyOwnership, type PlanInput, planPromotion } from '../../../src/promote/plan.js';
import { computeContentHash } from '../../../src/stores/content-hash.js';
import type { StoreState } from '../../../src/stores/types.js';

const key = Buffer.from('unit-test-key');
const fingerprint = (path: string, value: string) => keyedFingerprint(key, path, value);
const keyArb = fc.constantFrom('a', 'b.c', 'b.d', 'providers.openai.api_key', 'models.x.temperature', 'z');
const mapArb = fc.dictionary(keyArb, fc.string({ maxLength: 12 }), { maxKeys: 6 });

function state(values: Record<string, string>, promotionId: string | null): StoreState {
  return {
    values,
    revision: promotionId ? '7' : null,
    stamp: promotionId ? { promotionId, contentHash: computeContentHash(values) } : null,
  };
}

function input(desired: Record<string, string>, actual: StoreState, secret: string[] = []): PlanInput {
  return {
    environment: 'dev',
    source: 'a'.repeat(40),
    stores: [{ store: 'local', kind: 'file', desired, secretKeys: new Set(secret), actual }],
    knownPromotionIds: new Set(['p-1']),
    fingerprint,
  };
}

describe('planPromotion', () => {
  it('shows adds, changes and deletes per key, sorted', () => {
    const plan = planPromotion(
      input({ a: '1', 'b.c': 'new', z: 'z' }, state({ 'b.c': 'old', 'b.d': 'gone', z: 'z' }, 'p-1')),
    );
    expect(plan.stores[0]!.changes.map((c) => [c.key, c.action])).toEqual([
      ['a', 'add'],
      ['b.c', 'change'],
      ['b.d', 'delete'],
    ]);
    expect(plan.stores[0]!.counts).toEqual({ add: 1, change: 1, delete: 1 });
    expect(plan.stores[0]!.ownership).toBe('ours');
    expect(plan.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('shows a changed secret as changed with keyed fingerprints, never its value', () => {
    const plan = planPromotion(
      input(
        { 'providers.openai.api_key': 'sk-NEW-CANARY-123' },
        state({ 'providers.openai.api_key': 'sk-OLD-CANARY-456' }, 'p-1'),
        ['providers.openai.api_key'],
      ),
    );
    const change = plan.stores[0]!.changes[0]!;
    expect(change.action).toBe('change');
    expect(change.after).toEqual({
      fingerprint: fingerprint('providers.openai.api_key', 'sk-NEW-CANARY-123'),
    });
    const json = JSON.stringify(plan);
    expect(json).not.toContain('CANARY');
  });

  it('tells empty, ours, modified and foreign stores apart', () => {
    const known = new Set(['p-1']);
    expect(classifyOwnership(state({}, null), known)).toBe('empty');
    expect(classifyOwnership(state({ a: '1' }, 'p-1'), known)).toBe('ours');
    expect(classifyOwnership(state({ a: '1' }, null), known)).toBe('foreign');
    expect(classifyOwnership(state({ a: '1' }, 'p-unknown'), known)).toBe('foreign');
    const edited = state({ a: '1' }, 'p-1');
    edited.values.a = 'edited';
    expect(classifyOwnership(edited, known)).toBe('modified');
    expect(planPromotion(input({ a: '1' }, edited)).drift).toBe(true);
  });

  it('property: applying the change set to the actual state yields the desired state', () => {
    fc.assert(
      fc.property(mapArb, mapArb, (desired, actual) => {
        const i = input(desired, state(actual, 'p-1'));
        const plan = planPromotion(i);
        const set = changeSetFor(i.stores[0]!, plan.stores[0]!);
        const next = { ...actual, ...set.set };
        for (const k of set.delete) delete next[k];
        expect(next).toEqual(desired);
        expect(plan.empty).toBe(computeContentHash(desired) === computeContentHash(actual));
      }),
      { numRuns: 200 },
    );
  });

  it('property: the plan is deterministic and its hash covers every change', () => {
    fc.assert(
      fc.property(
        mapArb,
        mapArb,
        keyArb,
        fc.string({ minLength: 1, maxLength: 5 }),
        (desired, actual, k, extra) => {
          const a = planPromotion(input(desired, state(actual, 'p-1')));
          const b = planPromotion(input({ ...desired }, state({ ...actual }, 'p-1')));
          expect(b).toEqual(a);
          const changed = planPromotion(
            input({ ...desired, [k]: `${desired[k] ?? ''}${extra}` }, state(actual, 'p-1')),
          );
          expect(changed.hash).not.toBe(a.hash);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('property: secret values never appear in the plan', () => {
    fc.assert(
      fc.property(mapArb, mapArb, (desired, actual) => {
        const canary = (v: string) => `CANARY<${v}>`;
        const d = Object.fromEntries(Object.entries(desired).map(([k, v]) => [k, canary(v)]));
        const s = Object.fromEntries(Object.entries(actual).map(([k, v]) => [k, canary(v)]));
        const plan = planPromotion(input(d, state(s, 'p-1'), Object.keys(d)));
        expect(JSON.stringify(plan)).not.toContain('CANARY<');
      }),
      { numRuns: 100 },
    );
  });

  it('orders stores by name whatever the input order', () => {
    const base = input({ a: '1' }, state({}, null));
    const two: PlanInput = {
      ...base,
      stores: [
        { ...base.stores[0]!, store: 'zeta' },
        { ...base.stores[0]!, store: 'alpha' },
      ],
    };
    const reversed: PlanInput = { ...two, stores: [...two.stores].reverse() };
    expect(planPromotion(two).hash).toBe(planPromotion(reversed).hash);
    expect(planPromotion(two).stores.map((s) => s.store)).toEqual(['alpha', 'zeta']);
  });
});
