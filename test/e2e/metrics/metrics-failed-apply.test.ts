import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { serverTools, useServer } from '../../support/servers.js';
import { describeWithTools, projectRoot } from '../../support/tools.js';
import { parseExposition, samplesOf } from '../../unit/metrics/parse-exposition.js';

const cli = join(projectRoot, 'dist', 'cli', 'main.js');
const keyFile = join(projectRoot, 'test', 'fixtures', 'demo-age-key.txt');

describeWithTools(
  serverTools.redis,
  '--metrics-file on a failed apply: the built CLI, a file store and a real Redis that refuses writes',
  () => {
    const redis = useServer('redis');
    let repo: string;

    beforeAll(() => {
      if (!existsSync(cli)) throw new Error('dist/cli/main.js is missing: run `npm run -s build` first');
      repo = mkdtempSync(join(tmpdir(), 'llmcm-e2e-metrics-redis-'));
      for (const part of ['llmcm.yaml', '.sops.yaml', 'environments', 'schemas', 'policies'])
        cpSync(join(projectRoot, part), join(repo, part), { recursive: true });
      // dev promotes to the file store, then (stores apply in name order) to the Redis store.
      const project = parse(readFileSync(join(repo, 'llmcm.yaml'), 'utf8'));
      const { name, ...cache } = redis().storeConfig('z-cache');
      project.stores[name] = cache;
      project.environments.dev.stores = ['local', name];
      writeFileSync(join(repo, 'llmcm.yaml'), stringify(project));
      writeFileSync(join(repo, '.gitignore'), '.llmcm/\n*.prom\n');
      const git = (...args: string[]) =>
        execFileSync('git', ['-c', 'user.name=e2e', '-c', 'user.email=e2e@example.test', ...args], {
          cwd: repo,
          stdio: 'pipe',
        });
      git('init', '-q');
      git('add', '-A');
      git('commit', '-qm', 'example config repo with a redis store for dev');
    });
    afterAll(() => rmSync(repo, { recursive: true, force: true }));

    it('failed (exit 4), with the writes the record holds per store, and no value in the file', async () => {
      const admin = new Redis(redis().url, { lazyConnect: true });
      await admin.connect();
      // The real server refuses every write command of the default user.
      await admin.call('ACL', 'SETUSER', 'default', '-@write');
      let r: ReturnType<typeof spawnSync>;
      try {
        r = spawnSync(
          process.execPath,
          [
            cli,
            'promote',
            'dev',
            '--actor',
            'rita',
            // One store at a time: the file store is applied, then Redis refuses, then the file store is restored.
            '--concurrency',
            '1',
            '--metrics-file',
            'promote-dev.prom',
          ],
          {
            cwd: repo,
            encoding: 'utf8',
            env: { ...process.env, NO_COLOR: '1', SOPS_AGE_KEY_FILE: keyFile, SOPS_AGE_KEY: '' },
          },
        );
      } finally {
        await admin.call('ACL', 'SETUSER', 'default', '+@all');
        admin.disconnect();
      }
      expect(r.status, String(r.stderr)).toBe(4);
      expect(String(r.stderr)).toMatch(/promotion failed and every store was restored/);
      const record = execFileSync('git', ['log', '-1', '--format=%B', 'refs/llmcm/promotions/dev'], {
        cwd: repo,
      }).toString();
      const localWrites = Number(/Llmcm-Store-Result: local restored writes=(\d+)/.exec(record)?.[1]);
      expect(localWrites).toBeGreaterThan(10);
      const text = readFileSync(join(repo, 'promote-dev.prom'), 'utf8');
      const parsed = parseExposition(text);
      expect(samplesOf(parsed, 'llmcm_promotion_result')).toEqual([
        'environment=dev,result=failed 1',
        'environment=dev,result=refused 0',
        'environment=dev,result=succeeded 0',
        'environment=dev,result=up-to-date 0',
      ]);
      expect(samplesOf(parsed, 'llmcm_store_writes')).toEqual([
        `environment=dev,store=local ${localWrites}`,
        'environment=dev,store=z-cache 0',
      ]);
      expect(text).not.toMatch(/redis:\/\/|127\.0\.0\.1|NOPERM|sk-|fp:/);
    });
  },
);
