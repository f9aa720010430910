import { randomBytes } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { LlmcmError } from '../core/errors.js';
import { type AgeIdentities, assertValidRecipient, wrapForRecipient } from './age-keys.js';
import {
  decryptBranches,
  encryptBranches,
  formatFromPath,
  type IvStash,
  recoverDataKey,
  verifyMac,
} from './codec-core.js';
import type { CreationRule } from './creation-rules.js';
import { sealValue } from './envelope.js';
import { parseDotenvFile } from './formats/dotenv-format.js';
import { keepSopsBlockLayout } from './formats/sops-block-layout.js';
import type { ParsedFile, SopsFormat } from './formats/types.js';
import { FastPathUnsupported, parseSimpleYaml } from './formats/yaml-fast.js';
import { parseYamlFile, renderYamlMetadata } from './formats/yaml-format.js';
import { formatLastModified } from './go-format.js';
import {
  type KeyGroup,
  parseMetadata,
  type SopsMetadata,
  serializeMetadata,
  writtenSopsVersion,
} from './metadata.js';
import { splitSecret } from './shamir.js';
import type { Selection } from './tree.js';

export {
  type DecryptWalkResult,
  decryptBranches,
  encryptBranches,
  formatFromPath,
  type IvStash,
  recoverDataKey,
  verifyMac,
} from './codec-core.js';

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
    const simple = parseSimpleYaml(text, yamlHooks);
    if (simple) return simple;
  }
  return parseSopsText(text, format, file);
}

const yamlHooks = {
  parseYaml: (text: string) => parseYaml(text, { uniqueKeys: true, logLevel: 'error' as const }),
  renderMetadata: renderYamlMetadata,
};

/** Runs `op` on the fast path, and again on the full parser if the fast path cannot write a value. */
async function withFastPath<T>(op: (fast: boolean) => Promise<T>): Promise<T> {
  try {
    return await op(true);
  } catch (error) {
    if (error instanceof FastPathUnsupported) return op(false);
    throw error;
  }
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
  return withFastPath(async (fast) => {
    const parsed = parseForCodec(plaintext, opened.format, opened.file, fast);
    assertNoSopsKey(parsed, opened.file);
    const mac = encryptBranches(
      parsed,
      opened.metadata.selection,
      opened.metadata.macOnlyEncrypted,
      opened.dataKey,
      opened.stash,
    );
    const rendered = parsed.render(
      serializeMetadata(sealMetadata(opened.metadata, opened.dataKey, mac, now)),
    );
    return opened.format === 'yaml' ? keepSopsBlockLayout(opened.encryptedText, rendered) : rendered;
  });
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
    const meta = { ...opened.metadata, keyGroups: groups.keyGroups, shamirThreshold: groups.shamirThreshold };
    return withFastPath(async (fast) => {
      const parsed = parseForCodec(opened.plaintext, opened.format, opened.file, fast);
      const mac = encryptBranches(
        parsed,
        opened.metadata.selection,
        opened.metadata.macOnlyEncrypted,
        dataKey,
      );
      return parsed.render(serializeMetadata(sealMetadata(meta, dataKey, mac, options.now ?? new Date())));
    });
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
  const meta = { ...opened.metadata, keyGroups: groups.keyGroups, shamirThreshold: groups.shamirThreshold };
  return withFastPath(async (fast) =>
    parseForCodec(text, opened.format, opened.file, fast).render(serializeMetadata(meta)),
  );
}

/** Recipients currently in a file's metadata, grouped (for updatekeys' "already up to date" check). */
export function recipientGroupsOf(meta: SopsMetadata): string[][] {
  return meta.keyGroups.map((g) => g.age.map((a) => a.recipient));
}
