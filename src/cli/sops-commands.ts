import type { CommandLoaders } from './run.js';

/**
 * The commands that work on sops files one at a time (the ones scripts call in loops), kept apart
 * from the rest of the registry so that their bundle (sops-main.ts) contains nothing else: no
 * policy engine, git client or store SDK to read at start-up. One line per command, sorted by name.
 */
export const sopsFileCommandLoaders: CommandLoaders = {
  decrypt: async () => (await import('./commands/decrypt.js')).decryptCommand,
  edit: async () => (await import('./commands/edit.js')).editCommand,
  encrypt: async () => (await import('./commands/encrypt.js')).encryptCommand,
  filestatus: async () => (await import('./commands/filestatus.js')).filestatusCommand,
  keygen: async () => (await import('./commands/keygen.js')).keygenCommand,
  rotate: async () => (await import('./commands/rotate.js')).rotateCommand,
  set: async () => (await import('./commands/set.js')).setCommand,
  unset: async () => (await import('./commands/unset.js')).unsetCommand,
  updatekeys: async () => (await import('./commands/updatekeys.js')).updatekeysCommand,
};
