import { expect, it } from 'vitest';
import { openStore } from '../../../src/stores/registry.js';
import { serverTools, testStoreEnv, useServer } from '../../support/servers.js';
import { startFaultProxy } from '../../support/servers-fault-proxy.js';
import { describeWithTools } from '../../support/tools.js';
import { applyOnTop, freshEnvironment, stampFor } from './contract.js';

const context = { root: process.cwd(), env: testStoreEnv };

describeWithTools(serverTools.postgres, 'faults through the proxy (postgres)', () => {
  const server = useServer('postgres');

  it('drops the connection in the middle of a 1,000-key write: nothing is written, the next call works', async () => {
    const proxy = await startFaultProxy(server().port);
    const store = await openStore(proxy.route(server().storeConfig('pg', { timeoutMs: 3000 })), context);
    try {
      const env = freshEnvironment();
      await applyOnTop(store, env, { set: { k: 'before' }, delete: [] });
      const before = await store.read(env);
      const set: Record<string, string> = {};
      for (let i = 0; i < 1000; i++) set[`k${i}`] = `v${i}`.repeat(20);
      const changes = { set, delete: [] };
      proxy.cutAfterClientBytes(20_000);
      await expect(
        store.apply(env, changes, {
          expectedRevision: before.revision,
          stamp: stampFor(before.values, changes, 'p2'),
        }),
      ).rejects.toMatchObject({ code: 'STORE_UNREACHABLE', kind: 'store' });
      expect(await store.read(env)).toEqual(before);
    } finally {
      await store.close();
      await proxy.close();
    }
  });

  it('reports a hanging server as a timeout and a refusing one as unreachable', async () => {
    const proxy = await startFaultProxy(server().port);
    const store = await openStore(proxy.route(server().storeConfig('pg', { timeoutMs: 500 })), context);
    try {
      proxy.setMode('hang');
      await expect(store.read(freshEnvironment())).rejects.toMatchObject({
        code: 'STORE_TIMEOUT',
        kind: 'store',
      });
      proxy.setMode('refuse');
      await expect(store.read(freshEnvironment())).rejects.toMatchObject({ kind: 'store' });
      proxy.setMode('pass');
      expect((await store.read(freshEnvironment())).revision).toBeNull();
    } finally {
      await store.close();
      await proxy.close();
    }
  });
});

describeWithTools(serverTools.vault, 'faults through the proxy (vault)', () => {
  const server = useServer('vault');

  it('a hanging Vault gives STORE_TIMEOUT, a cut connection STORE_UNREACHABLE, and the state is intact', async () => {
    const proxy = await startFaultProxy(server().port);
    const store = await openStore(proxy.route(server().storeConfig('vault', { timeoutMs: 500 })), context);
    try {
      const env = freshEnvironment();
      await applyOnTop(store, env, { set: { k: '1' }, delete: [] });
      proxy.setMode('hang');
      await expect(store.read(env)).rejects.toMatchObject({ code: 'STORE_TIMEOUT' });
      proxy.setMode('refuse');
      await expect(store.read(env)).rejects.toMatchObject({ code: 'STORE_UNREACHABLE' });
      proxy.setMode('pass');
      expect((await store.read(env)).values).toEqual({ k: '1' });
    } finally {
      await store.close();
      await proxy.close();
    }
  });
});
