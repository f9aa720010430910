import { createHmac, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * A keyed fingerprint of a secret value: HMAC-SHA256 under a project key, truncated.
 * It lets reports say "changed" and lets two fingerprints be compared, without ever exposing the
 * value or allowing an offline dictionary attack by someone who only sees reports (the key is
 * not in the reports). The path is mixed in so equal values at different paths do not correlate.
 */
export function keyedFingerprint(key: Uint8Array, path: string, value: string | Uint8Array): string {
  const mac = createHmac('sha256', key);
  mac.update(path);
  mac.update('\0');
  mac.update(value);
  return `fp:${mac.digest('hex').slice(0, 16)}`;
}

/**
 * The fingerprint key: `LLMCM_FINGERPRINT_KEY` (hex or any text) when set, otherwise a random key
 * kept in `keyFile` (created with mode 0600 on first use; by default under `.git/llmcm/`, so it is
 * never committed).
 */
export function resolveFingerprintKey(env: NodeJS.ProcessEnv, keyFile: string): Uint8Array {
  const fromEnv = env.LLMCM_FINGERPRINT_KEY;
  if (fromEnv && fromEnv.length > 0) return Buffer.from(fromEnv, 'utf8');
  try {
    return Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'hex');
  } catch {
    const key = randomBytes(32);
    mkdirSync(dirname(keyFile), { recursive: true });
    writeFileSync(keyFile, `${key.toString('hex')}\n`, { mode: 0o600 });
    return key;
  }
}
