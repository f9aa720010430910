import { LlmcmError } from '../core/errors.js';
import { type Selection, type SelectionKey, selectionKeys } from './tree.js';

/** One age recipient and the data key (or Shamir share) wrapped for it, ASCII-armored. */
export interface AgeStanza {
  recipient: string;
  enc: string;
}

/** A key group: age entries we can use, and other kinds (pgp, kms, …) kept untouched. */
export interface KeyGroup {
  age: AgeStanza[];
  others: Record<string, unknown[]>;
}

/** The `sops` metadata block, format-neutral. */
export interface SopsMetadata {
  keyGroups: KeyGroup[];
  /** Set only with several key groups. */
  shamirThreshold?: number;
  lastModified: string;
  mac: string;
  selection: Selection;
  macOnlyEncrypted: boolean;
  version: string;
  /** Fields this version does not know, written back as they were. */
  unknown: Record<string, unknown>;
}

/** The sops version written into metadata: the format revision these rules follow. */
export const writtenSopsVersion = '3.13.3';

const scalarFields = new Set([
  'lastmodified',
  'mac',
  'mac_only_encrypted',
  'version',
  'shamir_threshold',
  'key_groups',
  ...selectionKeys,
]);

function metadataError(file: string | undefined, message: string): LlmcmError {
  return new LlmcmError(`invalid sops metadata: ${message}`, {
    code: 'SOPS_BAD_METADATA',
    kind: 'input',
    file,
    hint: 'the `sops` block was edited by hand or truncated; restore it from git',
  });
}

function parseAgeList(value: unknown, file: string | undefined): AgeStanza[] {
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value)) throw metadataError(file, '`age` is not a list');
  return value.map((entry) => {
    const e = entry as Record<string, unknown> | null;
    if (!e || typeof e.recipient !== 'string' || typeof e.enc !== 'string') {
      throw metadataError(file, 'an `age` entry lacks `recipient` or `enc`');
    }
    return { recipient: e.recipient, enc: e.enc };
  });
}

function parseGroup(source: Record<string, unknown>, file: string | undefined, topLevel: boolean): KeyGroup {
  const group: KeyGroup = { age: parseAgeList(source.age, file), others: {} };
  for (const [k, v] of Object.entries(source)) {
    if (k === 'age' || (topLevel && scalarFields.has(k))) continue;
    if (v === null || v === undefined) continue;
    if (Array.isArray(v)) {
      if (v.length > 0) group.others[k] = v;
    } else if (!topLevel) {
      throw metadataError(file, `key group field \`${k}\` is not a list`);
    }
  }
  return group;
}

/** Reads the metadata object (parsed `sops:` value, or unflattened dotenv entries). */
export function parseMetadata(raw: unknown, file?: string): SopsMetadata {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    throw metadataError(file, '`sops` is not a mapping');
  const obj = raw as Record<string, unknown>;
  const str = (k: string): string | undefined => {
    const v = obj[k];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') return v;
    if (v instanceof Date) return v.toISOString().replace(/\.000Z$/, 'Z');
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    throw metadataError(file, `\`${k}\` is not a string`);
  };
  const lastModified = str('lastmodified');
  const mac = str('mac');
  const version = str('version');
  // A missing MAC or timestamp is tampering, not a syntax problem: report it as a decrypt failure.
  const integrity = (what: string) =>
    new LlmcmError(`sops metadata \`${what}\` is missing (the file was tampered with or truncated)`, {
      code: 'SOPS_MAC_MISMATCH',
      kind: 'decrypt',
      file,
      hint: 'restore the file from git',
    });
  if (lastModified === undefined) throw integrity('lastmodified');
  if (mac === undefined) throw integrity('mac');
  const chosen = selectionKeys.filter((k) => {
    const v = str(k);
    return v !== undefined && v !== '';
  });
  if (chosen.length > 1) throw metadataError(file, `more than one of ${chosen.join(', ')} is set`);
  const selection: Selection = chosen[0]
    ? { key: chosen[0] as SelectionKey, value: str(chosen[0])! }
    : { key: 'unencrypted_suffix', value: '_unencrypted' };
  let keyGroups: KeyGroup[];
  if (Array.isArray(obj.key_groups) && obj.key_groups.length > 0) {
    keyGroups = obj.key_groups.map((g) => {
      if (!g || typeof g !== 'object') throw metadataError(file, 'a key group is not a mapping');
      return parseGroup(g as Record<string, unknown>, file, false);
    });
  } else {
    keyGroups = [parseGroup(obj, file, true)];
  }
  const unknown: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (scalarFields.has(k) || k === 'age' || Array.isArray(v) || v === null) continue;
    unknown[k] = v;
  }
  let shamirThreshold: number | undefined;
  if (obj.shamir_threshold !== undefined && obj.shamir_threshold !== null) {
    shamirThreshold = Number(obj.shamir_threshold);
    if (!Number.isInteger(shamirThreshold)) throw metadataError(file, '`shamir_threshold` is not an integer');
  }
  const macOnly = obj.mac_only_encrypted;
  return {
    keyGroups,
    shamirThreshold: keyGroups.length > 1 ? (shamirThreshold ?? keyGroups.length) : undefined,
    lastModified,
    mac,
    selection,
    macOnlyEncrypted: macOnly === true || macOnly === 'true',
    version: version ?? '',
    unknown,
  };
}

function sortObject(obj: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(obj).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function groupObject(group: KeyGroup): Record<string, unknown> {
  const out: Record<string, unknown> = { ...group.others };
  if (group.age.length > 0) out.age = group.age.map((a) => ({ enc: a.enc, recipient: a.recipient }));
  return sortObject(out);
}

/**
 * The metadata as a plain object in one fixed layout: keys in alphabetical order, as sops 3.13
 * writes them (older sops versions read any order), empty lists omitted.
 */
export function serializeMetadata(meta: SopsMetadata): Record<string, unknown> {
  const out: Record<string, unknown> = { ...meta.unknown };
  if (meta.keyGroups.length === 1) Object.assign(out, groupObject(meta.keyGroups[0]!));
  else {
    out.key_groups = meta.keyGroups.map(groupObject);
    out.shamir_threshold = meta.shamirThreshold ?? meta.keyGroups.length;
  }
  out.lastmodified = meta.lastModified;
  out.mac = meta.mac;
  if (meta.macOnlyEncrypted) out.mac_only_encrypted = true;
  out[meta.selection.key] = meta.selection.value;
  out.version = meta.version;
  return sortObject(out);
}

/** Every recipient in the metadata, in group order. */
export function ageRecipientsOf(meta: SopsMetadata): string[] {
  return meta.keyGroups.flatMap((g) => g.age.map((a) => a.recipient));
}

/** True when some group holds key kinds llmcm cannot wrap a new data key for. */
export function hasForeignKeys(meta: SopsMetadata): boolean {
  return meta.keyGroups.some((g) => Object.keys(g.others).length > 0);
}

// dotenv stores the metadata flattened: sops_age__list_0__map_enc=…
const mapSeparator = '__map_';
const listSeparator = '__list_';

/** Flattens the metadata object into dotenv `sops_…` entries (sorted, newlines escaped). */
export function flattenMetadata(obj: Record<string, unknown>): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const visit = (value: unknown, prefix: string) => {
    if (value === null || value === undefined) return;
    if (Array.isArray(value)) {
      value.forEach((v, i) => {
        visit(v, `${prefix}${listSeparator}${i}`);
      });
      return;
    }
    if (typeof value === 'object') {
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        visit(v, prefix === '' ? k : `${prefix}${mapSeparator}${k}`);
      }
      return;
    }
    out.push([`sops_${prefix}`, String(value).replace(/\n/g, '\\n')]);
  };
  visit(obj, '');
  return out.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Rebuilds the metadata object from dotenv `sops_…` entries (keys without the `sops_` prefix). */
export function unflattenMetadata(entries: ReadonlyArray<[string, string]>): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [flatKey, rawValue] of entries) {
    const parts: (string | number)[] = [];
    const re = /__(?:list_(\d+)|map_)/g;
    let last = 0;
    let m: RegExpExecArray | null = re.exec(flatKey);
    let pendingMap = false;
    let first = true;
    while (m) {
      const seg = flatKey.slice(last, m.index);
      if (first) parts.push(seg);
      else if (pendingMap) parts.push(seg);
      first = false;
      if (m[1] !== undefined) {
        parts.push(Number(m[1]));
        pendingMap = false;
      } else pendingMap = true;
      last = re.lastIndex;
      m = re.exec(flatKey);
    }
    const tail = flatKey.slice(last);
    if (first || pendingMap) parts.push(tail);
    let value: unknown = rawValue.replace(/\\n/g, '\n');
    if (parts.length === 1 && parts[0] === 'shamir_threshold') value = Number(value);
    if (parts.length === 1 && parts[0] === 'mac_only_encrypted') value = value === 'true';
    let cursor: Record<string | number, unknown> = root;
    for (let i = 0; i < parts.length - 1; i++) {
      const p = parts[i]!;
      const nextIsIndex = typeof parts[i + 1] === 'number';
      if (cursor[p] === undefined) cursor[p] = nextIsIndex ? [] : {};
      cursor = cursor[p] as Record<string | number, unknown>;
    }
    cursor[parts[parts.length - 1]!] = value;
  }
  return root;
}
