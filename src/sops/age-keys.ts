import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { LlmcmError } from '../core/errors.js';
import {
  decryptWithX25519,
  encryptToX25519,
  generateX25519IdentityString,
  parseX25519Identity,
  parseX25519Recipient,
  recipientOfIdentity,
  type X25519Identity,
} from './age-native.js';

/** The age identities found by sops-style discovery. Secrets stay inside; only sources are shown. */
export interface AgeIdentities {
  /** `AGE-SECRET-KEY-1…` strings. Never print these. */
  identities: string[];
  /** Where they came from (env var names, file paths), for messages. */
  sources: string[];
  /** Non-fatal problems met while looking (unreadable file, failing command). */
  problems: string[];
}

/** Extracts identity lines from a keys file: one per line, `#` comments and blank lines ignored. */
export function parseIdentityText(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .filter((l) => /^AGE-SECRET-KEY-(PQ-)?1[0-9A-Z]+$/.test(l));
}

/** The default keys file sops reads: $XDG_CONFIG_HOME/sops/age/keys.txt or ~/.config/sops/age/keys.txt. */
export function defaultAgeKeyFile(env: NodeJS.ProcessEnv): string {
  const base =
    env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME !== ''
      ? env.XDG_CONFIG_HOME
      : join(env.HOME ?? homedir(), '.config');
  return join(base, 'sops', 'age', 'keys.txt');
}

/** A broken key source: exit 3, naming the source (env var, file or command), never key material. */
function keySourceError(source: string, problem: string, hint?: string): LlmcmError {
  return new LlmcmError(`${source}: ${problem}`, {
    code: 'SOPS_KEY_SOURCE',
    kind: 'decrypt',
    hint: hint ?? 'fix or unset it; sops refuses a broken key source too',
  });
}

/**
 * Parses a keys text strictly, as sops does: every line that is not blank or a `#` comment must be
 * an age identity (plugin identities are skipped). The offending line is reported by number only.
 */
function parseIdentitiesStrict(text: string, source: string, allowEmpty = false): string[] {
  const lines = text.split(/\r?\n/);
  const found: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('AGE-PLUGIN-')) continue;
    if (!/^AGE-SECRET-KEY-(PQ-)?1[0-9A-Z]+$/.test(line))
      throw keySourceError(source, `line ${i + 1} is not an age identity`);
    found.push(line);
  }
  if (found.length === 0 && !allowEmpty && !lines.some((l) => l.trim().startsWith('AGE-PLUGIN-')))
    throw keySourceError(source, 'no age identity found');
  return found;
}

/**
 * Collects age identities the way sops does, combining every source rather than stopping at the
 * first: SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD and the default keys file.
 * A source that is configured but broken (unreadable file, garbage, failing command) is an error
 * (kind 'decrypt'), as in sops: silently running with fewer keys hides the mistake. Only the default
 * keys file may be absent.
 */
export async function loadAgeIdentities(env: NodeJS.ProcessEnv): Promise<AgeIdentities> {
  const result: AgeIdentities = { identities: [], sources: [], problems: [] };
  const add = (found: string[], source: string) => {
    if (found.length > 0) {
      result.identities.push(...found);
      result.sources.push(source);
    }
  };
  if (env.SOPS_AGE_KEY) add(parseIdentitiesStrict(env.SOPS_AGE_KEY, 'SOPS_AGE_KEY'), 'SOPS_AGE_KEY');
  if (env.SOPS_AGE_KEY_FILE) {
    const file = env.SOPS_AGE_KEY_FILE;
    const source = `SOPS_AGE_KEY_FILE ${file}`;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw keySourceError(
        source,
        `cannot read the keys file (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`,
      );
    }
    add(parseIdentitiesStrict(text, source), file);
  }
  if (env.SOPS_AGE_KEY_CMD) {
    // Loaded only here: node:child_process pulls in node:net, a measurable part of start-up.
    const { spawnSync } = await import('node:child_process');
    const run = spawnSync('/bin/sh', ['-c', env.SOPS_AGE_KEY_CMD], {
      env,
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 30_000,
    });
    // The command text is the user's own configuration, not key material: name it (shortened).
    const source = `SOPS_AGE_KEY_CMD '${env.SOPS_AGE_KEY_CMD.slice(0, 80)}'`;
    if (run.error || run.status !== 0) {
      const why = run.error
        ? ((run.error as NodeJS.ErrnoException).code ?? 'could not run')
        : run.signal
          ? `killed by ${run.signal}`
          : `exit status ${run.status}`;
      throw keySourceError(source, `the command failed (${why})`);
    }
    add(parseIdentitiesStrict(run.stdout.toString('utf8'), source), 'SOPS_AGE_KEY_CMD');
  }
  const defaultFile = defaultAgeKeyFile(env);
  let defaultText: string | undefined;
  try {
    defaultText = readFileSync(defaultFile, 'utf8');
  } catch (error) {
    // The default file is optional: only its absence is silent.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR')
      throw keySourceError(defaultFile, `cannot read the default keys file (${code ?? 'unreadable'})`);
  }
  if (defaultText !== undefined) add(parseIdentitiesStrict(defaultText, defaultFile, true), defaultFile);
  result.identities = [...new Set(result.identities)];
  return result;
}

/** Identities from an explicit list of identity strings (tests, library callers). */
export function ageIdentitiesFrom(identities: string[], source = 'explicit'): AgeIdentities {
  return { identities: [...identities], sources: [source], problems: [] };
}

type AgeModule = typeof import('age-encryption');
let ageModule: Promise<AgeModule> | undefined;
/** age-encryption is loaded on first use so that commands that never touch keys start fast. */
function loadAge(): Promise<AgeModule> {
  ageModule ??= import('age-encryption');
  return ageModule;
}

/** Throws an LlmcmError unless `recipient` is an age recipient this build can encrypt to. */
export async function assertValidRecipient(recipient: string, file?: string): Promise<void> {
  if (parseX25519Recipient(recipient)) return;
  const age = await loadAge();
  try {
    new age.Encrypter().addRecipient(recipient);
  } catch {
    const kind = recipient.startsWith('ssh-')
      ? 'ssh recipients are not supported'
      : 'not a valid age recipient';
    throw new LlmcmError(`invalid recipient '${recipient.slice(0, 80)}': ${kind}`, {
      code: 'SOPS_BAD_RECIPIENT',
      kind: 'config',
      file,
      hint: 'recipients look like age1…; check .sops.yaml or SOPS_AGE_RECIPIENTS',
    });
  }
}

/** Wraps data-key bytes for one recipient as an armored age file (ends with a newline). */
export async function wrapForRecipient(recipient: string, secret: Uint8Array): Promise<string> {
  const x25519 = parseX25519Recipient(recipient);
  if (x25519) return encryptToX25519(x25519, secret);
  const age = await loadAge();
  const encrypter = new age.Encrypter();
  encrypter.addRecipient(recipient);
  return age.armor.encode(await encrypter.encrypt(secret));
}

/** Tries to unwrap an armored age file with the identities; null when none of them matches. */
const parsedIdentities = new WeakMap<AgeIdentities, { x25519: X25519Identity[]; others: string[] }>();

function splitIdentities(ids: AgeIdentities): { x25519: X25519Identity[]; others: string[] } {
  let split = parsedIdentities.get(ids);
  if (!split) {
    split = { x25519: [], others: [] };
    for (const id of ids.identities) {
      const parsed = parseX25519Identity(id);
      if (parsed) split.x25519.push(parsed);
      else split.others.push(id);
    }
    parsedIdentities.set(ids, split);
  }
  return split;
}

export async function unwrapWithIdentities(enc: string, ids: AgeIdentities): Promise<Uint8Array | null> {
  if (ids.identities.length === 0) return null;
  const split = splitIdentities(ids);
  if (split.x25519.length > 0) {
    try {
      const native = decryptWithX25519(enc, split.x25519);
      if (native) return native;
    } catch {
      return null;
    }
  }
  // Only identities the native path cannot use need the age-encryption library.
  if (split.others.length === 0) return null;
  const age = await loadAge();
  let file: Uint8Array;
  try {
    file = age.armor.decode(enc);
  } catch {
    return null;
  }
  const decrypter = new age.Decrypter();
  for (const id of split.others) {
    try {
      decrypter.addIdentity(id);
    } catch {
      // An identity kind this library cannot use: skip it.
    }
  }
  try {
    return await decrypter.decrypt(file);
  } catch {
    return null;
  }
}

/** A new X25519 identity and its recipient. */
export async function generateAgeIdentity(): Promise<{ identity: string; recipient: string }> {
  const identity = generateX25519IdentityString();
  return { identity, recipient: recipientOfIdentity(parseX25519Identity(identity)!) };
}
