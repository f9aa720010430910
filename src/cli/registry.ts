import { checkCommandLoaders } from './check-commands.js';
import type { CommandLoaders } from './run.js';
import { scanCommandLoaders } from './scan-commands.js';
import { sopsFileCommandLoaders } from './sops-commands.js';

/**
 * Every command, loaded lazily so that `llmcm decrypt` never loads the policy engine or a cloud SDK.
 * One line per command; keep the list sorted by name.
 */
export const commandLoaders: CommandLoaders = {
  ...sopsFileCommandLoaders,
  ...checkCommandLoaders,
  ...scanCommandLoaders,
  approve: async () => (await import('./commands/approve.js')).approveCommand,
  audit: async () => (await import('./commands/audit.js')).auditCommand,
  'audit verify': async () => (await import('./commands/audit-verify.js')).auditVerifyCommand,
  demo: async () => (await import('./commands/demo.js')).demoCommand,
  drift: async () => (await import('./commands/drift.js')).driftCommand,
  history: async () => (await import('./commands/history.js')).historyCommand,
  'hooks install': async () => (await import('./commands/hooks-install.js')).hooksInstallCommand,
  plan: async () => (await import('./commands/plan.js')).planCommand,
  'policy build': async () => (await import('./commands/policy-build.js')).policyBuildCommand,
  'policy eval': async () => (await import('./commands/policy-eval.js')).policyEvalCommand,
  'policy test': async () => (await import('./commands/policy-test.js')).policyTestCommand,
  promote: async () => (await import('./commands/promote.js')).promoteCommand,
  render: async () => (await import('./commands/render.js')).renderCommand,
  rollback: async () => (await import('./commands/rollback.js')).rollbackCommand,
  'secret generate': async () => (await import('./commands/secret-generate.js')).secretGenerateCommand,
};
