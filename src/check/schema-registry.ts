import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import type { Ajv2020, ValidateFunction } from 'ajv/dist/2020.js';
import { isPlainMap } from '../config/merge.js';
import type { ProjectConfig } from '../config/types.js';
import { parseYamlText, readYamlTree } from '../config/yaml-source.js';
import { writeFileAtomic } from '../core/atomic-write.js';
import { LlmcmError } from '../core/errors.js';
import { packageRoot } from '../core/package-root.js';

/** A compiled document schema, with its source for locating keywords. */
export interface CompiledSchema {
  kind: string;
  /** Where the schema came from (path relative to the root, or `llmcm:<kind>`). */
  source: string;
  schema: Record<string, unknown>;
  validate: ValidateFunction;
}

// ajv and ajv-formats are CommonJS: loading them with require skips the ESM loader's export scan, and
// only when a schema actually has to be compiled.
const requireHere = createRequire(import.meta.url);
type AjvModule = typeof import('ajv/dist/2020.js');
const ajvVersion = (requireHere('ajv/package.json') as { version: string }).version;
// Part of the cache key: bump when the options below change.
const compileSettings = `ajv ${ajvVersion} strict allErrors unionTypes fullFormats v2`;

/** Folder of the JSON Schemas shipped with llmcm (used for `llmcm:<kind>`). */
export const builtinSchemaDir = join(packageRoot(), 'schemas');

let sharedAjv: Ajv2020 | undefined;
const compiled = new Map<string, CompiledSchema>();

/**
 * One Ajv for the process: strict mode, all errors, formats, draft 2020-12. It keeps the generated
 * source so each compiled schema can be cached on disk as a standalone module.
 */
function ajvInstance(): Ajv2020 {
  if (!sharedAjv) {
    const { Ajv2020: AjvClass, _ } = requireHere('ajv/dist/2020') as AjvModule;
    const addFormats = requireHere('ajv-formats') as (ajv: Ajv2020) => void;
    sharedAjv = new AjvClass({
      strict: true,
      allErrors: true,
      allowUnionTypes: true,
      code: { source: true, formats: _`require("ajv-formats/dist/formats").fullFormats` },
    });
    addFormats(sharedAjv);
  }
  return sharedAjv;
}

/**
 * Where compiled validators are cached across runs: the user's cache folder
 * (`$LLMCM_CACHE_DIR`, else `$XDG_CACHE_HOME/llmcm`, else `~/.cache/llmcm`), never the config repo: a
 * cached validator is code, and a pull request must not be able to plant code that `llmcm check` runs.
 * The key is the hash of the schema text and the compile settings, so an edited schema is compiled again.
 */
/** The cache file of a schema's compiled validator (tests use it to check what gets loaded). */
export function schemaCachePath(schemaText: string): string {
  return cacheFile(
    createHash('sha256').update(compileSettings).update('\0').update(schemaText).digest('hex'),
  );
}

function cacheFile(hash: string): string {
  const env = process.env;
  const base = env.LLMCM_CACHE_DIR
    ? env.LLMCM_CACHE_DIR
    : join(
        env.XDG_CACHE_HOME ? env.XDG_CACHE_HOME : join(env.HOME ? env.HOME : homedir(), '.cache'),
        'llmcm',
      );
  return join(base, 'ajv', `${hash}.cjs`);
}

/** Only a file this user owns and nobody else can write is loaded as code. */
function isPrivateFile(path: string): boolean {
  try {
    const stat = statSync(path);
    const uid = typeof process.getuid === 'function' ? process.getuid() : stat.uid;
    return stat.isFile() && stat.uid === uid && (stat.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

function loadCachedValidator(path: string): ValidateFunction | undefined {
  if (!isPrivateFile(path)) return undefined;
  let code: string;
  try {
    code = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const module = { exports: {} as unknown };
    new Function('require', 'module', 'exports', code)(requireHere, module, module.exports);
    return typeof module.exports === 'function' ? (module.exports as ValidateFunction) : undefined;
  } catch {
    return undefined; // A damaged cache entry is compiled again.
  }
}

function storeCachedValidator(path: string, ajv: Ajv2020, validate: ValidateFunction): void {
  try {
    const { default: standaloneCode } = requireHere(
      'ajv/dist/standalone',
    ) as typeof import('ajv/dist/standalone/index.js');
    mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 });
    writeFileAtomic(path, standaloneCode(ajv, validate), { mode: 0o600 });
  } catch {
    // The cache is an optimisation: a read-only checkout simply compiles every run.
  }
}

/** Resolves a `documents:` entry to a file path and a display name. */
export function resolveSchemaPath(project: ProjectConfig, source: string): { path: string; display: string } {
  if (source.startsWith('llmcm:')) {
    const kind = source.slice('llmcm:'.length);
    return { path: join(builtinSchemaDir, `${kind}.schema.json`), display: source };
  }
  return { path: isAbsolute(source) ? source : join(project.root, source), display: source };
}

/**
 * Compiles the schema of every document kind of the project, once per process (keyed by content hash),
 * so a run over a thousand files compiles each schema a single time. A schema that cannot be read,
 * parsed or compiled is a config error (exit 2) naming its file and line.
 */
export function compileProjectSchemas(project: ProjectConfig): Map<string, CompiledSchema> {
  const result = new Map<string, CompiledSchema>();
  for (const [kind, source] of Object.entries(project.documents)) {
    result.set(kind, compileSchemaFile(kind, source, resolveSchemaPath(project, source)));
  }
  return result;
}

function compileSchemaFile(
  kind: string,
  source: string,
  where: { path: string; display: string },
): CompiledSchema {
  const file = where.display;
  let text: string;
  try {
    text = readFileSync(where.path, 'utf8');
  } catch {
    throw new LlmcmError(`schema for document kind '${kind}' not found: ${file}`, {
      code: 'SCHEMA_MISSING',
      kind: 'config',
      file,
      hint: 'fix the path under documents: in llmcm.yaml',
    });
  }
  const hash = createHash('sha256').update(compileSettings).update('\0').update(text).digest('hex');
  const cacheKey = `${kind}\0${hash}`;
  const cached = compiled.get(cacheKey);
  if (cached) return cached;

  let schema: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(text);
    if (!isPlainMap(parsed)) throw new Error('a schema must be a JSON object');
    schema = parsed;
  } catch (error) {
    const position = /position (\d+)/.exec((error as Error).message);
    throw new LlmcmError(`schema does not parse: ${(error as Error).message.split('\n')[0]}`, {
      code: 'SCHEMA_INVALID',
      kind: 'config',
      file,
      line: position ? lineOfOffset(text, Number(position[1])) : 1,
      hint: 'fix the JSON syntax of the schema',
    });
  }

  const cachePath = cacheFile(hash);
  const cachedValidate = loadCachedValidator(cachePath);
  if (cachedValidate) {
    const entry: CompiledSchema = { kind, source, schema, validate: cachedValidate };
    compiled.set(cacheKey, entry);
    return entry;
  }

  const ajv = ajvInstance();
  const id = typeof schema.$id === 'string' ? schema.$id : undefined;
  if (id && ajv.getSchema(id)) ajv.removeSchema(id);
  try {
    const validate = ajv.compile(schema);
    storeCachedValidator(cachePath, ajv, validate);
    const entry: CompiledSchema = { kind, source, schema, validate };
    compiled.set(cacheKey, entry);
    return entry;
  } catch (error) {
    const message = (error as Error).message.split('\n')[0]!;
    throw new LlmcmError(`schema does not compile: ${message}`, {
      code: 'SCHEMA_INVALID',
      kind: 'config',
      file,
      line: locateSchemaError(message, text, file),
      hint: 'fix the schema (JSON Schema draft 2020-12, ajv strict mode)',
    });
  }
}

/** Finds the line of the keyword an ajv compile error names (unknown keyword, or a data/... path). */
function locateSchemaError(message: string, text: string, file: string): number {
  // JSON is YAML: parsing it again with positions (only on this error path) finds the keyword's line.
  let tree: ReturnType<typeof readYamlTree>;
  try {
    const { document, lines } = parseYamlText(text, file);
    tree = readYamlTree(document, lines, file);
  } catch {
    return 1;
  }
  const pathMatch = /data(\/[^\s]*)/.exec(message);
  if (pathMatch) {
    const pos = tree.positions.get(pathMatch[1]!);
    if (pos) return pos.keyLine;
  }
  const keyword = /keyword:? "([^"]+)"/.exec(message)?.[1] ?? /"([^"]+)"/.exec(message)?.[1];
  if (keyword) {
    for (const [pointer, pos] of tree.positions) {
      if (pointer.endsWith(`/${keyword}`)) return pos.keyLine;
    }
  }
  return 1;
}

function lineOfOffset(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/**
 * The subschema that applies at a path inside a document (following properties, additionalProperties,
 * items and local $refs), used to list the constraints that need plaintext. Undefined when unknown.
 */
export function subschemaAt(
  root: Record<string, unknown>,
  segments: readonly string[],
): Record<string, unknown> | undefined {
  let current: Record<string, unknown> | undefined = root;
  const deref = (s: Record<string, unknown> | undefined): Record<string, unknown> | undefined => {
    let node = s;
    for (let hops = 0; node && typeof node.$ref === 'string' && hops < 16; hops++) {
      const ref: string = node.$ref as string;
      if (!ref.startsWith('#/')) return undefined;
      let target: unknown = root;
      for (const part of ref.slice(2).split('/')) {
        target = isPlainMap(target) ? target[part.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
      }
      node = isPlainMap(target) ? target : undefined;
    }
    return node;
  };
  current = deref(current);
  for (const segment of segments) {
    if (!current) return undefined;
    const props = current.properties;
    if (isPlainMap(props) && isPlainMap(props[segment]))
      current = deref(props[segment] as Record<string, unknown>);
    else if (isPlainMap(current.additionalProperties)) current = deref(current.additionalProperties);
    else if (isPlainMap(current.items) && /^\d+$/.test(segment)) current = deref(current.items);
    else return undefined;
  }
  return current;
}
