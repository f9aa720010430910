import { parse } from 'yaml';
import type { FileDecryptor } from './key-history.js';

function flatten(value: unknown, prefix: string, out: Record<string, string>): void {
  if (value && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (!prefix && k === 'sops') continue;
      flatten(v, prefix ? `${prefix}.${k}` : k, out);
    }
  } else if (prefix) {
    out[prefix] = typeof value === 'string' ? value : JSON.stringify(value);
  }
}

/**
 * The decryptor audit uses to fingerprint plaintext instead of ciphertext (sops re-encrypts values on
 * edit, so ciphertext alone would report unchanged secrets as changed). Undefined without an identity.
 * Plaintext stays in memory: only keyed fingerprints leave key-history.
 */
export async function createAuditDecryptor(env: NodeJS.ProcessEnv): Promise<FileDecryptor | undefined> {
  const { loadAgeIdentities } = await import('../sops/age-keys.js');
  const ids = await loadAgeIdentities(env);
  if (ids.identities.length === 0) return undefined;
  const { decryptText, hasSopsMetadata } = await import('../sops/codec.js');
  return async (text, file) => {
    if (!hasSopsMetadata(text, 'yaml', file)) return null;
    const plain = await decryptText(text, { file, format: 'yaml', identities: ids, onWarning: () => {} });
    const out: Record<string, string> = {};
    flatten(parse(plain), '', out);
    return out;
  };
}
