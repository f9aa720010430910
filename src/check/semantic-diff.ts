import { flattenTree, isSecretLeaf, stringifyLeaf } from '../config/flatten.js';
import type { LoadedEnvironment } from '../config/types.js';
import { keyedFingerprint } from '../core/fingerprint.js';
import { isSecretLookingKey } from '../core/secret-keys.js';
import { pointerSegments } from './locate.js';

/** One key added, removed or changed in an environment. Secret values never appear, only fingerprints. */
export interface KeyChange {
  /** Dotted key, e.g. `providers.openai.api_key`. */
  key: string;
  /** JSON pointer of the key. */
  pointer: string;
  change: 'added' | 'removed' | 'changed';
  secret: boolean;
  /** Non-secret values only. */
  before?: string;
  after?: string;
  /** For a secret: keyed fingerprint of the new value (`fp:…`). */
  fingerprint?: string;
  /** Set when keys were absent: the ciphertext changed, which may or may not be a new value. */
  ciphertextOnly?: boolean;
}

/** The semantic diff of one environment between a base ref and the working tree. */
export interface EnvironmentDiff {
  environment: string;
  changes: KeyChange[];
}

/**
 * Keys added, removed or changed, per flattened key. A changed secret shows as `changed` with a short
 * keyed fingerprint; without keys it compares ciphertexts and says so.
 */
export function diffEnvironments(
  environment: string,
  before: LoadedEnvironment | undefined,
  after: LoadedEnvironment | undefined,
  fingerprintKey: Uint8Array,
  /** Only these document kinds can differ (the others' files are unchanged); default: all. */
  kinds?: ReadonlySet<string>,
): EnvironmentDiff {
  const pick = (tree: Record<string, unknown>) =>
    kinds ? Object.fromEntries(Object.entries(tree).filter(([kind]) => kinds.has(kind))) : tree;
  const index = (loaded: LoadedEnvironment | undefined) =>
    new Map((loaded ? flattenTree(pick(loaded.tree)) : []).map((e) => [e.key, e]));
  const old = index(before);
  const now = index(after);
  const changes: KeyChange[] = [];
  // A plaintext value under a secret-looking key is still treated as secret here: it is already an
  // error of its own, and the diff must not print it.
  const secretIn = (loaded: LoadedEnvironment | undefined, pointer: string) =>
    (loaded ? isSecretLeaf(loaded, pointer) : false) || pointerSegments(pointer).some(isSecretLookingKey);
  const fingerprint = (key: string, value: unknown) =>
    keyedFingerprint(fingerprintKey, key, stringifyLeaf(value));
  const plaintext = Boolean(before?.decrypted && after?.decrypted);

  for (const [key, entry] of now) {
    const secret = secretIn(after, entry.pointer) || secretIn(before, entry.pointer);
    const previous = old.get(key);
    if (!previous) {
      changes.push({
        key,
        pointer: entry.pointer,
        change: 'added',
        secret,
        ...(secret ? { fingerprint: fingerprint(key, entry.value) } : { after: stringifyLeaf(entry.value) }),
      });
      continue;
    }
    const a = stringifyLeaf(previous.value);
    const b = stringifyLeaf(entry.value);
    if (a === b) continue;
    changes.push({
      key,
      pointer: entry.pointer,
      change: 'changed',
      secret,
      ...(secret
        ? { fingerprint: fingerprint(key, entry.value), ...(plaintext ? {} : { ciphertextOnly: true }) }
        : { before: a, after: b }),
    });
  }
  for (const [key, entry] of old) {
    if (now.has(key)) continue;
    const secret = secretIn(before, entry.pointer);
    changes.push({
      key,
      pointer: entry.pointer,
      change: 'removed',
      secret,
      ...(secret ? {} : { before: stringifyLeaf(entry.value) }),
    });
  }
  changes.sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
  return { environment, changes };
}
