import { booleanOption, type CommandSpec, stringOption } from '../command.js';
import { ignoreMacOption, inputTypeOption } from '../shared-options.js';

/** `llmcm unset`: remove one value from an encrypted file with a minimal diff. */
export const unsetCommand: CommandSpec = {
  name: 'unset',
  summary: 'remove one value from an encrypted file (minimal diff)',
  usage: 'unset FILE PATH   e.g. unset prod.yaml \'["providers"]["legacy"]\'',
  options: {
    'input-type': inputTypeOption,
    'ignore-mac': ignoreMacOption,
  },
  minArgs: 2,
  maxArgs: 2,
  async run(context) {
    const sops = await import('../../sops/index.js');
    const ops = await import('../../sops/file-ops.js');
    const [arg, pathText] = context.positionals as [string, string];
    const file = ops.resolveArg(context.cwd, arg);
    const path = sops.parseTreePath(pathText);
    const format = ops.parseFormatOption(stringOption(context, 'input-type')) ?? sops.formatFromPath(file);
    const text = sops.readText(file);
    const out = await sops.unsetValueInEncryptedText(text, path, {
      file: arg,
      format,
      identities: await sops.loadAgeIdentities(context.env),
      ignoreMac: booleanOption(context, 'ignore-mac'),
    });
    ops.writeResult(out, { file, inPlace: true, stdout: context.stdout });
    return 0;
  },
};
