import { spawn } from 'node:child_process';
import {
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { computeContentHash } from '../../../src/stores/content-hash.js';
import { FileStore } from '../../../src/stores/file/file-store.js';
import type { StoreChangeSet } from '../../../src/stores/types.js';

const root = mkdtempSync(join(tmpdir(), 'llmcm-file-unit-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
function newStore(keep = 20): FileStore {
  n++;
  return new FileStore('rendered', join(root, `s${n}`), keep);
}

async function put(store: FileStore, env: string, changes: StoreChangeSet, promotionId = 'p') {
  const before = await store.read(env);
  const next = { ...before.values, ...changes.set };
  for (const key of changes.delete) delete next[key];
  return store.apply(env, changes, {
    expectedRevision: before.revision,
    stamp: { promotionId, contentHash: computeContentHash(next) },
  });
}

describe('file store layout', () => {
  it('renders nested config.json and .env with mode 0600 behind stable symlinks', async () => {
    const store = newStore();
    await put(store, 'prod', {
      set: { 'providers.openai.api_key': 'sk-1"2\n3', 'llm.model': 'gpt-4o', 'llm.max-tokens': '100' },
      delete: [],
    });
    const envDir = join(store.directory, 'prod');
    expect(readlinkSync(join(envDir, 'current'))).toBe('revisions/00000001');
    expect(readlinkSync(join(envDir, 'config.json'))).toBe('current/config.json');
    expect(JSON.parse(readFileSync(join(envDir, 'config.json'), 'utf8'))).toEqual({
      llm: { 'max-tokens': '100', model: 'gpt-4o' },
      providers: { openai: { api_key: 'sk-1"2\n3' } },
    });
    expect(readFileSync(join(envDir, '.env'), 'utf8')).toBe(
      'LLM_MAX_TOKENS="100"\nLLM_MODEL="gpt-4o"\nPROVIDERS_OPENAI_API_KEY="sk-1\\"2\\n3"\n',
    );
    for (const file of ['config.json', '.env', 'manifest.json'])
      expect(statSync(join(envDir, 'revisions', '00000001', file)).mode & 0o777).toBe(0o600);
    expect(statSync(envDir).mode & 0o777).toBe(0o700);
    expect(readFileSync(join(store.directory, '.gitignore'), 'utf8')).toContain('*');
  });

  it('keeps a manifest with revision, stamp, content hash and history, and prunes old revisions', async () => {
    const store = newStore(3);
    for (let i = 1; i <= 5; i++) await put(store, 'dev', { set: { k: String(i) }, delete: [] }, `p${i}`);
    const manifest = store.readManifest('dev');
    expect(manifest?.revision).toBe(5);
    expect(manifest?.stamp?.promotionId).toBe('p5');
    expect(manifest?.contentHash).toBe(computeContentHash({ k: '5' }));
    expect(manifest?.history.map((h) => h.promotionId)).toEqual(['p4', 'p3', 'p2', 'p1']);
    expect(readdirSync(join(store.directory, 'dev', 'revisions')).sort()).toEqual([
      '00000003',
      '00000004',
      '00000005',
    ]);
  });

  it('refuses keys that cannot be rendered (a value that is also a parent, an .env name clash)', async () => {
    const store = newStore();
    await expect(put(store, 'dev', { set: { a: '1', 'a.b': '2' }, delete: [] })).rejects.toMatchObject({
      code: 'STORE_BAD_INPUT',
    });
    await expect(
      put(store, 'dev', { set: { 'a.b_c': '1', 'a_b.c': '2' }, delete: [] }),
    ).rejects.toMatchObject({
      code: 'STORE_BAD_INPUT',
    });
    expect((await store.read('dev')).revision).toBeNull();
  });

  it('reports a hand-edited value as it is, so the stamp no longer matches (drift)', async () => {
    const store = newStore();
    await put(store, 'dev', { set: { 'a.b': 'ours' }, delete: [] });
    const file = join(store.directory, 'dev', 'config.json');
    writeFileSync(file, JSON.stringify({ a: { b: 'theirs', n: 5 } }));
    const state = await store.read('dev');
    expect(state.values).toEqual({ 'a.b': 'theirs', 'a.n': '5' });
    expect(state.stamp?.contentHash).not.toBe(computeContentHash(state.values));
  });

  it('reports corrupt JSON as a store error with the file', async () => {
    const store = newStore();
    await put(store, 'dev', { set: { k: 'v' }, delete: [] });
    writeFileSync(join(store.directory, 'dev', 'config.json'), '{not json');
    await expect(store.read('dev')).rejects.toMatchObject({ code: 'STORE_CORRUPT', kind: 'store' });
  });
});

describe('file store locking', () => {
  it('treats a lock held by a live process as a conflict, and takes over a dead one', async () => {
    const store = newStore();
    await put(store, 'dev', { set: { k: '1' }, delete: [] });
    const lock = join(store.directory, 'dev', '.lock');
    writeFileSync(lock, JSON.stringify({ pid: process.ppid, host: hostname() }));
    await expect(put(store, 'dev', { set: { k: '2' }, delete: [] })).rejects.toMatchObject({
      code: 'STORE_CONFLICT',
    });
    // A pid that cannot exist: the lock is stale and gets taken over.
    writeFileSync(lock, JSON.stringify({ pid: 2 ** 22 + 7, host: hostname() }));
    await put(store, 'dev', { set: { k: '2' }, delete: [] });
    expect((await store.read('dev')).values).toEqual({ k: '2' });
    expect(() => lstatSync(lock)).toThrow();
  });

  it('lets a lock-free reader in another process see only whole revisions while writes go on', async () => {
    const store = newStore();
    const big = (i: number) => {
      const set: Record<string, string> = {};
      for (let k = 0; k < 300; k++) set[`g.k${k}`] = `rev${i}-${'x'.repeat(50)}`;
      return set;
    };
    await put(store, 'dev', { set: big(0), delete: [] });
    const configFile = join(store.directory, 'dev', 'config.json');
    // The reader checks that every value in one read of config.json comes from the same revision.
    const reader = spawn(
      process.execPath,
      [
        '-e',
        `const fs=require('fs');let reads=0,torn=0;const end=Date.now()+1500;
         while(Date.now()<end){let t;try{t=fs.readFileSync(${JSON.stringify(configFile)},'utf8')}catch(e){torn++;continue}
         let o;try{o=JSON.parse(t)}catch{torn++;continue}
         const revs=new Set(Object.values(o.g).map(v=>v.split('-')[0]));if(revs.size!==1)torn++;reads++}
         process.stdout.write(JSON.stringify({reads,torn}))`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    reader.stdout.on('data', (d) => {
      out += d;
    });
    let closed = false;
    const done = new Promise((resolve) => reader.on('close', resolve)).then(() => {
      closed = true;
    });
    // Keep writing for as long as the reader reads, so reads and renames really interleave.
    let writes = 0;
    while (!closed) {
      writes++;
      await put(store, 'dev', { set: big(writes), delete: [] });
      await new Promise((resolve) => setImmediate(resolve));
    }
    await done;
    expect(writes).toBeGreaterThan(5);
    const { reads, torn } = JSON.parse(out) as { reads: number; torn: number };
    expect(reads).toBeGreaterThan(0);
    expect(torn).toBe(0);
  });
});
