import pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { PostgresChangeNotice, PostgresStore } from '../../../src/stores/postgres/postgres-store.js';
import { openStore } from '../../../src/stores/registry.js';
import { serverTools, testStoreEnv, unreachableStoreConfig, useServer } from '../../support/servers.js';
import { describeWithTools } from '../../support/tools.js';
import { applyOnTop, defineStoreContract, freshEnvironment, stampFor } from './contract.js';

const context = { root: process.cwd(), env: testStoreEnv };

describeWithTools(serverTools.postgres, 'postgres store against PostgreSQL (contract)', () => {
  const server = useServer('postgres');
  defineStoreContract(() => ({
    open: () => openStore(server().storeConfig('postgres'), context),
    openUnreachable: async () => openStore(await unreachableStoreConfig('postgres', 'postgres'), context),
  }));

  const connect = async () => {
    const client = new pg.Client({
      host: '127.0.0.1',
      port: server().port,
      user: 'llmcm',
      database: 'postgres',
    });
    await client.connect();
    return client;
  };

  describe('postgres specifics', () => {
    it('keeps every revision queryable, exposes a current view, and NOTIFYs listeners without values', async () => {
      const store = (await openStore(server().storeConfig('postgres'), context)) as PostgresStore;
      const listener = await connect();
      try {
        const env = freshEnvironment();
        const notices: string[] = [];
        listener.on('notification', (n) => notices.push(n.payload ?? ''));
        await listener.query('LISTEN llmcm_changed');
        const first = await applyOnTop(store, env, { set: { a: '1', b: 'secret-b' }, delete: [] }, 'p1');
        await applyOnTop(store, env, { set: { a: '2' }, delete: ['b'] }, 'p2');
        expect(await store.readRevision(env, first.result.revision as string)).toEqual({
          a: '1',
          b: 'secret-b',
        });
        const view = await listener.query(
          'SELECT key, value FROM llmcm_store_current WHERE environment = $1',
          [env],
        );
        expect(view.rows).toEqual([{ key: 'a', value: '2' }]);
        const deadline = Date.now() + 5000;
        while (notices.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        const parsed = notices
          .map((n) => JSON.parse(n) as PostgresChangeNotice)
          .filter((n) => n.environment === env);
        expect(parsed.map((n) => n.promotionId)).toEqual(['p1', 'p2']);
        expect(notices.join('')).not.toContain('secret-b');
      } finally {
        await listener.end();
        await store.close();
      }
    });

    it('refuses a NUL character with a clear input error, writing nothing', async () => {
      const store = await openStore(server().storeConfig('postgres'), context);
      const env = freshEnvironment();
      const changes = { set: { k: 'a\u0000b' }, delete: [] };
      await expect(
        store.apply(env, changes, { expectedRevision: null, stamp: stampFor({}, changes, 'p') }),
      ).rejects.toMatchObject({ code: 'STORE_BAD_INPUT' });
      expect((await store.read(env)).revision).toBeNull();
      await store.close();
    });

    it('rolls back the whole transaction when the server dies mid-apply, and reads again after a restart', async () => {
      const store = await openStore(server().storeConfig('postgres'), context);
      const env = freshEnvironment();
      await applyOnTop(store, env, { set: { k: 'before' }, delete: [] }, 'p1');
      const before = await store.read(env);
      // Hold the head row lock from another session so the apply blocks inside its transaction, then kill the server.
      const blocker = await connect();
      await blocker.query('BEGIN');
      await blocker.query('SELECT * FROM llmcm_store_heads WHERE environment = $1 FOR UPDATE', [env]);
      const changes = { set: { k: 'after', extra: 'x' }, delete: [] };
      const pending = store.apply(env, changes, {
        expectedRevision: before.revision,
        stamp: stampFor(before.values, changes, 'p2'),
      });
      const outcome = expect(pending).rejects.toMatchObject({ kind: 'store' });
      await new Promise((r) => setTimeout(r, 300));
      blocker.on('error', () => {});
      await server().kill();
      await outcome;
      await server().restart();
      const after = await store.read(env);
      expect(after).toEqual(before);
      await store.close();
    });
  });
});
