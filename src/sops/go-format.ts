/**
 * Go formatting and parsing rules that sops applies to plaintext values. sops hashes and encrypts the
 * Go rendering of a value (strconv.FormatFloat 'f' -1, "True"/"False", RFC 3339 with nanoseconds), so a
 * reimplementation must produce byte-identical text or the MAC will not match.
 */

/** strconv.FormatFloat(x, 'f', -1, 64): shortest round-trip digits, never an exponent. */
export function formatGoFloat(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Number.POSITIVE_INFINITY) return '+Inf';
  if (x === Number.NEGATIVE_INFINITY) return '-Inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const s = String(x);
  const e = s.indexOf('e');
  if (e < 0) return s;
  // Expand JS exponent notation (only used for |x| >= 1e21 or < 1e-6).
  const negative = s.startsWith('-');
  const mantissa = s.slice(negative ? 1 : 0, e);
  const exponent = Number(s.slice(e + 1));
  const [intPart, fracPart = ''] = mantissa.split('.');
  const digits = `${intPart}${fracPart}`;
  const pointAt = (intPart ?? '').length + exponent;
  let out: string;
  if (pointAt <= 0) out = `0.${'0'.repeat(-pointAt)}${digits}`;
  else if (pointAt >= digits.length) out = `${digits}${'0'.repeat(pointAt - digits.length)}`;
  else out = `${digits.slice(0, pointAt)}.${digits.slice(pointAt)}`;
  return negative ? `-${out}` : out;
}

/** strconv.ParseFloat(s, 64) for the texts sops writes (decimal, optional exponent, Inf/NaN). */
export function parseGoFloat(s: string): number | undefined {
  const t = s.replace(/_/g, '');
  if (/^[+-]?(inf|infinity)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(t)) return Number.NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return undefined;
  return Number(t);
}

const goTrue = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const goFalse = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** strconv.ParseBool: the spellings sops accepts when it reads a `bool` value. */
export function parseGoBool(s: string): boolean | undefined {
  if (goTrue.has(s)) return true;
  if (goFalse.has(s)) return false;
  return undefined;
}

/** How sops writes a bool (the Python original used title case). */
export function formatGoBool(b: boolean): string {
  return b ? 'True' : 'False';
}

/** strconv.Atoi / ParseInt(s, 10, 64): decimal with an optional sign. */
export function parseGoDecimalInt(s: string): bigint | undefined {
  if (!/^[+-]?\d+$/.test(s)) return undefined;
  const v = BigInt(s);
  if (v > 9223372036854775807n || v < -9223372036854775808n) return undefined;
  return v;
}

/**
 * A Go time as sops keeps it: the instant plus the original UTC offset in minutes (Go keeps the
 * zone of a parsed time and prints it back), and nanoseconds beyond the millisecond.
 */
export interface GoTime {
  /** Seconds since the epoch (UTC), as a bigint-safe number. */
  epochSeconds: number;
  nanos: number;
  /** Offset east of UTC in minutes; 0 prints as `Z`. */
  offsetMinutes: number;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** time.Format(time.RFC3339Nano): trailing zeros of the fraction dropped, `Z` for UTC. */
export function formatGoTime(t: GoTime): string {
  const local = new Date((t.epochSeconds + t.offsetMinutes * 60) * 1000);
  let s = `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}T${pad(
    local.getUTCHours(),
  )}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}`;
  if (t.nanos > 0) s += `.${String(t.nanos).padStart(9, '0').replace(/0+$/, '')}`;
  if (t.offsetMinutes === 0) return `${s}Z`;
  const sign = t.offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(t.offsetMinutes);
  return `${s}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/**
 * The timestamp forms yaml.v3 resolves for an unquoted scalar ("2006-1-2T15:4:5.999999999Z07:00",
 * with `t` or a space as separator, or a bare date). Returns undefined when the text is not one.
 */
export function parseYamlTimestamp(text: string): GoTime | undefined {
  // yaml.v3 only tries when the first four characters are digits followed by '-'.
  if (!/^\d{4}-/.test(text)) return undefined;
  const m =
    /^(\d{4})-(\d{1,2})-(\d{1,2})(?:([Tt]|[ \t]+)(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d+))?(?:(Z)|([+-])(\d{2}):(\d{2}))?)?$/.exec(
      text,
    );
  if (!m) return undefined;
  const [, y, mo, d, sep, h, mi, s, frac, z, sign, oh, om] = m;
  if (sep !== undefined && sep !== 'T' && sep !== 't' && sep !== ' ') return undefined;
  // A zone is required with the T separator; the space form takes none.
  if ((sep === 'T' || sep === 't') && z === undefined && sign === undefined) return undefined;
  if (sep === ' ' && (z !== undefined || sign !== undefined)) return undefined;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h ?? 0);
  const minute = Number(mi ?? 0);
  const second = Number(s ?? 0);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59)
    return undefined;
  const probe = new Date(Date.UTC(year, month - 1, day));
  if (probe.getUTCDate() !== day) return undefined;
  let offsetMinutes = 0;
  if (sign !== undefined) offsetMinutes = (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om));
  const epochMs = Date.UTC(year, month - 1, day, hour, minute, second) - offsetMinutes * 60_000;
  const nanos = frac ? Number(frac.slice(0, 9).padEnd(9, '0')) : 0;
  return { epochSeconds: Math.floor(epochMs / 1000), nanos, offsetMinutes };
}

/** time.Parse(time.RFC3339, s) as sops uses to read a `time` value. */
export function parseRfc3339(text: string): GoTime | undefined {
  const m =
    /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/.exec(
      text,
    );
  if (!m) return undefined;
  return parseYamlTimestamp(
    `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[7] ? `.${m[7]}` : ''}${m[8] ? 'Z' : `${m[9]}${m[10]}:${m[11]}`}`,
  );
}

/** `YYYY-MM-DDTHH:MM:SSZ`: the only lastmodified form whose MAC survives sops' re-formatting. */
export function formatLastModified(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
