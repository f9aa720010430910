import { stringify } from 'yaml';
import { isSecretLookingKey, isSecretReference } from '../core/secret-keys.js';
import { flattenTree, isSecretLeaf, secretVariableName, stringifyLeaf } from './flatten.js';
import { isPlainMap } from './merge.js';
import type { LoadedEnvironment } from './types.js';
import { escapePointerSegment } from './yaml-source.js';

/** Output formats of `llmcm render`. */
export type RenderFormat = 'json' | 'env' | 'litellm' | 'portkey';

/** Options of `renderEnvironment`. */
export interface RenderOptions {
  /**
   * How secret values appear. `reference` (default): an environment-variable reference
   * (`os.environ/PROVIDERS_OPENAI_API_KEY` for LiteLLM, `${VAR}` elsewhere). `keep`: the value held in the
   * tree — the ENC[...] envelope when keys are absent, the plaintext only when decrypted.
   */
  secrets?: 'reference' | 'keep';
}

type Dict = Record<string, unknown>;

/** Renders an environment to a gateway config or a flat format. Secrets are referenced unless asked otherwise. */
export function renderEnvironment(
  loaded: LoadedEnvironment,
  format: RenderFormat,
  options: RenderOptions = {},
): string {
  const mode = options.secrets ?? 'reference';
  const secretOf = (pointer: string, value: unknown, style: 'litellm' | 'shell'): unknown => {
    // A value under a secret-looking key is treated as a secret even when it was committed in clear
    // (check reports that as an error): render must never be the place where it gets printed.
    if (!isSecretLeaf(loaded, pointer) && !looksLikeClearSecret(pointer, value)) return value;
    if (mode === 'keep') return value;
    const name = secretVariableName(pointer);
    return style === 'litellm' ? `os.environ/${name}` : `\${${name}}`;
  };
  switch (format) {
    case 'json':
      return `${JSON.stringify(
        mapSecrets(loaded.tree, '', (p, v) => secretOf(p, v, 'shell')),
        null,
        2,
      )}\n`;
    case 'env':
      return renderDotenv(loaded, (p, v) => secretOf(p, v, 'shell'));
    case 'litellm':
      return stringify(
        renderLiteLlm(loaded, (p, v) => secretOf(p, v, 'litellm')),
        { lineWidth: 0 },
      );
    case 'portkey':
      return `${JSON.stringify(
        renderPortkey(loaded, (p, v) => secretOf(p, v, 'shell')),
        null,
        2,
      )}\n`;
  }
}

function looksLikeClearSecret(pointer: string, value: unknown): boolean {
  if (typeof value !== 'string' || value === '' || isSecretReference(value)) return false;
  const key = pointer
    .slice(pointer.lastIndexOf('/') + 1)
    .replace(/~1/g, '/')
    .replace(/~0/g, '~');
  return isSecretLookingKey(key);
}

function mapSecrets(value: unknown, pointer: string, secret: (p: string, v: unknown) => unknown): unknown {
  if (isPlainMap(value)) {
    const out: Dict = {};
    for (const [k, v] of Object.entries(value))
      out[k] = mapSecrets(v, `${pointer}/${escapePointerSegment(k)}`, secret);
    return out;
  }
  if (Array.isArray(value)) {
    const replaced = secret(pointer, value);
    return replaced !== value ? replaced : value;
  }
  return secret(pointer, value);
}

function renderDotenv(loaded: LoadedEnvironment, secret: (p: string, v: unknown) => unknown): string {
  const lines = flattenTree(loaded.tree).map((e) => {
    const name = secretVariableName(e.pointer);
    const value = stringifyLeaf(secret(e.pointer, e.value));
    return `${name}=${/^[A-Za-z0-9_./:@+-]*$/.test(value) ? value : JSON.stringify(value)}`;
  });
  return lines.length ? `${lines.join('\n')}\n` : '';
}

const litellmPrefix: Record<string, string> = {
  openai: 'openai',
  'azure-openai': 'azure',
  anthropic: 'anthropic',
  bedrock: 'bedrock',
  vertex: 'vertex_ai',
  mistral: 'mistral',
  groq: 'groq',
  cohere: 'cohere',
  ollama: 'ollama',
  'openai-compatible': 'openai',
};

const portkeyProvider: Record<string, string> = {
  openai: 'openai',
  'azure-openai': 'azure-openai',
  anthropic: 'anthropic',
  bedrock: 'bedrock',
  vertex: 'vertex-ai',
  mistral: 'mistral-ai',
  groq: 'groq',
  cohere: 'cohere',
  ollama: 'ollama',
  'openai-compatible': 'openai',
};

/** LiteLLM's `supported_environments` names (development / staging / production) for ours. */
export function toLiteLlmEnvironment(name: unknown): unknown {
  return name === 'dev' ? 'development' : name === 'prod' ? 'production' : name;
}

/** A LiteLLM `budget_duration` for one of our periods. */
export function toLiteLlmDuration(period: unknown): string | undefined {
  if (typeof period !== 'string') return undefined;
  return ({ daily: '1d', weekly: '7d', monthly: '1mo' } as Record<string, string>)[period] ?? period;
}

const dict = (value: unknown): Dict => (isPlainMap(value) ? value : {});
const prune = (value: Dict): Dict =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
// Cost per 1K tokens → per token, rounded so binary floating-point noise does not reach the gateway config.
const perToken = (per1k: number) => Number((per1k / 1000).toPrecision(12));
const seconds = (ms: unknown) => (typeof ms === 'number' ? ms / 1000 : undefined);

/** Models the environment may use (a model without `environments` is allowed everywhere). */
function allowedModels(loaded: LoadedEnvironment): [string, Dict][] {
  return Object.entries(dict(loaded.tree.models))
    .map(([name, m]) => [name, dict(m)] as [string, Dict])
    .filter(([, m]) => !Array.isArray(m.environments) || m.environments.includes(loaded.name));
}

function renderLiteLlm(loaded: LoadedEnvironment, secret: (p: string, v: unknown) => unknown): Dict {
  const providers = dict(loaded.tree.providers);
  const routing = dict(loaded.tree.routing);
  const budgets = dict(loaded.tree.budgets);
  const gateway = dict(loaded.tree.gateway);
  const models = new Map(allowedModels(loaded));

  const paramsFor = (modelName: string, override: Dict = {}): Dict | undefined => {
    const m = models.get(modelName);
    if (!m) return undefined;
    const providerName = String(m.provider);
    const p = dict(providers[providerName]);
    const params = { ...dict(m.params), ...override };
    const limits = dict(m.limits);
    return prune({
      model: `${litellmPrefix[String(p.type)] ?? String(p.type)}/${String(m.model)}`,
      api_base: p.base_url,
      api_key:
        p.api_key === undefined
          ? undefined
          : secret(`/providers/${escapePointerSegment(providerName)}/api_key`, p.api_key),
      api_version: p.api_version,
      organization: p.organization,
      aws_region_name: p.type === 'bedrock' ? p.region : undefined,
      timeout: seconds(p.timeout_ms),
      max_retries: p.max_retries,
      rpm: limits.rpm,
      tpm: limits.tpm,
      temperature: params.temperature,
      top_p: params.top_p,
      max_tokens: params.max_tokens,
    });
  };

  const modelList: Dict[] = [];
  for (const [name, m] of models) {
    const cost = dict(m.cost);
    modelList.push({
      model_name: name,
      litellm_params: paramsFor(name),
      model_info: prune({
        id: `${loaded.name}/${name}`,
        mode: m.mode,
        base_model: m.model,
        input_cost_per_token: typeof cost.input_per_1k === 'number' ? perToken(cost.input_per_1k) : undefined,
        output_cost_per_token:
          typeof cost.output_per_1k === 'number' ? perToken(cost.output_per_1k) : undefined,
        max_tokens: m.context_window,
        supported_environments: Array.isArray(m.environments)
          ? m.environments.map(toLiteLlmEnvironment)
          : undefined,
      }),
    });
  }

  const fallbacks: Dict[] = [];
  for (const [name, route] of Object.entries(dict(routing.routes))) {
    const r = dict(route);
    const targets = (Array.isArray(r.targets) ? r.targets : []).map(dict);
    // LiteLLM load-balances entries sharing a model_name; a fallback route is its first target plus fallbacks.
    const used = r.strategy === 'loadbalance' ? targets : targets.slice(0, 1);
    for (const t of used) {
      const params = paramsFor(String(t.model), dict(t.override_params));
      if (!params) continue;
      if (r.strategy === 'loadbalance' && typeof t.weight === 'number') params.weight = t.weight;
      if (typeof r.timeout_ms === 'number') params.timeout = r.timeout_ms / 1000;
      modelList.push({
        model_name: name,
        litellm_params: params,
        model_info: { id: `${loaded.name}/route/${name}/${String(t.model)}` },
      });
    }
    if (r.strategy === 'fallback' && targets.length > 1)
      fallbacks.push({ [name]: targets.slice(1).map((t) => String(t.model)) });
  }
  const chains = (value: unknown) => Object.entries(dict(value)).map(([k, v]) => ({ [k]: v }));
  const fb = dict(routing.fallbacks);
  const defaults = dict(routing.defaults);
  const retries = dict(defaults.retries);
  const cooldown = dict(defaults.cooldown);

  const providerBudgets: Dict = {};
  for (const [name, b] of Object.entries(dict(budgets.providers))) {
    const budget = dict(b);
    const type = String(dict(providers[name]).type ?? name);
    providerBudgets[litellmPrefix[type] ?? name] = prune({
      budget_limit: budget.limit_usd,
      time_period: toLiteLlmDuration(budget.period ?? budgets.period),
    });
  }
  const envBudget = dict(budgets.environment);
  const cache = dict(gateway.cache);

  return prune({
    model_list: modelList,
    router_settings: prune({
      routing_strategy: 'simple-shuffle',
      num_retries: retries.attempts,
      timeout: seconds(defaults.timeout_ms),
      allowed_fails: cooldown.allowed_fails,
      cooldown_time: cooldown.seconds,
      fallbacks: [...fallbacks, ...chains(fb.general)],
      context_window_fallbacks: chains(fb.context_window),
      content_policy_fallbacks: chains(fb.content_policy),
      max_fallbacks: routing.max_fallbacks,
      provider_budget_config: Object.keys(providerBudgets).length ? providerBudgets : undefined,
    }),
    litellm_settings: prune({
      drop_params: gateway.drop_params,
      cache: cache.mode !== undefined ? cache.mode !== 'none' : undefined,
      cache_params:
        cache.mode && cache.mode !== 'none' ? prune({ type: 'local', ttl: cache.ttl_seconds }) : undefined,
      max_budget: envBudget.limit_usd,
      budget_duration: toLiteLlmDuration(envBudget.period ?? budgets.period),
    }),
    general_settings: prune({
      master_key:
        gateway.master_key === undefined ? undefined : secret('/gateway/master_key', gateway.master_key),
      database_url:
        gateway.database_url === undefined
          ? undefined
          : secret('/gateway/database_url', gateway.database_url),
      max_parallel_requests: gateway.max_parallel_requests,
    }),
  });
}

function renderPortkey(loaded: LoadedEnvironment, secret: (p: string, v: unknown) => unknown): Dict {
  const providers = dict(loaded.tree.providers);
  const routing = dict(loaded.tree.routing);
  const models = new Map(allowedModels(loaded));
  const defaults = dict(routing.defaults);

  const target = (modelName: string, extra: Dict = {}): Dict | undefined => {
    const m = models.get(modelName);
    if (!m) return undefined;
    const providerName = String(m.provider);
    const p = dict(providers[providerName]);
    const params = { ...dict(m.params), ...dict(extra.override_params) };
    return prune({
      name: modelName,
      provider: portkeyProvider[String(p.type)] ?? String(p.type),
      api_key:
        p.api_key === undefined
          ? undefined
          : secret(`/providers/${escapePointerSegment(providerName)}/api_key`, p.api_key),
      custom_host: p.base_url,
      openai_project: p.type === 'openai' ? p.project : undefined,
      weight: extra.weight,
      request_timeout: p.timeout_ms,
      override_params: prune({
        model: m.model,
        temperature: params.temperature,
        top_p: params.top_p,
        max_tokens: params.max_tokens,
      }),
    });
  };
  const retryOf = (value: unknown): Dict | undefined => {
    const r = dict(value);
    return r.attempts === undefined
      ? undefined
      : prune({ attempts: r.attempts, on_status_codes: r.on_status_codes });
  };

  const configs: Dict = {};
  for (const [name, route] of Object.entries(dict(routing.routes))) {
    const r = dict(route);
    const targets = (Array.isArray(r.targets) ? r.targets : [])
      .map((t) =>
        target(
          String(dict(t).model),
          r.strategy === 'loadbalance' ? dict(t) : { override_params: dict(t).override_params },
        ),
      )
      .filter((t): t is Dict => t !== undefined);
    const retry = retryOf({ ...dict(defaults.retries), ...dict(r.retries) });
    configs[name] = prune({
      strategy: prune({
        mode: r.strategy,
        on_status_codes:
          r.strategy === 'fallback' ? dict(r.retries ?? defaults.retries).on_status_codes : undefined,
      }),
      targets,
      retry,
      request_timeout: r.timeout_ms ?? defaults.timeout_ms,
    });
  }
  // Each model with general fallbacks also gets a fallback config named after it.
  for (const [name, chain] of Object.entries(dict(dict(routing.fallbacks).general))) {
    if (configs[name] || !Array.isArray(chain)) continue;
    const targets = [name, ...chain.map(String)]
      .map((m) => target(m))
      .filter((t): t is Dict => t !== undefined);
    configs[name] = prune({
      strategy: { mode: 'fallback' },
      targets,
      retry: retryOf(defaults.retries),
      request_timeout: defaults.timeout_ms,
    });
  }
  return { environment: loaded.name, configs };
}
