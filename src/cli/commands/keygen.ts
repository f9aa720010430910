import { booleanOption, type CommandSpec, stringOption } from '../command.js';

/** `llmcm keygen`: a new age identity in a 0600 keys file; prints the recipient. */
export const keygenCommand: CommandSpec = {
  name: 'keygen',
  summary: 'generate an age identity (keys file mode 0600) and print its recipient',
  usage: 'keygen [--output F] [--force]',
  details: `Without --output the identity is appended to the default sops keys file
($XDG_CONFIG_HOME/sops/age/keys.txt or ~/.config/sops/age/keys.txt). With --output an existing file
is refused unless --force. The recipient (age1…) goes to stdout; put it in .sops.yaml.`,
  options: {
    output: { type: 'string', description: 'write the identity to this file', valueName: 'F' },
    force: { type: 'boolean', description: 'overwrite --output if it exists' },
  },
  maxArgs: 0,
  async run(context) {
    const { existsSync, mkdirSync, readFileSync, chmodSync } = await import('node:fs');
    const { dirname } = await import('node:path');
    const { LlmcmError } = await import('../../core/errors.js');
    const { writeFileAtomic } = await import('../../core/atomic-write.js');
    const sops = await import('../../sops/index.js');
    const ops = await import('../../sops/file-ops.js');
    const explicit = stringOption(context, 'output');
    const target = explicit ? ops.resolveArg(context.cwd, explicit) : sops.defaultAgeKeyFile(context.env);
    const { identity, recipient } = await sops.generateAgeIdentity();
    const block = `# created: ${new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')}\n# public key: ${recipient}\n${identity}\n`;
    let content = block;
    if (existsSync(target)) {
      if (explicit && !booleanOption(context, 'force')) {
        throw new LlmcmError('refusing to overwrite an existing identity file', {
          code: 'KEYGEN_EXISTS',
          kind: 'usage',
          file: explicit,
          hint: 'choose another --output, or pass --force',
        });
      }
      if (!explicit) {
        const previous = readFileSync(target, 'utf8');
        content = `${previous}${previous.endsWith('\n') || previous === '' ? '' : '\n'}${block}`;
      }
    }
    mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
    writeFileAtomic(target, content, { mode: 0o600 });
    chmodSync(target, 0o600);
    context.stderr.write(`llmcm: wrote age identity to ${explicit ?? target} (mode 0600)\n`);
    context.stdout.write(`${recipient}\n`);
    return 0;
  },
};
