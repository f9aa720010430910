import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { describeWithTools, projectRoot, toolPath } from '../../support/tools.js';

const workflowDir = join(projectRoot, '.github', 'workflows');

describeWithTools(['actionlint'], 'GitHub workflows pass actionlint', () => {
  const files = readdirSync(workflowDir).filter((f) => f.endsWith('.yml'));

  it('has the three workflows', () => {
    expect(files.sort()).toEqual(['ci.yml', 'config-check.yml', 'promote.yml']);
  });

  it.each(files)('%s is valid', (file) => {
    const run = () =>
      execFileSync(
        toolPath('actionlint')!,
        ['-no-color', '-shellcheck=', '-pyflakes=', join(workflowDir, file)],
        {
          cwd: projectRoot,
          encoding: 'utf8',
        },
      );
    expect(run).not.toThrow();
  });

  it('reports a broken workflow (the check can fail)', () => {
    let failed = false;
    try {
      execFileSync(toolPath('actionlint')!, ['-no-color', '-'], {
        // An undefined context in a GitHub expression, which actionlint must reject.
        input: `on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo $\{{ foo.bar }}\n`,
        encoding: 'utf8',
      });
    } catch {
      failed = true;
    }
    expect(failed).toBe(true);
  });
});
