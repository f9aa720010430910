import { resolve } from 'node:path';
import { LlmcmError } from '../core/errors.js';
import type { StoreConfig, StoreKind } from '../stores/types.js';
import { isPlainMap } from './merge.js';
import { createWorkingTreeReader } from './reader.js';
import type { ConfigReader, EnvironmentDeclaration, ProjectConfig } from './types.js';
import { readYamlSource } from './yaml-source.js';

/** The project file name, at the root of the config repo. */
export const projectFileName = 'llmcm.yaml';

/** The store every project has unless it declares its own: rendered files under .llmcm/store. */
export const defaultStore: StoreConfig = { name: 'local', kind: 'file', path: '.llmcm/store' };

/** Document kinds and the schema llmcm ships for each (`llmcm:<kind>` = the built-in schema). */
export const builtinDocuments: Record<string, string> = {
  providers: 'llmcm:providers',
  models: 'llmcm:models',
  routing: 'llmcm:routing',
  budgets: 'llmcm:budgets',
  prompts: 'llmcm:prompts',
  flags: 'llmcm:flags',
  gateway: 'llmcm:gateway',
};

const storeKinds = new Set<StoreKind>(['file', 'vault', 'aws-secrets-manager', 'redis', 'postgres']);
const topLevelKeys = new Set([
  'version',
  'directory',
  'base',
  'encryption',
  'environments',
  'promotion',
  'stores',
  'documents',
]);
const namePattern = /^[a-z0-9][a-z0-9_-]*$/;

/** Loads and checks llmcm.yaml. Every problem is a config error (exit 2) naming the line. */
export async function loadProject(
  root: string,
  options: { reader?: ConfigReader } = {},
): Promise<ProjectConfig> {
  const absoluteRoot = resolve(root);
  const reader = options.reader ?? createWorkingTreeReader(absoluteRoot);
  const file = projectFileName;
  const text = await reader.readFile(file);
  if (text === undefined) {
    throw new LlmcmError(`no project file ${file} in ${absoluteRoot}`, {
      code: 'PROJECT_FILE_MISSING',
      kind: 'config',
      file,
      hint: 'run llmcm from the config repo root, or create llmcm.yaml (see docs/config.md)',
    });
  }
  const tree = readYamlSource(text, file);
  const raw = tree.value;
  const lineOf = (pointer: string) => tree.positions.get(pointer)?.keyLine ?? 1;
  const fail = (message: string, pointer: string, hint: string): never => {
    const pos = tree.positions.get(pointer);
    throw new LlmcmError(message, {
      code: 'PROJECT_FILE_INVALID',
      kind: 'config',
      file,
      line: pos?.keyLine ?? 1,
      column: pos?.keyColumn ?? 1,
      hint,
    });
  };
  if (!isPlainMap(raw)) return fail('llmcm.yaml must be a mapping', '', 'see docs/config.md for the format');
  for (const key of Object.keys(raw)) {
    if (!topLevelKeys.has(key))
      fail(`unknown key '${key}' in llmcm.yaml`, `/${key}`, `allowed: ${[...topLevelKeys].join(', ')}`);
  }
  if (raw.version !== undefined && raw.version !== 1)
    fail('unsupported project file version', '/version', 'use version: 1');
  const directory = raw.directory ?? 'environments';
  if (typeof directory !== 'string' || directory === '')
    fail('directory must be a folder name', '/directory', 'e.g. directory: environments');
  const base = raw.base === undefined ? '_base' : raw.base;
  if (base !== null && (typeof base !== 'string' || !/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(base))) {
    fail('base must be a folder name or null', '/base', 'e.g. base: _base');
  }
  const encryption = raw.encryption ?? 'required';
  if (encryption !== 'required' && encryption !== 'optional') {
    fail(`encryption must be 'required' or 'optional'`, '/encryption', 'use encryption: required');
  }

  // Stores.
  const stores: Record<string, StoreConfig> = {};
  if (raw.stores !== undefined) {
    if (!isPlainMap(raw.stores))
      fail('stores must be a mapping of name → settings', '/stores', 'e.g. stores: {local: {kind: file}}');
    for (const [name, settings] of Object.entries(raw.stores as Record<string, unknown>)) {
      if (!isPlainMap(settings) || !storeKinds.has(settings.kind as StoreKind)) {
        fail(
          `store '${name}' needs a kind`,
          `/stores/${name}`,
          `kind is one of ${[...storeKinds].join(', ')}`,
        );
      }
      stores[name] = {
        ...(settings as Record<string, unknown>),
        name,
        kind: (settings as { kind: StoreKind }).kind,
      };
    }
  } else stores[defaultStore.name] = { ...defaultStore };

  // Environments.
  if (!isPlainMap(raw.environments) || Object.keys(raw.environments).length === 0) {
    fail(
      'environments must name at least one environment',
      '/environments',
      'e.g. environments: {dev: {}, prod: {}}',
    );
  }
  const environments: EnvironmentDeclaration[] = [];
  const storesByEnvironment: Record<string, StoreConfig[]> = {};
  for (const [name, settings] of Object.entries(raw.environments as Record<string, unknown>)) {
    const at = `/environments/${name}`;
    if (!namePattern.test(name) || name === base)
      fail(`invalid environment name '${name}'`, at, 'use lowercase letters, digits, - and _');
    if (settings !== null && !isPlainMap(settings))
      fail(`environment '${name}' must be a mapping`, at, 'e.g. prod: {stores: [local]}');
    const s = (settings ?? {}) as Record<string, unknown>;
    let storeNames: string[];
    if (s.stores === undefined) storeNames = Object.keys(stores);
    else if (Array.isArray(s.stores) && s.stores.every((x) => typeof x === 'string'))
      storeNames = s.stores as string[];
    else
      return fail(
        `stores of '${name}' must be a list of store names`,
        `${at}/stores`,
        'e.g. stores: [local]',
      );
    for (const storeName of storeNames) {
      if (!stores[storeName]) {
        fail(
          `environment '${name}' uses unknown store '${storeName}'`,
          `${at}/stores`,
          `declared stores: ${Object.keys(stores).join(', ')}`,
        );
      }
    }
    environments.push({
      name,
      storeNames,
      ...(typeof s.description === 'string' ? { description: s.description } : {}),
    });
    storesByEnvironment[name] = storeNames.map((n) => stores[n]!);
  }
  const names = new Set(environments.map((e) => e.name));

  // Promotion order.
  let promotion: string[] = environments.map((e) => e.name);
  if (raw.promotion !== undefined) {
    if (!Array.isArray(raw.promotion) || !raw.promotion.every((x) => typeof x === 'string')) {
      fail(
        'promotion must be a list of environment names',
        '/promotion',
        'e.g. promotion: [dev, staging, prod]',
      );
    }
    promotion = raw.promotion as string[];
    promotion.forEach((name, i) => {
      if (!names.has(name))
        fail(
          `promotion names unknown environment '${name}'`,
          `/promotion/${i}`,
          `environments: ${[...names].join(', ')}`,
        );
    });
    if (new Set(promotion).size !== promotion.length)
      fail('promotion lists an environment twice', '/promotion', 'list each environment once');
  }

  // Document kinds.
  const documents: Record<string, string> = {};
  if (raw.documents === undefined) Object.assign(documents, builtinDocuments);
  else {
    if (!isPlainMap(raw.documents))
      fail(
        'documents must map kind → schema path',
        '/documents',
        'e.g. documents: {models: schemas/models.schema.json}',
      );
    for (const [kind, schema] of Object.entries(raw.documents as Record<string, unknown>)) {
      if (!namePattern.test(kind) || typeof schema !== 'string' || schema === '') {
        fail(
          `document kind '${kind}' needs a schema path`,
          `/documents/${kind}`,
          'e.g. models: schemas/models.schema.json',
        );
      }
      documents[kind] = schema as string;
    }
  }

  const keyLines: Record<string, number> = {};
  for (const key of Object.keys(raw)) keyLines[key] = lineOf(`/${key}`);
  return {
    root: absoluteRoot,
    file,
    directory: (directory as string).replace(/\/+$/, ''),
    base: base as string | null,
    encryption: encryption as 'required' | 'optional',
    environments,
    promotion,
    stores,
    storesByEnvironment,
    documents,
    lines: keyLines,
  };
}

/** The declaration of one environment, or a usage error naming the known ones (exit 2). */
export function findEnvironment(project: ProjectConfig, name: string): EnvironmentDeclaration {
  const found = project.environments.find((e) => e.name === name);
  if (!found) {
    throw new LlmcmError(`unknown environment '${name}'`, {
      code: 'UNKNOWN_ENVIRONMENT',
      kind: 'usage',
      file: project.file,
      line: project.lines.environments ?? 1,
      hint: `environments in ${project.file}: ${project.environments.map((e) => e.name).join(', ')}`,
    });
  }
  return found;
}
