import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { computeContentHash } from '../../../src/stores/content-hash.js';
import { openStore, storeKinds } from '../../../src/stores/registry.js';

// Every client library fails on import: a store kind that loads one is caught red-handed, and the
// ioredis double reports itself as missing, the way Node does when an optional dependency is absent.
const loaded: string[] = [];
vi.mock('pg', () => {
  loaded.push('pg');
  throw new Error('pg must not be loaded');
});
vi.mock('@aws-sdk/client-secrets-manager', () => {
  loaded.push('@aws-sdk/client-secrets-manager');
  throw new Error('the AWS SDK must not be loaded');
});
vi.mock('ioredis', () => {
  loaded.push('ioredis');
  throw Object.assign(new Error("Cannot find package 'ioredis'"), { code: 'ERR_MODULE_NOT_FOUND' });
});

const root = mkdtempSync(join(tmpdir(), 'llmcm-registry-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('store registry', () => {
  it('lists the five store kinds', () => {
    expect(storeKinds).toEqual(['aws-secrets-manager', 'file', 'postgres', 'redis', 'vault']);
  });

  it('opens, writes and reads the file store without loading pg, ioredis or the AWS SDK', async () => {
    const store = await openStore({ name: 'local', kind: 'file' }, { root, env: {} });
    await store.apply(
      'dev',
      { set: { a: '1' }, delete: [] },
      {
        expectedRevision: null,
        stamp: { promotionId: 'p', contentHash: computeContentHash({ a: '1' }) },
      },
    );
    expect((await store.read('dev')).values).toEqual({ a: '1' });
    const vault = await openStore(
      { name: 'v', kind: 'vault', address: 'http://127.0.0.1:1', token: 't' },
      { root, env: {} },
    );
    expect(vault.kind).toBe('vault');
    expect(loaded).toEqual([]);
  });

  it('says which package to install when an optional client library is missing', async () => {
    await expect(
      openStore({ name: 'cache', kind: 'redis', url: 'redis://127.0.0.1:1' }, { root, env: {} }),
    ).rejects.toMatchObject({
      code: 'STORE_DEPENDENCY_MISSING',
      kind: 'config',
      hint: 'npm install ioredis',
    });
    expect(loaded).toContain('ioredis');
  });

  it('refuses an unknown kind and a nameless store with a config error', async () => {
    await expect(openStore({ name: 'x', kind: 'etcd' as never }, { root, env: {} })).rejects.toMatchObject({
      code: 'STORE_CONFIG',
      kind: 'config',
    });
    await expect(openStore({ name: '', kind: 'file' }, { root, env: {} })).rejects.toMatchObject({
      code: 'STORE_CONFIG',
    });
  });

  it('resolves secrets from *Env settings and never needs them inline', async () => {
    await expect(
      openStore({ name: 'v', kind: 'vault', address: 'http://127.0.0.1:1' }, { root, env: {} }),
    ).rejects.toMatchObject({
      code: 'STORE_CONFIG',
      hint: expect.stringContaining('VAULT_TOKEN'),
    });
    const store = await openStore(
      { name: 'v', kind: 'vault', address: 'http://127.0.0.1:1', tokenEnv: 'MY_TOKEN' },
      { root, env: { MY_TOKEN: 'x' } },
    );
    expect(store.name).toBe('v');
  });
});
