import type { CommandLoaders } from './run.js';

/**
 * `llmcm check`, the command every pull request runs, kept apart from the registry so that its
 * code-cached bundle (check-main.ts) holds only what check needs.
 */
export const checkCommandLoaders: CommandLoaders = {
  check: async () => (await import('./commands/check.js')).checkCommand,
};
