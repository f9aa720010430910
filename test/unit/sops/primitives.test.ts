import { describe, expect, it } from 'vitest';
import { openValue, sealValue } from '../../../src/sops/envelope.js';
import { formatGoFloat, formatGoTime, parseYamlTimestamp } from '../../../src/sops/go-format.js';
import { compileGoRegex, matchGoRegex } from '../../../src/sops/go-regex.js';
import { isEncryptedValue, parseEnvelope } from '../../../src/sops/index.js';
import { combineShares, splitSecret } from '../../../src/sops/shamir.js';
import { checkPlainValue, macBytesOf, resolveYamlV3Plain } from '../../../src/sops/values.js';

describe('value envelope', () => {
  // sops' own unit vector (aes/cipher_test.go).
  const key = Buffer.from('f'.repeat(32));
  const vector =
    'ENC[AES256_GCM,data:oYyi,iv:MyIDYbT718JRr11QtBkcj3Dwm4k1aCGZBVeZf0EyV8o=,tag:t5z2Z023Up0kxwCgw1gNxg==,type:str]';

  it('decrypts the sops test vector with AAD "bar:"', () => {
    expect(openValue(key, vector, 'bar:').text).toBe('foo');
  });

  it('fails the same vector with an empty AAD', () => {
    expect(() => openValue(key, vector, '')).toThrow(/authentication failed/);
  });

  it('parses the envelope into its parts', () => {
    expect(parseEnvelope(vector)).toEqual({
      data: 'oYyi',
      iv: 'MyIDYbT718JRr11QtBkcj3Dwm4k1aCGZBVeZf0EyV8o=',
      tag: 't5z2Z023Up0kxwCgw1gNxg==',
      type: 'str',
    });
    expect(isEncryptedValue(vector)).toBe(true);
    expect(isEncryptedValue('plain')).toBe(false);
    expect(parseEnvelope('ENC[AES256_GCM,data:abc')).toBeNull();
  });

  it('writes a 32-byte IV and 16-byte tag, padded base64', () => {
    const env = parseEnvelope(sealValue(key, 'hello', 'str', 'a:'))!;
    expect(Buffer.from(env.iv, 'base64')).toHaveLength(32);
    expect(Buffer.from(env.tag, 'base64')).toHaveLength(16);
    expect(env.iv.endsWith('=')).toBe(true);
  });

  it('rejects truncated or non-base64 parts without echoing plaintext', () => {
    const good = sealValue(key, 'canary-secret', 'str', 'a:');
    const truncated = good.replace(/tag:([^,]+),/, (_, t: string) => `tag:${t.slice(0, 8)},`);
    expect(() => openValue(key, truncated, 'a:')).toThrow(/tag|base64/);
    expect(() => openValue(key, good.replace('data:', 'data:!'), 'a:')).toThrow(/base64/);
  });

  it('reuses a given IV for identical ciphertext', () => {
    const iv = Buffer.alloc(32, 7);
    expect(sealValue(key, 'x', 'str', 'a:', iv)).toBe(sealValue(key, 'x', 'str', 'a:', iv));
  });
});

describe('Go formatting', () => {
  it.each([
    [1, '1'],
    [1.5, '1.5'],
    [3.14, '3.14'],
    [1e21, '1000000000000000000000'],
    [1.5e-7, '0.00000015'],
    [-2.5e22, '-25000000000000000000000'],
    [0, '0'],
    [Number.POSITIVE_INFINITY, '+Inf'],
    [Number.NaN, 'NaN'],
  ])('FormatFloat(%s) = %s', (x, s) => {
    expect(formatGoFloat(x)).toBe(s);
  });

  it('formats times as RFC 3339 with nanoseconds, trailing zeros dropped', () => {
    expect(formatGoTime(parseYamlTimestamp('2024-01-01')!)).toBe('2024-01-01T00:00:00Z');
    expect(formatGoTime(parseYamlTimestamp('2024-01-01T10:00:00.500+02:00')!)).toBe(
      '2024-01-01T10:00:00.5+02:00',
    );
    expect(formatGoTime(parseYamlTimestamp('2001-12-14 21:59:43.10')!)).toBe('2001-12-14T21:59:43.1Z');
    expect(parseYamlTimestamp('2024-13-01')).toBeUndefined();
  });
});

describe('yaml.v3 scalar resolution (what sops hashes for clear values)', () => {
  it.each([
    ['1', 'int', '1'],
    ['0x1F', 'int', '31'],
    ['0o17', 'int', '15'],
    ['0777', 'int', '511'],
    ['1_000', 'int', '1000'],
    ['1.0', 'float', '1'],
    ['1e3', 'float', '1000'],
    ['.inf', 'float', '+Inf'],
    ['09', 'float', '9'],
    ['true', 'bool', 'True'],
    ['False', 'bool', 'False'],
    ['yes', 'str', 'yes'],
    ['2024-01-01', 'time', '2024-01-01T00:00:00Z'],
    ['hello', 'str', 'hello'],
    ['-', 'str', '-'],
  ])('%s → %s %s', (text, type, out) => {
    expect(resolveYamlV3Plain(text)).toEqual({ type, text: out });
  });

  it('resolves null spellings to null and honours explicit tags', () => {
    for (const n of ['', '~', 'null', 'NULL']) expect(resolveYamlV3Plain(n)).toBeNull();
    expect(resolveYamlV3Plain('123', 'tag:yaml.org,2002:str')).toEqual({ type: 'str', text: '123' });
    expect(resolveYamlV3Plain('5', '!!float')).toEqual({ type: 'float', text: '5' });
    expect(() => resolveYamlV3Plain('abc', '!!int')).toThrow();
  });

  it('reads decrypted values with Go ParseBool/ParseFloat and hashes them in Go format', () => {
    expect(checkPlainValue('bool', 't')).toEqual({ type: 'bool', text: 'True' });
    expect(checkPlainValue('bool', 'yes')).toBeUndefined();
    expect(checkPlainValue('int', '12x')).toBeUndefined();
    expect(macBytesOf({ type: 'float', text: '1.50' })).toBe('1.5');
    expect(checkPlainValue('bytes', 'raw')).toEqual({ type: 'bytes', text: 'raw' });
    expect(checkPlainValue('nope', 'x')).toBeUndefined();
  });
});

describe('Shamir over GF(2^8)', () => {
  it('recovers the secret from any threshold-sized subset', () => {
    const secret = Buffer.from('0123456789abcdef0123456789abcdef');
    const shares = splitSecret(secret, 5, 3);
    expect(shares[0]).toHaveLength(33);
    expect(shares.map((s) => s[32])).toEqual([1, 2, 3, 4, 5]);
    expect(Buffer.from(combineShares([shares[0]!, shares[2]!, shares[4]!]))).toEqual(secret);
    expect(Buffer.from(combineShares([shares[3]!, shares[1]!, shares[0]!]))).toEqual(secret);
    expect(Buffer.from(combineShares([shares[3]!, shares[1]!]))).not.toEqual(secret);
  });

  it('matches a known GF(2^8) interpolation (x=1,y=1; x=2,y=3 → 0 at x=0 for the line y = x·1 ^ 0)', () => {
    // y(x) = 0 ^ 1·x in GF(2^8): shares (1,1) and (2,2) recover 0.
    expect(Array.from(combineShares([Uint8Array.of(1, 1), Uint8Array.of(2, 2)]))).toEqual([0]);
    // y(x) = 5 ^ 3·x: x=1 → 6, x=2 → 5^6=3.
    expect(Array.from(combineShares([Uint8Array.of(6, 1), Uint8Array.of(3, 2)]))).toEqual([5]);
  });

  it('rejects invalid thresholds', () => {
    expect(() => splitSecret(Buffer.alloc(32), 2, 1)).toThrow();
    expect(() => splitSecret(Buffer.alloc(32), 2, 3)).toThrow();
  });
});

describe('Go RE2 regex translation', () => {
  it.each([
    ['^(data|stringData)$', 'data', true],
    ['^(data|stringData)$', 'metadata', false],
    ['password', 'db_password_x', true],
    ['(?i)^api_key$', 'API_KEY', true],
    ['^[[:alpha:]]+$', 'abc', true],
    ['^[[:digit:]]+$', 'abc', false],
    ['(?P<n>secret)', 'my-secret', true],
    ['^sops:enc', 'sops:enc', true],
    ['a\\z', 'ba', true],
  ])('%s matches %s: %s', (re, s, expected) => {
    expect(matchGoRegex(re, s)).toBe(expected);
  });

  it('rejects what RE2 rejects', () => {
    expect(() => compileGoRegex('(a)\\1')).toThrow(/backreference/);
    expect(() => compileGoRegex('a(?=b)')).toThrow(/lookaround/);
  });
});
