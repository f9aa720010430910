import { armor, Decrypter, Encrypter, generateX25519Identity, identityToRecipient } from 'age-encryption';
import { describe, expect, it } from 'vitest';
import {
  decodeBech32,
  decryptWithX25519,
  encryptToX25519,
  generateX25519IdentityString,
  parseX25519Identity,
  parseX25519Recipient,
  recipientOfIdentity,
} from '../../../src/sops/age-native.js';

describe('native age (X25519 on node:crypto)', () => {
  it('derives the same recipient as the age-encryption library', async () => {
    const identity = await generateX25519Identity();
    expect(recipientOfIdentity(parseX25519Identity(identity)!)).toBe(await identityToRecipient(identity));
    const ours = generateX25519IdentityString();
    expect(recipientOfIdentity(parseX25519Identity(ours)!)).toBe(await identityToRecipient(ours));
  });

  it('interoperates with the library both ways', async () => {
    const identity = await generateX25519Identity();
    const recipient = await identityToRecipient(identity);
    const secret = Buffer.from('0123456789abcdef0123456789abcdef');
    const native = encryptToX25519(parseX25519Recipient(recipient)!, secret);
    const d = new Decrypter();
    d.addIdentity(identity);
    expect(Buffer.from(await d.decrypt(armor.decode(native)))).toEqual(secret);
    const e = new Encrypter();
    e.addRecipient(recipient);
    const byLibrary = armor.encode(await e.encrypt(secret));
    expect(decryptWithX25519(byLibrary, [parseX25519Identity(identity)!])).toEqual(secret);
  });

  it('returns undefined for a non-matching identity and rejects bad keys', async () => {
    const a = parseX25519Identity(generateX25519IdentityString())!;
    const b = parseX25519Identity(generateX25519IdentityString())!;
    const file = encryptToX25519(parseX25519Recipient(recipientOfIdentity(a))!, Buffer.from('x'));
    expect(decryptWithX25519(file, [b])).toBeUndefined();
    expect(
      parseX25519Recipient('age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq'),
    ).toBeUndefined();
    expect(decodeBech32('age1Mixed')).toBeUndefined();
  });

  it('detects a tampered payload', () => {
    const a = parseX25519Identity(generateX25519IdentityString())!;
    const file = encryptToX25519(a.publicRaw, Buffer.alloc(32, 1));
    const lines = file.split('\n');
    const last = lines.length - 3;
    lines[last] = lines[last]!.replace(/^(.)/, (c) => (c === 'A' ? 'B' : 'A'));
    expect(() => decryptWithX25519(lines.join('\n'), [a])).toThrow();
  });
});
