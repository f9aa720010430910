import { isPlainMap } from '../config/merge.js';
import type { LoadedEnvironment, LoadedFile } from '../config/types.js';
import { escapePointerSegment } from '../config/yaml-source.js';
import type { Finding } from '../core/findings.js';
import { isSecretLookingKey, isSecretReference } from '../core/secret-keys.js';
import { locationOf, pointerSegments } from './locate.js';
import { closest } from './schema-stage.js';

type Dict = Record<string, unknown>;
const dict = (value: unknown): Dict => (isPlainMap(value) ? value : {});
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const seg = escapePointerSegment;

/** A reference from one place of the config to a model or route name. */
interface Reference {
  name: string;
  pointer: string;
  what: string;
}

/**
 * LLM-aware checks JSON Schema cannot express: references resolve, no fallback cycles, positive
 * load-balance weights, declared prompt variables, models used only where allowed, budgets that add up.
 */
export function checkSemantics(loaded: LoadedEnvironment): Finding[] {
  const findings: Finding[] = [];
  const tree = loaded.tree;
  const providers = dict(tree.providers);
  const models = dict(tree.models);
  const routing = dict(tree.routing);
  const routes = dict(routing.routes);
  const envNames = loaded.project.environments.map((e) => e.name);
  const error = (
    ruleId: string,
    pointer: string,
    message: string,
    hint: string,
    at: 'value' | 'key' = 'value',
    severity: Finding['severity'] = 'error',
  ) =>
    findings.push({ stage: 'semantic', ruleId, severity, message, ...locationOf(loaded, pointer, at), hint });

  // Models → providers, and the environments each model names.
  for (const [name, raw] of Object.entries(models)) {
    const m = dict(raw);
    if (typeof m.provider === 'string' && !(m.provider in providers)) {
      const guess = closest(m.provider, Object.keys(providers));
      error(
        'semantic/unknown-provider',
        `/models/${seg(name)}/provider`,
        `model '${name}' uses unknown provider '${m.provider}'`,
        guess ? `did you mean '${guess}'?` : `declare '${m.provider}' in providers.yaml`,
      );
    }
    list(m.environments).forEach((env, i) => {
      if (typeof env === 'string' && !envNames.includes(env)) {
        error(
          'semantic/unknown-environment',
          `/models/${seg(name)}/environments/${i}`,
          `model '${name}' allows unknown environment '${env}'`,
          `environments in ${loaded.project.file}: ${envNames.join(', ')}`,
        );
      }
    });
  }

  // Every reference to a model or route: route targets, fallback chains, prompts.
  const references: Reference[] = [];
  for (const [routeName, raw] of Object.entries(routes)) {
    const r = dict(raw);
    list(r.targets).forEach((t, i) => {
      const target = dict(t);
      const at = `/routing/routes/${seg(routeName)}/targets/${i}`;
      if (typeof target.model === 'string')
        references.push({ name: target.model, pointer: `${at}/model`, what: `route '${routeName}'` });
      if (r.strategy === 'loadbalance' && typeof target.weight === 'number' && !(target.weight > 0)) {
        error(
          'semantic/weight-not-positive',
          `${at}/weight`,
          `load-balance weight of route '${routeName}' target ${i} must be positive (got ${target.weight})`,
          'use a weight > 0, or remove the target',
        );
      }
    });
  }
  const fallbacks = dict(routing.fallbacks);
  for (const [chainKind, rawChains] of Object.entries(fallbacks)) {
    const chains = dict(rawChains);
    for (const [source, targets] of Object.entries(chains)) {
      const at = `/routing/fallbacks/${seg(chainKind)}/${seg(source)}`;
      references.push({ name: source, pointer: at, what: `${chainKind} fallbacks` });
      list(targets).forEach((t, i) => {
        if (typeof t === 'string')
          references.push({ name: t, pointer: `${at}/${i}`, what: `${chainKind} fallback of '${source}'` });
      });
    }
    for (const cycle of findCycles(chainGraph(chains))) {
      const first = cycle[0]!;
      const index = list(chains[first]).indexOf(cycle[1 % cycle.length] ?? first);
      error(
        'semantic/fallback-cycle',
        `/routing/fallbacks/${seg(chainKind)}/${seg(first)}${index >= 0 ? `/${index}` : ''}`,
        `${chainKind} fallback cycle: ${[...cycle, first].join(' → ')}`,
        'break the cycle: a fallback chain must end at a model that has no fallback back into it',
      );
    }
  }
  // Routes that target other routes must not loop either.
  const routeGraph = new Map<string, string[]>();
  for (const [routeName, raw] of Object.entries(routes)) {
    routeGraph.set(
      routeName,
      list(dict(raw).targets)
        .map((t) => dict(t).model)
        .filter((m): m is string => typeof m === 'string' && m in routes),
    );
  }
  for (const cycle of findCycles(routeGraph)) {
    const first = cycle[0]!;
    error(
      'semantic/route-cycle',
      `/routing/routes/${seg(first)}`,
      `route cycle: ${[...cycle, first].join(' → ')}`,
      'a route may target another route only if that route does not lead back to it',
      'key',
    );
  }

  const prompts = dict(tree.prompts);
  for (const [name, raw] of Object.entries(prompts)) {
    const p = dict(raw);
    if (typeof p.model === 'string')
      references.push({ name: p.model, pointer: `/prompts/${seg(name)}/model`, what: `prompt '${name}'` });
    const declared = new Set(list(p.variables).filter((v): v is string => typeof v === 'string'));
    const used = new Set<string>();
    for (const field of ['system', 'template'] as const) {
      if (typeof p[field] !== 'string') continue;
      for (const variable of templateVariables(p[field] as string)) {
        used.add(variable);
        if (!declared.has(variable)) {
          error(
            'semantic/prompt-undeclared-variable',
            `/prompts/${seg(name)}/${field}`,
            `prompt '${name}' uses undeclared variable '${variable}' in its ${field}`,
            `add '${variable}' to prompts.${name}.variables, or fix the placeholder`,
          );
        }
      }
    }
    list(p.variables).forEach((v, i) => {
      if (typeof v === 'string' && !used.has(v)) {
        error(
          'semantic/prompt-unused-variable',
          `/prompts/${seg(name)}/variables/${i}`,
          `prompt '${name}' declares variable '${v}' but never uses it`,
          'remove it from variables, or use it in the template',
          'value',
          'warning',
        );
      }
    });
  }

  // Resolve every reference; a model must allow this environment.
  for (const ref of references) {
    if (ref.name in routes) continue;
    const model = models[ref.name];
    if (model === undefined) {
      const guess = closest(ref.name, [...Object.keys(models), ...Object.keys(routes)]);
      error(
        'semantic/unknown-target',
        ref.pointer,
        `${ref.what} refers to unknown model or route '${ref.name}'`,
        guess ? `did you mean '${guess}'?` : 'declare the model in models.yaml or fix the name',
        ref.pointer.startsWith('/routing/fallbacks/') && pointerSegments(ref.pointer).length === 4
          ? 'key'
          : 'value',
      );
      continue;
    }
    const allowed = dict(model).environments;
    if (Array.isArray(allowed) && !allowed.includes(loaded.name)) {
      error(
        'semantic/model-not-allowed',
        ref.pointer,
        `${ref.what} uses model '${ref.name}', which is not allowed in environment '${loaded.name}' (allowed: ${allowed.join(', ')})`,
        `add ${loaded.name} to models.${ref.name}.environments, or use another model here`,
        ref.pointer.startsWith('/routing/fallbacks/') && pointerSegments(ref.pointer).length === 4
          ? 'key'
          : 'value',
      );
    }
  }

  checkBudgets(loaded, providers, models, error);
  return findings;
}

function checkBudgets(
  loaded: LoadedEnvironment,
  providers: Dict,
  models: Dict,
  error: (ruleId: string, pointer: string, message: string, hint: string, at?: 'value' | 'key') => void,
): void {
  const budgets = dict(loaded.tree.budgets);
  const defaultPeriod = typeof budgets.period === 'string' ? budgets.period : 'monthly';
  for (const [name] of Object.entries(dict(budgets.providers))) {
    if (!(name in providers)) {
      error(
        'semantic/unknown-target',
        `/budgets/providers/${seg(name)}`,
        `budget for unknown provider '${name}'`,
        'fix the provider name',
        'key',
      );
    }
  }
  for (const [name] of Object.entries(dict(budgets.models))) {
    if (!(name in models))
      error(
        'semantic/unknown-target',
        `/budgets/models/${seg(name)}`,
        `budget for unknown model '${name}'`,
        'fix the model name',
        'key',
      );
  }
  const envBudget = dict(budgets.environment);
  if (typeof envBudget.limit_usd !== 'number') return;
  const envMonthly = monthlyAmount(envBudget.limit_usd, envBudget.period ?? defaultPeriod);
  if (envMonthly === undefined) return;
  let sum = 0;
  const parts: string[] = [];
  for (const [team, raw] of Object.entries(dict(budgets.teams))) {
    const b = dict(raw);
    if (typeof b.limit_usd !== 'number') continue;
    const monthly = monthlyAmount(b.limit_usd, b.period ?? defaultPeriod);
    if (monthly === undefined) continue;
    sum += monthly;
    parts.push(`${team} ${round(monthly)}`);
  }
  if (sum > envMonthly + 1e-9) {
    error(
      'semantic/budget-exceeded',
      '/budgets/environment/limit_usd',
      `environment budget ${round(envMonthly)} USD/month is less than the sum of its team budgets ${round(sum)} USD/month (${parts.join(' + ')})`,
      'raise the environment budget or lower team budgets',
    );
  }
}

const round = (n: number) => Math.round(n * 100) / 100;

/** A budget amount per 30-day month, for comparing budgets with different periods. */
export function monthlyAmount(amount: number, period: unknown): number | undefined {
  if (period === 'monthly') return amount;
  if (period === 'weekly') return (amount * 30) / 7;
  if (period === 'daily') return amount * 30;
  if (typeof period !== 'string') return undefined;
  const m = /^([1-9][0-9]*)(s|m|h|d|mo)$/.exec(period);
  if (!m) return undefined;
  const n = Number(m[1]);
  const seconds =
    { s: 1, m: 60, h: 3600, d: 86400, mo: 30 * 86400 }[m[2] as 's' | 'm' | 'h' | 'd' | 'mo'] * n;
  return (amount * 30 * 86400) / seconds;
}

/** The `{{ name }}` placeholders of a template (mustache / jinja style). */
export function templateVariables(template: string): string[] {
  const out = new Set<string>();
  for (const match of template.matchAll(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g)) out.add(match[1]!);
  return [...out];
}

function chainGraph(chains: Dict): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const [source, targets] of Object.entries(chains)) {
    graph.set(
      source,
      list(targets).filter((t): t is string => typeof t === 'string'),
    );
  }
  return graph;
}

/** Elementary cycles found by DFS, each reported once (rotated to start at its smallest name). */
export function findCycles(graph: Map<string, string[]>): string[][] {
  const cycles = new Map<string, string[]>();
  const state = new Map<string, 'active' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, 'active');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      const s = state.get(next);
      if (s === 'active') {
        const cycle = stack.slice(stack.indexOf(next));
        const start = cycle.indexOf([...cycle].sort()[0]!);
        const rotated = [...cycle.slice(start), ...cycle.slice(0, start)];
        cycles.set(rotated.join('\0'), rotated);
      } else if (s === undefined) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  return [...cycles.values()];
}

/**
 * Any value under a secret-looking key must be encrypted. Checked per source file, before merging, so a
 * plaintext secret hidden under an upper layer's override is still caught. The value is never printed.
 */
export function checkPlaintextSecrets(file: LoadedFile): Finding[] {
  const findings: Finding[] = [];
  const walk = (value: unknown, pointer: string, secretKey: string | undefined) => {
    if (isPlainMap(value)) {
      for (const [key, child] of Object.entries(value)) {
        walk(child, `${pointer}/${seg(key)}`, secretKey ?? (isSecretLookingKey(key) ? key : undefined));
      }
      return;
    }
    if (Array.isArray(value)) {
      value.forEach((item, i) => {
        walk(item, `${pointer}/${i}`, secretKey);
      });
      return;
    }
    if (!secretKey || value === null || value === '' || typeof value === 'boolean') return;
    if (file.source.encrypted.has(pointer)) return;
    if (typeof value === 'string' && isSecretReference(value)) return;
    const pos = file.source.positions.get(pointer);
    findings.push({
      stage: 'semantic',
      ruleId: 'semantic/plaintext-secret',
      severity: 'error',
      message: `${pointer}: value under secret-looking key '${secretKey}' is not encrypted`,
      file: file.file,
      ...(pos ? { line: pos.line, column: pos.column } : {}),
      path: pointer,
      layer: file.layer,
      hint: `encrypt it (sops encrypt -i ${file.file}; check .sops.yaml encrypted_regex), rotate the exposed secret, or use an os.environ/VAR reference`,
    });
  };
  walk(file.source.value, `/${file.kind}`, undefined);
  return findings;
}
