import type { FileDecryptor } from './key-history.js';

/**
 * The decryptor audit uses to fingerprint plaintext instead of ciphertext. Returns undefined while
 * no sops codec is wired or no identity is configured; audit then fingerprints ciphertext.
 */
export async function createAuditDecryptor(_env: NodeJS.ProcessEnv): Promise<FileDecryptor | undefined> {
  return undefined;
}
