import { randomBytes } from 'node:crypto';

/**
 * Shamir secret sharing over GF(2^8) with the AES polynomial 0x11B, byte for byte compatible with
 * the HashiCorp Vault implementation sops uses: each share is the y bytes followed by one x byte.
 */

function gfMul(a: number, b: number): number {
  let result = 0;
  let x = a;
  let y = b;
  while (y > 0) {
    if (y & 1) result ^= x;
    x <<= 1;
    if (x & 0x100) x ^= 0x11b;
    y >>= 1;
  }
  return result;
}

function gfInverse(a: number): number {
  if (a === 0) throw new Error('division by zero in GF(2^8)');
  // a^254 = a^-1 in GF(2^8).
  let result = 1;
  let base = a;
  let e = 254;
  while (e > 0) {
    if (e & 1) result = gfMul(result, base);
    base = gfMul(base, base);
    e >>= 1;
  }
  return result;
}

function gfDiv(a: number, b: number): number {
  return gfMul(a, gfInverse(b));
}

/** Splits `secret` into `parts` shares, any `threshold` of which recover it. Share i has x = i + 1. */
export function splitSecret(secret: Uint8Array, parts: number, threshold: number): Uint8Array[] {
  if (threshold < 2 || threshold > 255) throw new Error('shamir threshold must be between 2 and 255');
  if (parts < threshold || parts > 255)
    throw new Error('shamir needs at least as many parts as the threshold');
  const shares = Array.from({ length: parts }, (_, i) => {
    const share = new Uint8Array(secret.length + 1);
    share[secret.length] = i + 1;
    return share;
  });
  for (let byte = 0; byte < secret.length; byte++) {
    const coefficients = new Uint8Array(threshold);
    coefficients[0] = secret[byte]!;
    coefficients.set(randomBytes(threshold - 1), 1);
    for (const share of shares) {
      const x = share[secret.length]!;
      // Horner's rule, highest degree first.
      let y = 0;
      for (let d = threshold - 1; d >= 0; d--) y = gfMul(y, x) ^ coefficients[d]!;
      share[byte] = y;
    }
  }
  return shares;
}

/** Recovers the secret from at least `threshold` shares (Lagrange interpolation at x = 0). */
export function combineShares(shares: readonly Uint8Array[]): Uint8Array {
  if (shares.length < 2) throw new Error('at least two shares are needed');
  const length = shares[0]!.length;
  if (length < 2 || shares.some((s) => s.length !== length)) throw new Error('shares have different lengths');
  const xs = shares.map((s) => s[length - 1]!);
  if (new Set(xs).size !== xs.length) throw new Error('duplicate share');
  const secret = new Uint8Array(length - 1);
  for (let byte = 0; byte < length - 1; byte++) {
    let result = 0;
    for (let i = 0; i < shares.length; i++) {
      let basis = 1;
      for (let j = 0; j < shares.length; j++) {
        if (i === j) continue;
        basis = gfMul(basis, gfDiv(xs[j]!, xs[i]! ^ xs[j]!));
      }
      result ^= gfMul(shares[i]![byte]!, basis);
    }
    secret[byte] = result;
  }
  return secret;
}
