import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import { LlmcmError } from '../../core/errors.js';
import {
  compileGoRegex,
  exportTranslations,
  type GoRegExp,
  preloadTranslations,
  RegexTranslationError,
  type TranslatedRegex,
  translateGoRegex,
} from '../re2/translate.js';
import {
  readTranslationCache,
  translationCacheFile,
  writeTranslationCache,
} from '../re2/translation-cache.js';
import { defaultRulesToml } from '../rules/default-rules.js';
import type { Allowlist, RegexTarget, RequiredRule, Rule, ScanConfig } from './types.js';

/** Configs with fewer patterns than this are not written to the translation cache. */
const MIN_CACHED_PATTERNS = 20;

/** gitleaks nests `[extend]` at most this deep. */
const MAX_EXTEND_DEPTH = 2;

/** Where a config comes from: a file on disk, or text (the built-in default, an env var). */
export interface ConfigSource {
  /** Shown in errors; also the path findings are skipped for. */
  name: string;
  text: string;
  /** Directory relative `[extend] path`s resolve against (besides the working directory). */
  baseDir?: string;
}

/** Options for loading a config (what `[extend] useDefault` means, where relative paths start). */
export interface LoadConfigOptions {
  /** The TOML used for `[extend] useDefault = true` (default: llmcm's first-party rules). */
  defaultToml?: string;
  /** Working directory for relative `[extend] path`s, like gitleaks (default: process.cwd()). */
  cwd?: string;
  /**
   * false: neither read nor write the on-disk translation cache. For a config passed through the
   * environment (GITLEAKS_CONFIG_TOML): whoever chose that kept it off disk, and the cache would
   * store its parsed document, allowlisted values included.
   */
  translationCache?: boolean;
}

// viper lower-cases keys, so gitleaks accepts any case: we compare lower-cased too.
const topFields = new Set([
  'title',
  'description',
  'minversion',
  'extend',
  'rules',
  'allowlist',
  'allowlists',
]);
const extendFields = new Set(['path', 'url', 'usedefault', 'disabledrules']);
const ruleFields = new Set([
  'id',
  'description',
  'path',
  'regex',
  'secretgroup',
  'entropy',
  'keywords',
  'tags',
  'allowlist',
  'allowlists',
  'required',
  'skipreport',
]);
const allowlistFields = new Set([
  'description',
  'condition',
  'commits',
  'paths',
  'regextarget',
  'regexes',
  'stopwords',
]);
const globalAllowlistFields = new Set([...allowlistFields, 'targetrules']);
const requiredFields = new Set(['id', 'withinlines', 'withincolumns']);

type Table = Record<string, unknown>;

interface RawAllowlist {
  description: string;
  condition: string;
  commits: string[];
  paths: string[];
  regexTarget: string;
  regexes: string[];
  stopwords: string[];
  targetRules: string[];
}

interface RawRule {
  id: string;
  description: string;
  path: string;
  regex: string;
  secretGroup: number;
  entropy: number;
  keywords: string[];
  tags: string[];
  allowlists: Table[];
  required: Table[];
  skipReport: boolean;
}

/** Reads and compiles a gitleaks v8 config file (and whatever it extends). */
export function loadConfigFile(path: string, options: LoadConfigOptions = {}): ScanConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new LlmcmError(`cannot read scan config (${(error as NodeJS.ErrnoException).code ?? 'error'})`, {
      code: 'SCAN_CONFIG_UNREADABLE',
      kind: 'config',
      file: path,
      hint: 'check the --config path',
    });
  }
  return loadConfig({ name: path, text, baseDir: dirname(resolve(path)) }, options);
}

/** The built-in first-party rule set. */
export function loadDefaultConfig(options: LoadConfigOptions = {}): ScanConfig {
  return loadConfig(
    { name: '<llmcm default rules>', text: options.defaultToml ?? defaultRulesToml },
    options,
  );
}

/** Compiles a gitleaks v8 config from TOML text. Errors name the file, the line and the rule. */
export function loadConfig(source: ConfigSource, options: LoadConfigOptions = {}): ScanConfig {
  pendingWarnings = [];
  pendingPatterns = new Set();
  // Translations of an earlier run with the same config text (see translation-cache.ts).
  const cacheFile =
    options.translationCache === false
      ? undefined
      : translationCacheFile(`${source.text}\0${options.defaultToml ?? ''}`);
  const cached = cacheFile ? readTranslationCache(cacheFile) : undefined;
  const stored = cached?.translations;
  if (stored) preloadTranslations(stored);
  pendingDoc = undefined;
  const config = translateConfig(source, options, 0, cached?.doc);
  config.warnings = [...new Set(pendingWarnings)];
  // Validation happens once everything (including extended configs) is assembled, as in gitleaks.
  for (const rule of config.rules.values()) validateRule(rule, source);
  const targeted = (config as ScanConfigInternal).targeted;
  for (const [ruleId, lists] of targeted) {
    const rule = config.rules.get(ruleId);
    if (!rule) {
      throw configError(
        source,
        `[[allowlists]] target rule ID '${ruleId}' does not exist`,
        findLine(source.text, ruleId),
      );
    }
    rule.allowlists.push(...lists);
  }
  for (const rule of config.rules.values()) {
    for (const req of rule.required) {
      if (!config.rules.has(req.ruleId)) {
        throw configError(
          source,
          `rule '${rule.id}': [[rules.required]] rule ID '${req.ruleId}' does not exist`,
          findLine(source.text, req.ruleId),
        );
      }
    }
  }
  delete (config as Partial<ScanConfigInternal>).targeted;
  // Small configs translate in about a millisecond: not worth a file.
  const worthCaching = pendingPatterns.size >= MIN_CACHED_PATTERNS;
  const missing = [...pendingPatterns].some((p) => !stored?.has(p)) || cached?.doc === undefined;
  if (cacheFile && worthCaching && missing) {
    writeTranslationCache(cacheFile, exportTranslations(pendingPatterns), pendingDoc);
  }
  return config;
}

interface ScanConfigInternal extends ScanConfig {
  targeted: Map<string, Allowlist[]>;
}

function configError(source: ConfigSource, message: string, line?: number, hint?: string): LlmcmError {
  return new LlmcmError(message, {
    code: 'SCAN_CONFIG_INVALID',
    kind: 'config',
    file: source.name,
    line,
    hint: hint ?? 'fix the gitleaks config (see docs/scan.md)',
  });
}

/**
 * Makes `rule.regex` a property that compiles `pattern` (already translated and checked) on first
 * read and then holds the RegExp, on whichever object it is read from (merged rules copy it).
 */
function compileOnFirstUse(rule: Rule, pattern: string): void {
  const own = (target: object, value: GoRegExp | undefined): void => {
    Object.defineProperty(target, 'regex', { value, writable: true, enumerable: true, configurable: true });
  };
  Object.defineProperty(rule, 'regex', {
    configurable: true,
    enumerable: true,
    get(this: Rule): GoRegExp {
      const re = compileGoRegex(pattern);
      own(this, re);
      return re;
    },
    set(this: Rule, value: GoRegExp | undefined) {
      own(this, value);
    },
  });
}

/** Best-effort line of a key or value in the TOML text, for error messages. */
function findLine(text: string, needle: string): number | undefined {
  const lines = text.split('\n');
  const lower = needle.toLowerCase();
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!.toLowerCase();
    if (l.includes(lower) && !l.trimStart().startsWith('#')) return i + 1;
  }
  return undefined;
}

function parseText(source: ConfigSource): Table {
  try {
    return parseToml(source.text) as Table;
  } catch (error) {
    if (error instanceof TomlError) {
      throw configError(
        source,
        `invalid TOML: ${error.message.split('\n')[0]}`,
        error.line,
        'fix the TOML syntax',
      );
    }
    throw configError(source, `invalid TOML: ${(error as Error).message.split('\n')[0]}`);
  }
}

function checkFields(source: ConfigSource, table: Table, allowed: Set<string>, where: string): void {
  for (const key of Object.keys(table)) {
    if (!allowed.has(key.toLowerCase())) {
      throw configError(
        source,
        `unknown field '${key}' in ${where}`,
        findLine(source.text, key),
        `remove it or check the spelling; known fields: ${[...allowed].join(', ')}`,
      );
    }
  }
}

/** Each table's fields by lower-cased name (the first spelling wins), built once per table. */
const loweredFields = new WeakMap<Table, Map<string, unknown>>();

function getField(table: Table, name: string): unknown {
  let fields = loweredFields.get(table);
  if (!fields) {
    // A config of 222 rules asks about ~12 fields per rule: one pass per table, not one per field.
    fields = new Map();
    for (const key of Object.keys(table)) {
      const lower = key.toLowerCase();
      if (!fields.has(lower)) fields.set(lower, table[key]);
    }
    loweredFields.set(table, fields);
  }
  return fields.get(name);
}

function asString(source: ConfigSource, v: unknown, where: string): string {
  if (v === undefined) return '';
  if (typeof v !== 'string')
    throw configError(source, `${where} must be a string`, findLine(source.text, where));
  return v;
}

function asStrings(source: ConfigSource, v: unknown, where: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
    throw configError(
      source,
      `${where} must be a list of strings`,
      findLine(source.text, where.split('.').pop()!),
    );
  }
  return v as string[];
}

function asNumber(source: ConfigSource, v: unknown, where: string): number {
  if (v === undefined) return 0;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v !== 'number')
    throw configError(source, `${where} must be a number`, findLine(source.text, where));
  return v;
}

function asTables(source: ConfigSource, v: unknown, where: string): Table[] {
  if (v === undefined) return [];
  if (Array.isArray(v)) {
    if (v.some((x) => typeof x !== 'object' || x === null || Array.isArray(x))) {
      throw configError(source, `${where} must be a list of tables`, findLine(source.text, where));
    }
    return v as Table[];
  }
  if (typeof v === 'object' && v !== null) return [v as Table];
  throw configError(source, `${where} must be a table`, findLine(source.text, where));
}

/** Translation warnings of the config being loaded (loading is synchronous, so one list suffices). */
let pendingWarnings: string[] = [];
/** Every pattern the config being loaded compiled (what the translation cache stores). */
let pendingPatterns = new Set<string>();
/** The parsed TOML of the config being loaded (the cache keeps it with the translations). */
let pendingDoc: Table | undefined;

function compile(source: ConfigSource, pattern: string, what: string): GoRegExp {
  checkPattern(source, pattern, what);
  return compileGoRegex(pattern);
}

/**
 * Translates a pattern (an error naming the config and rule when it does not translate) and
 * records its warnings, without building the RegExp yet.
 */
function checkPattern(source: ConfigSource, pattern: string, what: string): TranslatedRegex {
  pendingPatterns.add(pattern);
  try {
    const translated = translateGoRegex(pattern);
    for (const w of translated.warnings) pendingWarnings.push(`${source.name}: ${what}: ${w}`);
    return translated;
  } catch (error) {
    const reason = error instanceof RegexTranslationError ? error.message : String(error);
    throw new LlmcmError(`${what}: regex does not compile: ${reason}`, {
      code: 'SCAN_REGEX_INVALID',
      kind: 'config',
      file: source.name,
      line: findLine(source.text, pattern.slice(0, 40)),
      hint: 'gitleaks patterns use Go RE2 syntax (https://github.com/google/re2/wiki/Syntax)',
    });
  }
}

function readAllowlist(source: ConfigSource, table: Table, where: string, global: boolean): RawAllowlist {
  checkFields(source, table, global ? globalAllowlistFields : allowlistFields, where);
  return {
    description: asString(source, getField(table, 'description'), `${where}.description`),
    condition: asString(source, getField(table, 'condition'), `${where}.condition`),
    commits: asStrings(source, getField(table, 'commits'), `${where}.commits`),
    paths: asStrings(source, getField(table, 'paths'), `${where}.paths`),
    regexTarget: asString(source, getField(table, 'regextarget'), `${where}.regexTarget`),
    regexes: asStrings(source, getField(table, 'regexes'), `${where}.regexes`),
    stopwords: asStrings(source, getField(table, 'stopwords'), `${where}.stopwords`),
    targetRules: asStrings(source, getField(table, 'targetrules'), `${where}.targetRules`),
  };
}

/** gitleaks joins an allowlist's patterns into one `(?:a|b)` Go regex; flags leak across, so do we. */
function joinGoPatterns(patterns: string[]): string {
  return `(?:${patterns.join('|')})`;
}

function compileAllowlist(source: ConfigSource, raw: RawAllowlist, where: string): Allowlist {
  const cond = raw.condition.toUpperCase();
  let condition: 'OR' | 'AND';
  if (cond === 'AND' || cond === '&&') condition = 'AND';
  else if (cond === '' || cond === 'OR' || cond === '||') condition = 'OR';
  else {
    throw configError(
      source,
      `${where}: unknown allowlist condition '${raw.condition}' (expected 'and', 'or')`,
      findLine(source.text, raw.condition),
    );
  }
  let regexTarget: RegexTarget = 'secret';
  if (raw.regexTarget === 'match' || raw.regexTarget === 'line') regexTarget = raw.regexTarget;
  else if (raw.regexTarget !== '' && raw.regexTarget !== 'secret') {
    throw configError(
      source,
      `${where}: unknown allowlist regexTarget '${raw.regexTarget}' (expected 'secret', 'match', 'line')`,
      findLine(source.text, raw.regexTarget),
    );
  }
  if (raw.commits.length + raw.paths.length + raw.regexes.length + raw.stopwords.length === 0) {
    throw configError(
      source,
      `${where}: must contain at least one check for: commits, paths, regexes, or stopwords`,
      findLine(source.text, 'allowlist'),
    );
  }
  // Each pattern must translate on its own (so the error names it), then the joined form is used.
  for (const p of raw.paths) checkPattern(source, p, `${where} path`);
  for (const p of raw.regexes) checkPattern(source, p, `${where} regex`);
  return {
    description: raw.description,
    condition,
    commits: new Set(raw.commits.map((c) => c.trim().toLowerCase())),
    paths: raw.paths.length > 0 ? compile(source, joinGoPatterns(raw.paths), `${where} paths`) : undefined,
    pathCount: raw.paths.length,
    regexTarget,
    regexes:
      raw.regexes.length > 0 ? compile(source, joinGoPatterns(raw.regexes), `${where} regexes`) : undefined,
    regexCount: raw.regexes.length,
    stopwords: [...new Set(raw.stopwords.map((s) => s.toLowerCase()))],
  };
}

function translateConfig(
  source: ConfigSource,
  options: LoadConfigOptions,
  depth: number,
  cachedDoc?: Table,
): ScanConfigInternal {
  const doc = cachedDoc ?? parseText(source);
  if (depth === 0) pendingDoc = doc;
  checkFields(source, doc, topFields, 'the top level');

  const rules = new Map<string, Rule>();
  const orderedRuleIds: string[] = [];
  const rawRules = asTables(source, getField(doc, 'rules'), 'rules');
  rawRules.forEach((table, index) => {
    const idValue = getField(table, 'id');
    const label = typeof idValue === 'string' && idValue ? `rule '${idValue}'` : `rules[${index}]`;
    checkFields(source, table, ruleFields, label);
    const raw: RawRule = {
      id: asString(source, idValue, `${label}.id`),
      description: asString(source, getField(table, 'description'), `${label}.description`),
      path: asString(source, getField(table, 'path'), `${label}.path`),
      regex: asString(source, getField(table, 'regex'), `${label}.regex`),
      secretGroup: asNumber(source, getField(table, 'secretgroup'), `${label}.secretGroup`),
      entropy: asNumber(source, getField(table, 'entropy'), `${label}.entropy`),
      keywords: asStrings(source, getField(table, 'keywords'), `${label}.keywords`),
      tags: asStrings(source, getField(table, 'tags'), `${label}.tags`),
      allowlists: [],
      required: asTables(source, getField(table, 'required'), `${label}.required`),
      skipReport: getField(table, 'skipreport') === true,
    };
    const legacy = getField(table, 'allowlist');
    // Copies: the document may be kept in the translation cache, so it is never modified.
    const lists = [...asTables(source, getField(table, 'allowlists'), `${label}.allowlists`)];
    if (legacy !== undefined) {
      if (lists.length > 0) {
        throw configError(
          source,
          `${label}: [rules.allowlist] is deprecated, it cannot be used alongside [[rules.allowlists]]`,
          findLine(source.text, raw.id),
        );
      }
      lists.push(...asTables(source, legacy, `${label}.allowlist`));
    }
    // Translated (and so checked) now; the RegExp itself is built when the rule first runs, since
    // most rules of a big config never run on a given repository (their keywords do not occur).
    const translated = raw.regex ? checkPattern(source, raw.regex, label) : undefined;
    const path = raw.path ? compile(source, raw.path, `${label} path`) : undefined;
    const rule: Rule = {
      id: raw.id,
      description: raw.description,
      regexSource: raw.regex || undefined,
      regex: undefined,
      groupCount: translated ? translated.groups : 0,
      secretGroup: raw.secretGroup,
      entropy: raw.entropy,
      pathSource: raw.path || undefined,
      path,
      keywords: raw.keywords.map((k) => k.toLowerCase()),
      tags: raw.tags,
      allowlists: lists.map((t, i) =>
        compileAllowlist(
          source,
          readAllowlist(source, t, `${label}.allowlists[${i}]`, false),
          `${label} allowlist`,
        ),
      ),
      required: raw.required.map((t, i): RequiredRule => {
        checkFields(source, t, requiredFields, `${label}.required[${i}]`);
        const id = asString(source, getField(t, 'id'), `${label}.required.id`);
        if (!id)
          throw configError(
            source,
            `${label}: [[rules.required]] rule ID is empty`,
            findLine(source.text, raw.id),
          );
        const withinLines = getField(t, 'withinlines');
        const withinColumns = getField(t, 'withincolumns');
        return {
          ruleId: id,
          ...(withinLines !== undefined ? { withinLines: asNumber(source, withinLines, 'withinLines') } : {}),
          ...(withinColumns !== undefined
            ? { withinColumns: asNumber(source, withinColumns, 'withinColumns') }
            : {}),
        };
      }),
      skipReport: raw.skipReport,
    };
    if (raw.regex) compileOnFirstUse(rule, raw.regex);
    orderedRuleIds.push(rule.id);
    rules.set(rule.id, rule);
  });

  const config: ScanConfigInternal = {
    title: asString(source, getField(doc, 'title'), 'title'),
    description: asString(source, getField(doc, 'description'), 'description'),
    path: source.name.startsWith('<') ? undefined : source.name,
    rules,
    orderedRuleIds,
    allowlists: [],
    warnings: [],
    targeted: new Map(),
  };

  const legacyGlobal = getField(doc, 'allowlist');
  const globals = [...asTables(source, getField(doc, 'allowlists'), 'allowlists')];
  if (legacyGlobal !== undefined) {
    if (globals.length > 0) {
      throw configError(
        source,
        '[allowlist] is deprecated, it cannot be used alongside [[allowlists]]',
        findLine(source.text, '[allowlist]'),
      );
    }
    globals.push(...asTables(source, legacyGlobal, 'allowlist'));
  }
  globals.forEach((table, i) => {
    const raw = readAllowlist(source, table, `allowlists[${i}]`, true);
    const list = compileAllowlist(source, raw, `[[allowlists]] #${i + 1}`);
    if (raw.targetRules.length > 0) {
      for (const id of raw.targetRules) config.targeted.set(id, [...(config.targeted.get(id) ?? []), list]);
    } else {
      config.allowlists.push(list);
    }
  });

  const extendTable = getField(doc, 'extend');
  if (extendTable !== undefined && depth < MAX_EXTEND_DEPTH) {
    const ext = asTables(source, extendTable, 'extend')[0]!;
    checkFields(source, ext, extendFields, '[extend]');
    const extPath = asString(source, getField(ext, 'path'), 'extend.path');
    const useDefault = getField(ext, 'usedefault') === true;
    const disabled = asStrings(source, getField(ext, 'disabledrules'), 'extend.disabledRules');
    if (extPath && useDefault) {
      throw configError(
        source,
        'unable to load config: extend.path and extend.useDefault are both set',
        findLine(source.text, 'usedefault'),
      );
    }
    let base: ScanConfigInternal | undefined;
    if (useDefault) {
      base = translateConfig(
        { name: '<llmcm default rules>', text: options.defaultToml ?? defaultRulesToml },
        options,
        depth + 1,
      );
    } else if (extPath) {
      const resolved = resolveExtendPath(extPath, source, options);
      if (!resolved) {
        throw configError(
          source,
          `extend.path '${extPath}' not found`,
          findLine(source.text, extPath),
          'paths are relative to the working directory (or to this config file)',
        );
      }
      base = translateConfig(
        { name: resolved, text: readFileSync(resolved, 'utf8'), baseDir: dirname(resolved) },
        options,
        depth + 1,
      );
    }
    if (base) mergeExtended(config, base, new Set(disabled));
  }
  return config;
}

function resolveExtendPath(
  path: string,
  source: ConfigSource,
  options: LoadConfigOptions,
): string | undefined {
  if (isAbsolute(path)) return existsSync(path) ? path : undefined;
  const candidates = [resolve(options.cwd ?? process.cwd(), path)];
  if (source.baseDir) candidates.push(resolve(source.baseDir, path));
  return candidates.find((c) => existsSync(c));
}

/** gitleaks' Config.extend: base rules are added, same-id rules merge field by field. */
function mergeExtended(config: ScanConfigInternal, base: ScanConfigInternal, disabled: Set<string>): void {
  for (const id of base.orderedRuleIds) {
    const baseRule = base.rules.get(id)!;
    if (disabled.has(id)) continue;
    const current = config.rules.get(id);
    if (!current) {
      config.rules.set(id, baseRule);
      config.orderedRuleIds.push(id);
      continue;
    }
    const merged: Rule = { ...baseRule };
    if (current.description) merged.description = current.description;
    if (current.entropy !== 0) merged.entropy = current.entropy;
    if (current.secretGroup !== 0) merged.secretGroup = current.secretGroup;
    if (current.regexSource) {
      Object.defineProperty(merged, 'regex', Object.getOwnPropertyDescriptor(current, 'regex')!);
      merged.regexSource = current.regexSource;
      merged.groupCount = current.groupCount;
    }
    if (current.path) {
      merged.path = current.path;
      merged.pathSource = current.pathSource;
    }
    merged.tags = [...baseRule.tags, ...current.tags];
    merged.keywords = [...baseRule.keywords, ...current.keywords];
    merged.allowlists = [...baseRule.allowlists, ...current.allowlists];
    config.rules.set(id, merged);
  }
  config.allowlists.push(...base.allowlists);
  for (const [id, lists] of base.targeted)
    config.targeted.set(id, [...(config.targeted.get(id) ?? []), ...lists]);
  config.orderedRuleIds.sort();
}

function validateRule(rule: Rule, source: ConfigSource): void {
  if (rule.id.trim() === '') {
    throw configError(
      source,
      `rule |id| is missing or empty${rule.description ? `, description: ${rule.description}` : ''}`,
    );
  }
  if (!rule.regexSource && !rule.path) {
    throw configError(
      source,
      `rule '${rule.id}': both regex and path are empty, this rule will have no effect`,
      findLine(source.text, rule.id),
    );
  }
  if (rule.regexSource && rule.secretGroup > rule.groupCount) {
    throw configError(
      source,
      `rule '${rule.id}': invalid regex secret group ${rule.secretGroup}, max regex secret group ${rule.groupCount}`,
      findLine(source.text, rule.id),
    );
  }
}
