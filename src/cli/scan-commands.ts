import type { CommandLoaders } from './run.js';

/**
 * `llmcm scan`, run by every pre-commit hook and pull-request check, kept apart from the registry
 * so that its code-cached bundle (scan-main.ts) holds only what scanning needs.
 */
export const scanCommandLoaders: CommandLoaders = {
  scan: async () => (await import('./commands/scan.js')).scanCommand,
};
