import type { CommandSpec } from './command.js';

type Loader = () => Promise<CommandSpec>;

/**
 * Every command, loaded lazily so that `llmcm decrypt` never loads the policy engine or a cloud SDK.
 * One line per command; keep the list sorted by name.
 */
export const commandLoaders: Record<string, Loader> = {
  approve: async () => (await import('./commands/approve.js')).approveCommand,
  demo: async () => (await import('./commands/demo.js')).demoCommand,
  drift: async () => (await import('./commands/drift.js')).driftCommand,
  history: async () => (await import('./commands/history.js')).historyCommand,
  plan: async () => (await import('./commands/plan.js')).planCommand,
  promote: async () => (await import('./commands/promote.js')).promoteCommand,
  rollback: async () => (await import('./commands/rollback.js')).rollbackCommand,
};
