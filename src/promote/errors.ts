import { LlmcmError, type LlmcmErrorOptions } from '../core/errors.js';
import { ExitCode, type ExitCodeValue } from '../core/exit-codes.js';

/**
 * A promotion refused because a check found something: the source does not pass `check`, the policy
 * gate denies, or a store holds values llmcm did not write (drift). These are findings, so exit 1.
 */
export class PromotionRefusedError extends LlmcmError {
  /** Value-free reasons, one per line in the CLI output. */
  readonly reasons: string[];
  /** The record commit of the refused attempt, once it is recorded. */
  record: string | null = null;
  constructor(message: string, reasons: string[], options: Omit<LlmcmErrorOptions, 'kind'>) {
    super(message, { ...options, kind: 'input' });
    this.reasons = reasons;
  }

  override get exitCode(): ExitCodeValue {
    return ExitCode.findings;
  }
}
