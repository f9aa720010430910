import { LlmcmError } from '../core/errors.js';
import { isPlainMap } from './merge.js';
import type { LoadedEnvironment } from './types.js';
import { escapePointerSegment } from './yaml-source.js';

/** One leaf of the flattened tree: its dotted key, its JSON pointer and its value. */
export interface FlatEntry {
  key: string;
  pointer: string;
  value: unknown;
}

/**
 * Flattens a tree to leaves keyed by dotted path (`providers.openai.api_key`). Lists are leaves (they
 * replace as a whole when layers merge, so they are stored as a whole, as JSON).
 */
export function flattenTree(tree: Record<string, unknown>): FlatEntry[] {
  const out: FlatEntry[] = [];
  const walk = (value: unknown, key: string, pointer: string) => {
    if (isPlainMap(value) && Object.keys(value).length > 0) {
      for (const [k, child] of Object.entries(value)) {
        walk(child, key ? `${key}.${k}` : k, `${pointer}/${escapePointerSegment(k)}`);
      }
    } else if (key) out.push({ key, pointer, value });
  };
  walk(tree, '', '');
  return out;
}

/** The string a store holds for a leaf value. */
export function stringifyLeaf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** True when the leaf at `pointer` is a secret or contains one (a list holding an encrypted item). */
export function isSecretLeaf(loaded: LoadedEnvironment, pointer: string): boolean {
  return secretContainers(loaded).has(pointer);
}

// Every secret pointer and each of its ancestors, computed once per loaded environment.
const containers = new WeakMap<LoadedEnvironment['secrets'], Set<string>>();
function secretContainers(loaded: LoadedEnvironment): Set<string> {
  let set = containers.get(loaded.secrets);
  if (!set) {
    set = new Set<string>();
    for (const p of loaded.secrets.keys()) {
      for (let at = p; at.length > 0; at = at.slice(0, at.lastIndexOf('/'))) set.add(at);
    }
    containers.set(loaded.secrets, set);
  }
  return set;
}

/**
 * The environment as the flat key → string map stores hold (plaintext: the decode → render → store path).
 * Refuses a tree that still holds encrypted values, so ciphertext never reaches a store.
 */
export function flattenForStore(loaded: LoadedEnvironment): Record<string, string> {
  if (!loaded.decrypted) {
    throw new LlmcmError(`environment '${loaded.name}' is not decrypted; stores need plaintext values`, {
      code: 'DECRYPTION_REQUIRED',
      kind: 'decrypt',
      hint: 'set SOPS_AGE_KEY_FILE (or SOPS_AGE_KEY) to an identity that can decrypt the environment',
    });
  }
  const out: Record<string, string> = {};
  for (const entry of flattenTree(loaded.tree)) out[entry.key] = stringifyLeaf(entry.value);
  return out;
}

/** The dotted keys of `flattenForStore` whose values are secrets (stores and plans redact these). */
export function secretKeys(loaded: LoadedEnvironment): string[] {
  return flattenTree(loaded.tree)
    .filter((e) => isSecretLeaf(loaded, e.pointer))
    .map((e) => e.key)
    .sort();
}

/** An environment-variable name for a secret reference, e.g. /providers/openai/api_key → PROVIDERS_OPENAI_API_KEY. */
export function secretVariableName(pointer: string): string {
  return pointer
    .split('/')
    .filter(Boolean)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('_')
    .toUpperCase()
    .replace(/[^A-Z0-9_]/g, '_');
}
