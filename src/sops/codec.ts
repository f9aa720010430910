import { createHash, createSecretKey, randomBytes } from 'node:crypto';
import { extname } from 'node:path';
import { LlmcmError } from '../core/errors.js';
import {
  type AgeIdentities,
  assertValidRecipient,
  unwrapWithIdentities,
  wrapForRecipient,
} from './age-keys.js';
import type { CreationRule } from './creation-rules.js';
import { EnvelopeError, openValue, sealValue } from './envelope.js';
import { parseDotenvFile } from './formats/dotenv-format.js';
import type { ParsedFile, SopsFormat } from './formats/types.js';
import { FastPathUnsupported, parseSimpleYaml } from './formats/yaml-fast.js';
import { parseYamlFile } from './formats/yaml-format.js';
import { formatGoTime, formatLastModified, parseRfc3339 } from './go-format.js';
import {
  ageRecipientsOf,
  type KeyGroup,
  parseMetadata,
  type SopsMetadata,
  serializeMetadata,
  writtenSopsVersion,
} from './metadata.js';
import { shouldBeEncrypted } from './selection.js';
import { combineShares, splitSecret } from './shamir.js';
import { aadOf, type Selection, walkBranches } from './tree.js';
import { checkPlainValue, macBytesOf } from './values.js';

// sha256("sops"): the MAC starts with these bytes when mac_only_encrypted is set (sops.go).
const macOnlyEncryptedInit = createHash('sha256').update('sops').digest();

/** Picks the format from the file name: .json → json, .env → dotenv, anything else → yaml. */
export function formatFromPath(file: string): SopsFormat {
  const ext = extname(file).toLowerCase();
  if (ext === '.json') return 'json';
  if (ext === '.env' || file.endsWith('.env') || /(^|[/\\])\.env(\.|$)/.test(file)) return 'dotenv';
  return 'yaml';
}

/** Parses text in the given format into sops branches (no decryption). */
export function parseSopsText(text: string, format: SopsFormat, file?: string): ParsedFile {
  if (format === 'dotenv') return parseDotenvFile(text, file);
  return parseYamlFile(text, file, format === 'json' ? 'json' : 'yaml');
}

/**
 * parseSopsText with the line-based fast path for simple YAML (see yaml-fast.ts). Only for
 * callers that retry with `fast = false` when a leaf update throws FastPathUnsupported.
 */
function parseForCodec(
  text: string,
  format: SopsFormat,
  file: string | undefined,
  fast: boolean,
): ParsedFile {
  if (fast && format === 'yaml') {
    const simple = parseSimpleYaml(text);
    if (simple) return simple;
  }
  return parseSopsText(text, format, file);
}

/** Runs `op` on the fast path, and again on the full parser if the fast path cannot write a value. */
async function withFastPath<T>(op: (fast: boolean) => Promise<T>): Promise<T> {
  try {
    return await op(true);
  } catch (error) {
    if (error instanceof FastPathUnsupported) return op(false);
    throw error;
  }
}

function decryptError(file: string | undefined, code: string, message: string, hint?: string): LlmcmError {
  return new LlmcmError(message, { code, kind: 'decrypt', file, hint });
}

function pointerString(pointer: readonly (string | number)[]): string {
  return pointer.length === 0
    ? '/'
    : pointer.map((p) => `/${String(p).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

/** The AAD sops uses for the MAC: lastmodified re-formatted as RFC 3339 (whole seconds). */
function macAad(lastModified: string, file?: string): string {
  const t = parseRfc3339(lastModified);
  if (!t) {
    throw decryptError(
      file,
      'SOPS_BAD_LASTMODIFIED',
      'sops metadata `lastmodified` is not an RFC 3339 time (tampered?)',
    );
  }
  return formatGoTime({ ...t, nanos: 0 });
}

/** Reads and validates the `sops` metadata; null when the file has none. */
export function readSopsMetadata(text: string, format: SopsFormat, file?: string): SopsMetadata | null {
  const parsed = parseSopsText(text, format, file);
  return parsed.metadataRaw === undefined ? null : parseMetadata(parsed.metadataRaw, file);
}

/** True when the text carries a `sops` metadata block. */
export function hasSopsMetadata(text: string, format: SopsFormat, file?: string): boolean {
  return parseSopsText(text, format, file).metadataRaw !== undefined;
}

/** Recovers the 32-byte data key from the key groups (Shamir when there are several). */
export async function recoverDataKey(
  meta: SopsMetadata,
  identities: AgeIdentities,
  file?: string,
): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for (const group of meta.keyGroups) {
    for (const stanza of group.age) {
      const part = await unwrapWithIdentities(stanza.enc, identities);
      if (part) {
        parts.push(part);
        break;
      }
    }
  }
  const recipients = ageRecipientsOf(meta);
  const fail = () => {
    const where = identities.sources.length > 0 ? identities.sources.join(', ') : 'none found';
    return decryptError(
      file,
      'SOPS_NO_IDENTITY',
      `no age identity can decrypt this file (recipients: ${recipients.join(', ') || 'none'}; identities from: ${where})`,
      'set SOPS_AGE_KEY_FILE, SOPS_AGE_KEY or SOPS_AGE_KEY_CMD to an identity of one of the recipients',
    );
  };
  if (meta.keyGroups.length <= 1) {
    const key = parts[0];
    if (!key) throw fail();
    if (key.length !== 32)
      throw decryptError(file, 'SOPS_BAD_DATA_KEY', 'the wrapped data key is not 32 bytes');
    return Buffer.from(key);
  }
  const threshold = meta.shamirThreshold ?? meta.keyGroups.length;
  if (parts.length < threshold) {
    const err = fail();
    err.message = `${err.message}; ${parts.length} of the ${threshold} key groups needed could be opened`;
    throw err;
  }
  const key = combineShares(parts);
  if (key.length !== 32)
    throw decryptError(file, 'SOPS_BAD_DATA_KEY', 'the Shamir-combined data key is not 32 bytes');
  return Buffer.from(key);
}

/** IVs of decrypted values keyed by (AAD, type, plaintext), so unchanged values re-encrypt identically. */
export type IvStash = Map<string, Buffer>;

function stashKey(aad: string, type: string, text: string): string {
  return `${aad}\u0000${type}\u0000${text}`;
}

export interface DecryptWalkResult {
  mac: string;
  encryptedPointers: Array<Set<string>>;
}

/**
 * Decrypts every selected leaf in place (leaf.update) and returns the MAC computed over the
 * plaintexts, sops-exact. Throws on any value that is not a valid envelope for its path.
 */
export function decryptBranches(
  parsed: ParsedFile,
  meta: SopsMetadata,
  key: Buffer,
  file: string | undefined,
  stash?: IvStash,
  options: { pointers?: boolean } = {},
): DecryptWalkResult {
  const hash = createHash('sha512');
  if (meta.macOnlyEncrypted) hash.update(macOnlyEncryptedInit);
  // One KeyObject for every value: createDecipheriv then skips re-importing the raw key each time.
  const keyObject = createSecretKey(key);
  // Pointers cost a string per value; only decryptYaml's callers use them.
  const wantPointers = options.pointers !== false;
  const encryptedPointers = parsed.branches.map(() => new Set<string>());
  parsed.branches.forEach((branch, index) => {
    walkBranches([branch], ({ leaf, path, commentsStack }) => {
      const isComment = leaf.kind === 'comment';
      const encrypted = shouldBeEncrypted(meta.selection, path, commentsStack, isComment);
      if (leaf.kind === 'comment') {
        if (!encrypted || leaf.text === '') return;
        // sops keeps a comment that does not decrypt (written in clear by an older version).
        const candidates = [aadOf(path), ...path.map((_, i) => aadOf(path.slice(0, path.length - 1 - i)))];
        // Writers may attach comments to a different block (yaml.v3 quirks): then try every block's path.
        const tryAll = function* () {
          yield* new Set(candidates);
          yield* allAadsOf(branch).filter((a) => !candidates.includes(a));
        };
        for (const aad of tryAll()) {
          try {
            const opened = openValue(keyObject, leaf.text, aad);
            leaf.update({ kind: 'comment', text: opened.text });
            stash?.set(stashKey(aad, 'comment', opened.text), opened.iv);
            return;
          } catch {
            // try the next candidate path
          }
        }
        return;
      }
      // Built only for an error message: a template per value is measurable on large files.
      const where = () => `value at ${pointerString(leaf.pointer)}${leaf.line ? ` (line ${leaf.line})` : ''}`;
      if (encrypted) {
        if (leaf.value.type !== 'str') {
          throw decryptError(
            file,
            'SOPS_NOT_ENCRYPTED',
            `${where()} should be encrypted but is a clear ${leaf.value.type}`,
          );
        }
        if (leaf.value.text === '') return; // sops stores "" unencrypted; it hashes as nothing.
        const aad = aadOf(path);
        let opened: ReturnType<typeof openValue>;
        try {
          opened = openValue(keyObject, leaf.value.text, aad);
        } catch (error) {
          const reason =
            error instanceof EnvelopeError && error.reason === 'malformed'
              ? `is not a valid sops envelope (${error.message})`
              : 'failed authentication (tampered, moved to another key, or encrypted with another data key)';
          throw decryptError(
            file,
            'SOPS_VALUE_TAMPERED',
            `${where()} ${reason}`,
            'restore the file from git',
          );
        }
        if (opened.type === 'comment') {
          leaf.update({ kind: 'comment', text: opened.text });
          stash?.set(stashKey(aad, 'comment', opened.text), opened.iv);
          return;
        }
        const plain = checkPlainValue(opened.type, opened.text);
        if (!plain) {
          throw decryptError(
            file,
            'SOPS_BAD_TYPE',
            `${where()} has an invalid type or does not parse as ${opened.type}`,
          );
        }
        const bytes = macBytesOf(plain);
        hash.update(bytes, 'utf8');
        stash?.set(stashKey(aad, plain.type, bytes), opened.iv);
        if (wantPointers) encryptedPointers[index]!.add(pointerString(leaf.pointer));
        leaf.update({ kind: 'plain', value: plain });
        return;
      }
      if (!meta.macOnlyEncrypted) hash.update(macBytesOf(leaf.value), 'utf8');
    });
  });
  return { mac: hash.digest('hex').toUpperCase(), encryptedPointers };
}

const allAadsCache = new WeakMap<object, string[]>();
/** Every mapping path of a branch as an AAD (computed once, only when a comment needs it). */
function allAadsOf(branch: ParsedFile['branches'][number]): string[] {
  let aads = allAadsCache.get(branch);
  if (!aads) {
    const set = new Set<string>([':']);
    walkBranches([branch], ({ path }) => {
      for (let i = 1; i <= path.length; i++) set.add(aadOf(path.slice(0, i)));
    });
    aads = [...set];
    allAadsCache.set(branch, aads);
  }
  return aads;
}

/** Encrypts every selected leaf in place; returns the MAC over the plaintexts. */
export function encryptBranches(
  parsed: ParsedFile,
  selection: Selection,
  macOnlyEncrypted: boolean,
  key: Buffer,
  stash?: IvStash,
): string {
  const hash = createHash('sha512');
  if (macOnlyEncrypted) hash.update(macOnlyEncryptedInit);
  const keyObject = createSecretKey(key);
  walkBranches(parsed.branches, ({ leaf, path, commentsStack }) => {
    const isComment = leaf.kind === 'comment';
    const encrypted = shouldBeEncrypted(selection, path, commentsStack, isComment);
    const aad = aadOf(path);
    if (leaf.kind === 'comment') {
      if (!encrypted || leaf.text === '') return;
      const iv = stash?.get(stashKey(aad, 'comment', leaf.text));
      leaf.update({ kind: 'encrypted', envelope: sealValue(keyObject, leaf.text, 'comment', aad, iv) });
      return;
    }
    const bytes = macBytesOf(leaf.value);
    if (!macOnlyEncrypted || encrypted) hash.update(bytes, 'utf8');
    if (!encrypted) return;
    if (leaf.value.type === 'str' && leaf.value.text === '') return;
    const type = leaf.value.type === 'bytes' ? 'str' : leaf.value.type;
    const iv = stash?.get(stashKey(aad, leaf.value.type, bytes));
    leaf.update({ kind: 'encrypted', envelope: sealValue(keyObject, bytes, type, aad, iv) });
  });
  return hash.digest('hex').toUpperCase();
}

/** Checks the stored MAC against the computed one; with ignoreMac a mismatch only warns. */
export function verifyMac(
  meta: SopsMetadata,
  key: Buffer,
  computed: string,
  file: string | undefined,
  options: { ignoreMac?: boolean; onWarning?: (message: string) => void } = {},
): void {
  let stored: string | undefined;
  let problem: string | undefined;
  try {
    const opened = openValue(key, meta.mac, macAad(meta.lastModified, file));
    if (opened.type !== 'str') throw new Error('mac type');
    stored = opened.text;
  } catch (error) {
    if (error instanceof LlmcmError) problem = error.message;
    else problem = 'the MAC does not decrypt (the `mac` or `lastmodified` field was changed)';
  }
  if (problem === undefined && stored !== computed) {
    problem =
      'MAC mismatch: the file was modified outside sops/llmcm (a value, its order, or a list item changed)';
  }
  if (problem === undefined) return;
  if (options.ignoreMac) {
    options.onWarning?.(`WARNING: ${file ?? 'input'}: ${problem}; continuing because of --ignore-mac`);
    return;
  }
  throw decryptError(
    file,
    'SOPS_MAC_MISMATCH',
    problem,
    'restore the file from git, or re-encrypt it deliberately',
  );
}

/** Options shared by the decrypting entry points. */
export interface DecryptOptions {
  format?: SopsFormat;
  file: string;
  identities: AgeIdentities;
  ignoreMac?: boolean;
  /** Called with loud warnings (e.g. MAC ignored). Defaults to process.stderr. */
  onWarning?: (message: string) => void;
}

function warnDefault(message: string): void {
  process.stderr.write(`${message}\n`);
}

function requireMetadata(parsed: ParsedFile, file: string): SopsMetadata {
  if (parsed.metadataRaw === undefined) {
    throw new LlmcmError('sops metadata not found: this file is not encrypted', {
      code: 'SOPS_NO_METADATA',
      kind: 'input',
      file,
      hint: `encrypt it first with 'llmcm encrypt -i ${file}'`,
    });
  }
  return parseMetadata(parsed.metadataRaw, file);
}

/** A decrypted file held open for re-encryption with the same data key and minimal diffs. */
export interface OpenedSopsFile {
  format: SopsFormat;
  file: string;
  /** The original encrypted text. */
  encryptedText: string;
  plaintext: string;
  metadata: SopsMetadata;
  dataKey: Buffer;
  stash: IvStash;
}

/** Decrypts (MAC verified) and keeps what is needed to write the file back with minimal changes. */
export async function openEncryptedText(text: string, options: DecryptOptions): Promise<OpenedSopsFile> {
  return withFastPath((fast) => openText(text, options, true, fast));
}

async function openText(
  text: string,
  options: DecryptOptions,
  keepIvs: boolean,
  fast: boolean,
): Promise<OpenedSopsFile> {
  const format = options.format ?? formatFromPath(options.file);
  const parsed = parseForCodec(text, format, options.file, fast);
  const metadata = requireMetadata(parsed, options.file);
  const dataKey = await recoverDataKey(metadata, options.identities, options.file);
  // The IV stash is only needed to write the file back; a plain decrypt skips building it.
  const stash: IvStash = new Map();
  const { mac } = decryptBranches(parsed, metadata, dataKey, options.file, keepIvs ? stash : undefined, {
    pointers: false,
  });
  verifyMac(metadata, dataKey, mac, options.file, {
    ignoreMac: options.ignoreMac,
    onWarning: options.onWarning ?? warnDefault,
  });
  return {
    format,
    file: options.file,
    encryptedText: text,
    plaintext: parsed.render(null),
    metadata,
    dataKey,
    stash,
  };
}

/** Decrypts a whole file to plaintext text in the same format, MAC verified. */
export async function decryptText(text: string, options: DecryptOptions): Promise<string> {
  return (await withFastPath((fast) => openText(text, options, false, fast))).plaintext;
}

function assertNoSopsKey(parsed: ParsedFile, file: string): void {
  if (parsed.metadataRaw !== undefined) {
    throw new LlmcmError('the file already has sops metadata (it is already encrypted)', {
      code: 'SOPS_ALREADY_ENCRYPTED',
      kind: 'input',
      file,
      hint: 'decrypt it first, or use `llmcm edit` / `llmcm set`',
    });
  }
}

function sealMetadata(meta: SopsMetadata, key: Buffer, mac: string, now: Date): SopsMetadata {
  const lastModified = formatLastModified(now);
  return {
    ...meta,
    lastModified,
    mac: sealValue(key, mac, 'str', lastModified),
    version: writtenSopsVersion,
  };
}

/**
 * Re-encrypts edited plaintext with the opened file's data key: values whose (path, plaintext)
 * did not change keep their exact ciphertext. Unchanged plaintext returns the original text.
 */
export async function reencryptText(
  opened: OpenedSopsFile,
  plaintext: string,
  now = new Date(),
): Promise<string> {
  if (plaintext === opened.plaintext) return opened.encryptedText;
  const parsed = parseSopsText(plaintext, opened.format, opened.file);
  assertNoSopsKey(parsed, opened.file);
  const mac = encryptBranches(
    parsed,
    opened.metadata.selection,
    opened.metadata.macOnlyEncrypted,
    opened.dataKey,
    opened.stash,
  );
  return parsed.render(serializeMetadata(sealMetadata(opened.metadata, opened.dataKey, mac, now)));
}

/** Who a file is encrypted for and how its values are selected. */
export interface EncryptionSettings {
  /** Recipients per key group; one group unless Shamir is wanted. */
  keyGroups: string[][];
  shamirThreshold?: number;
  selection?: Selection;
  macOnlyEncrypted?: boolean;
}

/** Wraps a data key for the groups (Shamir-splitting it over several groups). */
export async function buildKeyGroups(
  dataKey: Buffer,
  groups: string[][],
  shamirThreshold: number | undefined,
  file?: string,
  preserved: KeyGroup[] = [],
): Promise<{ keyGroups: KeyGroup[]; shamirThreshold?: number }> {
  const nonEmpty = groups.filter((g) => g.length > 0);
  if (nonEmpty.length === 0) {
    throw new LlmcmError('no recipients to encrypt for', {
      code: 'SOPS_NO_RECIPIENTS',
      kind: 'config',
      file,
      hint: 'add a creation rule with `age:` to .sops.yaml, or set SOPS_AGE_RECIPIENTS',
    });
  }
  for (const group of nonEmpty) for (const r of group) await assertValidRecipient(r, file);
  let parts: Uint8Array[];
  let threshold: number | undefined;
  if (nonEmpty.length === 1) parts = [dataKey];
  else {
    threshold = shamirThreshold ?? nonEmpty.length;
    if (threshold < 2 || threshold > nonEmpty.length) {
      throw new LlmcmError(
        `shamir_threshold ${threshold} must be between 2 and the number of key groups (${nonEmpty.length})`,
        {
          code: 'SOPS_BAD_THRESHOLD',
          kind: 'config',
          file,
        },
      );
    }
    parts = splitSecret(dataKey, nonEmpty.length, threshold);
  }
  const keyGroups: KeyGroup[] = [];
  for (let i = 0; i < nonEmpty.length; i++) {
    const age = [];
    for (const recipient of nonEmpty[i]!)
      age.push({ recipient, enc: await wrapForRecipient(recipient, parts[i]!) });
    keyGroups.push({ age, others: preserved[i]?.others ?? {} });
  }
  return { keyGroups, shamirThreshold: threshold };
}

/**
 * Options for encrypting plaintext: explicit key groups, or `recipients` (one group), or a resolved
 * creation `rule` (its groups, threshold and selection settings). Explicit fields win over the rule.
 */
export interface EncryptOptions extends Partial<EncryptionSettings> {
  format?: SopsFormat;
  file: string;
  recipients?: string[];
  rule?: CreationRule | null;
  now?: Date;
}

/** Encrypts plaintext text for the given recipients/rule; layout of the plaintext is kept. */
export async function encryptText(plaintext: string, options: EncryptOptions): Promise<string> {
  return withFastPath((fast) => encryptWith(plaintext, options, fast));
}

async function encryptWith(plaintext: string, options: EncryptOptions, fast: boolean): Promise<string> {
  const format = options.format ?? formatFromPath(options.file);
  const parsed = parseForCodec(plaintext, format, options.file, fast);
  assertNoSopsKey(parsed, options.file);
  const dataKey = randomBytes(32);
  const rule = options.rule ?? undefined;
  const keyGroups =
    options.keyGroups ?? (options.recipients ? [options.recipients] : (rule?.keyGroups ?? []));
  const threshold = options.shamirThreshold ?? rule?.shamirThreshold;
  const groups = await buildKeyGroups(dataKey, keyGroups, threshold, options.file);
  const selection = options.selection ??
    rule?.selection ?? { key: 'unencrypted_suffix', value: '_unencrypted' };
  const macOnlyEncrypted = (options.macOnlyEncrypted ?? rule?.macOnlyEncrypted) === true;
  const mac = encryptBranches(parsed, selection, macOnlyEncrypted, dataKey);
  const meta: SopsMetadata = {
    keyGroups: groups.keyGroups,
    shamirThreshold: groups.shamirThreshold,
    lastModified: '',
    mac: '',
    selection,
    macOnlyEncrypted,
    version: writtenSopsVersion,
    unknown: {},
  };
  return parsed.render(serializeMetadata(sealMetadata(meta, dataKey, mac, options.now ?? new Date())));
}

/**
 * Re-wraps the data key for new key groups (updatekeys) or replaces it (rotate). Values are
 * untouched by updatekeys; rotate re-encrypts every value under a fresh key.
 */
export async function rewrapText(
  text: string,
  options: DecryptOptions & { settings: EncryptionSettings; rotate?: boolean; now?: Date },
): Promise<string> {
  const opened = await openEncryptedText(text, options);
  const preserved = opened.metadata.keyGroups;
  if (options.rotate) {
    if (preserved.some((g) => Object.keys(g.others).length > 0)) {
      throw new LlmcmError(
        'cannot rotate: the file also has non-age keys (pgp/kms/…) that llmcm cannot wrap',
        {
          code: 'SOPS_FOREIGN_KEYS',
          kind: 'config',
          file: options.file,
          hint: 'rotate it with sops, or remove those keys from .sops.yaml first',
        },
      );
    }
    const dataKey = randomBytes(32);
    const groups = await buildKeyGroups(
      dataKey,
      options.settings.keyGroups,
      options.settings.shamirThreshold,
      options.file,
    );
    const parsed = parseSopsText(opened.plaintext, opened.format, opened.file);
    const mac = encryptBranches(parsed, opened.metadata.selection, opened.metadata.macOnlyEncrypted, dataKey);
    const meta = { ...opened.metadata, keyGroups: groups.keyGroups, shamirThreshold: groups.shamirThreshold };
    return parsed.render(serializeMetadata(sealMetadata(meta, dataKey, mac, options.now ?? new Date())));
  }
  const wantedGroups = options.settings.keyGroups.filter((g) => g.length > 0).length;
  if (wantedGroups !== preserved.length && preserved.some((g) => Object.keys(g.others).length > 0)) {
    // A pgp/kms entry wraps this file's key (or share); it cannot follow a change of key groups.
    throw new LlmcmError('cannot change the key groups of a file that also has non-age keys (pgp/kms/…)', {
      code: 'SOPS_FOREIGN_KEYS',
      kind: 'config',
      file: options.file,
      hint: 'run `sops updatekeys` for this file, or remove those keys first',
    });
  }
  const groups = await buildKeyGroups(
    opened.dataKey,
    options.settings.keyGroups,
    options.settings.shamirThreshold,
    options.file,
    preserved,
  );
  // Values stay byte-identical: only the key groups in the metadata change.
  const parsed = parseSopsText(text, opened.format, opened.file);
  const meta = { ...opened.metadata, keyGroups: groups.keyGroups, shamirThreshold: groups.shamirThreshold };
  return parsed.render(serializeMetadata(meta));
}

/** Recipients currently in a file's metadata, grouped (for updatekeys' "already up to date" check). */
export function recipientGroupsOf(meta: SopsMetadata): string[][] {
  return meta.keyGroups.map((g) => g.age.map((a) => a.recipient));
}
