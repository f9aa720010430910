import { createHash } from 'node:crypto';

/**
 * The content hash recorded in a StoreStamp: sha256 (hex) over the canonical JSON of the values map
 * (keys sorted by code unit, no whitespace). The promoter computes the stamp with this function and
 * every store checks it on apply, so drift can be detected by re-hashing what a store holds.
 */
export function computeContentHash(values: Record<string, string>): string {
  // Built as entries, not by assigning into an object literal: a key named `__proto__` would be
  // swallowed by the prototype setter and silently drop out of the hash.
  const body = Object.keys(values)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${JSON.stringify(values[key])}`)
    .join(',');
  return createHash('sha256').update(`{${body}}`).digest('hex');
}
