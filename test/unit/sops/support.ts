import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { type AgeIdentities, ageIdentitiesFrom } from '../../../src/sops/index.js';

/** A fresh age key pair for a test file (generated once per file). */
export async function makeKey(): Promise<{ identity: string; recipient: string; ids: AgeIdentities }> {
  const identity = await generateX25519Identity();
  return { identity, recipient: await identityToRecipient(identity), ids: ageIdentitiesFrom([identity]) };
}

/** Replaces one character of the first envelope's `data:` field. */
export function tamperFirst(text: string, field: 'data' | 'iv' | 'tag'): string {
  return text.replace(
    new RegExp(`${field}:([A-Za-z0-9+/])`),
    (_m, c: string) => `${field}:${c === 'A' ? 'B' : 'A'}`,
  );
}
