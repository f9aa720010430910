import type { EnvelopeType, Provenance } from './types.js';
import { escapePointerSegment, type YamlTree } from './yaml-source.js';

/** One parsed document of one layer, ready to merge. */
export interface LayerDocument {
  layer: string;
  file: string;
  tree: YamlTree;
}

/** The merge of several layers of one document kind. */
export interface MergedDocument {
  value: unknown;
  provenance: Map<string, Provenance>;
  secrets: Map<string, EnvelopeType>;
}

/** True for a YAML mapping turned into data (not a list, not null). */
export function isPlainMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Merges layers in order (base first): maps merge deeply, lists and scalars replace, and an explicit
 * null removes the key. Every value of the result keeps the file, line and layer it came from.
 *
 * Provenance and secret markers are written for every pointer a layer sets; entries left behind by
 * replaced subtrees are dropped at the end by keeping only pointers that exist in the result.
 */
export function mergeLayers(pointer: string, layers: readonly LayerDocument[]): MergedDocument {
  const rawProvenance = new Map<string, Provenance>();
  const rawSecrets = new Map<string, EnvelopeType>();
  let result: unknown;

  const record = (layer: LayerDocument, at: string): void => {
    const pos = layer.tree.positions.get(at);
    if (pos) {
      rawProvenance.set(at, {
        file: layer.file,
        line: pos.line,
        column: pos.column,
        keyLine: pos.keyLine,
        keyColumn: pos.keyColumn,
        layer: layer.layer,
      });
    }
    const secret = layer.tree.encrypted.get(at);
    if (secret) rawSecrets.set(at, secret);
    else rawSecrets.delete(at);
  };

  // Copies `value` (from `layer`) as a fresh subtree, dropping null map entries (removal semantics).
  const place = (layer: LayerDocument, value: unknown, at: string): unknown => {
    record(layer, at);
    if (isPlainMap(value)) {
      const out: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(value)) {
        if (child === null) continue;
        setKey(out, key, place(layer, child, `${at}/${escapePointerSegment(key)}`));
      }
      return out;
    }
    if (Array.isArray(value)) return value.map((item, i) => place(layer, item, `${at}/${i}`));
    return value;
  };

  const apply = (
    layer: LayerDocument,
    current: Record<string, unknown>,
    over: Record<string, unknown>,
    at: string,
  ) => {
    record(layer, at);
    for (const [key, child] of Object.entries(over)) {
      const childAt = `${at}/${escapePointerSegment(key)}`;
      if (child === null) {
        delete current[key];
      } else if (isPlainMap(child) && isPlainMap(current[key])) {
        apply(layer, current[key] as Record<string, unknown>, child, childAt);
      } else {
        setKey(current, key, place(layer, child, childAt));
      }
    }
  };

  for (const layer of layers) {
    const value = layer.tree.value;
    if (isPlainMap(value) && isPlainMap(result)) apply(layer, result, value, pointer);
    else if (value === null && result !== undefined) {
      // An empty file (or a bare null) in an upper layer changes nothing.
    } else result = place(layer, value, pointer);
  }

  // With one layer nothing was replaced, so every recorded pointer is live.
  if (layers.length === 1) return { value: result ?? null, provenance: rawProvenance, secrets: rawSecrets };
  const provenance = new Map<string, Provenance>();
  const secrets = new Map<string, EnvelopeType>();
  const keep = (value: unknown, at: string): void => {
    const p = rawProvenance.get(at);
    if (p) provenance.set(at, p);
    const s = rawSecrets.get(at);
    if (s) secrets.set(at, s);
    if (isPlainMap(value)) {
      for (const [key, child] of Object.entries(value)) keep(child, `${at}/${escapePointerSegment(key)}`);
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => {
        keep(item, `${at}/${i}`);
      });
    }
  };
  keep(result, pointer);
  return { value: result ?? null, provenance, secrets };
}

function setKey(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else target[key] = value;
}
