import type { CommandSpec } from '../command.js';

/** `llmcm rotate`: a fresh data key for each file, same recipients. */
export const rotateCommand: CommandSpec = {
  name: 'rotate',
  summary: 'generate a new data key for sops files and re-encrypt every value (same recipients)',
  usage: 'rotate FILE...',
  options: {},
  minArgs: 1,
  async run(context) {
    const sops = await import('../../sops/index.js');
    const ops = await import('../../sops/file-ops.js');
    const identities = await sops.loadAgeIdentities(context.env);
    for (const arg of context.positionals) {
      const file = ops.resolveArg(context.cwd, arg);
      const format = sops.formatFromPath(file);
      const text = sops.readText(file);
      const meta = sops.readSopsMetadata(text, format, arg);
      if (!meta) {
        const { LlmcmError } = await import('../../core/errors.js');
        throw new LlmcmError('sops metadata not found: this file is not encrypted', {
          code: 'SOPS_NO_METADATA',
          kind: 'input',
          file: arg,
        });
      }
      const out = await sops.rewrapText(text, {
        file: arg,
        format,
        identities,
        rotate: true,
        settings: { keyGroups: sops.recipientGroupsOf(meta), shamirThreshold: meta.shamirThreshold },
      });
      ops.writeResult(out, { file, inPlace: true, stdout: context.stdout });
      context.stdout.write(`${arg}: rotated\n`);
    }
    return 0;
  },
};
