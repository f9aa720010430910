import { Socket } from 'node:net';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AwsSecretsManagerStore } from '../../../src/stores/aws-secrets-manager/aws-secrets-manager-store.js';
import { openStore } from '../../../src/stores/registry.js';
import { serverTools, testStoreEnv, unreachableStoreConfig, useServer } from '../../support/servers.js';
import { describeWithTools } from '../../support/tools.js';
import { applyOnTop, defineStoreContract, freshEnvironment, stampFor } from './contract.js';

const context = { root: process.cwd(), env: testStoreEnv };

// Every socket this file opens is recorded: the SDK must only ever talk to the loopback endpoint
// (never the instance metadata address 169.254.169.254, never a real AWS endpoint).
const connectedHosts: string[] = [];
const originalConnect = Socket.prototype.connect;
beforeAll(() => {
  vi.spyOn(Socket.prototype, 'connect').mockImplementation(function (this: Socket, ...args: unknown[]) {
    const first = args[0] as { host?: string; path?: string } | number | string;
    if (typeof first === 'object' && first !== null && !first.path)
      connectedHosts.push(first.host ?? 'localhost');
    else if (typeof first === 'number')
      connectedHosts.push(typeof args[1] === 'string' ? args[1] : 'localhost');
    return (originalConnect as (...a: unknown[]) => Socket).apply(this, args);
  });
});
afterAll(() => {
  vi.restoreAllMocks();
});

describeWithTools(serverTools.moto, 'aws-secrets-manager store against moto (contract)', () => {
  const server = useServer('moto');
  defineStoreContract(() => ({
    open: () => openStore(server().storeConfig('aws'), context),
    openUnreachable: async () => openStore(await unreachableStoreConfig('moto', 'aws'), context),
  }));

  const rawClient = () =>
    new SecretsManagerClient({
      region: 'us-east-1',
      endpoint: server().url,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });

  describe('aws specifics', () => {
    it('keeps one JSON secret per environment; AWSCURRENT moves, AWSPREVIOUS keeps the last state', async () => {
      const store = (await openStore(server().storeConfig('aws'), context)) as AwsSecretsManagerStore;
      const client = rawClient();
      try {
        const env = freshEnvironment();
        const first = await applyOnTop(store, env, { set: { 'llm.model': 'a' }, delete: [] }, 'p1');
        const second = await applyOnTop(store, env, { set: { 'llm.model': 'b' }, delete: [] }, 'p2');
        const current = await client.send(
          new GetSecretValueCommand({ SecretId: `llmcm/${env}`, VersionStage: 'AWSCURRENT' }),
        );
        expect(current.VersionId).toBe(second.result.revision);
        expect(JSON.parse(current.SecretString as string)).toEqual({
          'llm.model': 'b',
          __llmcm_stamp: { promotionId: 'p2', contentHash: expect.any(String) },
        });
        const previous = await client.send(
          new GetSecretValueCommand({ SecretId: `llmcm/${env}`, VersionStage: 'AWSPREVIOUS' }),
        );
        expect(previous.VersionId).toBe(first.result.revision);
        const described = await client.send(new DescribeSecretCommand({ SecretId: `llmcm/${env}` }));
        expect(described.VersionIdsToStages?.[second.result.revision as string]).toContain('AWSCURRENT');
      } finally {
        client.destroy();
        await store.close();
      }
    });

    it('reports a secret scheduled for deletion and a non-JSON secret clearly', async () => {
      const store = await openStore(server().storeConfig('aws'), context);
      const client = rawClient();
      try {
        const env = freshEnvironment();
        await applyOnTop(store, env, { set: { k: '1' }, delete: [] });
        await client.send(new DeleteSecretCommand({ SecretId: `llmcm/${env}`, RecoveryWindowInDays: 7 }));
        await expect(store.read(env)).rejects.toMatchObject({ code: 'STORE_REJECTED', kind: 'store' });
        const plain = freshEnvironment();
        await client.send(new CreateSecretCommand({ Name: `llmcm/${plain}`, SecretString: 'not json' }));
        await expect(store.read(plain)).rejects.toMatchObject({ code: 'STORE_CORRUPT', kind: 'store' });
      } finally {
        client.destroy();
        await store.close();
      }
    });

    it('refuses an environment larger than the 64 KiB secret limit before writing', async () => {
      const store = await openStore(server().storeConfig('aws'), context);
      const env = freshEnvironment();
      const changes = { set: { big: 'x'.repeat(70_000) }, delete: [] };
      await expect(
        store.apply(env, changes, { expectedRevision: null, stamp: stampFor({}, changes, 'p') }),
      ).rejects.toMatchObject({ code: 'STORE_BAD_INPUT' });
      expect((await store.read(env)).revision).toBeNull();
      await store.close();
    });

    it('never falls back to ambient credentials or a non-loopback endpoint', async () => {
      const { accessKeyId: _a, secretAccessKey: _s, ...noCredentials } = server().storeConfig('aws');
      await expect(openStore(noCredentials, context)).rejects.toMatchObject({ code: 'STORE_CONFIG' });
      const { endpoint: _e, ...noEndpoint } = server().storeConfig('aws');
      await expect(openStore(noEndpoint, context)).rejects.toMatchObject({ code: 'STORE_CONFIG' });
      await expect(
        openStore(
          server().storeConfig('aws', { endpoint: 'https://secretsmanager.us-east-1.amazonaws.com' }),
          context,
        ),
      ).rejects.toMatchObject({ code: 'STORE_CONFIG' });
      expect(process.env.AWS_EC2_METADATA_DISABLED).toBe('true');
    });

    it('opened sockets to loopback only, during this whole file', () => {
      expect(connectedHosts.length).toBeGreaterThan(0);
      expect(connectedHosts.filter((host) => !['127.0.0.1', 'localhost', '::1'].includes(host))).toEqual([]);
    });
  });
});
