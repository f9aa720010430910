import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadProject } from '../../../src/config/project.js';
import { ExitCode } from '../../../src/core/exit-codes.js';
import { computeContentHash } from '../../../src/stores/content-hash.js';
import { openStore, validateStoreConfig } from '../../../src/stores/registry.js';
import type { StoreConfig } from '../../../src/stores/types.js';

const root = mkdtempSync(join(tmpdir(), 'llmcm-store-settings-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const repoRoot = join(import.meta.dirname, '..', '..', '..');

async function writeOne(config: StoreConfig): Promise<void> {
  const store = await openStore(config, { root, env: {} });
  await store.apply(
    'dev',
    { set: { a: '1' }, delete: [] },
    { expectedRevision: null, stamp: { promotionId: 'p', contentHash: computeContentHash({ a: '1' }) } },
  );
}

describe('store settings', () => {
  it('the file store writes where `path:` says (absolute and relative), not the default directory', async () => {
    const absolute = join(root, 'abs-target');
    await writeOne({ name: 'local', kind: 'file', path: absolute });
    expect(existsSync(join(absolute, 'dev', 'config.json'))).toBe(true);
    await writeOne({ name: 'rel', kind: 'file', path: 'rel/target' });
    expect(existsSync(join(root, 'rel', 'target', 'dev', 'config.json'))).toBe(true);
    expect(existsSync(join(root, '.llmcm', 'stores', 'local'))).toBe(false);
    expect(existsSync(join(root, '.llmcm', 'stores', 'rel'))).toBe(false);
  });

  it('refuses path and its older name directory together', async () => {
    await expect(
      openStore({ name: 'local', kind: 'file', path: 'a', directory: 'b' }, { root, env: {} }),
    ).rejects.toMatchObject({ code: 'STORE_CONFIG', exitCode: ExitCode.usage });
  });

  it('refuses an unknown setting, naming the store and the setting (exit 2)', async () => {
    const error = await openStore({ name: 'local', kind: 'file', bogusSetting: 1 }, { root, env: {} }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'STORE_CONFIG', kind: 'config', exitCode: ExitCode.usage });
    expect((error as Error).message).toContain("store 'local'");
    expect((error as Error).message).toContain("'bogusSetting'");
    // A setting of another kind is unknown too (a vault setting on a redis store).
    expect(() =>
      validateStoreConfig({ name: 'cache', kind: 'redis', url: 'redis://127.0.0.1:1', mount: 'secret' }),
    ).toThrow(/store 'cache': unknown setting 'mount'/);
  });

  it('accepts the shipped llmcm.yaml and every store of the docs/stores.md example through the loader', async () => {
    const shipped = await loadProject(repoRoot);
    for (const config of Object.values(shipped.stores))
      expect(() => validateStoreConfig(config)).not.toThrow();
    expect(shipped.stores.local).toMatchObject({ kind: 'file', path: '.llmcm/store' });

    const doc = readFileSync(join(repoRoot, 'docs', 'stores.md'), 'utf8');
    const block = /## Settings[\s\S]*?```yaml\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(block).toBeDefined();
    const example = parse(block!) as { stores: Record<string, Record<string, unknown>> };
    // The docs example must be in the form the loader reads: a mapping of name → settings.
    const project = join(root, 'docs-example');
    const { mkdirSync, writeFileSync } = await import('node:fs');
    mkdirSync(join(project, 'environments', 'dev'), { recursive: true });
    writeFileSync(
      join(project, 'llmcm.yaml'),
      `${JSON.stringify({ version: 1, environments: { dev: {} }, stores: example.stores })}\n`,
    );
    const loaded = await loadProject(project);
    expect(Object.keys(loaded.stores).sort()).toEqual(['aws', 'cache', 'db', 'local', 'vault']);
    for (const config of Object.values(loaded.stores))
      expect(() => validateStoreConfig(config)).not.toThrow();
  });
});
