import { usageError } from '../../core/errors.js';
import { booleanOption, type CommandSpec, stringOption } from '../command.js';
import { ignoreMacOption, inputTypeOption } from '../shared-options.js';

/** `llmcm set`: change one value of an encrypted file with a minimal diff. */
export const setCommand: CommandSpec = {
  name: 'set',
  summary: 'set one value in an encrypted file (minimal diff: other values keep their ciphertext)',
  usage: 'set FILE PATH VALUE   e.g. set prod.yaml \'["providers"]["openai"]["api_key"]\' \'"sk-..."\'',
  details: `PATH uses sops' syntax ('["a"]["b"][0]'); VALUE is JSON (a string needs its quotes).
Missing keys are created. The file is rewritten atomically; layout and comments are kept.`,
  options: {
    'input-type': inputTypeOption,
    'ignore-mac': ignoreMacOption,
  },
  minArgs: 3,
  maxArgs: 3,
  async run(context) {
    const sops = await import('../../sops/index.js');
    const ops = await import('../../sops/file-ops.js');
    const [arg, pathText, valueText] = context.positionals as [string, string, string];
    const file = ops.resolveArg(context.cwd, arg);
    const path = sops.parseTreePath(pathText);
    let value: unknown;
    try {
      value = JSON.parse(valueText);
    } catch {
      // The value may be a secret: never echo it.
      throw usageError('VALUE is not valid JSON', 'quote strings as JSON, e.g. \'"text"\'');
    }
    const format = ops.parseFormatOption(stringOption(context, 'input-type')) ?? sops.formatFromPath(file);
    const text = sops.readText(file);
    const out = await sops.setValueInEncryptedText(text, path, value, {
      file: arg,
      format,
      identities: await sops.loadAgeIdentities(context.env),
      ignoreMac: booleanOption(context, 'ignore-mac'),
    });
    if (out !== text) ops.writeResult(out, { file, inPlace: true, stdout: context.stdout });
    return 0;
  },
};
