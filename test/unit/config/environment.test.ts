import { describe, expect, it } from 'vitest';
import {
  flattenForStore,
  loadEnvironment,
  loadProject,
  renderEnvironment,
  secretKeys,
} from '../../../src/config/index.js';
import { LlmcmError } from '../../../src/core/errors.js';
import { projectRoot } from '../../support/tools.js';

describe('loadEnvironment on the example repo (keyless)', async () => {
  const project = await loadProject(projectRoot);
  const prod = await loadEnvironment(project, 'prod');

  it('merges the base layer under prod with provenance per value', () => {
    const models = prod.tree.models as Record<
      string,
      { params: Record<string, number>; limits: Record<string, number> }
    >;
    expect(models['gpt-4o']!.params).toEqual({ temperature: 0.1, max_tokens: 2048 });
    expect(prod.provenance.get('/models/gpt-4o/params/temperature')?.layer).toBe('prod');
    expect(prod.provenance.get('/models/gpt-4o/params/max_tokens')?.layer).toBe('_base');
    expect(prod.files.map((f) => f.file)).toContain('environments/_base/models.yaml');
  });

  it('knows which values are encrypted and keeps them as envelopes without keys', () => {
    expect(prod.decrypted).toBe(false);
    expect(prod.secrets.get('/providers/openai/api_key')).toBe('str');
    expect(String((prod.tree.providers as Record<string, Record<string, string>>).openai!.api_key)).toMatch(
      /^ENC\[AES256_GCM,/,
    );
    expect(secretKeys(prod)).toEqual([
      'gateway.database_url',
      'gateway.master_key',
      'gateway.signing_key',
      'gateway.webhook_secret',
      'providers.anthropic.api_key',
      'providers.openai.api_key',
    ]);
  });

  it('refuses to flatten ciphertext for a store', () => {
    expect(() => flattenForStore(prod)).toThrow(LlmcmError);
  });

  it('renders LiteLLM with secrets as os.environ references', () => {
    const out = renderEnvironment(prod, 'litellm');
    expect(out).toContain('model: openai/gpt-4o-2024-08-06');
    expect(out).toContain('api_key: os.environ/PROVIDERS_OPENAI_API_KEY');
    expect(out).toContain('master_key: os.environ/GATEWAY_MASTER_KEY');
    expect(out).not.toContain('ENC[');
    expect(out).toContain('budget_duration: 1mo');
  });

  it('renders Portkey configs per route with strategy and targets', () => {
    const out = JSON.parse(renderEnvironment(prod, 'portkey')) as {
      configs: Record<
        string,
        { strategy: { mode: string }; targets: { provider: string; weight?: number }[] }
      >;
    };
    expect(out.configs.chat!.strategy.mode).toBe('fallback');
    expect(out.configs.summarize!.targets.map((t) => [t.provider, t.weight])).toEqual([
      ['openai', 3],
      ['anthropic', 1],
    ]);
  });

  it('renders .env lines with secret references', () => {
    const out = renderEnvironment(prod, 'env');
    expect(out).toContain(`PROVIDERS_OPENAI_API_KEY="\${PROVIDERS_OPENAI_API_KEY}"`);
    expect(out).toContain('MODELS_GPT_4O_PARAMS_TEMPERATURE=0.1');
  });

  it('drops models an environment does not allow from gateway renders', async () => {
    const dev = await loadEnvironment(project, 'dev');
    expect(renderEnvironment(dev, 'litellm')).toContain('model_name: llama-local');
    expect(renderEnvironment(prod, 'litellm')).not.toContain('llama-local');
  });
});

describe('render never prints a secret committed in clear', async () => {
  const project = await loadProject(projectRoot);
  const prod = await loadEnvironment(project, 'prod');
  // The same environment, but with the OpenAI key committed as plaintext (check reports it as an error;
  // render must still not print it).
  const canary = 'sk-CANARYclearTextValue0123456789';
  const tree = structuredClone(prod.tree) as { providers: Record<string, Record<string, unknown>> };
  tree.providers.openai!.api_key = canary;
  const secrets = new Map(prod.secrets);
  secrets.delete('/providers/openai/api_key');
  const leaky = { ...prod, tree, secrets };

  it.each(['json', 'env', 'litellm', 'portkey'] as const)('%s references it instead', (format) => {
    const out = renderEnvironment(leaky, format);
    expect(out).not.toContain('CANARY');
  });

  it('still prints ordinary values and secret references as they are', () => {
    const out = renderEnvironment(leaky, 'json');
    expect(out).toContain('"temperature": 0.1');
  });
});
