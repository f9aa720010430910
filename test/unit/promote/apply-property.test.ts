import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keyedFingerprint } from '../../../src/core/fingerprint.js';
import { applyPlan } from '../../../src/promote/apply.js';
import { planPromotion, type StorePlanInput } from '../../../src/promote/plan.js';
import { computeContentHash } from '../../../src/stores/content-hash.js';
import { MemoryStore } from './memory-store.js';

const mapArb = fc.dictionary(fc.constantFrom('a', 'b.c', 'd', 'e.f.g'), fc.string({ maxLength: 4 }), {
  maxKeys: 4,
});

describe('applyPlan, all or nothing (property)', () => {
  it('leaves every store either at the desired state (success) or exactly as it was (failure)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(mapArb, mapArb), { minLength: 1, maxLength: 5 }),
        fc.option(fc.nat({ max: 4 }), { nil: undefined }),
        fc.constantFrom<'reject' | 'unreachable'>('reject', 'unreachable'),
        fc.integer({ min: 1, max: 3 }),
        async (pairs, failingIndex, faultKind, concurrency) => {
          const stores = pairs.map((_, i) => new MemoryStore(`s${i}`));
          const inputs: StorePlanInput[] = [];
          for (const [i, [actualValues, desired]] of pairs.entries()) {
            const s = stores[i]!;
            if (Object.keys(actualValues).length > 0) {
              s.data.set('dev', {
                values: actualValues,
                revision: '1',
                stamp: { promotionId: 'p-old', contentHash: computeContentHash(actualValues) },
              });
            }
            inputs.push({
              store: s.name,
              kind: 'file' as const,
              desired,
              secretKeys: new Set<string>(),
              actual: await s.read('dev'),
            });
          }
          const before = await Promise.all(stores.map((s) => s.read('dev')));
          if (failingIndex !== undefined && failingIndex < stores.length) {
            stores[failingIndex]!.faults =
              faultKind === 'reject' ? { rejectApplyCall: 1 } : { unreachableTimes: 10 };
          }
          const plan = planPromotion({
            environment: 'dev',
            source: 'c'.repeat(40),
            stores: inputs,
            knownPromotionIds: new Set(['p-old']),
            fingerprint: (p, v) => keyedFingerprint(Buffer.from('k'), p, v),
          });
          const result = await applyPlan(
            'dev',
            plan,
            stores.map((store, i) => ({ store, input: inputs[i]! })),
            {
              promotionId: 'p-new',
              concurrency,
              retries: 1,
              backoffMs: 0,
              timeoutMs: 1000,
              fingerprintContent: () => 'fp:x',
            },
          );
          const after = await Promise.all(stores.map((s) => s.read('dev')));
          if (result.ok) {
            for (const [i, state] of after.entries()) expect(state.values).toEqual(pairs[i]![1]);
          } else {
            for (const [i, state] of after.entries()) {
              expect(state.values).toEqual(before[i]!.values);
              expect(state.stamp).toEqual(before[i]!.stamp);
            }
          }
          // A failure can only come from the faulty store, and only if it had something to write.
          const faulty = failingIndex !== undefined && failingIndex < stores.length ? failingIndex : -1;
          expect(result.ok).toBe(faulty < 0 || plan.stores[faulty]!.changes.length === 0);
        },
      ),
      { numRuns: 150 },
    );
  });
});
