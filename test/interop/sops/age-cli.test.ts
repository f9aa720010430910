import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import {
  decryptWithX25519,
  encryptToX25519,
  generateX25519IdentityString,
  parseX25519Identity,
  recipientOfIdentity,
} from '../../../src/sops/age-native.js';
import { describeWithTools, toolPath } from '../../support/tools.js';

describeWithTools(['age', 'age-keygen'], 'native age against the age CLI', () => {
  it('age decrypts ours and we decrypt age output', () => {
    const dir = mkdtempSync(join(tmpdir(), 'llmcm-age-'));
    try {
      const identity = generateX25519IdentityString();
      const id = parseX25519Identity(identity)!;
      writeFileSync(join(dir, 'key.txt'), `${identity}\n`);
      writeFileSync(join(dir, 'ours.age'), encryptToX25519(id.publicRaw, Buffer.from('hello from llmcm')));
      const out = execFileSync(toolPath('age')!, ['-d', '-i', join(dir, 'key.txt'), join(dir, 'ours.age')]);
      expect(out.toString()).toBe('hello from llmcm');
      const theirs = execFileSync(toolPath('age')!, ['-a', '-r', recipientOfIdentity(id)], {
        input: 'hello from age',
      });
      expect(decryptWithX25519(theirs.toString(), [id])?.toString()).toBe('hello from age');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
