import { inspect } from 'node:util';
import { Redis } from 'ioredis';
import { describe, expect, it, vi } from 'vitest';
import { computeContentHash } from '../../../src/stores/content-hash.js';
import type { RedisChangeNotice, RedisStore } from '../../../src/stores/redis/redis-store.js';
import { openStore } from '../../../src/stores/registry.js';
import { serverTools, testStoreEnv, unreachableStoreConfig, useServer } from '../../support/servers.js';
import { describeWithTools } from '../../support/tools.js';
import { applyOnTop, defineStoreContract, freshEnvironment } from './contract.js';

const context = { root: process.cwd(), env: testStoreEnv };

describeWithTools(serverTools.redis, 'redis store against redis-server (contract)', () => {
  const server = useServer('redis');
  defineStoreContract(() => ({
    open: () => openStore(server().storeConfig('redis'), context),
    openUnreachable: async () => openStore(await unreachableStoreConfig('redis', 'redis'), context),
  }));

  describe('redis specifics', () => {
    it('keeps one hash per environment and notifies a real subscriber with revision and promotion id only', async () => {
      const store = (await openStore(server().storeConfig('redis'), context)) as RedisStore;
      const subscriber = new Redis(server().port, '127.0.0.1');
      try {
        const env = freshEnvironment();
        const received: string[] = [];
        subscriber.on('message', (_channel, message) => received.push(message));
        await subscriber.subscribe(store.channel(env));
        expect(store.channel(env)).toBe(`llmcm:${env}:changed`);
        const { result } = await applyOnTop(
          store,
          env,
          { set: { 'llm.api_key': 'sk-secret-value' }, delete: [] },
          'p-42',
        );
        const deadline = Date.now() + 5000;
        while (received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        expect(received).toHaveLength(1);
        const notice = JSON.parse(received[0] as string) as RedisChangeNotice;
        expect(notice).toEqual({ environment: env, revision: result.revision, promotionId: 'p-42' });
        expect(received[0]).not.toContain('sk-secret-value');
        const direct = new Redis(server().port, '127.0.0.1');
        expect(await direct.hgetall(`llmcm:${env}`)).toEqual({ 'llm.api_key': 'sk-secret-value' });
        direct.disconnect();
        // A re-apply that changes nothing publishes nothing.
        await applyOnTop(store, env, { set: { 'llm.api_key': 'sk-secret-value' }, delete: [] }, 'p-42');
        await new Promise((r) => setTimeout(r, 100));
        expect(received).toHaveLength(1);
      } finally {
        subscriber.disconnect();
        await store.close();
      }
    });

    it('fails a write whose watched keys moved between WATCH and EXEC, writing nothing', async () => {
      const store = await openStore(server().storeConfig('redis'), context);
      const env = freshEnvironment();
      await applyOnTop(store, env, { set: { k: '1' }, delete: [] });
      const before = await store.read(env);
      const other = new Redis(server().port, '127.0.0.1');
      // Right after the store WATCHes, another client edits a value (not the revision): EXEC must refuse.
      const original = Redis.prototype.watch;
      const spy = vi.spyOn(Redis.prototype, 'watch').mockImplementationOnce(async function (
        this: Redis,
        ...keys
      ) {
        const reply = await (original as (...args: unknown[]) => Promise<'OK'>).apply(this, keys);
        await other.hset(`llmcm:${env}`, 'k', 'foreign');
        return reply;
      });
      try {
        await expect(
          store.apply(
            env,
            { set: { k: '2' }, delete: [] },
            {
              expectedRevision: before.revision,
              stamp: { promotionId: 'p', contentHash: computeContentHash({ k: '2' }) },
            },
          ),
        ).rejects.toMatchObject({ code: 'STORE_CONFLICT' });
        expect(spy).toHaveBeenCalled();
        const after = await store.read(env);
        expect(after.values).toEqual({ k: 'foreign' });
        expect(after.revision).toBe(before.revision);
      } finally {
        spy.mockRestore();
        other.disconnect();
        await store.close();
      }
    });

    it('reports a key of the wrong type as a refusal, with no value anywhere in the error', async () => {
      const store = await openStore(server().storeConfig('redis'), context);
      const env = freshEnvironment();
      const other = new Redis(server().port, '127.0.0.1');
      await other.set(`llmcm:${env}`, 'not a hash');
      other.disconnect();
      const canary = 'sk-canary-wrongtype-123';
      const error = await store
        .apply(
          env,
          { set: { k: canary }, delete: [] },
          {
            expectedRevision: null,
            stamp: { promotionId: 'p', contentHash: computeContentHash({ k: canary }) },
          },
        )
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'STORE_REJECTED', kind: 'store' });
      expect(inspect(error, { depth: 8 })).not.toContain(canary);
      await store.close();
    });

    it('reads correctly after an apply that failed between WATCH and EXEC', async () => {
      const store = await openStore(server().storeConfig('redis'), context);
      const env = freshEnvironment();
      await applyOnTop(store, env, { set: { k: '1' }, delete: [] });
      const state = await store.read(env);
      // A stamp mismatch throws after WATCH; then another client changes a watched key.
      await expect(
        store.apply(
          env,
          { set: { k: '2' }, delete: [] },
          {
            expectedRevision: state.revision,
            stamp: { promotionId: 'p', contentHash: 'wrong' },
          },
        ),
      ).rejects.toMatchObject({ code: 'STORE_STAMP_MISMATCH' });
      const other = new Redis(server().port, '127.0.0.1');
      await other.hset(`llmcm:${env}`, 'k', 'foreign');
      other.disconnect();
      expect((await store.read(env)).values).toEqual({ k: 'foreign' });
      await store.close();
    });

    it('reconnects after the server was killed and restarted', async () => {
      const store = await openStore(server().storeConfig('redis'), context);
      const env = freshEnvironment();
      await applyOnTop(store, env, { set: { k: '1' }, delete: [] });
      await server().kill();
      await expect(store.read(env)).rejects.toMatchObject({ code: 'STORE_UNREACHABLE', kind: 'store' });
      await server().restart();
      // redis-server runs without persistence here: it comes back empty, and the store reconnects.
      expect(await store.read(env)).toEqual({ values: {}, revision: null, stamp: null });
      await store.close();
    });
  });
});
