import type { EnvelopeType } from './types.js';

// The envelope shape sops readers match (../shared/docs/sops-format.md §1). Only the declared type is
// needed for keyless validation, so this stays independent of the codec in src/sops/.
const envelopePattern = /^ENC\[AES256_GCM,data:(.*),iv:(.+),tag:(.+),type:(.+)\]$/s;
const knownTypes = new Set(['str', 'int', 'float', 'bool', 'time', 'comment', 'bytes']);

/** True when a YAML string looks like a sops value (starts with `ENC[`), well-formed or not. */
export function looksEncrypted(value: string): boolean {
  return value.startsWith('ENC[');
}

/** The declared type of a sops envelope, or undefined when the string is not a well-formed envelope. */
export function readEnvelopeType(value: string): EnvelopeType | undefined {
  const match = envelopePattern.exec(value);
  if (!match) return undefined;
  const type = match[4]!;
  return knownTypes.has(type) ? (type as EnvelopeType) : undefined;
}
