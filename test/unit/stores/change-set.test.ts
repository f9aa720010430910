import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isLlmcmError } from '../../../src/core/errors.js';
import {
  assertEnvironmentName,
  assertStampMatches,
  diffValues,
  isNoOpApply,
  resolveChanges,
} from '../../../src/stores/change-set.js';
import { computeContentHash } from '../../../src/stores/content-hash.js';
import {
  isStoreConflict,
  isTransientStoreError,
  StoreConflictError,
  storeUnreachableError,
} from '../../../src/stores/store-errors.js';
import { isLoopbackHost, StoreSettings } from '../../../src/stores/store-settings.js';
import type { StoreChangeSet } from '../../../src/stores/types.js';

describe('change sets', () => {
  it('counts only real changes: equal values and deletes of absent keys write nothing', () => {
    const resolved = resolveChanges(
      's',
      { a: '1', b: '2' },
      { set: { a: '1', c: '3' }, delete: ['b', 'zz'] },
    );
    expect(resolved).toEqual({ set: { c: '3' }, delete: ['b'], next: { a: '1', c: '3' }, writes: 2 });
  });

  it('refuses a key that is both set and deleted, bad keys and the reserved prefix', () => {
    const cases: StoreChangeSet[] = [
      { set: { a: '1' }, delete: ['a'] },
      { set: { 'a..b': '1' }, delete: [] },
      { set: { '': '1' }, delete: [] },
      { set: { __llmcm_stamp: '1' }, delete: [] },
      { set: { 'a\nb': '1' }, delete: [] },
    ];
    for (const changes of cases)
      expect(() => resolveChanges('s', {}, changes)).toThrow(
        expect.objectContaining({ code: 'STORE_BAD_INPUT' }),
      );
  });

  it('diffValues turns any state into any other (property)', () => {
    const map = fc.dictionary(
      fc.string({ minLength: 1, maxLength: 4 }).filter((k) => !k.includes('.') && !k.startsWith('__llmcm')),
      fc.string(),
      { maxKeys: 8 },
    );
    fc.assert(
      fc.property(map, map, (from, to) => {
        expect(resolveChanges('s', from, diffValues(from, to)).next).toEqual(to);
      }),
      { numRuns: 200 },
    );
  });

  it('skips a write only when nothing changes and the stamp already covers this content', () => {
    const values = { a: '1' };
    const stamp = { promotionId: 'p2', contentHash: computeContentHash(values) };
    const resolved = resolveChanges('s', values, { set: { a: '1' }, delete: [] });
    expect(
      isNoOpApply(
        { values, revision: '1', stamp: { promotionId: 'p1', contentHash: stamp.contentHash } },
        resolved,
        stamp,
      ),
    ).toBe(true);
    // A matching but unstamped (foreign) state gets adopted: the stamp is written.
    expect(isNoOpApply({ values, revision: '1', stamp: null }, resolved, stamp)).toBe(false);
  });

  it('checks the stamp against the values being written, without echoing them', () => {
    const secret = 'sk-live-canary-123';
    try {
      assertStampMatches(
        's',
        { k: secret },
        { promotionId: 'p', contentHash: computeContentHash({ k: 'other' }) },
      );
      expect.unreachable();
    } catch (error) {
      expect(isLlmcmError(error) && error.code).toBe('STORE_STAMP_MISMATCH');
      expect(String((error as Error).message)).not.toContain(secret);
    }
  });

  it.each(['dev', 'prod-eu', 'team_1', 'A'])('accepts environment name %s', (name) => {
    expect(() => assertEnvironmentName('s', name)).not.toThrow();
  });

  it.each(['', '../x', 'a/b', '-x', 'a b', 'x'.repeat(64)])('refuses environment name %j', (name) => {
    expect(() => assertEnvironmentName('s', name)).toThrow(
      expect.objectContaining({ code: 'STORE_BAD_INPUT' }),
    );
  });
});

describe('store errors and settings', () => {
  it('classifies conflicts and transient failures for the promoter', () => {
    const conflict = new StoreConflictError('s', 'dev', '1', '2');
    expect(isStoreConflict(conflict)).toBe(true);
    expect(isTransientStoreError(conflict)).toBe(false);
    const down = storeUnreachableError(
      's',
      'http://127.0.0.1:1',
      Object.assign(new Error('x'), { code: 'ECONNREFUSED' }),
    );
    expect(isTransientStoreError(down)).toBe(true);
    expect(down.message).toContain('(ECONNREFUSED)');
    expect(down.exitCode).toBe(4);
  });

  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['localhost', true],
    ['[::1]', true],
    ['169.254.169.254', false],
    ['10.0.0.1', false],
    ['example.com', false],
  ])('treats %s as loopback: %s', (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });

  it('refuses non-loopback endpoints only under LLMCM_LOOPBACK_ONLY=1', () => {
    const guarded = new StoreSettings({ name: 's', kind: 'vault' }, { LLMCM_LOOPBACK_ONLY: '1' });
    expect(() => guarded.assertEndpointAllowed('http://169.254.169.254/')).toThrow(
      expect.objectContaining({ code: 'STORE_CONFIG' }),
    );
    expect(() => guarded.assertEndpointAllowed('http://127.0.0.1:8200')).not.toThrow();
    const open = new StoreSettings({ name: 's', kind: 'vault' }, {});
    expect(() => open.assertEndpointAllowed('https://vault.example.com')).not.toThrow();
  });
});
