import { createHash } from 'node:crypto';

/**
 * The content hash recorded in a StoreStamp: sha256 (hex) over the canonical JSON of the values map
 * (keys sorted by code unit, no whitespace). The promoter computes the stamp with this function and
 * every store checks it on apply, so drift can be detected by re-hashing what a store holds.
 */
export function computeContentHash(values: Record<string, string>): string {
  const sorted: Record<string, string> = {};
  for (const key of Object.keys(values).sort()) sorted[key] = values[key] as string;
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex');
}
