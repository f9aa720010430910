import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findEnvironment, loadProject } from '../../../src/config/project.js';
import { LlmcmError } from '../../../src/core/errors.js';
import { projectRoot } from '../../support/tools.js';

const dirs: string[] = [];
function projectWith(text: string | undefined): string {
  const dir = mkdtempSync(join(tmpdir(), 'llmcm-project-'));
  dirs.push(dir);
  if (text !== undefined) writeFileSync(join(dir, 'llmcm.yaml'), text);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function errorOf(promise: Promise<unknown>): Promise<LlmcmError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof LlmcmError) return error;
    throw error;
  }
  throw new Error('expected an LlmcmError');
}

describe('loadProject', () => {
  it('reads this repo: environments, promotion order, base layer, stores, document kinds', async () => {
    const project = await loadProject(projectRoot);
    expect(project.environments.map((e) => e.name)).toEqual(['dev', 'staging', 'prod']);
    expect(project.promotion).toEqual(['dev', 'staging', 'prod']);
    expect(project.base).toBe('_base');
    expect(project.storesByEnvironment.prod).toEqual([{ name: 'local', kind: 'file', path: '.llmcm/store' }]);
    expect(project.documents.models).toBe('schemas/models.schema.json');
  });

  it('defaults: the local file store, built-in schemas, _base, encryption required', async () => {
    const project = await loadProject(projectWith('environments:\n  dev: {}\n  prod:\n'));
    expect(project.stores).toEqual({ local: { name: 'local', kind: 'file', path: '.llmcm/store' } });
    expect(project.documents.providers).toBe('llmcm:providers');
    expect(project.encryption).toBe('required');
    expect(project.promotion).toEqual(['dev', 'prod']);
  });

  it('a missing project file is a config error (exit 2)', async () => {
    const error = await errorOf(loadProject(projectWith(undefined)));
    expect(error.code).toBe('PROJECT_FILE_MISSING');
    expect(error.exitCode).toBe(2);
    expect(error.file).toBe('llmcm.yaml');
  });

  it('names the line of an unknown store', async () => {
    const error = await errorOf(loadProject(projectWith('environments:\n  dev:\n    stores: [vaultt]\n')));
    expect(error.message).toContain("unknown store 'vaultt'");
    expect([error.file, error.line]).toEqual(['llmcm.yaml', 3]);
  });

  it('names the line of a promotion step that is not an environment', async () => {
    const error = await errorOf(
      loadProject(projectWith('environments:\n  dev: {}\npromotion:\n  - dev\n  - prd\n')),
    );
    expect([error.line, error.exitCode]).toEqual([5, 2]);
  });

  it('an unknown environment is a usage error listing the known ones', async () => {
    const project = await loadProject(projectRoot);
    let error: unknown;
    try {
      findEnvironment(project, 'qa');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LlmcmError);
    expect((error as LlmcmError).exitCode).toBe(2);
    expect((error as LlmcmError).hint).toContain('dev, staging, prod');
  });
});
