import { randomBytes } from 'node:crypto';
import { estimateEntropyBits, minimumSecretBits } from './secret-strength.js';

/**
 * A CSPRNG secret of at least `bits` bits, base64url-encoded. Two extra random bytes are added so the
 * conservative strength estimate (which cannot know the value is random) also clears `bits`.
 */
export function generateSecretValue(bits: number): string {
  if (!Number.isInteger(bits) || bits < minimumSecretBits || bits > 4096) {
    throw new RangeError(`bits must be an integer between ${minimumSecretBits} and 4096`);
  }
  for (;;) {
    const value = randomBytes(Math.ceil(bits / 8) + 2).toString('base64url');
    if (estimateEntropyBits(value) >= bits) return value;
  }
}
