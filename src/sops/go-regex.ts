/**
 * Translates a Go RE2 regular expression (as written in `.sops.yaml` and in the `sops` metadata)
 * into a JavaScript RegExp with the same meaning for the patterns people write there.
 * RE2 differs from JS in inline flags `(?i)`, `(?P<name>…)` groups, `\z`, `\A` and POSIX classes;
 * those are translated. Constructs RE2 rejects (backreferences, lookaround) are rejected too.
 */
const posixClasses: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

const cache = new Map<string, RegExp>();

/** Compiles a Go regex for unanchored search (Go's regexp.MatchString semantics). */
export function compileGoRegex(pattern: string): RegExp {
  const cached = cache.get(pattern);
  if (cached) return cached;
  let flags = '';
  let source = pattern;
  // Leading inline flags apply to the whole pattern.
  const lead = /^\(\?([imsU]+)\)/.exec(source);
  if (lead) {
    for (const f of lead[1]!) {
      if (f === 'i' && !flags.includes('i')) flags += 'i';
      if (f === 'm' && !flags.includes('m')) flags += 'm';
      if (f === 's' && !flags.includes('s')) flags += 's';
      if (f === 'U') throw new Error('the (?U) flag is not supported');
    }
    source = source.slice(lead[0].length);
  }
  let out = '';
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') {
      const n = source[i + 1];
      if (n === undefined) throw new Error('trailing backslash');
      if (n === 'z') out += '$(?![\\s\\S])';
      else if (n === 'A') out += '^';
      else if (n === 'Q') {
        const end = source.indexOf('\\E', i + 2);
        const literal = source.slice(i + 2, end < 0 ? undefined : end);
        out += literal.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
        i = end < 0 ? source.length : end + 1;
        continue;
      } else if (/[1-9]/.test(n)) throw new Error('backreferences are not supported by RE2');
      else out += c + n;
      i++;
      continue;
    }
    if (inClass) {
      if (c === '[' && source[i + 1] === ':') {
        const end = source.indexOf(':]', i + 2);
        if (end > 0) {
          const name = source.slice(i + 2, end);
          const negated = name.startsWith('^');
          const cls = posixClasses[negated ? name.slice(1) : name];
          if (!cls) throw new Error(`unknown POSIX class [:${name}:]`);
          if (negated) throw new Error('negated POSIX classes are not supported');
          out += cls;
          i = end + 1;
          continue;
        }
      }
      if (c === ']') inClass = false;
      out += c === '[' ? '\\[' : c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      if (source[i + 1] === '^') {
        out += '^';
        i++;
      }
      if (source[i + 1] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (c === '(' && source[i + 1] === '?') {
      const rest = source.slice(i + 2);
      const named = /^P?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(rest);
      if (named) {
        out += `(?<${named[1]}>`;
        i += 1 + named[0].length;
        continue;
      }
      if (rest.startsWith(':')) {
        out += '(?:';
        i += 2;
        continue;
      }
      if (/^[=!]/.test(rest) || rest.startsWith('<=') || rest.startsWith('<!')) {
        throw new Error('lookaround is not supported by RE2');
      }
      const inline = /^([imsU-]+)(:|\))/.exec(rest);
      if (inline && inline[2] === ':' && /^i+$/.test(inline[1]!)) {
        // (?i:…) scoped case-insensitivity: widen the flag to the whole pattern only when safe.
        throw new Error('scoped inline flags (?i:...) are not supported; put (?i) at the start');
      }
      throw new Error(`unsupported group syntax (?${rest.slice(0, 3)}`);
    }
    out += c;
  }
  let compiled: RegExp;
  try {
    compiled = new RegExp(out, flags);
  } catch (error) {
    throw new Error(`invalid regular expression: ${(error as Error).message}`);
  }
  cache.set(pattern, compiled);
  return compiled;
}

/** regexp.MatchString(pattern, s) with a Go pattern. */
export function matchGoRegex(pattern: string, value: string): boolean {
  const re = compileGoRegex(pattern);
  re.lastIndex = 0;
  return re.test(value);
}
