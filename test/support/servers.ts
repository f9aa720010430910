import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { StoreConfig } from '../../src/stores/types.js';
import { projectRoot, toolPath } from './tools.js';

/**
 * Real servers for the store integration tests, started on 127.0.0.1 on free ports and stopped
 * afterwards. CI starts with none running; every suite brings its own.
 *
 * Safety: the AWS SDK must never probe the cloud metadata address, and no store may point anywhere
 * but loopback. Importing this module sets both guards for the whole test process.
 */
process.env.AWS_EC2_METADATA_DISABLED = 'true';
process.env.LLMCM_LOOPBACK_ONLY = '1';

export type ServerKind = 'vault' | 'moto' | 'redis' | 'postgres';

/** The binaries each server needs (for describeWithTools). */
export const serverTools: Record<ServerKind, string[]> = {
  vault: ['bao'],
  moto: ['moto_server'],
  redis: ['redis-server'],
  postgres: ['initdb', 'pg_ctl', 'postgres'],
};

/** The environment handed to openStore in tests: loopback-only guard on, nothing else. */
export const testStoreEnv: NodeJS.ProcessEnv = {
  LLMCM_LOOPBACK_ONLY: '1',
  AWS_EC2_METADATA_DISABLED: 'true',
};

export interface RunningServer {
  kind: ServerKind;
  host: '127.0.0.1';
  port: number;
  /** http://127.0.0.1:port for HTTP servers, redis://… or postgres://… otherwise. */
  url: string;
  /** The main server process id (the postmaster for postgres). */
  pid(): number | undefined;
  /** A `stores:` entry for llmcm.yaml pointing at this server; `extra` overrides settings. */
  storeConfig(name?: string, extra?: Record<string, unknown>): StoreConfig;
  /** Stops the server gracefully and removes its data. */
  stop(): Promise<void>;
  /**
   * SIGKILLs the server now: open connections drop mid-request (the "connection drops mid-apply"
   * fault). The data directory is kept, so `restart()` brings postgres back with its data; vault
   * (dev mode), moto and redis (no persistence) come back empty.
   */
  kill(): Promise<void>;
  /** Starts the server again on the same port after `kill()`. */
  restart(): Promise<void>;
  /** Recent server output, for failure messages. */
  logs(): string;
}

/** A free TCP port on 127.0.0.1 (the kernel picks it; a start retries if someone takes it first). */
export async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A store config of `kind` whose server cannot be reached (a port nobody listens on). */
export async function unreachableStoreConfig(
  kind: ServerKind,
  name = `unreachable-${kind}`,
): Promise<StoreConfig> {
  const port = await findFreePort();
  return storeConfigFor(kind, name, '127.0.0.1', port, {});
}

/**
 * Starts one server for the enclosing describe block (beforeAll) and stops it afterwards
 * (afterAll). Returns a getter, valid inside tests and hooks.
 */
export function useServer(kind: ServerKind): () => RunningServer {
  let server: RunningServer | undefined;
  beforeAll(async () => {
    server = await startServer(kind);
  });
  afterAll(async () => {
    await server?.stop();
  });
  return () => {
    if (!server) throw new Error(`the ${kind} server did not start (see the beforeAll error)`);
    return server;
  };
}

const stateDir = join(projectRoot, '.cache', 'servers');
const running = new Set<Instance>();

/** Starts a fresh server of `kind` on a free port and waits until it answers. */
export async function startServer(kind: ServerKind): Promise<RunningServer> {
  for (const tool of serverTools[kind])
    if (!toolPath(tool))
      throw new Error(
        `cannot start ${kind}: ${tool} is not installed in .tools/bin (run scripts/setup-test-env.sh)`,
      );
  reapLeftovers();
  let lastError: unknown;
  // A free port can be taken by another process between findFreePort and bind: retry on a new one.
  for (let attempt = 0; attempt < 3; attempt++) {
    const instance = new Instance(kind, await findFreePort());
    try {
      await instance.start();
      return instance.handle();
    } catch (error) {
      lastError = error;
      await instance.stop();
    }
  }
  throw lastError;
}

class Instance {
  private child: ChildProcess | undefined;
  private postmasterPid: number | undefined;
  private output: string[] = [];
  readonly dataDir: string;
  private exited = true;

  constructor(
    readonly kind: ServerKind,
    readonly port: number,
  ) {
    this.dataDir = mkdtempSync(join(tmpdir(), `llmcm-${kind}-`));
  }

  handle(): RunningServer {
    const url = {
      vault: `http://127.0.0.1:${this.port}`,
      moto: `http://127.0.0.1:${this.port}`,
      redis: `redis://127.0.0.1:${this.port}`,
      postgres: `postgres://llmcm@127.0.0.1:${this.port}/postgres`,
    }[this.kind];
    return {
      kind: this.kind,
      host: '127.0.0.1',
      port: this.port,
      url,
      pid: () => this.pid(),
      storeConfig: (name = `test-${this.kind}`, extra = {}) =>
        storeConfigFor(this.kind, name, '127.0.0.1', this.port, extra),
      stop: () => this.stop(),
      kill: () => this.kill(),
      restart: () => this.start(),
      logs: () => this.output.join(''),
    };
  }

  pid(): number | undefined {
    return this.kind === 'postgres' ? this.postmasterPid : this.child?.pid;
  }

  async start(): Promise<void> {
    running.add(this);
    if (this.kind === 'postgres') await this.startPostgres();
    else this.spawnServer();
    this.record();
    await this.waitReady();
  }

  private spawnServer(): void {
    const port = String(this.port);
    const [command, args] = {
      vault: [
        toolPath('bao') as string,
        [
          'server',
          '-dev',
          '-dev-root-token-id=root',
          `-dev-listen-address=127.0.0.1:${port}`,
          '-log-level=warn',
        ],
      ],
      moto: [toolPath('moto_server') as string, ['-H', '127.0.0.1', '-p', port]],
      redis: [
        toolPath('redis-server') as string,
        ['--port', port, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dataDir],
      ],
      postgres: ['', []],
    }[this.kind] as [string, string[]];
    // HOME points into the temp dir: `bao server -dev` writes a token helper file there.
    const child = spawn(command, args, {
      cwd: this.dataDir,
      env: { ...process.env, HOME: this.dataDir, AWS_EC2_METADATA_DISABLED: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.exited = false;
    child.on('exit', () => {
      this.exited = true;
    });
    const keep = (chunk: Buffer) => {
      this.output.push(chunk.toString());
      if (this.output.length > 200) this.output.splice(0, this.output.length - 200);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.child = child;
  }

  /**
   * initdb refuses to run as root, so as root both initdb and the server run as an unprivileged
   * account (postgres, else nobody) that owns the temp data directory.
   */
  private async startPostgres(): Promise<void> {
    const bin = (tool: string) => realpathSync(toolPath(tool) as string);
    const pgData = join(this.dataDir, 'data');
    const runAs = postgresRunner();
    if (!existsSync(join(pgData, 'PG_VERSION'))) {
      if (runAs.uid !== undefined) chownSync(this.dataDir, runAs.uid, runAs.gid as number);
      const init = spawnSync(
        runAs.command,
        [
          ...runAs.prefix,
          bin('initdb'),
          '-D',
          pgData,
          '-U',
          'llmcm',
          '--auth=trust',
          '-E',
          'UTF8',
          '--no-sync',
          '--locale=C',
        ],
        { encoding: 'utf8', cwd: this.dataDir },
      );
      if (init.status !== 0)
        throw new Error(
          `initdb failed (${runAs.describe}): ${(init.stderr || init.stdout || '').slice(-600)}`,
        );
    }
    const options = `-k ${this.dataDir} -p ${this.port} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`;
    const start = spawnSync(
      runAs.command,
      [
        ...runAs.prefix,
        bin('pg_ctl'),
        '-D',
        pgData,
        '-o',
        options,
        '-l',
        join(this.dataDir, 'server.log'),
        '-w',
        '-t',
        '60',
        'start',
      ],
      { encoding: 'utf8', cwd: this.dataDir },
    );
    if (start.status !== 0) {
      const log = existsSync(join(this.dataDir, 'server.log'))
        ? readFileSync(join(this.dataDir, 'server.log'), 'utf8')
        : '';
      throw new Error(`pg_ctl start failed on port ${this.port}: ${(start.stderr + log).slice(-800)}`);
    }
    this.postmasterPid = Number(readFileSync(join(pgData, 'postmaster.pid'), 'utf8').split('\n')[0]);
    this.exited = false;
  }

  private async waitReady(): Promise<void> {
    const deadline = Date.now() + 60_000;
    let lastError = 'no answer yet';
    while (Date.now() < deadline) {
      if (this.kind !== 'postgres' && this.exited)
        throw new Error(
          `${this.kind} exited during startup on port ${this.port}: ${this.logs().slice(-800)}`,
        );
      try {
        if (await this.probe()) return;
      } catch (error) {
        lastError = (error as Error).message;
      }
      await sleep(100);
    }
    throw new Error(
      `${this.kind} on 127.0.0.1:${this.port} not ready after 60 s (${lastError}): ${this.logs().slice(-800)}`,
    );
  }

  private async probe(): Promise<boolean> {
    const base = `http://127.0.0.1:${this.port}`;
    switch (this.kind) {
      case 'vault':
        return (await fetch(`${base}/v1/sys/health`, { signal: AbortSignal.timeout(2000) })).status === 200;
      case 'moto':
        return (await fetch(`${base}/moto-api/data.json`, { signal: AbortSignal.timeout(2000) })).ok;
      case 'redis':
        return (await tcpExchange(this.port, 'PING\r\n')).startsWith('+PONG');
      case 'postgres':
        // pg_ctl -w already waited for "ready to accept connections"; check the TCP listener too.
        await tcpExchange(this.port, '');
        return true;
    }
  }

  logs(): string {
    if (this.kind === 'postgres') {
      const log = join(this.dataDir, 'server.log');
      return existsSync(log) ? readFileSync(log, 'utf8') : '';
    }
    return this.output.join('');
  }

  async kill(): Promise<void> {
    const pid = this.pid();
    // A crash of the whole server, postgres' backends included. Killed alone, the postmaster leaves
    // its backends serving their open connections for a moment, and a client that still held one (a
    // store reused across promotions) could finish a write on a "killed" server: a test that kills the
    // server between two stores then raced with it. The signals are sent before the first await, so
    // the caller's next step already meets a dead server.
    const backends = this.kind === 'postgres' && pid !== undefined ? childPids(pid) : [];
    for (const backend of backends) {
      try {
        process.kill(backend, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    if (pid !== undefined && isAlive(pid)) {
      process.kill(pid, 'SIGKILL');
      const deadline = Date.now() + 10_000;
      while (isAlive(pid) && Date.now() < deadline) await sleep(50);
    }
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && backends.some(isAlive)) await sleep(50);
    this.exited = true;
    this.removeRecord();
  }

  async stop(): Promise<void> {
    const pid = this.pid();
    if (pid !== undefined && isAlive(pid)) {
      if (this.kind === 'postgres') {
        const runAs = postgresRunner();
        spawnSync(
          runAs.command,
          [
            ...runAs.prefix,
            realpathSync(toolPath('pg_ctl') as string),
            '-D',
            join(this.dataDir, 'data'),
            '-m',
            'immediate',
            '-w',
            'stop',
          ],
          { encoding: 'utf8' },
        );
      } else {
        process.kill(pid, 'SIGTERM');
      }
      const deadline = Date.now() + 5000;
      while (isAlive(pid) && Date.now() < deadline) await sleep(50);
      if (isAlive(pid)) await this.kill();
    }
    this.removeRecord();
    running.delete(this);
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** Kills the server synchronously (process exit path). */
  killNow(): void {
    const pid = this.pid();
    if (pid !== undefined && isAlive(pid)) process.kill(pid, 'SIGKILL');
    this.removeRecord();
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  private recordFile(): string {
    return join(stateDir, `${this.kind}-${this.port}.json`);
  }

  /** Remember what we started, so a later run can reap it if this test process dies without cleanup. */
  private record(): void {
    mkdirSync(stateDir, { recursive: true });
    writeFileSync(
      this.recordFile(),
      JSON.stringify({ owner: process.pid, pid: this.pid(), kind: this.kind, dataDir: this.dataDir }),
    );
  }

  private removeRecord(): void {
    rmSync(this.recordFile(), { force: true });
  }
}

// A test process that ends without afterAll (crash, timeout) must not leave servers behind.
process.on('exit', () => {
  for (const instance of running) instance.killNow();
});

/**
 * Kills servers recorded by an earlier test process that died without stopping them. Only pids we
 * recorded ourselves are touched, and only if their command line still names the server binary.
 * Runs before every start; exported for its own test.
 */
export function reapLeftovers(): void {
  if (!existsSync(stateDir)) return;
  for (const file of readdirSync(stateDir)) {
    const path = join(stateDir, file);
    let record: { owner?: number; pid?: number; kind?: ServerKind; dataDir?: string };
    try {
      record = JSON.parse(readFileSync(path, 'utf8'));
    } catch {
      rmSync(path, { force: true });
      continue;
    }
    if (record.owner !== undefined && isAlive(record.owner)) continue;
    if (record.pid !== undefined && isAlive(record.pid) && record.kind) {
      const binary = { vault: 'bao', moto: 'moto', redis: 'redis-server', postgres: 'postgres' }[record.kind];
      let cmdline = '';
      try {
        cmdline = readFileSync(`/proc/${record.pid}/cmdline`, 'utf8');
      } catch {}
      if (cmdline.includes(binary)) process.kill(record.pid, 'SIGKILL');
    }
    if (record.dataDir?.startsWith(tmpdir())) rmSync(record.dataDir, { recursive: true, force: true });
    rmSync(path, { force: true });
  }
}

interface Runner {
  command: string;
  prefix: string[];
  uid?: number;
  gid?: number;
  describe: string;
}

let cachedRunner: Runner | undefined;

/** How to run the postgres binaries: directly, or as root through runuser/su to an unprivileged user. */
function postgresRunner(): Runner {
  if (cachedRunner) return cachedRunner;
  if (userInfo().uid !== 0) {
    // `env BINARY ARGS` runs the binary directly while keeping one calling convention.
    cachedRunner = { command: 'env', prefix: [], describe: 'as the current user' };
    return cachedRunner;
  }
  for (const user of ['postgres', 'nobody']) {
    let uid: number;
    let gid: number;
    try {
      uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
      gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());
    } catch {
      continue;
    }
    if (existsSync('/usr/sbin/runuser') || existsSync('/sbin/runuser')) {
      cachedRunner = {
        command: 'runuser',
        prefix: ['-u', user, '--'],
        uid,
        gid,
        describe: `as ${user} via runuser`,
      };
      return cachedRunner;
    }
    if (existsSync('/usr/bin/setpriv')) {
      cachedRunner = {
        command: 'setpriv',
        prefix: [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--'],
        uid,
        gid,
        describe: `as ${user} via setpriv`,
      };
      return cachedRunner;
    }
  }
  throw new Error(
    'cannot run postgres as root and found no unprivileged user (postgres or nobody) with runuser/setpriv: create a user or run the tests as a non-root user',
  );
}

/** Direct children of `pid` (from /proc/<n>/stat), e.g. the backends of a postmaster. */
function childPids(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {}
  }
  return children;
}

function storeConfigFor(
  kind: ServerKind,
  name: string,
  host: string,
  port: number,
  extra: Record<string, unknown>,
): StoreConfig {
  switch (kind) {
    case 'vault':
      return {
        name,
        kind: 'vault',
        address: `http://${host}:${port}`,
        token: 'root',
        mount: 'secret',
        timeoutMs: 5000,
        ...extra,
      };
    case 'moto':
      return {
        name,
        kind: 'aws-secrets-manager',
        endpoint: `http://${host}:${port}`,
        region: 'us-east-1',
        accessKeyId: 'testing',
        secretAccessKey: 'testing',
        timeoutMs: 5000,
        ...extra,
      };
    case 'redis':
      return { name, kind: 'redis', url: `redis://${host}:${port}/0`, timeoutMs: 5000, ...extra };
    case 'postgres':
      return {
        name,
        kind: 'postgres',
        host,
        port,
        user: 'llmcm',
        database: 'postgres',
        timeoutMs: 5000,
        ...extra,
      };
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Connects, writes `payload`, and resolves with the first bytes of the reply (or '' on connect for ''). */
function tcpExchange(port: number, payload: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('timeout'));
    }, 2000);
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('connect', () => {
      if (payload === '') {
        clearTimeout(timer);
        socket.end();
        resolve('');
      } else socket.write(payload);
    });
    socket.on('data', (data) => {
      clearTimeout(timer);
      socket.end();
      resolve(data.toString());
    });
  });
}
