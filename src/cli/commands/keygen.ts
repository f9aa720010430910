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
    const { existsSync, mkdirSync, readFileSync, chmodSync, statSync } = await import('node:fs');
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
    const cannotWrite = (why: string) =>
      new LlmcmError(`cannot write the identity file (${why})`, {
        code: 'KEYGEN_UNWRITABLE',
        kind: 'usage',
        file: explicit ?? target,
        hint: 'choose an --output in a writable directory',
      });
    // Create missing parents one at a time: a recursive mkdir spins forever under /proc, and
    // an ancestor that is a file must be a clear error, not a crash.
    const missing: string[] = [];
    for (let dir = dirname(target); ; dir = dirname(dir)) {
      let stat: ReturnType<typeof statSync> | undefined;
      try {
        stat = statSync(dir);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT') throw cannotWrite(code ?? 'unreachable directory');
      }
      if (stat) {
        if (!stat.isDirectory()) throw cannotWrite(`${dir} is not a directory`);
        break;
      }
      missing.unshift(dir);
      if (dirname(dir) === dir) break;
    }
    try {
      for (const dir of missing) mkdirSync(dir, { mode: 0o700 });
      writeFileAtomic(target, content, { mode: 0o600 });
      chmodSync(target, 0o600);
    } catch (error) {
      if (error instanceof LlmcmError) throw error;
      throw cannotWrite((error as NodeJS.ErrnoException).code ?? 'write failed');
    }
    context.stderr.write(`llmcm: wrote age identity to ${explicit ?? target} (mode 0600)\n`);
    context.stdout.write(`${recipient}\n`);
    return 0;
  },
};
