/**
 * Key names that hold secrets. The same list is the `encrypted_regex` of this repo's .sops.yaml, so
 * what looks secret is what sops encrypts.
 */
export const secretKeyPattern =
  /^(?:.*[_-])?(?:api_?key|token|password|passwd|secret|private_?key|master_?key|salt_?key|signing_?key|access_?key|credentials?|dsn|database_?url)$/i;

/** True when a mapping key looks like it holds a secret (api_key, token, password, webhook_secret, ...). */
export function isSecretLookingKey(key: string): boolean {
  return secretKeyPattern.test(key);
}

/** A value that points at a secret instead of holding it (`os.environ/VAR`, `${VAR}`, `env:VAR`). */
export function isSecretReference(value: string): boolean {
  return /^(?:os\.environ\/[A-Za-z_][A-Za-z0-9_]*|\$\{[A-Za-z_][A-Za-z0-9_]*\}|env:[A-Za-z_][A-Za-z0-9_]*)$/.test(
    value,
  );
}
