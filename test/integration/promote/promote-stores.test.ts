import { execFile } from 'node:child_process';
import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { listRecords } from '../../../src/audit/record.js';
import { detectDrift } from '../../../src/promote/drift.js';
import { readLock } from '../../../src/promote/lock.js';
import { loadProjectContext } from '../../../src/promote/project-deps.js';
import { type PromoteRequest, promote } from '../../../src/promote/promote.js';
import type { StoreConfig } from '../../../src/stores/types.js';
import { testStoreEnv, unreachableStoreConfig, useServer } from '../../support/servers.js';
import { describeWithTools, projectRoot } from '../../support/tools.js';
import { createProjectRepo } from './project-fixture.js';

const run = promisify(execFile);
const cli = join(projectRoot, 'dist', 'cli', 'main.js');
const env = { ...testStoreEnv, LLMCM_FINGERPRINT_KEY: 'integration' };

function request(source: string, extra: Partial<PromoteRequest> = {}): PromoteRequest {
  return {
    environment: 'dev',
    source,
    actor: 'alice',
    approvalIds: [],
    force: false,
    operation: 'promote',
    apply: { concurrency: 1, retries: 1, backoffMs: 20, timeoutMs: 2000 },
    ...extra,
  };
}

async function readAll(dir: string, environment = 'dev') {
  const { deps } = await loadProjectContext({ cwd: dir, env });
  const out: Record<string, Record<string, string>> = {};
  for (const config of deps.storeConfigs(environment)) {
    const store = await deps.openStore(config);
    out[config.name] = (await store.read(environment)).values;
    await store.close();
  }
  return out;
}

async function cliRun(dir: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}) {
  try {
    const r = await run(process.execPath, [cli, ...args], {
      cwd: dir,
      env: { ...process.env, ...env, ...extraEnv },
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr, signal: null as string | null };
  } catch (error) {
    const e = error as { code?: number; signal?: string; stdout: string; stderr: string };
    return { code: e.code ?? -1, stdout: e.stdout, stderr: e.stderr, signal: e.signal ?? null };
  }
}

describeWithTools(['redis-server', 'bao'], 'promote into real stores (file + redis + vault)', () => {
  const redis = useServer('redis');
  const vault = useServer('vault');
  let project: ReturnType<typeof createProjectRepo>;
  let stores: StoreConfig[];
  let counter = 0;
  beforeAll(() => {
    // Distinct store names per test file run; sorted order a-file, b-redis, c-vault is the apply order.
    stores = [
      { name: 'a-file', kind: 'file', path: '.llmcm/a' },
      redis().storeConfig('b-redis'),
      vault().storeConfig('c-vault'),
    ];
  });
  afterEach(() => project?.remove());
  const fresh = () => {
    counter++;
    project = createProjectRepo(
      stores.map((s) => (s.kind === 'file' ? s : { ...s, prefix: `t${counter}` })),
      [`dev`],
    );
    return project;
  };

  it('promotes all-or-nothing, re-runs as a no-op, and reports no drift', async () => {
    const p = fresh();
    const source = p.setValues('dev', { beta: true, level: 3, api_key: 'sk-CANARY-real-stores' });
    const { deps } = await loadProjectContext({ cwd: p.dir, env });
    const out = await promote(deps, request(source));
    expect(out.stores.map((s) => [s.store, s.outcome])).toEqual([
      ['a-file', 'applied'],
      ['b-redis', 'applied'],
      ['c-vault', 'applied'],
    ]);
    const values = await readAll(p.dir);
    for (const name of ['a-file', 'b-redis', 'c-vault'])
      expect(values[name]!['flags.level.description']).toBe('3');
    expect((await promote(deps, request(source))).status).toBe('up-to-date');
    expect((await detectDrift(deps, 'dev')).drifted).toBe(false);
    expect(p.git('log', '-p', 'refs/llmcm/promotions/dev')).not.toContain('CANARY');
    // Even left in plaintext by mistake, a secret-looking key is shown by fingerprint only.
    p.setValues('dev', { beta: true, level: 3, api_key: 'sk-CANARY-rotated' });
    const json = await cliRun(p.dir, ['plan', 'dev', '--format', 'json']);
    const text = await cliRun(p.dir, ['plan', 'dev']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(
      /~ flags\.api_key\.description {2}fp:[0-9a-f]{16} → fp:[0-9a-f]{16} \(secret changed\)/,
    );
    expect(`${json.stdout}${text.stdout}${text.stderr}`).not.toContain('CANARY');
  });

  it('restores every store when the connection drops mid-apply (server killed)', async () => {
    const p = fresh();
    const first = p.setValues('dev', { level: 1 });
    const { deps } = await loadProjectContext({ cwd: p.dir, env });
    await promote(deps, request(first));
    const before = await readAll(p.dir);
    const second = p.setValues('dev', { level: 2 });
    let killed = false;
    await expect(
      promote(
        deps,
        request(second, {
          // After the file store is written, the vault server dies: c-vault cannot be reached.
          afterStoreApplied: (store) => {
            if (store === 'b-redis' && !killed) {
              killed = true;
              void vault().kill();
            }
          },
        }),
      ),
    ).rejects.toMatchObject({ exitCode: 4 });
    await vault().restart();
    const after = await readAll(p.dir);
    expect(after['a-file']).toEqual(before['a-file']);
    expect(after['b-redis']).toEqual(before['b-redis']);
    const [record] = await listRecords((await loadProjectContext({ cwd: p.dir, env })).repo, 'dev');
    expect(record!.result).toBe('failed');
    expect(record!.stores.find((s) => s.store === 'a-file')!.outcome).toBe('restored');
    // The killed server was never written: the store is reported failed, not "restore failed".
    expect(record!.stores.find((s) => s.store === 'c-vault')!.outcome).toBe('failed');
  });

  it('restores when a store refuses a write (redis ACL forbids writes)', async () => {
    const p = fresh();
    const first = p.setValues('dev', { level: 1 });
    const { deps } = await loadProjectContext({ cwd: p.dir, env });
    await promote(deps, request(first));
    const second = p.setValues('dev', { level: 2 });
    // The real server refuses the write: the default user loses every write command.
    const admin = new Redis(redis().url, { lazyConnect: true });
    await admin.connect();
    await admin.call('ACL', 'SETUSER', 'default', '-@write');
    try {
      await expect(promote(deps, request(second))).rejects.toMatchObject({ exitCode: 4 });
    } finally {
      await admin.call('ACL', 'SETUSER', 'default', '+@all');
      admin.disconnect();
    }
    const values = await readAll(p.dir);
    for (const name of ['a-file', 'b-redis', 'c-vault'])
      expect(values[name]!['flags.level.description']).toBe('1');
    const [record] = await listRecords((await loadProjectContext({ cwd: p.dir, env })).repo, 'dev');
    expect(record!.stores.map((s) => s.outcome)).toEqual(['restored', 'failed', 'skipped']);
  });

  it('fails within the timeout when a store never answers, and restores the others', async () => {
    const silent: Server = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    try {
      counter++;
      const p = createProjectRepo([
        { name: 'a-file', kind: 'file', path: '.llmcm/a' },
        {
          name: 'z-silent',
          kind: 'vault',
          address: `http://127.0.0.1:${port}`,
          token: 'root',
          timeoutMs: 60_000,
        },
      ]);
      project = p;
      const source = p.setValues('dev', { level: 1 });
      const { deps } = await loadProjectContext({ cwd: p.dir, env });
      // Planning reads the silent store too: it must time out there, clearly, with nothing written.
      const started = Date.now();
      await expect(
        promote(deps, request(source, { apply: { retries: 0, timeoutMs: 300 } })),
      ).rejects.toMatchObject({
        exitCode: 4,
      });
      expect(Date.now() - started).toBeLessThan(58_000);
      const file = await deps.openStore(deps.storeConfigs('dev')[0]!);
      expect((await file.read('dev')).values).toEqual({});
      expect(p.git('for-each-ref', 'refs/llmcm')).toBe('');
    } finally {
      silent.close();
    }
  });

  it('times out a write that never returns (stalling proxy in front of vault) and restores the others', async () => {
    const target = new URL(vault().url);
    let stallWrites = false;
    const proxy = createHttpServer((req, res) => {
      if (stallWrites && req.method !== 'GET') return; // swallow the write: no answer, ever
      const upstream = httpRequest(
        { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      req.pipe(upstream);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const port = (proxy.address() as { port: number }).port;
    counter++;
    const p = createProjectRepo([
      { name: 'a-file', kind: 'file', path: '.llmcm/a' },
      { ...vault().storeConfig('z-vault'), address: `http://127.0.0.1:${port}`, prefix: `t${counter}` },
    ]);
    project = p;
    try {
      const first = p.setValues('dev', { level: 1 });
      const { deps } = await loadProjectContext({ cwd: p.dir, env });
      await promote(deps, request(first));
      const second = p.setValues('dev', { level: 2 });
      stallWrites = true;
      await expect(
        promote(deps, request(second, { apply: { concurrency: 1, retries: 0, timeoutMs: 500 } })),
      ).rejects.toMatchObject({
        exitCode: 4,
      });
      stallWrites = false;
      const values = await readAll(p.dir);
      expect(values['a-file']!['flags.level.description']).toBe('1');
      expect(values['z-vault']!['flags.level.description']).toBe('1');
      const [record] = await listRecords((await loadProjectContext({ cwd: p.dir, env })).repo, 'dev');
      expect(record!.result).toBe('failed');
      expect(record!.stores.find((s) => s.store === 'z-vault')!.error).toMatch(
        /did not answer within 500 ms/,
      );
    } finally {
      proxy.closeAllConnections();
      proxy.close();
    }
  });

  it('survives a kill between two stores: the next run shows the lock and record, then completes', async () => {
    const p = fresh();
    const source = p.setValues('dev', { level: 5 });
    const killed = await cliRun(p.dir, ['promote', 'dev', '--actor', 'alice', '--concurrency', '1'], {
      LLMCM_TEST_KILL_AFTER_STORES: '1',
    });
    expect(killed.signal, `${killed.code} ${killed.stdout} ${killed.stderr}`).toBe('SIGKILL');
    const { repo } = await loadProjectContext({ cwd: p.dir, env });
    const lock = await readLock(repo, 'dev');
    expect(lock?.staleReason).toMatch(/is gone/);
    const history = await cliRun(p.dir, ['history', 'dev']);
    expect(history.stdout).toMatch(/LOCKED by alice .* stale/);
    const again = await cliRun(p.dir, ['promote', 'dev', '--actor', 'alice']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/recovered: promotion .* was interrupted/);
    const records = await listRecords(repo, 'dev');
    expect(records.map((r) => r.result)).toEqual(['succeeded', 'interrupted']);
    expect(records[1]!.stores.map((s) => s.outcome)).toEqual(['applied', 'skipped', 'skipped']);
    const values = await readAll(p.dir);
    for (const name of ['a-file', 'b-redis', 'c-vault'])
      expect(values[name]!['flags.level.description']).toBe('5');
    expect(source).toBe(records[0]!.source);
    expect((await cliRun(p.dir, ['drift', 'dev'])).code).toBe(0);
  });

  it('lets exactly one of two concurrent CLI promotions write', async () => {
    const p = fresh();
    p.setValues('dev', { level: 9 });
    const results = await Promise.all([
      cliRun(p.dir, ['promote', 'dev', '--actor', 'alice']),
      cliRun(p.dir, ['promote', 'dev', '--actor', 'bob']),
    ]);
    const { repo } = await loadProjectContext({ cwd: p.dir, env });
    const records = await listRecords(repo, 'dev');
    expect(records.filter((r) => r.result === 'succeeded')).toHaveLength(1);
    const loser = results.find((r) => !/promoted dev/.test(r.stdout))!;
    // The loser either lost the lock race (exit 4, naming the holder) or found the work done.
    expect(loser.code === 4 ? loser.stderr : loser.stdout).toMatch(
      /lock of 'dev' is held by|changed|up to date|lost the race/,
    );
  });

  it('refuses an unreachable store and a foreign value, writing nothing', async () => {
    const p = fresh();
    const source = p.setValues('dev', { level: 1 });
    const { deps } = await loadProjectContext({ cwd: p.dir, env });
    // Foreign: someone wrote the redis hash by hand.
    const redisStore = await deps.openStore(deps.storeConfigs('dev').find((s) => s.kind === 'redis')!);
    await redisStore.restore('dev', {
      values: { 'flags.level': 'hand-edited' },
      revision: null,
      stamp: null,
    });
    await redisStore.close();
    const refused = await cliRun(p.dir, ['promote', 'dev', '--actor', 'alice']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/did not write/);
    // The refusal is recorded (no lock ref, no store written): only the record chain exists.
    expect(p.git('for-each-ref', '--format=%(refname)', 'refs/llmcm')).toBe('refs/llmcm/promotions/dev');
    expect(p.git('log', '-1', '--format=%B', 'refs/llmcm/promotions/dev')).toMatch(
      /Llmcm-Refusal: STORE_DRIFT[\s\S]*Llmcm-Result: refused/,
    );
    expect((await readAll(p.dir))[stores.find((s) => s.kind === 'redis')!.name]).toEqual({
      'flags.level': 'hand-edited',
    });
    expect(Object.keys((await readAll(p.dir))[stores.find((s) => s.kind === 'file')!.name]!)).toEqual([]);
    const forced = await cliRun(p.dir, ['promote', 'dev', '--actor', 'alice', '--force']);
    expect(forced.code).toBe(0);
    expect(source).toBeTruthy();
  });
});

describe('promote refuses a source that fails check', () => {
  it('runs check on the exact source commit, exit 1, nothing written', async () => {
    const p = createProjectRepo([{ name: 'a-file', kind: 'file', path: '.llmcm/a' }]);
    try {
      const good = p.setValues('dev', { level: 1 });
      const bad = p.commit({ 'environments/dev/flags.yaml': 'level: 5\n' }, 'break the flags schema');
      const refused = await cliRun(p.dir, ['promote', 'dev', '--ref', bad, '--actor', 'alice']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/check fails on source [0-9a-f]{12}/);
      expect(refused.stderr).toMatch(/environments\/dev\/flags\.yaml:1 schema/);
      expect(refused.stderr).toMatch(/the refused attempt is recorded as [0-9a-f]{12}/);
      // Recorded as a refused attempt; no lock was taken and the store was not written.
      expect(p.git('for-each-ref', '--format=%(refname)', 'refs/llmcm')).toBe('refs/llmcm/promotions/dev');
      expect(p.git('log', '-1', '--format=%B', 'refs/llmcm/promotions/dev')).toMatch(
        /Llmcm-Refusal: CHECK_FAILED[\s\S]*Llmcm-Refusal-Reason: environments\/dev\/flags\.yaml:1 schema[\s\S]*Llmcm-Result: refused/,
      );
      expect((await readAll(p.dir))['a-file']).toEqual({});
      const history = await cliRun(p.dir, ['history', 'dev']);
      expect(history.stdout).toMatch(/refused +promote/);
      expect((await cliRun(p.dir, ['audit', 'verify'])).code).toBe(0);
      // The working tree is broken, but the good commit is what gets checked and promoted.
      const ok = await cliRun(p.dir, ['promote', 'dev', '--ref', good, '--actor', 'alice']);
      expect(ok.code, ok.stderr).toBe(0);
    } finally {
      p.remove();
    }
  });
});

describe('promote with an unreachable store', () => {
  it('fails clearly with exit 4 and writes nothing', async () => {
    const p = createProjectRepo([
      { name: 'a-file', kind: 'file', path: '.llmcm/a' },
      await unreachableStoreConfig('redis', 'b-redis'),
    ]);
    try {
      p.setValues('dev', { level: 1 });
      const out = await cliRun(p.dir, ['promote', 'dev', '--actor', 'alice', '--timeout-ms', '2000']);
      expect(out.code).toBe(4);
      expect(out.stderr).toMatch(/b-redis/);
      expect(p.git('for-each-ref', 'refs/llmcm')).toBe('');
    } finally {
      p.remove();
    }
  });
});

describeWithTools(
  ['moto_server', 'initdb', 'pg_ctl', 'postgres'],
  'promote into aws-secrets-manager (moto) and postgres',
  () => {
    const moto = useServer('moto');
    const postgres = useServer('postgres');
    it('promotes all-or-nothing, re-runs as a no-op, restores after a kill, and reports no drift', async () => {
      const p = createProjectRepo([moto().storeConfig('a-aws'), postgres().storeConfig('b-postgres')]);
      try {
        const first = p.setValues('dev', { level: 1 });
        const { deps } = await loadProjectContext({ cwd: p.dir, env });
        const out = await promote(deps, request(first));
        expect(out.stores.map((s) => s.outcome)).toEqual(['applied', 'applied']);
        expect((await promote(deps, request(first))).status).toBe('up-to-date');
        const second = p.setValues('dev', { level: 2 });
        let killing: Promise<void> | undefined;
        await expect(
          promote(
            deps,
            request(second, {
              afterStoreApplied: (store) => {
                if (store === 'a-aws') killing = postgres().kill();
              },
            }),
          ),
        ).rejects.toMatchObject({ exitCode: 4 });
        await killing;
        await postgres().restart();
        const values = await readAll(p.dir);
        expect(values['a-aws']!['flags.level.description']).toBe('1');
        expect(values['b-postgres']!['flags.level.description']).toBe('1');
        expect((await detectDrift(deps, 'dev')).drifted).toBe(false);
      } finally {
        p.remove();
      }
    });
  },
);
