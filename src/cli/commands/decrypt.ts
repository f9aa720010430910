import { booleanOption, type CommandContext, type CommandSpec, stringOption } from '../command.js';
import { ignoreMacOption, inputTypeOption } from '../shared-options.js';

/** `llmcm decrypt`: MAC-verified decryption of a sops file, or of many files in one process. */
export const decryptCommand: CommandSpec = {
  name: 'decrypt',
  summary: 'decrypt a sops file (MAC verified) to stdout, --output or in place; or a whole tree',
  usage:
    'decrypt FILE [-i|--in-place] [--output F] [--extract \'["a"]["b"]\'] [--input-type yaml|json|dotenv] [--ignore-mac]\n' +
    'llmcm decrypt -i|--output-dir D FILE...|DIR...',
  details: `Identities: SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD and ~/.config/sops/age/keys.txt, combined.
The MAC is always verified; --ignore-mac turns a mismatch into a loud warning (use only to recover a file).

Tree mode (several files, a directory, or --output-dir) runs in one process: a directory means every
YAML/JSON/dotenv file under it that has sops metadata. Every file is decrypted in memory first; if one
fails, each failing file is reported and nothing is written (exit code of the first failure). Then
each result is written atomically, in place (-i) or under --output-dir D with the same relative
layout and mode 0600.`,
  options: {
    'in-place': {
      type: 'boolean',
      short: 'i',
      description: 'replace FILE with its plaintext (atomic write)',
    },
    output: { type: 'string', description: 'write to this file instead of stdout', valueName: 'F' },
    'output-dir': {
      type: 'string',
      description: 'tree mode: write the plaintexts under D (same relative layout, mode 0600)',
      valueName: 'D',
    },
    extract: { type: 'string', description: 'print only the value at this path', valueName: 'PATH' },
    'input-type': inputTypeOption,
    'ignore-mac': ignoreMacOption,
  },
  minArgs: 1,
  async run(context) {
    const ops = await import('../../sops/file-ops.js');
    const first = ops.resolveArg(context.cwd, context.positionals[0]!);
    if (
      context.positionals.length > 1 ||
      stringOption(context, 'output-dir') !== undefined ||
      ops.isDirectory(first)
    ) {
      return decryptTree(context);
    }
    // Only the yaml-free modules here: the yaml package is loaded on demand (see fast-decrypt.ts).
    const { decryptTextFast } = await import('../../sops/fast-decrypt.js');
    const { formatFromPath } = await import('../../sops/codec-core.js');
    const { loadAgeIdentities } = await import('../../sops/age-keys.js');
    const arg = context.positionals[0]!;
    const file = first;
    const format = ops.parseFormatOption(stringOption(context, 'input-type')) ?? formatFromPath(file);
    const identities = await loadAgeIdentities(context.env);
    let out = await decryptTextFast(ops.readText(file), {
      file: arg,
      format,
      identities,
      ignoreMac: booleanOption(context, 'ignore-mac'),
      onWarning: (m) => context.stderr.write(`llmcm: ${m}\n`),
    });
    const extract = stringOption(context, 'extract');
    if (extract !== undefined) {
      const sops = await import('../../sops/index.js');
      const value = sops.extractFromPlainText(out, format, sops.parseTreePath(extract));
      if (value !== null && typeof value === 'object') {
        // yaml is CommonJS: Node's loader exposes named exports, a bundled chunk only `default`.
        const yaml = (await import('yaml')) as typeof import('yaml') & { default?: typeof import('yaml') };
        const stringify = yaml.stringify ?? yaml.default!.stringify;
        out = format === 'json' ? `${JSON.stringify(value, null, 4)}\n` : stringify(value);
      } else out = value === null ? 'null' : String(value);
    }
    const output = stringOption(context, 'output');
    ops.writeResult(out, {
      file,
      inPlace: booleanOption(context, 'in-place'),
      output: output === undefined ? undefined : ops.resolveArg(context.cwd, output),
      stdout: context.stdout,
    });
    return 0;
  },
};

// Codes that mean "not a sops file" for a file found while walking a directory (it is skipped).
const notSopsCodes = new Set(['SOPS_NO_METADATA', 'SOPS_BAD_YAML', 'SOPS_BAD_JSON']);

async function decryptTree(context: CommandContext): Promise<number> {
  const { usageError, isLlmcmError } = await import('../../core/errors.js');
  const sops = await import('../../sops/index.js');
  const ops = await import('../../sops/file-ops.js');
  const tree = await import('../../sops/tree-mode.js');
  const { decryptTextFast } = await import('../../sops/fast-decrypt.js');
  const outputDir = stringOption(context, 'output-dir');
  const inPlace = booleanOption(context, 'in-place');
  if (stringOption(context, 'extract') !== undefined) throw usageError('--extract works on one file only');
  if (stringOption(context, 'output') !== undefined) {
    throw usageError('--output takes one file; use --output-dir D for several files or a directory');
  }
  if (inPlace === (outputDir !== undefined)) {
    throw usageError(
      inPlace
        ? 'use either --in-place or --output-dir, not both'
        : 'with several files or a directory, use -i (in place) or --output-dir D',
    );
  }
  const inputType = ops.parseFormatOption(stringOption(context, 'input-type'));
  const files = tree.expandTreeArguments(context.positionals, context.cwd);
  const identities = await sops.loadAgeIdentities(context.env);
  const ignoreMac = booleanOption(context, 'ignore-mac');
  const summary = await tree.runTree(
    files,
    async (text, file) => {
      // A cheap look before parsing: a file found in a directory without the word is not a sops file.
      if (!file.explicit && !text.includes('sops')) return { skip: 'not encrypted' };
      try {
        return {
          text: await decryptTextFast(text, {
            file: file.shown,
            format: inputType ?? sops.formatFromPath(file.file),
            identities,
            ignoreMac,
            onWarning: (m) => context.stderr.write(`llmcm: ${m}\n`),
          }),
        };
      } catch (error) {
        if (!file.explicit && isLlmcmError(error) && notSopsCodes.has(error.code))
          return { skip: 'not encrypted' };
        throw error;
      }
    },
    {
      target:
        outputDir === undefined ? { inPlace: true } : { outputDir: ops.resolveArg(context.cwd, outputDir) },
      verb: 'decrypt',
      stderr: context.stderr,
    },
  );
  const where = outputDir === undefined ? 'in place' : `into ${outputDir}`;
  context.stderr.write(
    `llmcm: decrypted ${summary.written} file(s) ${where}${summary.skipped ? `; ${summary.skipped} skipped (no sops metadata)` : ''}\n`,
  );
  return 0;
}
