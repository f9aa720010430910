import { randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileProjectSchemas, schemaCachePath } from '../../../src/check/schema-registry.js';
import type { ProjectConfig } from '../../../src/config/types.js';

const dir = mkdtempSync(join(tmpdir(), 'llmcm-schema-cache-'));
const previous = process.env.LLMCM_CACHE_DIR;
beforeAll(() => {
  process.env.LLMCM_CACHE_DIR = join(dir, 'cache');
});
afterAll(() => {
  if (previous === undefined) delete process.env.LLMCM_CACHE_DIR;
  else process.env.LLMCM_CACHE_DIR = previous;
  rmSync(dir, { recursive: true, force: true });
});

function projectWithSchema(): { project: ProjectConfig; text: string } {
  const text = JSON.stringify({
    $id: `https://example.test/${randomUUID()}`,
    type: 'object',
    properties: { n: { type: 'integer' } },
  });
  const file = join(dir, `${randomUUID()}.schema.json`);
  writeFileSync(file, text);
  const project = { root: dir, documents: { things: file } } as unknown as ProjectConfig;
  return { project, text };
}

function plant(text: string, mode: number): void {
  const path = schemaCachePath(text);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(
    path,
    'globalThis.__llmcmPlanted = true; module.exports = function v() { v.errors = null; return true; };',
  );
  chmodSync(path, mode); // explicit: the umask would otherwise mask the write bits away
}

describe('compiled-validator cache', () => {
  it('compiles once and reuses the cached module in a later run', () => {
    const { project } = projectWithSchema();
    const first = compileProjectSchemas(project).get('things')!;
    expect(first.validate({ n: 'x' })).toBe(false);
    expect(first.validate.errors?.[0]?.instancePath).toBe('/n');
  });

  it('loads a private cache file as the validator', () => {
    const { project, text } = projectWithSchema();
    plant(text, 0o600);
    const validate = compileProjectSchemas(project).get('things')!.validate;
    expect((globalThis as { __llmcmPlanted?: boolean }).__llmcmPlanted).toBe(true);
    expect(validate({ n: 'x' })).toBe(true); // the planted one, proving the cache is read
    delete (globalThis as { __llmcmPlanted?: boolean }).__llmcmPlanted;
  });

  it('never runs a cache file others can write; it compiles instead', () => {
    const { project, text } = projectWithSchema();
    plant(text, 0o666);
    const validate = compileProjectSchemas(project).get('things')!.validate;
    expect((globalThis as { __llmcmPlanted?: boolean }).__llmcmPlanted).toBeUndefined();
    expect(validate({ n: 'x' })).toBe(false);
  });
});
