import { LlmcmError } from '../core/errors.js';
import { computeContentHash } from './content-hash.js';
import { storeInputError } from './store-errors.js';
import type { StoreChangeSet, StoreStamp, StoreState } from './types.js';

/** The part of a change set that really changes something, and the state it leads to. */
export interface ResolvedChanges {
  /** Keys whose value is new or different. */
  set: Record<string, string>;
  /** Keys that exist and are removed. */
  delete: string[];
  /** The full values map after the change. */
  next: Record<string, string>;
  /** set + delete: the number of key writes a store performs. */
  writes: number;
}

/**
 * Reduces a change set to what actually differs from `current`, so a re-applied plan writes nothing.
 * Rejects malformed change sets (a key both set and deleted, a non-string value).
 */
export function resolveChanges(
  store: string,
  current: Record<string, string>,
  changes: StoreChangeSet,
): ResolvedChanges {
  const next: Record<string, string> = { ...current };
  const set: Record<string, string> = {};
  const deleted: string[] = [];
  const deleting = new Set(changes.delete);
  for (const [key, value] of Object.entries(changes.set)) {
    if (deleting.has(key))
      throw storeInputError(store, `key '${key}' is both set and deleted in one change set`);
    if (typeof value !== 'string') throw storeInputError(store, `key '${key}' has a non-string value`);
    assertKey(store, key);
    if (current[key] !== value) {
      set[key] = value;
      next[key] = value;
    }
  }
  for (const key of [...deleting].sort()) {
    if (Object.hasOwn(current, key)) {
      deleted.push(key);
      delete next[key];
    }
  }
  return { set, delete: deleted, next, writes: Object.keys(set).length + deleted.length };
}

/** The change set that turns `current` into exactly `target` (used by restore). */
export function diffValues(current: Record<string, string>, target: Record<string, string>): StoreChangeSet {
  const set: Record<string, string> = {};
  for (const [key, value] of Object.entries(target)) if (current[key] !== value) set[key] = value;
  const deleted = Object.keys(current).filter((key) => !Object.hasOwn(target, key));
  return { set, delete: deleted.sort() };
}

/** True when two stamps name the same promotion and content (null only equals null). */
export function stampsEqual(a: StoreStamp | null, b: StoreStamp | null): boolean {
  if (a === null || b === null) return a === b;
  return a.promotionId === b.promotionId && a.contentHash === b.contentHash;
}

/**
 * Whether an apply may skip writing: no key changes and the store already carries a stamp for this
 * content. The promotion id of an unchanged store is deliberately not rewritten: re-running a
 * completed promotion (or promoting a source with no change for this store) writes nothing.
 */
export function isNoOpApply(current: StoreState, resolved: ResolvedChanges, stamp: StoreStamp): boolean {
  return resolved.writes === 0 && current.stamp !== null && current.stamp.contentHash === stamp.contentHash;
}

/**
 * Checks the stamp the promoter computed against the values the store is about to hold: a mismatch
 * is a bug in the caller, and writing it would make the store look drifted forever.
 */
export function assertStampMatches(store: string, next: Record<string, string>, stamp: StoreStamp): void {
  if (typeof stamp?.promotionId !== 'string' || stamp.promotionId.length === 0)
    throw storeInputError(store, 'the stamp has no promotion id');
  const actual = computeContentHash(next);
  if (stamp.contentHash !== actual) {
    throw new LlmcmError(
      `store '${store}': the stamp's content hash does not match the values being written (expected ${actual.slice(0, 12)}…)`,
      {
        code: 'STORE_STAMP_MISMATCH',
        kind: 'internal',
        hint: 'the stamp must be computeContentHash(values after the change) from src/stores/content-hash.ts',
      },
    );
  }
}

/** Keys are dotted paths of the rendered config: non-empty segments, no control characters. */
export function assertKey(store: string, key: string): void {
  if (key.length === 0 || key.length > 1024)
    throw storeInputError(store, 'a key is empty or longer than 1024 characters');
  if (/[\u0000-\u001f\u007f]/.test(key)) throw storeInputError(store, 'a key contains a control character');
  if (key.split('.').some((segment) => segment.length === 0))
    throw storeInputError(store, `key '${key}' has an empty path segment`);
  if (key.startsWith('__llmcm'))
    throw storeInputError(store, `key '${key}' uses the reserved prefix __llmcm`);
}

/**
 * Environment names become file names, secret names, redis keys and table values: keep them to a
 * safe alphabet so no store needs its own escaping (and `..` can never walk out of a directory).
 */
export function assertEnvironmentName(store: string, environment: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/.test(environment)) {
    throw storeInputError(
      store,
      `invalid environment name '${environment.slice(0, 64)}'`,
      'environment names are 1-63 letters, digits, - or _, starting with a letter or digit',
    );
  }
}
