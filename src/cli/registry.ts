import type { CommandSpec } from './command.js';

type Loader = () => Promise<CommandSpec>;

/**
 * Every command, loaded lazily so that `llmcm decrypt` never loads the policy engine or a cloud SDK.
 * One line per command; keep the list sorted by name.
 */
export const commandLoaders: Record<string, Loader> = {
  approve: async () => (await import('./commands/approve.js')).approveCommand,
  audit: async () => (await import('./commands/audit.js')).auditCommand,
  'audit verify': async () => (await import('./commands/audit-verify.js')).auditVerifyCommand,
  check: async () => (await import('./commands/check.js')).checkCommand,
  decrypt: async () => (await import('./commands/decrypt.js')).decryptCommand,
  demo: async () => (await import('./commands/demo.js')).demoCommand,
  drift: async () => (await import('./commands/drift.js')).driftCommand,
  edit: async () => (await import('./commands/edit.js')).editCommand,
  encrypt: async () => (await import('./commands/encrypt.js')).encryptCommand,
  filestatus: async () => (await import('./commands/filestatus.js')).filestatusCommand,
  history: async () => (await import('./commands/history.js')).historyCommand,
  'hooks install': async () => (await import('./commands/hooks-install.js')).hooksInstallCommand,
  keygen: async () => (await import('./commands/keygen.js')).keygenCommand,
  plan: async () => (await import('./commands/plan.js')).planCommand,
  'policy build': async () => (await import('./commands/policy-build.js')).policyBuildCommand,
  'policy eval': async () => (await import('./commands/policy-eval.js')).policyEvalCommand,
  'policy test': async () => (await import('./commands/policy-test.js')).policyTestCommand,
  promote: async () => (await import('./commands/promote.js')).promoteCommand,
  render: async () => (await import('./commands/render.js')).renderCommand,
  rollback: async () => (await import('./commands/rollback.js')).rollbackCommand,
  rotate: async () => (await import('./commands/rotate.js')).rotateCommand,
  scan: async () => (await import('./commands/scan.js')).scanCommand,
  'secret generate': async () => (await import('./commands/secret-generate.js')).secretGenerateCommand,
  set: async () => (await import('./commands/set.js')).setCommand,
  unset: async () => (await import('./commands/unset.js')).unsetCommand,
  updatekeys: async () => (await import('./commands/updatekeys.js')).updatekeysCommand,
};
