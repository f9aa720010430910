import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../../src/stores/registry.js';
import { isTransientStoreError } from '../../../src/stores/store-errors.js';

// A unit-test double for Vault's failure replies (the real OpenBao runs in
// test/integration/stores/vault-store.test.ts): it answers each path with a fixed status.
let server: Server;
let address = '';
const replies: Record<string, [number, string]> = {
  '/v1/secret/data/llmcm/down': [503, '{"errors":["Vault is sealed"]}'],
  '/v1/secret/data/llmcm/busy': [429, '{"errors":["rate limit quota exceeded"]}'],
  '/v1/secret/data/llmcm/denied': [403, '{"errors":["permission denied"]}'],
  '/v1/secret/data/llmcm/kv1': [200, '{"data":{"k":"v"}}'],
};

beforeAll(async () => {
  server = createServer((request, response) => {
    const [status, body] = replies[request.url ?? ''] ?? [404, '{"errors":[]}'];
    response.writeHead(status, { 'Content-Type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const bound = server.address();
  address = `http://127.0.0.1:${typeof bound === 'object' && bound ? bound.port : 0}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('vault store error mapping', () => {
  const open = () => openStore({ name: 'v', kind: 'vault', address, token: 't' }, { root: '.', env: {} });

  it.each([
    ['down', 'STORE_UNAVAILABLE', true],
    ['busy', 'STORE_UNAVAILABLE', true],
    ['denied', 'STORE_REJECTED', false],
    ['kv1', 'STORE_CORRUPT', false],
  ])('maps the reply for %s to %s (transient: %s)', async (env, code, transient) => {
    const error = await (await open()).read(env).catch((e: unknown) => e);
    expect(error).toMatchObject({ code, kind: 'store' });
    expect(isTransientStoreError(error)).toBe(transient);
  });

  it('reads a path that does not exist as empty', async () => {
    expect(await (await open()).read('nothing')).toEqual({ values: {}, revision: null, stamp: null });
  });
});
