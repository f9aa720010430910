import type { Document } from 'yaml';
import { LlmcmError } from '../core/errors.js';

/** Decrypts a sops YAML file into a Document whose ranges point into the encrypted text. */
export async function decryptSopsYaml(_text: string, file: string, _identities: string[]): Promise<Document> {
  // Seam for the codec in src/sops (decryptYaml); wired when it lands.
  throw new LlmcmError('decryption is not available yet', {
    code: 'SOPS_UNAVAILABLE',
    kind: 'decrypt',
    file,
  });
}
