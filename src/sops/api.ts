import type { Document } from 'yaml';
import { LlmcmError } from '../core/errors.js';
import type { AgeIdentities } from './age-keys.js';
import {
  type DecryptOptions,
  decryptBranches,
  decryptText,
  type EncryptionSettings,
  encryptText,
  formatFromPath,
  openEncryptedText,
  recoverDataKey,
  reencryptText,
  verifyMac,
} from './codec.js';
import { type CreationRule, findCreationRule } from './creation-rules.js';
import { readText } from './file-ops.js';
import type { SopsFormat } from './formats/types.js';
import { dropSopsKey, parseYamlFile } from './formats/yaml-format.js';
import { parseMetadata, type SopsMetadata } from './metadata.js';
import { setInPlainText, type TreePath, unsetInPlainText } from './plain-edit.js';

/** Encrypted YAML decrypted in place: node ranges still point into the encrypted source. */
export interface DecryptedYaml {
  /** Parsed from the encrypted text; encrypted scalars hold their typed plaintext; `sops` removed. */
  documents: Document[];
  metadata: SopsMetadata;
  /** JSON pointers (e.g. `/providers/openai/api_key`) of values that were encrypted, all documents. */
  encryptedPointers: Set<string>;
  /** The same, per document. */
  encryptedPointersByDocument: Set<string>[];
}

/**
 * Decrypts a sops YAML text into yaml Documents without re-serialising, MAC verified, so callers
 * can report `file:line:col` of any value in the encrypted file.
 */
export async function decryptYaml(
  text: string,
  options: { file: string; identities: AgeIdentities; ignoreMac?: boolean; onWarning?: (m: string) => void },
): Promise<DecryptedYaml> {
  const parsed = parseYamlFile(text, options.file);
  if (parsed.metadataRaw === undefined) {
    throw new LlmcmError('sops metadata not found: this file is not encrypted', {
      code: 'SOPS_NO_METADATA',
      kind: 'input',
      file: options.file,
    });
  }
  const metadata = parseMetadata(parsed.metadataRaw, options.file);
  const key = await recoverDataKey(metadata, options.identities, options.file);
  const { mac, encryptedPointers } = decryptBranches(parsed, metadata, key, options.file);
  verifyMac(metadata, key, mac, options.file, {
    ignoreMac: options.ignoreMac,
    onWarning: options.onWarning ?? ((m) => process.stderr.write(`${m}\n`)),
  });
  dropSopsKey(parsed.documents);
  const all = new Set<string>();
  for (const set of encryptedPointers) for (const p of set) all.add(p);
  return {
    documents: parsed.documents,
    metadata,
    encryptedPointers: all,
    encryptedPointersByDocument: encryptedPointers,
  };
}

/** Settings from a creation rule, with SOPS_AGE_RECIPIENTS (or explicit recipients) taking precedence. */
export function settingsFor(
  file: string,
  options: {
    recipients?: string[];
    rule?: CreationRule | null;
    env?: NodeJS.ProcessEnv;
    displayFile?: string;
  } = {},
): EncryptionSettings & { rule: CreationRule | null } {
  const rule = options.rule === undefined ? findCreationRule(file) : options.rule;
  const envRecipients = (options.env ?? process.env).SOPS_AGE_RECIPIENTS?.split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const explicit = options.recipients && options.recipients.length > 0 ? options.recipients : envRecipients;
  if (explicit && explicit.length > 0) {
    return {
      keyGroups: [explicit],
      selection: rule?.selection,
      macOnlyEncrypted: rule?.macOnlyEncrypted,
      rule,
    };
  }
  if (!rule) {
    throw new LlmcmError(
      'no recipients: no .sops.yaml creation rule matches this file and SOPS_AGE_RECIPIENTS is unset',
      {
        code: 'SOPS_NO_RECIPIENTS',
        kind: 'config',
        file: options.displayFile ?? file,
        hint: 'add a creation rule with `age: age1…` to .sops.yaml next to the file (or above it)',
      },
    );
  }
  return {
    keyGroups: rule.keyGroups,
    shamirThreshold: rule.shamirThreshold,
    selection: rule.selection,
    macOnlyEncrypted: rule.macOnlyEncrypted,
    rule,
  };
}

/** Reads and decrypts a file (format from its name unless given). */
export async function decryptFile(
  file: string,
  options: Omit<DecryptOptions, 'file'> & { format?: SopsFormat },
): Promise<string> {
  return decryptText(readText(file), { ...options, file, format: options.format ?? formatFromPath(file) });
}

/** Reads and encrypts a plaintext file, using the matching creation rule unless recipients are given. */
export async function encryptFile(
  file: string,
  options: {
    format?: SopsFormat;
    recipients?: string[];
    rule?: CreationRule | null;
    env?: NodeJS.ProcessEnv;
  } = {},
): Promise<string> {
  const settings = settingsFor(file, options);
  return encryptText(readText(file), { ...settings, file, format: options.format ?? formatFromPath(file) });
}

/**
 * Sets one value in an encrypted file's text with the smallest possible diff: the data key is
 * kept, unchanged values keep their ciphertext, the layout is kept. Value is any JSON value.
 */
export async function setValueInEncryptedText(
  text: string,
  path: TreePath,
  value: unknown,
  options: { file: string; identities: AgeIdentities; format?: SopsFormat; ignoreMac?: boolean },
): Promise<string> {
  if (path.length > 0 && path[0] === 'sops') {
    throw new LlmcmError('the top-level `sops` key is reserved for metadata', {
      code: 'SOPS_BAD_PATH',
      kind: 'usage',
    });
  }
  const opened = await openEncryptedText(text, options);
  return reencryptText(
    opened,
    withFile(options.file, () => setInPlainText(opened.plaintext, opened.format, path, value)),
  );
}

/** Runs a plaintext edit, naming the file in a path error that does not name one yet. */
function withFile<T>(file: string, edit: () => T): T {
  try {
    return edit();
  } catch (error) {
    if (error instanceof LlmcmError && error.file === undefined) {
      throw new LlmcmError(error.message, { code: error.code, kind: error.kind, hint: error.hint, file });
    }
    throw error;
  }
}

/** Removes one value from an encrypted file's text (minimal diff, as setValueInEncryptedText). */
export async function unsetValueInEncryptedText(
  text: string,
  path: TreePath,
  options: { file: string; identities: AgeIdentities; format?: SopsFormat; ignoreMac?: boolean },
): Promise<string> {
  const opened = await openEncryptedText(text, options);
  return reencryptText(
    opened,
    withFile(options.file, () => unsetInPlainText(opened.plaintext, opened.format, path)),
  );
}

// Re-exported: it lives in file-ops.ts, which the fast decrypt path loads without the yaml package.
export { readText };
