import type { ErrorObject } from 'ajv';
import type { EnvelopeType, LoadedEnvironment } from '../config/types.js';
import { escapePointerSegment } from '../config/yaml-source.js';
import type { Finding } from '../core/findings.js';
import { locationOf, pointerSegments } from './locate.js';
import { type CompiledSchema, subschemaAt } from './schema-registry.js';

/** Keywords whose verdict depends on the value itself, so they cannot be checked on ciphertext. */
export const plaintextKeywords = [
  'pattern',
  'minLength',
  'maxLength',
  'format',
  'enum',
  'const',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
] as const;
const plaintextKeywordSet = new Set<string>(plaintextKeywords);

// A value of the JSON type each sops envelope type decrypts to. Only its JSON type matters: every
// value-dependent keyword at an encrypted pointer is reported as "not checked" instead of judged.
// Placeholders are distinct per value so that uniqueItems never fails on them by accident; floats use
// integer values because sops types `1.0` as a float that decrypts to an integer-valued number.
function placeholderFor(type: EnvelopeType, index: number): unknown {
  switch (type) {
    case 'int':
    case 'float':
      return 1_000_000 + index;
    case 'bool':
      return false;
    default:
      return `\u0000llmcm-encrypted-${index}`;
  }
}

const sopsTypeName: Record<EnvelopeType, string> = {
  str: 'string',
  bytes: 'string',
  time: 'string (time)',
  comment: 'comment',
  int: 'integer',
  float: 'number',
  bool: 'boolean',
};

/**
 * Validates every document of an environment against its kind's schema. With keys, on plaintext.
 * Without keys, on the structure and each ENC envelope's declared type: a type contradiction is an
 * error, and constraints that need plaintext are listed as info findings "not checked: encrypted".
 */
export function validateEnvironmentSchemas(
  loaded: LoadedEnvironment,
  schemas: Map<string, CompiledSchema>,
): Finding[] {
  const findings: Finding[] = [];
  for (const [kind, document] of Object.entries(loaded.tree)) {
    const compiled = schemas.get(kind);
    if (!compiled) {
      findings.push({
        stage: 'schema',
        ruleId: 'schema/unknown-document-kind',
        severity: 'warning',
        message: `no schema for document kind '${kind}'; it is not validated`,
        ...locationOf(loaded, `/${kind}`, 'key'),
        hint: `declare it under documents: in ${loaded.project.file}, or rename the file`,
      });
      continue;
    }
    const encrypted = loaded.decrypted ? new Map<string, EnvelopeType>() : secretsUnder(loaded, `/${kind}`);
    const data = encrypted.size > 0 ? withPlaceholders(document, encrypted) : document;
    if (compiled.validate(data)) {
      if (encrypted.size > 0) findings.push(...listNotChecked(loaded, compiled, kind, encrypted));
      continue;
    }
    for (const error of compiled.validate.errors ?? []) {
      const finding = toFinding(loaded, compiled, kind, error, encrypted);
      if (finding) findings.push(finding);
    }
    if (encrypted.size > 0) findings.push(...listNotChecked(loaded, compiled, kind, encrypted));
  }
  return findings;
}

function secretsUnder(loaded: LoadedEnvironment, prefix: string): Map<string, EnvelopeType> {
  const out = new Map<string, EnvelopeType>();
  const start = `${prefix}/`;
  for (const [pointer, type] of loaded.secrets) if (pointer.startsWith(start)) out.set(pointer, type);
  return out;
}

/** Copies only the containers on the way to each encrypted value and swaps in a typed placeholder. */
function withPlaceholders(document: unknown, encrypted: Map<string, EnvelopeType>): unknown {
  const root: { value: unknown } = { value: shallowCopy(document) };
  let index = 0;
  for (const [pointer, type] of encrypted) {
    const segments = pointerSegments(pointer).slice(1);
    let parent: Record<string, unknown> | unknown[] = root as unknown as Record<string, unknown>;
    let key: string | number = 'value';
    for (const segment of segments) {
      const current = (parent as Record<string, unknown>)[key as string];
      const copy = shallowCopy(current);
      (parent as Record<string, unknown>)[key as string] = copy;
      if (!copy || typeof copy !== 'object') break;
      parent = copy as Record<string, unknown>;
      key = segment;
    }
    (parent as Record<string, unknown>)[key as string] = placeholderFor(type, index++);
  }
  return root.value;
}

// Marks containers already copied in this pass so each is copied once.
const copied = new WeakSet<object>();
function shallowCopy(value: unknown): unknown {
  if (!value || typeof value !== 'object' || copied.has(value)) return value;
  const copy = Array.isArray(value) ? [...value] : { ...(value as Record<string, unknown>) };
  copied.add(copy);
  return copy;
}

function toFinding(
  loaded: LoadedEnvironment,
  compiled: CompiledSchema,
  kind: string,
  error: ErrorObject,
  encrypted: Map<string, EnvelopeType>,
): Finding | undefined {
  // The inner error of propertyNames (e.g. pattern) is reported through its propertyNames error.
  if (error.propertyName !== undefined) return undefined;
  const base = `/${kind}${error.instancePath}`;
  const envelope = encrypted.get(base);
  if (envelope) {
    if (error.keyword === 'type') {
      const expected = String((error.params as { type: string }).type);
      return {
        stage: 'schema',
        ruleId: 'schema/encrypted-type',
        severity: 'error',
        message: `${base}: encrypted value has sops type ${envelope} (${sopsTypeName[envelope]}), but the schema expects ${expected}`,
        ...locationOf(loaded, base),
        hint: `write it as a ${expected} in the plaintext (not a quoted string) and re-encrypt it`,
        properties: { keyword: 'type', schema: compiled.source },
      };
    }
    // A value-dependent keyword judged on a placeholder says nothing; it is listed as not checked.
    if (plaintextKeywordSet.has(error.keyword)) return undefined;
  }
  // Equality of list items needs plaintext when an item is encrypted.
  if (error.keyword === 'uniqueItems' && [...encrypted.keys()].some((p) => p.startsWith(`${base}/`)))
    return undefined;
  let pointer = base;
  let at: 'value' | 'key' = 'value';
  let message = `${base || '/'} ${error.message ?? 'is invalid'}`;
  let hint: string | undefined;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties': {
      const extra = String(params.additionalProperty);
      pointer = `${base}/${escapePointerSegment(extra)}`;
      at = 'key';
      message = `${pointer}: unknown property '${extra}'`;
      const known = Object.keys(
        (subschemaAt(compiled.schema, pointerSegments(error.instancePath))?.properties as object) ?? {},
      );
      const guess = closest(extra, known);
      hint = guess
        ? `did you mean '${guess}'?`
        : known.length
          ? `allowed: ${known.join(', ')}`
          : `remove '${extra}'`;
      break;
    }
    case 'required': {
      const missing = String(params.missingProperty);
      at = 'key';
      message = `${base || '/'}: missing required property '${missing}'`;
      hint = `add '${missing}'`;
      break;
    }
    case 'propertyNames': {
      const name = String(params.propertyName);
      pointer = `${base}/${escapePointerSegment(name)}`;
      at = 'key';
      message = `${pointer}: invalid name '${name}'`;
      hint = 'rename it to match the naming rule of this section';
      break;
    }
    case 'type':
      hint = `use a ${String(params.type)}`;
      break;
    case 'enum':
      hint = `use one of: ${((params.allowedValues as unknown[]) ?? []).map(String).join(', ')}`;
      break;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      hint = `use a value ${String(params.comparison)} ${String(params.limit)}`;
      break;
    case 'pattern':
      hint = `match ${String(params.pattern)}`;
      break;
    case 'format':
      hint = `use a valid ${String(params.format)}`;
      break;
    case 'minItems':
      hint = `list at least ${String(params.limit)} item(s)`;
      break;
    case 'uniqueItems':
      hint = `remove the duplicate (items ${String(params.j)} and ${String(params.i)} are equal)`;
      break;
  }
  return {
    stage: 'schema',
    ruleId: `schema/${error.keyword}`,
    severity: 'error',
    message,
    ...locationOf(loaded, pointer, at),
    ...(hint ? { hint } : {}),
    properties: { keyword: error.keyword, schema: compiled.source, schemaPath: error.schemaPath },
  };
}

function listNotChecked(
  loaded: LoadedEnvironment,
  compiled: CompiledSchema,
  kind: string,
  encrypted: Map<string, EnvelopeType>,
): Finding[] {
  const out: Finding[] = [];
  const lists = new Set<string>();
  for (const pointer of encrypted.keys()) {
    const segments = pointerSegments(pointer).slice(1);
    // A list holding an encrypted item cannot be checked for uniqueItems without plaintext.
    if (/^\d+$/.test(segments.at(-1) ?? '')) {
      const list = pointer.slice(0, pointer.lastIndexOf('/'));
      const listSchema = subschemaAt(compiled.schema, segments.slice(0, -1));
      if (listSchema?.uniqueItems === true && !lists.has(list)) {
        lists.add(list);
        out.push({
          stage: 'schema',
          ruleId: 'schema/not-checked-encrypted',
          severity: 'info',
          message: `${list}: not checked: encrypted (uniqueItems)`,
          ...locationOf(loaded, list),
          hint: 'run with the decryption key (SOPS_AGE_KEY_FILE) to check these constraints',
          properties: { keywords: ['uniqueItems'], kind },
        });
      }
    }
    const sub = subschemaAt(compiled.schema, segments);
    if (!sub) continue;
    const keywords: string[] = plaintextKeywords.filter((k) => k in sub);
    // A sops float may hold an integer-valued number (`1.0`); whether it is one needs the plaintext.
    const types = Array.isArray(sub.type) ? sub.type : [sub.type];
    if (encrypted.get(pointer) === 'float' && types.includes('integer') && !types.includes('number'))
      keywords.unshift('type');
    if (keywords.length === 0) continue;
    out.push({
      stage: 'schema',
      ruleId: 'schema/not-checked-encrypted',
      severity: 'info',
      message: `${pointer}: not checked: encrypted (${keywords.join(', ')})`,
      ...locationOf(loaded, pointer),
      hint: 'run with the decryption key (SOPS_AGE_KEY_FILE) to check these constraints',
      properties: { keywords, kind },
    });
  }
  return out;
}

/** The candidate closest to `word` by edit distance, when it is close enough to be a typo. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const temp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = temp;
    }
  }
  return row[b.length]!;
}
