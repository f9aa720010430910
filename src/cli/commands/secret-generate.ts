import { readFileSync, statSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { isMap, parseDocument } from 'yaml';
import { generateSecretValue } from '../../check/generate-secret.js';
import { looksEncrypted } from '../../config/envelope-type.js';
import { writeFileAtomic } from '../../core/atomic-write.js';
import { LlmcmError, usageError } from '../../core/errors.js';
import { ageIdentitiesFrom, loadAgeIdentities } from '../../sops/age-keys.js';
import { openEncryptedText, reencryptText } from '../../sops/codec.js';
import type { CommandSpec } from '../command.js';
import { stringOption } from '../command.js';

/** `llmcm secret generate`: write a fresh CSPRNG secret straight into an encrypted file; never print it. */
export const secretGenerateCommand: CommandSpec = {
  name: 'secret generate',
  summary: 'generate a strong random secret (>= 128 bits) into an encrypted file; the value is never printed',
  usage: 'secret generate FILE PATH [--bits N]',
  details: [
    'PATH is a dotted key path (gateway.master_key) or a JSON pointer (/gateway/master_key) inside FILE.',
    'The file must already be sops-encrypted and its rules must encrypt that key; other values keep their',
    'exact ciphertext. Needs an age key that can decrypt the file.',
  ].join('\n'),
  options: {
    bits: { type: 'string', description: 'entropy in bits (default 256, minimum 128)', valueName: 'N' },
  },
  minArgs: 2,
  maxArgs: 2,
  async run(context) {
    const [fileArg, pathArg] = context.positionals as [string, string];
    const bits = Number(stringOption(context, 'bits') ?? '256');
    if (!Number.isInteger(bits) || bits < 128 || bits > 4096)
      throw usageError('--bits must be an integer from 128 to 4096');
    const path = resolve(context.cwd, fileArg);
    const display = relative(context.cwd, path) || fileArg;
    const segments = pathArg.startsWith('/')
      ? pathArg
          .split('/')
          .slice(1)
          .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
      : pathArg.split('.');
    if (segments.length === 0 || segments.some((s) => s === ''))
      throw usageError(`invalid key path '${pathArg}'`);

    let text: string;
    let mode = 0o644;
    try {
      text = readFileSync(path, 'utf8');
      mode = statSync(path).mode & 0o777;
    } catch {
      throw new LlmcmError(`cannot read ${display}`, {
        code: 'FILE_UNREADABLE',
        kind: 'input',
        file: display,
      });
    }
    const keys = await loadAgeIdentities(context.env);
    if (keys.identities.length === 0) {
      throw new LlmcmError(`no age identity to decrypt ${display}`, {
        code: 'NO_IDENTITY',
        kind: 'decrypt',
        file: display,
        hint: 'set SOPS_AGE_KEY_FILE (or SOPS_AGE_KEY) to an identity the file is encrypted to',
      });
    }
    const opened = await openEncryptedText(text, {
      file: display,
      identities: ageIdentitiesFrom(keys.identities),
    });
    const document = parseDocument(opened.plaintext);
    const parent = segments.length > 1 ? document.getIn(segments.slice(0, -1), true) : document.contents;
    if (parent !== undefined && parent !== null && !isMap(parent)) {
      throw usageError(`${pathArg}: its parent is not a mapping in ${display}`);
    }
    document.setIn(segments, generateSecretValue(bits));
    const updated = await reencryptText(opened, document.toString());

    // Refuse to write a secret the file's rules would leave in clear.
    const check = parseDocument(updated).getIn(segments);
    if (typeof check !== 'string' || !looksEncrypted(check)) {
      throw new LlmcmError(
        `${pathArg} would not be encrypted by the sops rules of ${display}; nothing written`,
        {
          code: 'SECRET_WOULD_BE_PLAINTEXT',
          kind: 'input',
          file: display,
          hint: 'use a key name the file encrypts (see encrypted_regex / unencrypted_suffix in .sops.yaml)',
        },
      );
    }
    writeFileAtomic(path, updated, { mode });
    context.stdout.write(`wrote a new ${bits}-bit secret to ${display} at ${pathArg} (value not shown)\n`);
    return 0;
  },
};
