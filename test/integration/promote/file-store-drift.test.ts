import { execFile } from 'node:child_process';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { detectDrift } from '../../../src/promote/drift.js';
import { loadProjectContext } from '../../../src/promote/project-deps.js';
import { type PromoteRequest, promote } from '../../../src/promote/promote.js';
import { projectRoot } from '../../support/tools.js';
import { createProjectRepo } from './project-fixture.js';

const run = promisify(execFile);
const cli = join(projectRoot, 'dist', 'cli', 'main.js');
const env = { LLMCM_FINGERPRINT_KEY: 'integration' };
const VALUE = 'plain-value-CANARY-9f8e7d';

function request(source: string, extra: Partial<PromoteRequest> = {}): PromoteRequest {
  return {
    environment: 'dev',
    source,
    actor: 'alice',
    approvalIds: [],
    force: false,
    operation: 'promote',
    ...extra,
  };
}

async function cliDrift(dir: string) {
  try {
    const r = await run(process.execPath, [cli, 'drift', 'dev'], {
      cwd: dir,
      env: { ...process.env, ...env },
    });
    return { code: 0, out: `${r.stdout}${r.stderr}` };
  } catch (error) {
    const e = error as { code?: number; stdout: string; stderr: string };
    return { code: e.code ?? -1, out: `${e.stdout}${e.stderr}` };
  }
}

describe('drift sees a hand edit of any file the file store wrote', () => {
  let project: ReturnType<typeof createProjectRepo> | undefined;
  afterEach(() => project?.remove());

  // Each case edits one artifact the way people do: in place through the link, or replacing it.
  const edits: [string, (envDir: string) => void, RegExp][] = [
    [
      '.env edited in place (through the stable link)',
      (d) => writeFileSync(join(d, '.env'), `${readFileSync(join(d, '.env'), 'utf8')}EXTRA="1"\n`),
      /\.env was edited outside llmcm/,
    ],
    [
      '.env replaced by a regular file (sed -i style)',
      (d) => {
        const text = readFileSync(join(d, '.env'), 'utf8').replace(VALUE, 'other');
        writeFileSync(join(d, '.env.tmp'), text);
        renameSync(join(d, '.env.tmp'), join(d, '.env'));
      },
      /\.env no longer follows the current revision/,
    ],
    [
      'config.json reformatted (same values)',
      (d) => {
        const parsed = JSON.parse(readFileSync(join(d, 'config.json'), 'utf8'));
        writeFileSync(join(d, 'config.json'), JSON.stringify(parsed));
      },
      /config\.json was edited outside llmcm/,
    ],
    [
      'manifest.json edited',
      (d) => {
        const file = join(d, 'current', 'manifest.json');
        const manifest = JSON.parse(readFileSync(file, 'utf8'));
        manifest.keys = 99;
        writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`);
      },
      /manifest\.json was edited outside llmcm/,
    ],
  ];

  for (const [title, edit, reason] of edits) {
    it(title, async () => {
      project = createProjectRepo([{ name: 'local', kind: 'file', path: '.llmcm/store' }], ['dev']);
      const source = project.setValues('dev', { greeting: VALUE, other: 'x' });
      const { deps } = await loadProjectContext({ cwd: project.dir, env });
      expect((await promote(deps, request(source))).status).toBe('succeeded');
      expect((await detectDrift(deps, 'dev')).drifted).toBe(false);
      expect((await cliDrift(project.dir)).code).toBe(0);

      edit(join(project.dir, '.llmcm', 'store', 'dev'));

      const report = await detectDrift(deps, 'dev');
      expect(report.drifted).toBe(true);
      expect(report.stores[0]!.reasons.join('\n')).toMatch(reason);
      const cli = await cliDrift(project.dir);
      expect(cli.code, cli.out).toBe(1);
      expect(cli.out).not.toContain(VALUE);
      // promote does not call the edited store "up to date": it is drift, refused without --force…
      await expect(promote(deps, request(source))).rejects.toMatchObject({ code: 'STORE_DRIFT' });
      // …and a forced promote rewrites the artifacts, after which drift is clean again.
      expect((await promote(deps, request(source, { force: true }))).status).toBe('succeeded');
      expect((await detectDrift(deps, 'dev')).drifted).toBe(false);
      expect((await promote(deps, request(source))).status).toBe('up-to-date');
    });
  }
});
