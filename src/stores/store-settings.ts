import { storeConfigError } from './store-errors.js';
import type { StoreConfig } from './types.js';

/** Typed access to a store's settings from llmcm.yaml, with one-line errors naming the setting. */
export class StoreSettings {
  constructor(
    readonly config: StoreConfig,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  get name(): string {
    return this.config.name;
  }

  /** A string setting, or `fallback` when absent. */
  string(key: string, fallback?: string): string | undefined {
    const value = this.config[key];
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'string' || value.length === 0)
      throw storeConfigError(this.name, `setting '${key}' must be a non-empty string`);
    return value;
  }

  /** A string setting that must be present. */
  requireString(key: string, hint?: string): string {
    const value = this.string(key);
    if (value === undefined) throw storeConfigError(this.name, `setting '${key}' is required`, hint);
    return value;
  }

  /** A positive integer setting. */
  integer(key: string, fallback: number): number {
    const value = this.config[key];
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0)
      throw storeConfigError(this.name, `setting '${key}' must be a positive integer`);
    return value;
  }

  /**
   * A secret setting: given inline as `<key>` (tests, local dev) or, better, named by `<key>Env`
   * (the environment variable holding it), so llmcm.yaml never needs to contain it.
   */
  secret(key: string, defaultEnvName?: string): string | undefined {
    const inline = this.string(key);
    if (inline !== undefined) return inline;
    const envName = this.string(`${key}Env`, defaultEnvName);
    if (envName === undefined) return undefined;
    const value = this.env[envName];
    return value && value.length > 0 ? value : undefined;
  }

  /** A secret that must resolve; the error names the environment variable to set, never a value. */
  requireSecret(key: string, defaultEnvName: string): string {
    const value = this.secret(key, defaultEnvName);
    if (value === undefined) {
      const envName = this.string(`${key}Env`, defaultEnvName);
      throw storeConfigError(this.name, `no ${key} configured`, `set ${envName} or the '${key}Env' setting`);
    }
    return value;
  }

  /**
   * Under LLMCM_LOOPBACK_ONLY=1 (set by the test harness) a store refuses any endpoint that is not
   * on the loopback interface, so a mistyped test config can never reach a real service.
   */
  assertEndpointAllowed(url: string): void {
    if (this.env.LLMCM_LOOPBACK_ONLY !== '1') return;
    let host: string;
    try {
      host = new URL(url).hostname;
    } catch {
      throw storeConfigError(this.name, `endpoint '${url}' is not a URL`);
    }
    if (!isLoopbackHost(host))
      throw storeConfigError(
        this.name,
        `endpoint host '${host}' is not loopback and LLMCM_LOOPBACK_ONLY=1`,
        'tests must point stores at 127.0.0.1',
      );
  }
}

/** 127.0.0.0/8, ::1 and localhost. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  return bare === 'localhost' || bare === '::1' || /^127(\.\d{1,3}){3}$/.test(bare);
}
