import type { CommandSpec } from './command.js';

type Loader = () => Promise<CommandSpec>;

/**
 * Every command, loaded lazily so that `llmcm decrypt` never loads the policy engine or a cloud SDK.
 * One line per command; keep the list sorted by name.
 */
export const commandLoaders: Record<string, Loader> = {
  demo: async () => (await import('./commands/demo.js')).demoCommand,
};
