import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeContentHash } from '../../../src/stores/content-hash.js';
import { FileStore } from '../../../src/stores/file/file-store.js';
import { projectRoot } from '../../support/tools.js';

// Real processes racing on one directory: the file store's compare-and-set must hold across
// processes, not just inside one event loop. The store is compiled on its own into a temp dir so
// the test does not depend on (or race with) a full build of dist/.
const work = mkdtempSync(join(tmpdir(), 'llmcm-file-race-'));
const compiled = join(work, 'js');
afterAll(() => rmSync(work, { recursive: true, force: true }));

beforeAll(() => {
  execFileSync(
    process.execPath,
    [
      join(projectRoot, 'node_modules', 'typescript', 'bin', 'tsc'),
      join(projectRoot, 'src', 'stores', 'file', 'file-store.ts'),
      ...['--outDir', compiled, '--rootDir', join(projectRoot, 'src')],
      ...['--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--target', 'ES2022'],
      ...['--types', 'node', '--skipLibCheck', '--strict'],
    ],
    { cwd: projectRoot, stdio: 'pipe' },
  );
  writeFileSync(join(compiled, 'package.json'), '{"type":"module"}');
}, 120_000);

function runWriter(
  directory: string,
  value: string,
  expectedRevision: string,
  startAt: number,
): Promise<string> {
  const script = `
    import { FileStore } from ${JSON.stringify(join(compiled, 'stores', 'file', 'file-store.js'))};
    import { computeContentHash } from ${JSON.stringify(join(compiled, 'stores', 'content-hash.js'))};
    const store = new FileStore('race', ${JSON.stringify(directory)}, 20);
    while (Date.now() < ${startAt}) {}
    try {
      await store.apply('dev', { set: { k: ${JSON.stringify(value)} }, delete: [] }, {
        expectedRevision: ${JSON.stringify(expectedRevision)},
        stamp: { promotionId: ${JSON.stringify(value)}, contentHash: computeContentHash({ k: ${JSON.stringify(value)} }) },
      });
      process.stdout.write('won');
    } catch (error) {
      process.stdout.write(error.code ?? String(error));
    }`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('error', reject);
    child.on('close', () => (out ? resolve(out) : reject(new Error(err.slice(-500)))));
  });
}

describe('file store across processes', () => {
  it('lets exactly one of six processes with the same expected revision win, in every round', async () => {
    const directory = join(work, 'store');
    const store = new FileStore('race', directory, 20);
    await store.apply(
      'dev',
      { set: { k: 'start' }, delete: [] },
      {
        expectedRevision: null,
        stamp: { promotionId: 'start', contentHash: computeContentHash({ k: 'start' }) },
      },
    );
    for (let round = 0; round < 3; round++) {
      const base = await store.read('dev');
      const startAt = Date.now() + 700;
      const values = Array.from({ length: 6 }, (_, i) => `r${round}-w${i}`);
      const outcomes = await Promise.all(
        values.map((v) => runWriter(directory, v, base.revision as string, startAt)),
      );
      const winners = values.filter((_, i) => outcomes[i] === 'won');
      expect(winners).toHaveLength(1);
      expect(outcomes.filter((o) => o !== 'won').every((o) => o === 'STORE_CONFLICT')).toBe(true);
      const after = await store.read('dev');
      expect(after.values).toEqual({ k: winners[0] });
      expect(Number(after.revision)).toBe(Number(base.revision) + 1);
    }
  });
});
