import {
  formatGoBool,
  formatGoFloat,
  formatGoTime,
  parseGoBool,
  parseGoDecimalInt,
  parseGoFloat,
  parseRfc3339,
  parseYamlTimestamp,
} from './go-format.js';

/** The plaintext types sops writes into an envelope (`bytes` is only ever read). */
export type SopsValueType = 'str' | 'int' | 'float' | 'bool' | 'time' | 'bytes';

/**
 * A typed plaintext leaf. `text` is exactly the bytes sops encrypts and hashes into the MAC
 * (Go formatting: `True`, `1`, `2024-01-01T00:00:00Z`).
 */
export interface PlainValue {
  type: SopsValueType;
  text: string;
}

/** What a YAML scalar resolves to under yaml.v3's rules: a typed value, or null. */
export type ResolvedScalar = PlainValue | null;

const nullWords = new Set(['', '~', 'null', 'Null', 'NULL']);
const trueWords = new Set(['true', 'True', 'TRUE']);
const falseWords = new Set(['false', 'False', 'FALSE']);
const nanWords = new Set(['.nan', '.NaN', '.NAN']);
const infWords = new Set(['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF']);
const negInfWords = new Set(['-.inf', '-.Inf', '-.INF']);
const yamlStyleFloat = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

/** Go strconv.ParseInt(s, 0, 64): sign, then 0x / 0o / 0b / leading-0 octal / decimal. */
function parseGoIntBase0(s: string): bigint | undefined {
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(s);
  if (!m) return undefined;
  const sign = m[1] === '-' ? -1n : 1n;
  const body = m[2]!;
  let v: bigint;
  if (/^0[xX]/.test(body)) v = BigInt(`0x${body.slice(2)}`);
  else if (/^0[oO]/.test(body)) v = BigInt(`0o${body.slice(2)}`);
  else if (/^0[bB]/.test(body)) v = BigInt(`0b${body.slice(2)}`);
  else if (body.length > 1 && body.startsWith('0')) v = BigInt(`0o${body.slice(1)}`);
  else v = BigInt(body);
  v *= sign;
  if (v > 9223372036854775807n || v < -9223372036854775808n) return undefined;
  return v;
}

function floatValue(x: number): PlainValue {
  return { type: 'float', text: formatGoFloat(x) };
}

/**
 * Resolves an unquoted YAML scalar the way yaml.v3 does when sops decodes it (so that an
 * unencrypted `1.0` hashes as `1`, `0x1F` as `31` and `2024-01-01` as a time).
 * `tag` is an explicit tag such as `tag:yaml.org,2002:str`, if any.
 */
export function resolveYamlV3Plain(text: string, tag?: string): ResolvedScalar {
  const shortTag = tag?.replace(/^tag:yaml\.org,2002:/, '!!');
  if (shortTag === '!!str' || shortTag === '!!binary') return { type: 'str', text };
  if (shortTag && !['!!int', '!!float', '!!bool', '!!null', '!!timestamp'].includes(shortTag)) {
    // Unknown (application) tags decode to their string content.
    return { type: 'str', text };
  }
  const resolved = resolveUntagged(text, shortTag === undefined || shortTag === '!!timestamp');
  if (shortTag === undefined) return resolved;
  if (shortTag === '!!float' && resolved && resolved.type === 'int') return floatValue(Number(resolved.text));
  const expected = { '!!int': 'int', '!!float': 'float', '!!bool': 'bool', '!!timestamp': 'time' }[
    shortTag as '!!int'
  ];
  if (shortTag === '!!null') {
    if (resolved === null) return null;
  } else if (resolved && resolved.type === expected) return resolved;
  throw new Error(`cannot decode ${shortTag} value`);
}

function resolveUntagged(text: string, allowTimestamp: boolean): ResolvedScalar {
  if (nullWords.has(text)) return null;
  if (trueWords.has(text)) return { type: 'bool', text: 'True' };
  if (falseWords.has(text)) return { type: 'bool', text: 'False' };
  if (nanWords.has(text)) return floatValue(Number.NaN);
  if (infWords.has(text)) return floatValue(Number.POSITIVE_INFINITY);
  if (negInfWords.has(text)) return floatValue(Number.NEGATIVE_INFINITY);
  const first = text[0] ?? '';
  if (!'+-.0123456789'.includes(first)) return { type: 'str', text };
  if (allowTimestamp) {
    const t = parseYamlTimestamp(text);
    if (t) return { type: 'time', text: formatGoTime(t) };
  }
  const plain = text.replace(/_/g, '');
  const i = parseGoIntBase0(plain);
  if (i !== undefined) return { type: 'int', text: i.toString() };
  if (yamlStyleFloat.test(plain)) {
    const f = parseGoFloat(plain);
    if (f !== undefined) return floatValue(f);
  }
  return { type: 'str', text };
}

/** The plaintext value for a JSON value as sops' JSON store sees it (every number is a float64). */
export function plainValueFromJson(value: unknown): ResolvedScalar {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return { type: 'str', text: value };
  if (typeof value === 'boolean') return { type: 'bool', text: formatGoBool(value) };
  if (typeof value === 'number') return floatValue(value);
  throw new Error(`not a scalar: ${typeof value}`);
}

/** A JS value typed the way a YAML author would expect (integers are `int`). */
export function plainValueFromJs(value: unknown): ResolvedScalar {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return { type: 'int', text: value.toString() };
  if (typeof value === 'number' && Number.isSafeInteger(value) && !Object.is(value, -0)) {
    return { type: 'int', text: String(value) };
  }
  if (value instanceof Date) {
    return {
      type: 'time',
      text: formatGoTime({
        epochSeconds: Math.floor(value.getTime() / 1000),
        nanos: (value.getTime() % 1000) * 1e6,
        offsetMinutes: 0,
      }),
    };
  }
  return plainValueFromJson(value);
}

/** Validates decrypted bytes against their declared type, as sops' strconv calls would. */
export function checkPlainValue(type: string, text: string): PlainValue | undefined {
  switch (type) {
    case 'str':
    case 'bytes':
      return { type, text };
    case 'int':
    case 'int64':
      return parseGoDecimalInt(text) === undefined ? undefined : { type: 'int', text };
    case 'float':
      return parseGoFloat(text) === undefined ? undefined : { type: 'float', text };
    case 'bool': {
      const b = parseGoBool(text);
      return b === undefined ? undefined : { type: 'bool', text: formatGoBool(b) };
    }
    case 'time':
      return parseRfc3339(text) ? { type: 'time', text } : undefined;
    default:
      return undefined;
  }
}

/**
 * The bytes the MAC takes for a value. Decrypted values are hashed in Go's formatting of the
 * parsed value (so a `bool` stored as `true` hashes as `True`, a float `1.50` as `1.5`).
 */
export function macBytesOf(value: PlainValue): string {
  switch (value.type) {
    case 'int':
      return BigInt(value.text).toString();
    case 'float':
      return formatGoFloat(parseGoFloat(value.text) ?? Number.NaN);
    case 'bool':
      return formatGoBool(parseGoBool(value.text) ?? false);
    case 'time': {
      const t = parseRfc3339(value.text);
      return t ? formatGoTime(t) : value.text;
    }
    default:
      return value.text;
  }
}

/** The JS value of a typed plaintext (ints beyond 2^53 become bigint). */
export function jsValueOf(value: PlainValue): unknown {
  switch (value.type) {
    case 'int': {
      const b = BigInt(value.text);
      return b <= BigInt(Number.MAX_SAFE_INTEGER) && b >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(b) : b;
    }
    case 'float':
      return parseGoFloat(value.text) ?? Number.NaN;
    case 'bool':
      return parseGoBool(value.text) ?? false;
    default:
      return value.text;
  }
}
