import { createCipheriv, createDecipheriv, type KeyObject, randomBytes } from 'node:crypto';

/** The four parts of `ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]`, still base64-encoded. */
export interface SopsEnvelope {
  data: string;
  iv: string;
  tag: string;
  type: string;
}

// The reader sops uses (aes/cipher.go): anchored at the start only, greedy groups.
const envelopePattern = /^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]/s;
// Same result for every well-formed envelope (base64 has no commas), without the backtracking.
const fastEnvelopePattern = /^ENC\[AES256_GCM,data:([^,]+),iv:([^,]+),tag:([^,]+),type:([^\],]+)\]/;

/** Splits a sops value envelope into its parts, or null when the string is not one. */
export function parseEnvelope(value: string): SopsEnvelope | null {
  if (!value.startsWith('ENC[')) return null;
  const m = fastEnvelopePattern.exec(value) ?? envelopePattern.exec(value);
  if (!m) return null;
  return { data: m[1]!, iv: m[2]!, tag: m[3]!, type: m[4]! };
}

/** True when the string looks like a sops-encrypted value. */
export function isEncryptedValue(value: string): boolean {
  return parseEnvelope(value) !== null;
}

/** Why an envelope could not be opened; callers turn it into an LlmcmError naming the file. */
export class EnvelopeError extends Error {
  constructor(
    message: string,
    readonly reason: 'malformed' | 'auth',
  ) {
    super(message);
    this.name = 'EnvelopeError';
  }
}

// Canonical padded base64: the alphabet, then `=`/`==` only where the last group needs it, with
// the unused bits of the last character zero (one `=`: 2 bits, `==`: 4 bits).
const canonicalBase64 =
  /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/][AQgw]==|[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=)?$/;

function decodeBase64(part: string, what: string): Buffer {
  // Canonical encodings only: Node's decoder skips invalid characters and ignores padding bits,
  // so a changed character could otherwise decode to the same bytes. One regex test replaces
  // re-encoding and comparing (three per value).
  if (!canonicalBase64.test(part)) throw new EnvelopeError(`invalid base64 in ${what}`, 'malformed');
  return Buffer.from(part, 'base64');
}

// IVs come from a pooled CSPRNG buffer: one randomBytes call per 256 values instead of one each.
let ivPool = Buffer.alloc(0);
let ivOffset = 0;
function nextIv(): Buffer {
  if (ivOffset + 32 > ivPool.length) {
    ivPool = randomBytes(32 * 256);
    ivOffset = 0;
  }
  const iv = Buffer.from(ivPool.subarray(ivOffset, ivOffset + 32));
  // Never hand out the same bytes twice.
  ivPool.fill(0, ivOffset, ivOffset + 32);
  ivOffset += 32;
  return iv;
}

/** AES-256-GCM encryption of one value, as sops does it (32-byte IV, detached 16-byte tag). */
export function sealValue(
  key: Uint8Array | KeyObject,
  plaintext: string,
  type: string,
  aad: string,
  iv?: Uint8Array,
): string {
  const nonce = iv ?? nextIv();
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return `ENC[AES256_GCM,data:${data.toString('base64')},iv:${Buffer.from(nonce).toString('base64')},tag:${tag.toString('base64')},type:${type}]`;
}

/** The opened value: its declared type, plaintext and the IV (kept for minimal-diff re-encryption). */
export interface OpenedValue {
  type: string;
  text: string;
  iv: Buffer;
}

/** Decrypts an envelope string; throws EnvelopeError (never containing plaintext) on any failure. */
export function openValue(key: Uint8Array | KeyObject, value: string, aad: string): OpenedValue {
  const env = parseEnvelope(value);
  if (!env) throw new EnvelopeError('not a sops envelope (truncated or malformed)', 'malformed');
  const data = decodeBase64(env.data, 'data');
  const iv = decodeBase64(env.iv, 'iv');
  const tag = decodeBase64(env.tag, 'tag');
  if (iv.length === 0) throw new EnvelopeError('empty iv', 'malformed');
  if (tag.length !== 16) throw new EnvelopeError('tag is not 16 bytes', 'malformed');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(tag);
    const head = decipher.update(data);
    const tail = decipher.final();
    return {
      type: env.type,
      text: (tail.length === 0 ? head : Buffer.concat([head, tail])).toString('utf8'),
      iv,
    };
  } catch {
    throw new EnvelopeError('authentication failed (tampered value or wrong key/path)', 'auth');
  }
}
