import { secretKeyPattern } from '../core/secret-keys.js';

/** A secret as the policies see it: never the value, only how it is stored. */
export interface SecretMarker {
  $secret: 'encrypted' | 'reference' | 'plaintext';
}

/** Keys whose values are secrets: one definition for the whole pipeline (src/core/secret-keys.ts). */
export { secretKeyPattern };

const sopsEnvelope = /^ENC\[AES256_GCM,/;

function escapeSegment(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * A copy of a config tree that is safe to give to the policies and to hash into decision records:
 * values stored encrypted (listed in `encryptedPointers`, or still a sops ENC[...] envelope) become
 * {"$secret":"encrypted"}; any other string under a secret-looking key becomes {"$secret":"plaintext"},
 * which the secret-encrypted rule denies. No plaintext secret survives.
 */
export function redactConfig(
  tree: unknown,
  encryptedPointers: ReadonlySet<string> | ReadonlyMap<string, unknown> = new Set(),
  pointer = '',
  key?: string,
): unknown {
  if (encryptedPointers.has(pointer) && pointer !== '')
    return { $secret: 'encrypted' } satisfies SecretMarker;
  if (typeof tree === 'string') {
    if (sopsEnvelope.test(tree)) return { $secret: 'encrypted' } satisfies SecretMarker;
    if (key !== undefined && secretKeyPattern.test(key))
      return { $secret: 'plaintext' } satisfies SecretMarker;
    return tree;
  }
  if (Array.isArray(tree)) {
    return tree.map((item, index) => redactConfig(item, encryptedPointers, `${pointer}/${index}`, key));
  }
  if (tree && typeof tree === 'object') {
    if ('$secret' in tree) {
      // Keep an existing marker, but only its state: anything riding along with it is dropped.
      const state = (tree as { $secret: unknown }).$secret;
      const known = state === 'encrypted' || state === 'reference' || state === 'plaintext';
      return { $secret: known ? state : 'plaintext' } satisfies SecretMarker;
    }
    const out: Record<string, unknown> = {};
    for (const [childKey, value] of Object.entries(tree as Record<string, unknown>)) {
      out[childKey] = redactConfig(
        value,
        encryptedPointers,
        `${pointer}/${escapeSegment(childKey)}`,
        childKey,
      );
    }
    return out;
  }
  // Numbers and booleans under a secret key are secrets too (a numeric PIN is still a secret).
  if (
    key !== undefined &&
    secretKeyPattern.test(key) &&
    (typeof tree === 'number' || typeof tree === 'boolean')
  ) {
    return { $secret: 'plaintext' } satisfies SecretMarker;
  }
  return tree;
}
