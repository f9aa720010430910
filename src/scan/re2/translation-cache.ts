import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { type StoredTranslation, translatorVersion } from './translate.js';

/**
 * An on-disk cache of Go → JavaScript regex translations, one file per config text.
 *
 * Why: translating gitleaks' 222-rule default config costs ~50 ms of a cold start (parsing 268
 * patterns, case folding, emitting), the largest fixed cost of a scan after Node itself, and the
 * same config is translated again on every run of a pre-commit hook or CI job. The file also keeps
 * the config's parsed TOML (JSON reads in ~1 ms what the TOML parser takes ~8 ms for); the
 * document still goes through every field check, so a cached one cannot let a bad config through.
 *
 * Where: `$XDG_CACHE_HOME/llmcm/scan-regex/` (default `~/.cache/llmcm/...`), the per-user cache
 * directory of the XDG convention, rather than node_modules/.cache: llmcm also runs as a global
 * install or from a bundle, where there is no project node_modules to write to. Set
 * `LLMCM_SCAN_CACHE=off` to turn it off.
 *
 * Safety: the file name hashes the translator's own code and the V8 version together with the
 * config text, so a changed translator or Node never reads old entries; inside a file, entries are
 * keyed by the pattern itself. Only patterns that translated successfully are stored, so a pattern
 * that does not translate is still reported on every run. A missing, unreadable or malformed file
 * is ignored and rewritten; writes are best effort (temp file + rename, no error when the home
 * directory is read-only).
 */

/** Files kept per user: configs being edited leave older files behind. */
const MAX_FILES = 32;

/** The cache file for a config text, or undefined when caching is off or there is no home. */
export function translationCacheFile(configText: string): string | undefined {
  if (process.env.LLMCM_SCAN_CACHE === 'off') return undefined;
  let base = process.env.XDG_CACHE_HOME;
  if (!base) {
    try {
      base = join(homedir(), '.cache');
    } catch {
      return undefined;
    }
  }
  const key = createHash('sha256').update(translatorVersion()).update('\0').update(configText).digest('hex');
  return join(base, 'llmcm', 'scan-regex', `${key.slice(0, 40)}.json`);
}

function isStored(value: unknown): value is StoredTranslation {
  const v = value as StoredTranslation;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.source === 'string' &&
    typeof v.groups === 'number' &&
    Array.isArray(v.names) &&
    Array.isArray(v.warnings) &&
    (v.ascii === null || typeof v.ascii === 'string') &&
    typeof v.maskable === 'boolean' &&
    typeof v.lookaround === 'boolean'
  );
}

/**
 * True for values JSON keeps exactly: strings, finite numbers, booleans, arrays and plain objects
 * of them (a parsed TOML document with dates or big integers is not stored).
 */
export function isJsonSafe(value: unknown): boolean {
  if (typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(isJsonSafe);
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  return Object.values(value).every(isJsonSafe);
}

/** What a cache file holds: translations by pattern, and the parsed TOML of the config text. */
export interface ScanCache {
  translations: Map<string, StoredTranslation>;
  /** The config text's TOML document (only when it is JSON-safe). */
  doc: Record<string, unknown> | undefined;
}

/** The contents of a cache file (empty when there is none or it is malformed). */
export function readTranslationCache(file: string): ScanCache {
  const empty: ScanCache = { translations: new Map(), doc: undefined };
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return empty;
  }
  if (typeof parsed !== 'object' || parsed === null) return empty;
  const { entries, doc } = parsed as { entries?: unknown; doc?: unknown };
  if (!Array.isArray(entries)) return empty;
  const translations = new Map<string, StoredTranslation>();
  for (const entry of entries) {
    if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== 'string') return empty;
    if (!isStored(entry[1])) return empty;
    translations.set(entry[0], entry[1]);
  }
  const validDoc = typeof doc === 'object' && doc !== null && !Array.isArray(doc);
  return { translations, doc: validDoc ? (doc as Record<string, unknown>) : undefined };
}

/** Writes a cache file, best effort; prunes the oldest files beyond MAX_FILES. */
export function writeTranslationCache(
  file: string,
  entries: Map<string, StoredTranslation>,
  doc?: Record<string, unknown>,
): void {
  const dir = join(file, '..');
  const temp = `${file}.${process.pid}.tmp`;
  try {
    // Owner-only: the stored document holds the config's allowlists (stopwords, regexes), which
    // can name real values; the repository that holds the config may be less readable than $HOME.
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const safeDoc = doc !== undefined && isJsonSafe(doc) ? doc : undefined;
    writeFileSync(temp, JSON.stringify({ entries: [...entries], doc: safeDoc }), { mode: 0o600 });
    renameSync(temp, file);
    pruneCache(dir);
  } catch {
    rmSync(temp, { force: true });
  }
}

function pruneCache(dir: string): void {
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  if (files.length <= MAX_FILES) return;
  const byAge = files
    .map((f) => ({ f, t: statSync(join(dir, f)).mtimeMs }))
    .sort((a, b) => a.t - b.t)
    .slice(0, files.length - MAX_FILES);
  for (const { f } of byAge) rmSync(join(dir, f), { force: true });
}
