/**
 * The exit-code contract of every `llmcm` command (documented in README.md, "Exit codes").
 * Scripts and CI rely on these numbers; never reuse one for a different meaning.
 */
export const ExitCode = {
  /** The command did what it was asked and found nothing wrong. */
  ok: 0,
  /** The command ran and reports findings (schema, policy, leaks, drift). */
  findings: 1,
  /** Usage error, bad configuration or bad input (malformed YAML, unknown environment, ...). */
  usage: 2,
  /** A key or decryption problem: no identity can decrypt, MAC mismatch, tampered value. */
  decrypt: 3,
  /** A backend store was unreachable, refused a write, or a lock is held. */
  store: 4,
  /** A bug in llmcm: please report it (run again with --debug for the stack trace). */
  internal: 70,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];
