import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sopsFileCommandLoaders } from '../../../src/cli/sops-commands.js';
import { projectRoot } from '../../support/tools.js';

// The built launcher (npm test builds first): a CommonJS file, loaded as Node will load it.
const { commandWordOf, sopsFileCommands } = createRequire(import.meta.url)(
  join(projectRoot, 'dist', 'cli', 'launch.cjs'),
) as typeof import('../../../src/cli/launch.cjs');

describe('the llmcm launcher routing', () => {
  it('sends exactly the commands of the sops bundle to it', () => {
    // The launcher keeps its own copy of the names (reading the registry would cost a module load).
    expect([...sopsFileCommands].sort()).toEqual(Object.keys(sopsFileCommandLoaders).sort());
  });

  it('finds the command word after global flags', () => {
    expect(commandWordOf(['decrypt', 'f.yaml'])).toBe('decrypt');
    expect(commandWordOf(['--debug', '--no-color', 'encrypt', 'f.yaml'])).toBe('encrypt');
    expect(commandWordOf(['--debug'])).toBeUndefined();
    expect(commandWordOf([])).toBeUndefined();
    // Anything else that starts the line is not a sops command: main.js reports it.
    expect(commandWordOf(['--version'])).toBe('--version');
    expect(sopsFileCommands.has('secret')).toBe(false);
  });
});
