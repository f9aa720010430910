import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkCommandLoaders } from '../../../src/cli/check-commands.js';
import { commandLoaders } from '../../../src/cli/registry.js';
import { scanCommandLoaders } from '../../../src/cli/scan-commands.js';
import { sopsFileCommandLoaders } from '../../../src/cli/sops-commands.js';
import { projectRoot } from '../../support/tools.js';

// The built launcher (npm test builds first): a CommonJS file, loaded as Node will load it.
const { commandWordOf, codeCachedBundleOf, v8FlagsOfBundle } = createRequire(import.meta.url)(
  join(projectRoot, 'dist', 'cli', 'launch.cjs'),
) as typeof import('../../../src/cli/launch.cjs');

const commandsOf = (bundle: string) =>
  Object.keys(codeCachedBundleOf)
    .filter((word) => codeCachedBundleOf[word] === bundle)
    .sort();

describe('the llmcm launcher routing', () => {
  it('sends exactly the commands each code-cached bundle holds to it', () => {
    // The launcher keeps its own table (reading the registry would cost a module load).
    expect(commandsOf('sops-main.cjs')).toEqual(Object.keys(sopsFileCommandLoaders).sort());
    expect(commandsOf('check-main.cjs')).toEqual(Object.keys(checkCommandLoaders).sort());
    expect(commandsOf('scan-main.cjs')).toEqual(Object.keys(scanCommandLoaders).sort());
    expect(new Set(Object.values(codeCachedBundleOf))).toEqual(
      new Set(['sops-main.cjs', 'check-main.cjs', 'scan-main.cjs']),
    );
    // Every routed command exists in the full CLI too (main.js), with the same name.
    for (const word of Object.keys(codeCachedBundleOf)) expect(commandLoaders[word]).toBeTypeOf('function');
  });

  it('sets before compiling a bundle exactly the V8 flags its commands set while they run', () => {
    // The scan command turns on V8's backtracking fallback; the code cache must be made and read
    // under the same flags (see v8FlagsOfBundle).
    const translator = readFileSync(join(projectRoot, 'src', 'scan', 're2', 'translate.ts'), 'utf8');
    const setAtRunTime = [...translator.matchAll(/setFlagsFromString\('([^']+)'\)/g)].map((m) => m[1]);
    expect(setAtRunTime.length).toBeGreaterThan(0);
    expect(v8FlagsOfBundle['scan-main.cjs']).toEqual(setAtRunTime);
    expect(Object.keys(v8FlagsOfBundle)).toEqual(['scan-main.cjs']);
  });

  it('finds the command word after global flags', () => {
    expect(commandWordOf(['decrypt', 'f.yaml'])).toBe('decrypt');
    expect(commandWordOf(['--debug', '--no-color', 'encrypt', 'f.yaml'])).toBe('encrypt');
    expect(commandWordOf(['--debug'])).toBeUndefined();
    expect(commandWordOf([])).toBeUndefined();
    // Anything else that starts the line is not a bundled command: main.js reports it.
    expect(commandWordOf(['--version'])).toBe('--version');
    expect(Object.hasOwn(codeCachedBundleOf, 'secret')).toBe(false);
  });
});
