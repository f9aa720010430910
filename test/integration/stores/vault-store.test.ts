import { describe, expect, it } from 'vitest';
import { openStore } from '../../../src/stores/registry.js';
import type { VaultStore } from '../../../src/stores/vault/vault-store.js';
import { serverTools, testStoreEnv, unreachableStoreConfig, useServer } from '../../support/servers.js';
import { describeWithTools } from '../../support/tools.js';
import { applyOnTop, defineStoreContract, freshEnvironment } from './contract.js';

const context = { root: process.cwd(), env: testStoreEnv };

describeWithTools(serverTools.vault, 'vault store against OpenBao (contract)', () => {
  const server = useServer('vault');
  defineStoreContract(() => ({
    open: () => openStore(server().storeConfig('vault'), context),
    openUnreachable: async () => openStore(await unreachableStoreConfig('vault', 'vault'), context),
  }));

  const readRaw = async (env: string) => {
    const raw = await fetch(`${server().url}/v1/secret/data/llmcm/${env}`, {
      headers: { 'X-Vault-Token': 'root' },
    });
    return ((await raw.json()) as { data: { data: Record<string, string> } }).data.data;
  };

  describe('vault specifics', () => {
    it('keeps one KV v2 secret per environment with the stamp in a reserved field, and its version history', async () => {
      const store = (await openStore(server().storeConfig('vault'), context)) as VaultStore;
      const env = freshEnvironment();
      await applyOnTop(store, env, { set: { 'llm.model': 'a' }, delete: [] }, 'p1');
      await applyOnTop(store, env, { set: { 'llm.model': 'b' }, delete: [] }, 'p2');
      const raw = await fetch(`${server().url}/v1/secret/data/llmcm/${env}`, {
        headers: { 'X-Vault-Token': 'root' },
      });
      const body = (await raw.json()) as {
        data: { data: Record<string, string>; metadata: { version: number } };
      };
      expect(body.data.metadata.version).toBe(2);
      expect(body.data.data['llm.model']).toBe('b');
      expect(JSON.parse(body.data.data.__llmcm_stamp as string).promotionId).toBe('p2');
      const first = await store.readVersion(env, '1');
      expect(first.values).toEqual({ 'llm.model': 'a' });
      expect(first.stamp?.promotionId).toBe('p1');
    });

    it('packs large environments into one field (the server refuses ~1,000 JSON strings) and reads both layouts', async () => {
      const store = await openStore(server().storeConfig('vault', { maxFields: 3 }), context);
      const env = freshEnvironment();
      await applyOnTop(store, env, { set: { a: '1', b: '2' }, delete: [] });
      const fieldsBody = await readRaw(env);
      expect(fieldsBody.a).toBe('1');
      await applyOnTop(store, env, { set: { c: '3', d: '4' }, delete: [] });
      const packedBody = await readRaw(env);
      expect(Object.keys(packedBody).sort()).toEqual(['__llmcm_stamp', '__llmcm_values']);
      expect((await store.read(env)).values).toEqual({ a: '1', b: '2', c: '3', d: '4' });
      // Shrinking again goes back to one field per key.
      await applyOnTop(store, env, { set: {}, delete: ['c', 'd'] });
      expect((await readRaw(env)).b).toBe('2');
    });

    it('reports a missing mount instead of reading it as an empty environment', async () => {
      const store = await openStore(server().storeConfig('vault', { mount: 'no-such-mount' }), context);
      await expect(store.read(freshEnvironment())).rejects.toMatchObject({
        code: 'STORE_REJECTED',
        hint: expect.stringContaining('no-such-mount'),
      });
    });

    it('reads a soft-deleted latest version as empty, keeping its version for compare-and-set', async () => {
      const store = await openStore(server().storeConfig('vault'), context);
      const env = freshEnvironment();
      await applyOnTop(store, env, { set: { k: '1' }, delete: [] });
      const deleted = await fetch(`${server().url}/v1/secret/data/llmcm/${env}`, {
        method: 'DELETE',
        headers: { 'X-Vault-Token': 'root' },
      });
      expect(deleted.status).toBe(204);
      const state = await store.read(env);
      expect(state).toEqual({ values: {}, revision: '1', stamp: null });
      await applyOnTop(store, env, { set: { k: '2' }, delete: [] });
      expect(await store.read(env)).toMatchObject({ values: { k: '2' }, revision: '2' });
    });

    it('reports a bad token as a refusal with a hint, not as a conflict', async () => {
      const store = await openStore(server().storeConfig('vault', { token: 'not-a-token' }), context);
      await expect(store.read(freshEnvironment())).rejects.toMatchObject({
        code: 'STORE_REJECTED',
        kind: 'store',
      });
    });

    it('refuses a non-loopback address under LLMCM_LOOPBACK_ONLY', async () => {
      await expect(
        openStore({ name: 'v', kind: 'vault', address: 'https://vault.example.com', token: 't' }, context),
      ).rejects.toMatchObject({ code: 'STORE_CONFIG' });
    });
  });
});
