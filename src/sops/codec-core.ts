import { createHash, createSecretKey } from 'node:crypto';
import { extname } from 'node:path';
import { LlmcmError } from '../core/errors.js';
import { type AgeIdentities, unwrapWithIdentities } from './age-keys.js';
import { EnvelopeError, openValue, sealValue } from './envelope.js';
import type { ParsedFile, SopsFormat } from './formats/types.js';
import { formatGoTime, parseRfc3339 } from './go-format.js';
import { ageRecipientsOf, type SopsMetadata } from './metadata.js';
import { shouldBeEncrypted } from './selection.js';
import { combineShares } from './shamir.js';
import { aadOf, type Selection, walkBranches } from './tree.js';
import { checkPlainValue, macBytesOf } from './values.js';

// The codec's yaml-free core: key recovery, the decrypt/encrypt walks and the MAC check. Kept apart
// from codec.ts (which holds the yaml package's CST parser) so that a plain decrypt of a simple
// file can run without loading the yaml package (see fast-decrypt.ts).

// sha256("sops"): the MAC starts with these bytes when mac_only_encrypted is set (sops.go).
const macOnlyEncryptedInit = createHash('sha256').update('sops').digest();

/** Picks the format from the file name: .json → json, .env → dotenv, anything else → yaml. */
export function formatFromPath(file: string): SopsFormat {
  const ext = extname(file).toLowerCase();
  if (ext === '.json') return 'json';
  if (ext === '.env' || file.endsWith('.env') || /(^|[/\\])\.env(\.|$)/.test(file)) return 'dotenv';
  return 'yaml';
}

export function decryptError(
  file: string | undefined,
  code: string,
  message: string,
  hint?: string,
): LlmcmError {
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
