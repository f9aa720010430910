import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { LlmcmError } from '../core/errors.js';
import { compileGoRegex, matchGoRegex } from './go-regex.js';
import { type Selection, type SelectionKey, selectionKeys } from './tree.js';

/** A resolved `.sops.yaml` creation rule: who can decrypt and what gets encrypted. */
export interface CreationRule {
  /** The `.sops.yaml` this rule came from (undefined for rules built from the environment). */
  configFile?: string;
  pathRegex?: string;
  /** Recipients per key group (one group unless `key_groups` lists several). */
  keyGroups: string[][];
  shamirThreshold?: number;
  selection?: Selection;
  macOnlyEncrypted: boolean;
}

const configNames = ['.sops.yaml', '.sops.yml'];

/**
 * Finds `.sops.yaml` from the target file's own directory upward. sops looks only from the
 * current directory (sops issue #242); starting at the file makes `llmcm encrypt sub/x.yaml`
 * behave the same from any working directory.
 */
export function findSopsConfig(filePath: string): string | undefined {
  let dir = dirname(resolve(filePath));
  for (;;) {
    for (const name of configNames) {
      const candidate = join(dir, name);
      if (existsSync(candidate)) return candidate;
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function configError(file: string, message: string): LlmcmError {
  return new LlmcmError(message, {
    code: 'SOPS_BAD_CONFIG',
    kind: 'config',
    file,
    hint: 'see docs/sops.md for the creation_rules format',
  });
}

function splitRecipients(value: unknown, file: string): string[] {
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.flatMap((v) => {
    if (typeof v !== 'string') throw configError(file, '`age` must be a string or a list of strings');
    return v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  });
}

/** Parses one rule object (exported for tests). */
export function parseCreationRule(raw: Record<string, unknown>, configFile: string): CreationRule {
  const chosen = selectionKeys.filter((k) => typeof raw[k] === 'string' && raw[k] !== '');
  if (chosen.length > 1)
    throw configError(configFile, `a creation rule sets more than one of ${chosen.join(', ')}`);
  for (const k of chosen) {
    if (k.endsWith('regex')) {
      try {
        compileGoRegex(raw[k] as string);
      } catch (error) {
        throw configError(configFile, `${k}: ${(error as Error).message}`);
      }
    }
  }
  let keyGroups: string[][];
  if (Array.isArray(raw.key_groups) && raw.key_groups.length > 0) {
    keyGroups = raw.key_groups.map((g) => {
      if (!g || typeof g !== 'object') throw configError(configFile, 'each key group must be a mapping');
      const group = g as Record<string, unknown>;
      const foreign = Object.keys(group).filter(
        (k) => k !== 'age' && group[k] !== null && group[k] !== undefined,
      );
      if (foreign.length > 0) {
        throw configError(configFile, `key kind ${foreign.join(', ')} is not supported by llmcm (age only)`);
      }
      return splitRecipients(group.age, configFile);
    });
  } else {
    const foreign = ['pgp', 'kms', 'gcp_kms', 'azure_keyvault', 'hc_vault_transit_uri'].filter(
      (k) => raw[k] !== undefined && raw[k] !== null && raw[k] !== '',
    );
    if (foreign.length > 0 && raw.age === undefined) {
      throw configError(configFile, `key kind ${foreign.join(', ')} is not supported by llmcm (age only)`);
    }
    keyGroups = [splitRecipients(raw.age, configFile)];
  }
  let shamirThreshold: number | undefined;
  if (raw.shamir_threshold !== undefined && raw.shamir_threshold !== null) {
    shamirThreshold = Number(raw.shamir_threshold);
    if (!Number.isInteger(shamirThreshold) || shamirThreshold < 1) {
      throw configError(configFile, '`shamir_threshold` must be a positive integer');
    }
  }
  const pathRegex = typeof raw.path_regex === 'string' ? raw.path_regex : undefined;
  if (pathRegex !== undefined) {
    try {
      compileGoRegex(pathRegex);
    } catch (error) {
      throw configError(configFile, `path_regex: ${(error as Error).message}`);
    }
  }
  return {
    configFile,
    pathRegex,
    keyGroups,
    shamirThreshold,
    selection: chosen[0] ? { key: chosen[0] as SelectionKey, value: raw[chosen[0]] as string } : undefined,
    macOnlyEncrypted: raw.mac_only_encrypted === true,
  };
}

const rulesCache = new Map<string, { mtimeMs: number; size: number; rules: CreationRule[] }>();

/** Reads every creation rule of a `.sops.yaml` (cached per file until it changes). */
export function readCreationRules(configFile: string): CreationRule[] {
  let stat: { mtimeMs: number; size: number } | undefined;
  try {
    stat = statSync(configFile);
  } catch {
    stat = undefined;
  }
  const cached = rulesCache.get(configFile);
  if (stat && cached && cached.mtimeMs === stat.mtimeMs && cached.size === stat.size) return cached.rules;
  const rules = parseCreationRulesFile(configFile);
  if (stat) rulesCache.set(configFile, { mtimeMs: stat.mtimeMs, size: stat.size, rules });
  return rules;
}

function parseCreationRulesFile(configFile: string): CreationRule[] {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(configFile, 'utf8'));
  } catch (error) {
    throw configError(configFile, `cannot read .sops.yaml: ${(error as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) return [];
  const rules = (doc as Record<string, unknown>).creation_rules;
  if (rules === undefined || rules === null) return [];
  if (!Array.isArray(rules)) throw configError(configFile, '`creation_rules` must be a list');
  return rules.map((r) => {
    if (!r || typeof r !== 'object') throw configError(configFile, 'each creation rule must be a mapping');
    return parseCreationRule(r as Record<string, unknown>, configFile);
  });
}

/**
 * The first creation rule whose `path_regex` (unanchored RE2) matches the file's path relative to
 * the `.sops.yaml` folder; a rule without `path_regex` matches everything. Null when none matches
 * or there is no `.sops.yaml`.
 */
export function findCreationRule(
  filePath: string,
  options: { configFile?: string } = {},
): CreationRule | null {
  const configFile = options.configFile ?? findSopsConfig(filePath);
  if (!configFile) return null;
  const rel = relative(dirname(resolve(configFile)), resolve(filePath))
    .split(sep)
    .join('/');
  for (const rule of readCreationRules(configFile)) {
    if (rule.pathRegex === undefined || matchGoRegex(rule.pathRegex, rel)) return rule;
  }
  return null;
}
