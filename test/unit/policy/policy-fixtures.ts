import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPolicyEngine, type PolicyEngine } from '../../../src/policy/index.js';
import { projectRoot } from '../../support/tools.js';

/** A production config that passes every rule (mirrors policies/rego/llmcm/fixtures_test.rego). */
export function goodProdConfig(): Record<string, unknown> {
  return {
    providers: {
      openai: { type: 'openai', base_url: 'https://api.openai.com/v1', api_key: { $secret: 'encrypted' } },
    },
    models: {
      'gpt-4o': {
        provider: 'openai',
        model: 'gpt-4o-2024-08-06',
        params: { temperature: 0.2, top_p: 1, max_tokens: 1024 },
        limits: { rpm: 100, tpm: 1000 },
        cost: { input_per_1k: 0.0025, output_per_1k: 0.01 },
      },
      'gpt-4o-mini': {
        provider: 'openai',
        model: 'gpt-4o-mini-2024-07-18',
        params: { temperature: 0.3 },
        limits: { rpm: 100, tpm: 1000 },
      },
    },
    routing: {
      routes: { chat: { strategy: 'single', targets: [{ model: 'gpt-4o' }] } },
      fallbacks: { general: { 'gpt-4o': ['gpt-4o-mini'] } },
    },
    budgets: { environment: { limit_usd: 1000 }, teams: { support: { limit_usd: 500 } } },
    prompts: { answer: { version: 3, template: 'x' } },
    flags: { streaming: { enabled: true }, debug_logging: { enabled: false } },
    gateway: { master_key: { $secret: 'encrypted' } },
  };
}

/** A `change` input for one environment with the given config. */
export function changeInput(
  env: string,
  config: Record<string, unknown>,
  extra: Record<string, unknown> = {},
) {
  return { now: '2026-11-27T10:00:00Z', action: 'change', config: { [env]: config }, ...extra };
}

/** A promotion input into prod from staging. */
export function promoteInput(actor: string, approvers: string[], now = '2026-11-27T10:00:00Z') {
  return {
    now,
    action: 'promote',
    actor: { id: actor },
    approvals: approvers.map((by) => ({ by, at: '2026-11-26T09:00:00Z' })),
    environment: 'prod',
    source_environment: 'staging',
    config: {},
  };
}

/** A scratch folder for decision logs. */
export function scratchDir(prefix = 'llmcm-policy-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** The engine over this repo's committed bundle (Node alone), logging into a scratch file. */
export async function loadRepoEngine(decisionLog: string | false = false): Promise<PolicyEngine> {
  return loadPolicyEngine({ root: projectRoot, decisionLog, env: { PATH: '' } });
}
