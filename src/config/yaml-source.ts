import { createRequire } from 'node:module';
import type { Document, Node } from 'yaml';
import { LlmcmError } from '../core/errors.js';
import { looksEncrypted, readEnvelopeType } from './envelope-type.js';
import { readFastYamlTree } from './fast-yaml.js';
import { createLineIndex, type LineIndex } from './line-index.js';
import type { EnvelopeType } from './types.js';

type YamlModule = typeof import('yaml');
let yamlModule: YamlModule | undefined;
// Loaded on first use through require: most files take the fast reader and never need it, and
// require skips the ESM loader's CommonJS export scan of the package.
function yaml(): YamlModule {
  yamlModule ??= createRequire(import.meta.url)('yaml') as YamlModule;
  return yamlModule;
}

/** Position of one value in a YAML file (1-based), and of the mapping key holding it. */
export interface SourcePosition {
  line: number;
  column: number;
  keyLine: number;
  keyColumn: number;
}

/** A YAML file as plain data, with the position of every value keyed by JSON pointer. */
export interface YamlTree {
  value: unknown;
  /** JSON pointer (with the caller's prefix) → position. */
  positions: Map<string, SourcePosition>;
  /** JSON pointers of `ENC[...]` values → their declared sops type. */
  encrypted: Map<string, EnvelopeType>;
  /** Whether the document has a top-level `sops` metadata key (removed from `value`). */
  hasSopsMetadata: boolean;
}

/** Escapes one JSON-pointer segment (RFC 6901). */
export function escapePointerSegment(segment: string): string {
  return segment.includes('~') || segment.includes('/')
    ? segment.replace(/~/g, '~0').replace(/\//g, '~1')
    : segment;
}

/** Parses YAML text into a Document, turning syntax errors and duplicate keys into one clear input error. */
export function parseYamlText(text: string, file: string): { document: Document; lines: LineIndex } {
  const lines = createLineIndex(text);
  const document = yaml().parseDocument(text, { prettyErrors: false, uniqueKeys: true, strict: true });
  const error = document.errors[0];
  if (error) {
    const where = lines.locate(error.pos[0]);
    const duplicate = error.code === 'DUPLICATE_KEY';
    // yaml's plain messages name the problem, not the source text, so no value can leak through them.
    const reason = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new LlmcmError(duplicate ? 'duplicate mapping key' : `malformed YAML: ${reason}`, {
      code: duplicate ? 'YAML_DUPLICATE_KEY' : 'YAML_SYNTAX',
      kind: 'input',
      file,
      line: where.line,
      column: where.column,
      hint: duplicate ? 'remove or rename one of the two keys' : 'fix the YAML syntax at this position',
    });
  }
  return { document, lines };
}

/**
 * Turns a parsed Document into plain data with a position per JSON pointer. Works on the encrypted
 * text (ENC[...] strings are kept and their envelope type recorded) and on a decrypted Document whose
 * ranges still point into the encrypted file. Mapping keys must be strings, as sops requires.
 */
export function readYamlTree(document: Document, lines: LineIndex, file: string, prefix = ''): YamlTree {
  const { isAlias, isMap, isScalar, isSeq } = yaml();
  const positions = new Map<string, SourcePosition>();
  const encrypted = new Map<string, EnvelopeType>();
  let hasSopsMetadata = false;

  const locate = (node: Node | null | undefined, fallback: { line: number; column: number }) =>
    node?.range ? lines.locate(node.range[0]) : fallback;

  const visit = (
    node: unknown,
    pointer: string,
    keyAt: { line: number; column: number },
    depth: number,
  ): unknown => {
    if (isAlias(node)) return visit(node.resolve(document), pointer, keyAt, depth);
    const at = locate(node as Node | null, keyAt);
    positions.set(pointer, {
      line: at.line,
      column: at.column,
      keyLine: keyAt.line,
      keyColumn: keyAt.column,
    });
    if (isMap(node)) {
      const out: Record<string, unknown> = {};
      for (const pair of node.items) {
        const keyNode = pair.key as Node | null;
        const keyPos = locate(keyNode, at);
        const key = isScalar(keyNode) ? keyNode.value : undefined;
        if (typeof key !== 'string') {
          throw new LlmcmError(`mapping key must be a string (found ${describeKey(keyNode)})`, {
            code: 'YAML_NON_STRING_KEY',
            kind: 'input',
            file,
            line: keyPos.line,
            column: keyPos.column,
            hint: 'quote the key, e.g. "200": ...',
          });
        }
        if (depth === 0 && key === 'sops') {
          hasSopsMetadata = true;
          continue;
        }
        const child = visit(pair.value, `${pointer}/${escapePointerSegment(key)}`, keyPos, depth + 1);
        if (key === '__proto__') {
          Object.defineProperty(out, key, {
            value: child,
            enumerable: true,
            writable: true,
            configurable: true,
          });
        } else out[key] = child;
      }
      return out;
    }
    if (isSeq(node)) {
      return node.items.map((item, index) => {
        const itemAt = locate(item as Node | null, at);
        return visit(item, `${pointer}/${index}`, itemAt, depth + 1);
      });
    }
    if (isScalar(node)) {
      const value = node.value;
      if (typeof value === 'string' && looksEncrypted(value)) {
        const type = readEnvelopeType(value);
        if (!type) {
          throw new LlmcmError('malformed sops value (ENC[...] envelope does not parse)', {
            code: 'SOPS_BAD_ENVELOPE',
            kind: 'input',
            file,
            line: at.line,
            column: at.column,
            hint: 'restore the value from git or re-encrypt the file with sops',
          });
        }
        encrypted.set(pointer, type);
      }
      return typeof value === 'bigint' ? Number(value) : (value ?? null);
    }
    return null;
  };

  const value = visit(document.contents, prefix, { line: 1, column: 1 }, 0);
  return { value, positions, encrypted, hasSopsMetadata };
}

function describeKey(node: Node | null): string {
  const { isMap, isScalar, isSeq } = yaml();
  if (node === null || node === undefined) return 'an empty key';
  if (isScalar(node)) return node.value === null ? 'null' : typeof node.value;
  return isMap(node) ? 'a mapping' : isSeq(node) ? 'a sequence' : 'a complex key';
}

/**
 * Reads a YAML file into plain data with positions: the fast reader for the common block style, the
 * full `yaml` parser for everything else (and for every error, so messages and positions stay exact).
 */
export function readYamlSource(text: string, file: string, prefix = ''): YamlTree {
  const fast = readFastYamlTree(text, prefix);
  if (fast) return fast;
  const { document, lines } = parseYamlText(text, file);
  return readYamlTree(document, lines, file, prefix);
}
