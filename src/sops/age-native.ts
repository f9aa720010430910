import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  hkdfSync,
  type KeyObject,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';

/**
 * age v1 with X25519 recipients on node:crypto only (https://age-encryption.org/v1). sops wraps a
 * 32-byte data key per recipient; doing that natively avoids loading the age-encryption library
 * (and its pure-JS curve and post-quantum code) on the CLI's hot path. Other recipient kinds
 * (post-quantum hybrid, tags, plugins) go through the age-encryption library instead.
 */

const bech32Charset = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const generator = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];

function polymod(values: number[]): number {
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= generator[i]!;
  }
  return chk;
}

function hrpExpand(hrp: string): number[] {
  const out: number[] = [];
  for (const c of hrp) out.push(c.charCodeAt(0) >>> 5);
  out.push(0);
  for (const c of hrp) out.push(c.charCodeAt(0) & 31);
  return out;
}

function convertBits(data: number[], from: number, to: number, pad: boolean): number[] | undefined {
  let acc = 0;
  let bits = 0;
  const out: number[] = [];
  const max = (1 << to) - 1;
  for (const v of data) {
    acc = (acc << from) | v;
    bits += from;
    while (bits >= to) {
      bits -= to;
      out.push((acc >>> bits) & max);
    }
  }
  if (pad) {
    if (bits > 0) out.push((acc << (to - bits)) & max);
  } else if (bits >= from || ((acc << (to - bits)) & max) !== 0) return undefined;
  return out;
}

/** Decodes a bech32 string (age keys are bech32, not bech32m); undefined when invalid. */
export function decodeBech32(text: string): { hrp: string; data: Buffer } | undefined {
  if (text !== text.toLowerCase() && text !== text.toUpperCase()) return undefined;
  const s = text.toLowerCase();
  const pos = s.lastIndexOf('1');
  if (pos < 1 || pos + 7 > s.length) return undefined;
  const hrp = s.slice(0, pos);
  const values: number[] = [];
  for (const c of s.slice(pos + 1)) {
    const v = bech32Charset.indexOf(c);
    if (v < 0) return undefined;
    values.push(v);
  }
  if (polymod([...hrpExpand(hrp), ...values]) !== 1) return undefined;
  const bytes = convertBits(values.slice(0, -6), 5, 8, false);
  return bytes ? { hrp, data: Buffer.from(bytes) } : undefined;
}

function encodeBech32(hrp: string, data: Uint8Array): string {
  const values = convertBits([...data], 8, 5, true)!;
  const chk = polymod([...hrpExpand(hrp), ...values, 0, 0, 0, 0, 0, 0]) ^ 1;
  const checksum = Array.from({ length: 6 }, (_, i) => (chk >>> (5 * (5 - i))) & 31);
  return `${hrp}1${[...values, ...checksum].map((v) => bech32Charset[v]).join('')}`;
}

// JWK import is an order of magnitude faster than DER in Node's OpenSSL binding (~30 µs vs ~300 µs).
function privateKeyFromRaw(raw: Uint8Array): KeyObject {
  // `x` must be present for the import; the public key is re-derived from `d` by publicRawOf.
  return createPrivateKey({
    key: { kty: 'OKP', crv: 'X25519', d: Buffer.from(raw).toString('base64url'), x: zeroX },
    format: 'jwk',
  });
}
const zeroX = Buffer.alloc(32).toString('base64url');

const publicKeyCache = new Map<string, KeyObject>();
function publicKeyFromRaw(raw: Uint8Array): KeyObject {
  const x = Buffer.from(raw).toString('base64url');
  let key = publicKeyCache.get(x);
  if (!key) {
    key = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x }, format: 'jwk' });
    if (publicKeyCache.size > 1000) publicKeyCache.clear();
    publicKeyCache.set(x, key);
  }
  return key;
}

function rawPublicOf(key: KeyObject): Buffer {
  const jwk = createPublicKey(key).export({ format: 'jwk' }) as { x: string };
  return Buffer.from(jwk.x, 'base64url');
}

/** The 32-byte X25519 public key of an `age1…` recipient, or undefined for other kinds. */
export function parseX25519Recipient(recipient: string): Buffer | undefined {
  if (!recipient.startsWith('age1') || recipient.startsWith('age1pq') || recipient.startsWith('age1tag'))
    return undefined;
  const decoded = decodeBech32(recipient);
  return decoded && decoded.hrp === 'age' && decoded.data.length === 32 ? decoded.data : undefined;
}

/** A parsed `AGE-SECRET-KEY-1…` identity, or undefined for other kinds. */
export interface X25519Identity {
  privateKey: KeyObject;
  publicRaw: Buffer;
}

export function parseX25519Identity(identity: string): X25519Identity | undefined {
  if (!identity.startsWith('AGE-SECRET-KEY-1')) return undefined;
  const decoded = decodeBech32(identity);
  if (decoded?.hrp !== 'age-secret-key-' || decoded.data.length !== 32) return undefined;
  const privateKey = privateKeyFromRaw(decoded.data);
  return { privateKey, publicRaw: rawPublicOf(privateKey) };
}

/** The recipient string of an X25519 identity. */
export function recipientOfIdentity(identity: X25519Identity): string {
  return encodeBech32('age', identity.publicRaw);
}

/** A new X25519 identity string. */
export function generateX25519IdentityString(): string {
  return encodeBech32('age-secret-key-', randomBytes(32)).toUpperCase();
}

const rawB64 = (b: Uint8Array) => Buffer.from(b).toString('base64').replace(/=+$/, '');
const x25519Label = 'age-encryption.org/v1/X25519';
const chunkSize = 64 * 1024;

function hkdf(ikm: Uint8Array, salt: Uint8Array, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', ikm, salt, info, 32));
}

function chachaSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array): Buffer {
  const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  return Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
}

function chachaOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array): Buffer | undefined {
  if (sealed.length < 16) return undefined;
  try {
    const d = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
    d.setAuthTag(sealed.subarray(sealed.length - 16));
    return Buffer.concat([d.update(sealed.subarray(0, sealed.length - 16)), d.final()]);
  } catch {
    return undefined;
  }
}

function streamNonce(counter: number, last: boolean): Buffer {
  const n = Buffer.alloc(12);
  n.writeUIntBE(counter, 5, 6);
  n[11] = last ? 1 : 0;
  return n;
}

function armor(bytes: Buffer): string {
  const b64 = bytes.toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN AGE ENCRYPTED FILE-----\n${lines.join('\n')}\n-----END AGE ENCRYPTED FILE-----\n`;
}

function dearmor(text: string): Buffer | undefined {
  const m =
    /^\s*-----BEGIN AGE ENCRYPTED FILE-----\r?\n([\s\S]*?)\r?\n-----END AGE ENCRYPTED FILE-----\s*$/.exec(
      text,
    );
  if (!m) return undefined;
  const b64 = m[1]!.replace(/\r?\n/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) return undefined;
  return Buffer.from(b64, 'base64');
}

/** Encrypts `plaintext` to one X25519 recipient as an armored age file. */
export function encryptToX25519(recipientRaw: Buffer, plaintext: Uint8Array): string {
  const fileKey = randomBytes(16);
  // The ephemeral key is 32 random bytes (X25519 clamps any scalar), as age does it. Not
  // generateKeyPairSync: on Node 20.20 a GC that collects its KeyGenJob during a JWK export can
  // deadlock the process (seen once in ~800 encrypts: main thread waiting on a mutex in ~KeyGenJob).
  const ephemeral = privateKeyFromRaw(randomBytes(32));
  const ephemeralRaw = rawPublicOf(ephemeral);
  const shared = diffieHellman({ privateKey: ephemeral, publicKey: publicKeyFromRaw(recipientRaw) });
  const wrapKey = hkdf(shared, Buffer.concat([ephemeralRaw, recipientRaw]), x25519Label);
  const body = chachaSeal(wrapKey, Buffer.alloc(12), fileKey);
  const headerNoMac = `age-encryption.org/v1\n-> X25519 ${rawB64(ephemeralRaw)}\n${rawB64(body)}\n---`;
  const mac = createHmac('sha256', hkdf(fileKey, Buffer.alloc(0), 'header'))
    .update(headerNoMac)
    .digest();
  const nonce = randomBytes(16);
  const payloadKey = hkdf(fileKey, nonce, 'payload');
  const chunks: Buffer[] = [];
  const count = Math.max(1, Math.ceil(plaintext.length / chunkSize));
  for (let i = 0; i < count; i++) {
    const part = plaintext.subarray(i * chunkSize, (i + 1) * chunkSize);
    chunks.push(chachaSeal(payloadKey, streamNonce(i, i === count - 1), part));
  }
  return armor(Buffer.concat([Buffer.from(`${headerNoMac} ${rawB64(mac)}\n`), nonce, ...chunks]));
}

interface ParsedAgeFile {
  stanzas: Array<{ type: string; args: string[]; body: Buffer }>;
  headerNoMac: string;
  mac: Buffer;
  payload: Buffer;
}

function decodeRawB64(s: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]*$/.test(s)) return undefined;
  return Buffer.from(s, 'base64');
}

function parseAgeFile(bytes: Buffer): ParsedAgeFile | undefined {
  const lines: string[] = [];
  let offset = 0;
  for (;;) {
    const nl = bytes.indexOf(0x0a, offset);
    if (nl < 0) return undefined;
    const line = bytes.subarray(offset, nl).toString('latin1');
    offset = nl + 1;
    lines.push(line);
    if (line.startsWith('--- ')) break;
    if (lines.length > 1000) return undefined;
  }
  if (lines[0] !== 'age-encryption.org/v1') return undefined;
  const stanzas: ParsedAgeFile['stanzas'] = [];
  let i = 1;
  while (i < lines.length - 1) {
    const line = lines[i]!;
    if (!line.startsWith('-> ')) return undefined;
    const [type, ...args] = line.slice(3).split(' ');
    i++;
    const bodyParts: string[] = [];
    for (;;) {
      const b = lines[i];
      if (b === undefined || i >= lines.length - 1) return undefined;
      bodyParts.push(b);
      i++;
      if (b.length < 64) break;
    }
    const body = decodeRawB64(bodyParts.join(''));
    if (!type || !body) return undefined;
    stanzas.push({ type, args, body });
  }
  const macLine = lines[lines.length - 1]!;
  const mac = decodeRawB64(macLine.slice(4));
  if (mac?.length !== 32) return undefined;
  const headerText = bytes.subarray(0, offset).toString('latin1');
  const headerNoMac = headerText.slice(0, headerText.length - macLine.length - 1) + '---';
  return { stanzas, headerNoMac, mac, payload: bytes.subarray(offset) };
}

/**
 * Decrypts an armored age file with X25519 identities. Returns undefined when no identity
 * matches; throws when a matching file is corrupt (bad MAC or payload).
 */
export function decryptWithX25519(
  armored: string,
  identities: readonly X25519Identity[],
): Buffer | undefined {
  const bytes = dearmor(armored);
  if (!bytes) return undefined;
  const file = parseAgeFile(bytes);
  if (!file) return undefined;
  let fileKey: Buffer | undefined;
  for (const stanza of file.stanzas) {
    if (stanza.type !== 'X25519' || stanza.args.length !== 1 || stanza.body.length !== 32) continue;
    const share = decodeRawB64(stanza.args[0]!);
    if (share?.length !== 32) continue;
    for (const id of identities) {
      let shared: Buffer;
      try {
        shared = diffieHellman({ privateKey: id.privateKey, publicKey: publicKeyFromRaw(share) });
      } catch {
        continue;
      }
      if (shared.every((b) => b === 0)) continue;
      const wrapKey = hkdf(shared, Buffer.concat([share, id.publicRaw]), x25519Label);
      fileKey = chachaOpen(wrapKey, Buffer.alloc(12), stanza.body);
      if (fileKey) break;
    }
    if (fileKey) break;
  }
  if (fileKey?.length !== 16) return undefined;
  const expected = createHmac('sha256', hkdf(fileKey, Buffer.alloc(0), 'header'))
    .update(file.headerNoMac, 'latin1')
    .digest();
  if (!timingSafeEqual(expected, file.mac)) throw new Error('age header MAC mismatch');
  if (file.payload.length < 16 + 16) throw new Error('age payload truncated');
  const payloadKey = hkdf(fileKey, file.payload.subarray(0, 16), 'payload');
  const body = file.payload.subarray(16);
  const out: Buffer[] = [];
  const sealedChunk = chunkSize + 16;
  const count = Math.max(1, Math.ceil(body.length / sealedChunk));
  for (let i = 0; i < count; i++) {
    const part = body.subarray(i * sealedChunk, (i + 1) * sealedChunk);
    const opened = chachaOpen(payloadKey, streamNonce(i, i === count - 1), part);
    if (!opened) throw new Error('age payload authentication failed');
    out.push(opened);
  }
  return Buffer.concat(out);
}
