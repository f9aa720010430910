import { parseDocument } from 'yaml';
import { ageIdentitiesFrom } from '../sops/age-keys.js';
import { decryptText } from '../sops/codec.js';

/**
 * Decrypts a sops YAML file (MAC verified) with the codec in src/sops and returns its plaintext data.
 * Positions are taken from the encrypted text by the caller, so only values are needed here.
 */
export async function decryptSopsYaml(text: string, file: string, identities: string[]): Promise<unknown> {
  const plaintext = await decryptText(text, {
    file,
    format: 'yaml',
    identities: ageIdentitiesFrom(identities, 'llmcm'),
  });
  const document = parseDocument(plaintext, { prettyErrors: false, uniqueKeys: false });
  const value = document.toJS({ maxAliasCount: -1 }) as unknown;
  if (value && typeof value === 'object' && !Array.isArray(value))
    delete (value as Record<string, unknown>).sops;
  // An encrypted file is always a mapping (it holds the sops key), so an empty plaintext is an empty map.
  return value ?? {};
}
