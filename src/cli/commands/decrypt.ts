import { booleanOption, type CommandSpec, stringOption } from '../command.js';

/** `llmcm decrypt`: MAC-verified decryption of a sops file. */
export const decryptCommand: CommandSpec = {
  name: 'decrypt',
  summary: 'decrypt a sops file (MAC verified) to stdout, --output or in place',
  usage:
    'decrypt FILE [-i|--in-place] [--output F] [--extract \'["a"]["b"]\'] [--input-type yaml|json|dotenv] [--ignore-mac]',
  details: `Identities: SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD and ~/.config/sops/age/keys.txt, combined.
The MAC is always verified; --ignore-mac turns a mismatch into a loud warning (use only to recover a file).`,
  options: {
    'in-place': {
      type: 'boolean',
      short: 'i',
      description: 'replace FILE with its plaintext (atomic write)',
    },
    output: { type: 'string', description: 'write to this file instead of stdout', valueName: 'F' },
    extract: { type: 'string', description: 'print only the value at this path', valueName: 'PATH' },
    'input-type': {
      type: 'string',
      description: 'yaml, json or dotenv (default: from the name)',
      valueName: 'T',
    },
    'ignore-mac': { type: 'boolean', description: 'warn instead of failing on a MAC mismatch (dangerous)' },
  },
  minArgs: 1,
  maxArgs: 1,
  async run(context) {
    const sops = await import('../../sops/index.js');
    const ops = await import('../../sops/file-ops.js');
    const arg = context.positionals[0]!;
    const file = ops.resolveArg(context.cwd, arg);
    const format = ops.parseFormatOption(stringOption(context, 'input-type')) ?? sops.formatFromPath(file);
    const identities = await sops.loadAgeIdentities(context.env);
    let out = await sops.decryptText(sops.readText(file), {
      file: arg,
      format,
      identities,
      ignoreMac: booleanOption(context, 'ignore-mac'),
      onWarning: (m) => context.stderr.write(`llmcm: ${m}\n`),
    });
    const extract = stringOption(context, 'extract');
    if (extract !== undefined) {
      const value = sops.extractFromPlainText(out, format, sops.parseTreePath(extract));
      if (value !== null && typeof value === 'object') {
        const { stringify } = await import('yaml');
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
