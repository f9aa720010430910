import { storeCorruptError, storeInputError } from '../store-errors.js';

/**
 * Renders a flat map of dotted keys into the nested object apps read as config.json. Keys are
 * split on '.', so a key may not also be the parent of another key (`a` and `a.b`): such a map has
 * no nested form and is refused rather than silently losing a value.
 */
export function renderNestedJson(store: string, values: Record<string, string>): string {
  const root: Record<string, unknown> = Object.create(null);
  const keys = Object.keys(values).sort();
  const present = new Set(keys);
  for (const key of keys) {
    const segments = key.split('.');
    for (let i = 1; i < segments.length; i++) {
      const parent = segments.slice(0, i).join('.');
      if (present.has(parent))
        throw storeInputError(
          store,
          `key '${parent}' is both a value and the parent of '${key}'`,
          'a file store renders nested JSON; rename one of the keys',
        );
    }
    let node = root;
    for (const segment of segments.slice(0, -1)) {
      let child = node[segment] as Record<string, unknown> | undefined;
      if (child === undefined) {
        child = Object.create(null) as Record<string, unknown>;
        node[segment] = child;
      }
      node = child;
    }
    node[segments[segments.length - 1] as string] = values[key];
  }
  return `${JSON.stringify(root, null, 2)}\n`;
}

/**
 * Reads config.json back into the flat map. A leaf that is not a string (someone edited the file by
 * hand) is kept as its JSON text, so it shows up as drift instead of being dropped.
 */
export function parseNestedJson(store: string, text: string, file: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw storeCorruptError(store, 'config.json is not valid JSON', file, error);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw storeCorruptError(store, 'config.json is not a JSON object', file);
  const values: Record<string, string> = {};
  const walk = (node: Record<string, unknown>, prefix: string): void => {
    for (const [segment, child] of Object.entries(node)) {
      const key = prefix ? `${prefix}.${segment}` : segment;
      if (child !== null && typeof child === 'object' && !Array.isArray(child))
        walk(child as Record<string, unknown>, key);
      else values[key] = typeof child === 'string' ? child : JSON.stringify(child);
    }
  };
  walk(parsed as Record<string, unknown>, '');
  return values;
}

/** `providers.openai.api_key` → `PROVIDERS_OPENAI_API_KEY`. */
export function toEnvName(key: string): string {
  const name = key.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
  return /^[0-9]/.test(name) ? `_${name}` : name;
}

/**
 * Renders the .env file apps load (dotenv syntax): UPPER_SNAKE names, double-quoted values with
 * backslash escapes for quote, backslash and newlines. Two keys that map to one name are refused.
 */
export function renderDotEnv(store: string, values: Record<string, string>): string {
  const byName = new Map<string, string>();
  const lines: string[] = [];
  for (const key of Object.keys(values).sort()) {
    const name = toEnvName(key);
    const other = byName.get(name);
    if (other !== undefined)
      throw storeInputError(
        store,
        `keys '${other}' and '${key}' both render to ${name} in .env`,
        'rename one of the keys',
      );
    byName.set(name, key);
    const escaped = (values[key] as string)
      .replace(/\\/g, '\\\\')
      .replace(/"/g, '\\"')
      .replace(/\n/g, '\\n')
      .replace(/\r/g, '\\r');
    lines.push(`${name}="${escaped}"`);
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
