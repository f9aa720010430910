import type { TreeMap } from '../tree.js';

/** The file formats the codec reads and writes. */
export type SopsFormat = 'yaml' | 'json' | 'dotenv';

/**
 * A parsed file: the sops-shaped branches (one per YAML document), the raw `sops` metadata when
 * present, and a renderer that writes the file back with every leaf update applied and the
 * rest of the text untouched.
 */
export interface ParsedFile {
  format: SopsFormat;
  branches: TreeMap[];
  /** The `sops` metadata object, or undefined when the file has none. */
  metadataRaw: unknown;
  /** The text with leaf updates applied; `metadata` appended (or dropped when null). */
  render(metadata: Record<string, unknown> | null): string;
}
