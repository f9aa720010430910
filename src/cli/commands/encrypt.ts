import {
  booleanOption,
  type CommandContext,
  type CommandSpec,
  listOption,
  stringOption,
} from '../command.js';
import { inputTypeOption } from '../shared-options.js';

/** `llmcm encrypt`: sops-compatible encryption of a YAML, JSON or dotenv file, or of many in one process. */
export const encryptCommand: CommandSpec = {
  name: 'encrypt',
  summary: 'encrypt a YAML/JSON/dotenv file with sops-compatible age encryption; or a whole tree (-i)',
  usage:
    'encrypt FILE [-i|--in-place] [--output F] [--input-type yaml|json|dotenv] [--age RECIPIENT]\n' +
    'llmcm encrypt -i FILE...|DIR... [--age RECIPIENT]',
  details: `Recipients come from --age, SOPS_AGE_RECIPIENTS, or the first matching creation rule of the
.sops.yaml found from the FILE's directory upward. The file's layout (comments, order, style) is kept.

Tree mode (several files or a directory, with -i) runs in one process: a directory means every
YAML/JSON/dotenv file under it that a .sops.yaml creation rule matches and that is not encrypted yet.
Every file is encrypted in memory first; if one fails, each failing file is reported and nothing is
written (exit code of the first failure). Then each file is replaced atomically.`,
  options: {
    'in-place': { type: 'boolean', short: 'i', description: 'replace FILE (atomic write)' },
    output: { type: 'string', description: 'write to this file instead of stdout', valueName: 'F' },
    'input-type': inputTypeOption,
    age: {
      type: 'string',
      multiple: true,
      description: 'age recipient (repeatable, or comma-separated)',
      valueName: 'R',
    },
  },
  minArgs: 1,
  async run(context) {
    const { parseFormatOption, resolveArg, writeResult, isDirectory } = await import(
      '../../sops/file-ops.js'
    );
    const file = resolveArg(context.cwd, context.positionals[0]!);
    if (context.positionals.length > 1 || isDirectory(file)) return encryptTree(context);
    const { encryptText, formatFromPath, parseSopsText, readText, settingsFor } = await import(
      '../../sops/index.js'
    );
    const format = parseFormatOption(stringOption(context, 'input-type')) ?? formatFromPath(file);
    const recipients = recipientsOf(context);
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

function recipientsOf(context: CommandContext): string[] {
  return listOption(context, 'age').flatMap((r) =>
    r
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
}

async function encryptTree(context: CommandContext): Promise<number> {
  const { usageError, isLlmcmError } = await import('../../core/errors.js');
  const sops = await import('../../sops/index.js');
  const ops = await import('../../sops/file-ops.js');
  const tree = await import('../../sops/tree-mode.js');
  if (stringOption(context, 'output') !== undefined) throw usageError('--output takes one file');
  if (!booleanOption(context, 'in-place')) {
    throw usageError('with several files or a directory, use -i (each file is encrypted in place)');
  }
  const inputType = ops.parseFormatOption(stringOption(context, 'input-type'));
  const recipients = recipientsOf(context);
  const files = tree.expandTreeArguments(context.positionals, context.cwd);
  const summary = await tree.runTree(
    files,
    async (text, file) => {
      const format = inputType ?? sops.formatFromPath(file.file);
      let rule: ReturnType<typeof sops.findCreationRule> | undefined;
      if (!file.explicit) {
        // In a directory, the creation rules decide which files are secrets.
        rule = sops.findCreationRule(file.file);
        if (!rule) return { skip: 'no creation rule' };
      }
      let settings: ReturnType<typeof sops.settingsFor>;
      try {
        settings = sops.settingsFor(file.file, {
          recipients,
          env: context.env,
          displayFile: file.shown,
          rule,
        });
      } catch (error) {
        sops.parseSopsText(text, format, file.shown);
        throw error;
      }
      try {
        return { text: await sops.encryptText(text, { ...settings, file: file.shown, format }) };
      } catch (error) {
        if (!file.explicit && isLlmcmError(error) && error.code === 'SOPS_ALREADY_ENCRYPTED') {
          return { skip: 'already encrypted' };
        }
        throw error;
      }
    },
    { target: { inPlace: true }, verb: 'encrypt', stderr: context.stderr },
  );
  context.stderr.write(
    `llmcm: encrypted ${summary.written} file(s) in place${summary.skipped ? `; ${summary.skipped} skipped (no creation rule, or already encrypted)` : ''}\n`,
  );
  return 0;
}
