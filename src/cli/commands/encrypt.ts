import { booleanOption, type CommandSpec, listOption, stringOption } from '../command.js';

/** `llmcm encrypt`: sops-compatible encryption of a YAML, JSON or dotenv file. */
export const encryptCommand: CommandSpec = {
  name: 'encrypt',
  summary: 'encrypt a YAML/JSON/dotenv file with sops-compatible age encryption',
  usage: 'encrypt FILE [-i|--in-place] [--output F] [--input-type yaml|json|dotenv] [--age RECIPIENT]',
  details: `Recipients come from --age, SOPS_AGE_RECIPIENTS, or the first matching creation rule of the
.sops.yaml found from the FILE's directory upward. The file's layout (comments, order, style) is kept.`,
  options: {
    'in-place': { type: 'boolean', short: 'i', description: 'replace FILE (atomic write)' },
    output: { type: 'string', description: 'write to this file instead of stdout', valueName: 'F' },
    'input-type': {
      type: 'string',
      description: 'yaml, json or dotenv (default: from the name)',
      valueName: 'T',
    },
    age: {
      type: 'string',
      multiple: true,
      description: 'age recipient (repeatable, or comma-separated)',
      valueName: 'R',
    },
  },
  minArgs: 1,
  maxArgs: 1,
  async run(context) {
    const { encryptText, formatFromPath, parseSopsText, readText, settingsFor } = await import(
      '../../sops/index.js'
    );
    const { parseFormatOption, resolveArg, writeResult } = await import('../../sops/file-ops.js');
    const file = resolveArg(context.cwd, context.positionals[0]!);
    const format = parseFormatOption(stringOption(context, 'input-type')) ?? formatFromPath(file);
    const recipients = listOption(context, 'age').flatMap((r) =>
      r
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    );
    const arg = context.positionals[0]!;
    const plaintext = readText(file);
    let settings: ReturnType<typeof settingsFor>;
    try {
      settings = settingsFor(file, { recipients, env: context.env, displayFile: arg });
    } catch (error) {
      // Bad input is reported before missing recipients: it is the more useful error. Parsing
      // only on this path saves a second parse of every good file (encryptText parses it).
      parseSopsText(plaintext, format, arg);
      throw error;
    }
    const out = await encryptText(plaintext, { ...settings, file: arg, format });
    writeResult(out, {
      file,
      inPlace: booleanOption(context, 'in-place'),
      output: stringOption(context, 'output') && resolveArg(context.cwd, stringOption(context, 'output')!),
      stdout: context.stdout,
    });
    return 0;
  },
};
