import { isPlainMap } from '../config/merge.js';
import type { LoadedEnvironment } from '../config/types.js';
import type { Finding } from '../core/findings.js';
import { locationOf, pointerSegments } from './locate.js';

/** The minimum estimated entropy of a secret the project owns (NIST SP 800-63B spirit: 128-bit security). */
export const minimumSecretBits = 128;

// Defaults and placeholders seen in gateway docs and tutorials (LiteLLM's sk-1234 among them), compared
// after lower-casing and dropping separators.
const knownWeak = new Set(
  [
    'sk-1234',
    'sk-12345',
    'changeme',
    'change-me',
    'password',
    'password1',
    'passw0rd',
    'p@ssw0rd',
    'secret',
    'mysecret',
    'supersecret',
    'admin',
    'administrator',
    'root',
    'letmein',
    'default',
    'test',
    'testing',
    'example',
    'qwerty',
    '123456',
    '12345678',
    '123456789',
    'master-key',
    'masterkey',
    'your-api-key',
    'your-secret-key',
    'postgres',
    'token',
    'todo',
    'xxx',
  ].map(normalizeWeak),
);
const weakFragments = [
  'changeme',
  'yourapikey',
  'yoursecret',
  'placeholder',
  'xxxxxxxx',
  'replaceme',
  'insertkey',
];

function normalizeWeak(value: string): string {
  return value.toLowerCase().replace(/[\s_.-]/g, '');
}

/** True for a value that is a known default, placeholder or common password. */
export function isKnownWeakSecret(value: string): boolean {
  const n = normalizeWeak(value);
  return knownWeak.has(n) || weakFragments.some((f) => n.includes(f));
}

// Words that turn up in human-made secrets; each counts as a single character in the estimate.
const commonWords =
  /(password|passwd|secret|admin|welcome|summer|winter|spring|autumn|hello|dragon|monkey|letmein|qwerty|master|value|short|change|test|demo|default|token|key|love|llm|openai|company|prod|staging)/gi;

/**
 * A conservative entropy estimate in bits: length × log2(alphabet), where the alphabet is the union of
 * the character classes used, common words count as one character, a run of 3+ repeated or sequential characters counts once, and a string
 * made of one repeated unit counts as that unit.
 */
export function estimateEntropyBits(value: string): number {
  if (value.length === 0) return 0;
  // A common word adds about as much as one random character, not one per letter.
  const unit = smallestRepeatingUnit(value.replace(commonWords, '\u0001'));
  let pool = 0;
  if (/[0-9]/.test(unit)) pool += 10;
  if (/[a-z]/.test(unit)) pool += 26;
  if (/[A-Z]/.test(unit)) pool += 26;
  if (/[^0-9a-zA-Z]/.test(unit)) pool += 33;
  if (/^[0-9a-f]+$/.test(unit) && /[a-f]/.test(unit) && /[0-9]/.test(unit)) pool = 16;
  if (/^[0-9A-F]+$/.test(unit) && /[A-F]/.test(unit) && /[0-9]/.test(unit)) pool = 16;
  let effective = 0;
  for (let i = 0; i < unit.length; i++) {
    if (i >= 2) {
      const d1 = unit.charCodeAt(i) - unit.charCodeAt(i - 1);
      const d0 = unit.charCodeAt(i - 1) - unit.charCodeAt(i - 2);
      if (d1 === d0 && Math.abs(d1) <= 1) continue;
    }
    effective++;
  }
  return effective * Math.log2(Math.max(pool, 2));
}

function smallestRepeatingUnit(value: string): string {
  for (let size = 1; size <= value.length / 2; size++) {
    if (value.length % size !== 0) continue;
    const unit = value.slice(0, size);
    if (unit.repeat(value.length / size) === value) return unit;
  }
  return value;
}

/** Shapes of provider API keys (checked instead of entropy: the provider generated them). */
export const providerKeyShapes: Record<string, { pattern: RegExp; description: string }> = {
  openai: {
    pattern: /^sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{32,}$/,
    description: 'sk-… or sk-proj-… followed by 32+ characters',
  },
  anthropic: { pattern: /^sk-ant-[A-Za-z0-9_-]{32,}$/, description: 'sk-ant-… followed by 32+ characters' },
  'azure-openai': {
    pattern: /^(?:[0-9a-fA-F]{32}|[A-Za-z0-9]{84})$/,
    description: '32 hex characters (or an 84-character key)',
  },
  groq: { pattern: /^gsk_[A-Za-z0-9]{40,}$/, description: 'gsk_ followed by 40+ characters' },
  mistral: { pattern: /^[A-Za-z0-9]{32}$/, description: '32 letters and digits' },
  cohere: { pattern: /^[A-Za-z0-9]{40}$/, description: '40 letters and digits' },
  vertex: { pattern: /^AIza[0-9A-Za-z_-]{35}$/, description: 'AIza followed by 35 characters' },
};

/**
 * With keys present: secrets the project owns (gateway master key, webhook and signing secrets,
 * passwords) need ≥ 128 bits of estimated entropy and must not be known weak values; provider API keys
 * must match their provider's key shape. Findings never include the value.
 */
export function checkSecretStrength(loaded: LoadedEnvironment): Finding[] {
  if (!loaded.decrypted) return [];
  const findings: Finding[] = [];
  const providers = isPlainMap(loaded.tree.providers) ? loaded.tree.providers : {};
  for (const pointer of loaded.secrets.keys()) {
    const value = valueAt(loaded.tree, pointer);
    if (typeof value !== 'string' || value === '') continue;
    const segments = pointerSegments(pointer);
    const where = locationOf(loaded, pointer);
    if (isKnownWeakSecret(value)) {
      findings.push({
        stage: 'strength',
        ruleId: 'strength/known-weak-secret',
        severity: 'error',
        message: `${pointer}: secret is a known default or placeholder value`,
        ...where,
        hint: `replace it: llmcm secret generate ${where.file ?? 'FILE'} ${segments.slice(1).join('.')}`,
      });
      continue;
    }
    if (segments[0] === 'providers' && segments.length === 3 && segments[2] === 'api_key') {
      const type = String((providers[segments[1]!] as Record<string, unknown> | undefined)?.type ?? '');
      const shape = providerKeyShapes[type];
      if (shape && !shape.pattern.test(value)) {
        findings.push({
          stage: 'strength',
          ruleId: 'strength/provider-key-shape',
          severity: 'error',
          message: `${pointer}: does not look like a ${type} API key (expected ${shape.description})`,
          ...where,
          hint: `paste the key exactly as the ${type} console shows it`,
        });
      }
      continue;
    }
    const secret = segments.at(-1)?.match(/database_?url|dsn/i) ? passwordOfUrl(value) : value;
    if (secret === undefined) continue;
    const bits = estimateEntropyBits(secret);
    if (bits < minimumSecretBits) {
      findings.push({
        stage: 'strength',
        ruleId: 'strength/weak-secret',
        severity: 'error',
        message: `${pointer}: secret has about ${Math.floor(bits)} bits of estimated entropy (minimum ${minimumSecretBits})`,
        ...where,
        hint: `generate a strong one: llmcm secret generate ${where.file ?? 'FILE'} ${segments.slice(1).join('.')}`,
        properties: { estimatedBits: Math.floor(bits) },
      });
    }
  }
  return findings;
}

function passwordOfUrl(value: string): string | undefined {
  try {
    const password = new URL(value).password;
    return password ? decodeURIComponent(password) : undefined;
  } catch {
    return undefined;
  }
}

function valueAt(tree: Record<string, unknown>, pointer: string): unknown {
  let current: unknown = tree;
  for (const segment of pointerSegments(pointer)) {
    if (isPlainMap(current)) current = current[segment];
    else if (Array.isArray(current)) current = current[Number(segment)];
    else return undefined;
  }
  return current;
}
