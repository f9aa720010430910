import type { CommandSpec } from '../command.js';
import { stringOption } from '../command.js';
import { inputTypeOption } from '../shared-options.js';

/** `llmcm filestatus`: whether a file is sops-encrypted, as JSON like `sops filestatus`. */
export const filestatusCommand: CommandSpec = {
  name: 'filestatus',
  summary: 'print {"encrypted":true|false} for a file, like sops filestatus',
  usage: 'filestatus FILE [--input-type yaml|json|dotenv]',
  options: {
    'input-type': inputTypeOption,
  },
  minArgs: 1,
  maxArgs: 1,
  async run(context) {
    const sops = await import('../../sops/index.js');
    const ops = await import('../../sops/file-ops.js');
    const arg = context.positionals[0]!;
    const file = ops.resolveArg(context.cwd, arg);
    const format = ops.parseFormatOption(stringOption(context, 'input-type')) ?? sops.formatFromPath(file);
    const encrypted = sops.hasSopsMetadata(sops.readText(file), format, arg);
    context.stdout.write(`${JSON.stringify({ encrypted })}\n`);
    return 0;
  },
};
