import type { StoreConfig } from '../stores/types.js';
import type { YamlTree } from './yaml-source.js';

/** Reads files of a config repo relative to its root; the default reads the working tree, the promoter reads a git ref. */
export interface ConfigReader {
  /** The file's UTF-8 text, or undefined when it does not exist. */
  readFile(relPath: string): Promise<string | undefined>;
  /** Names of the entries of a directory (files and folders), sorted; [] when it does not exist. */
  listDir(relPath: string): Promise<string[]>;
  /**
   * Optional content identity of a file for the per-run parse cache: readers that share a cache must
   * return different identities for different contents (a git reader returns undefined for a file that
   * is the same as in the working tree, so its parse is shared).
   */
  identity?(relPath: string): string | undefined;
}

/** One environment as declared in llmcm.yaml. */
export interface EnvironmentDeclaration {
  name: string;
  description?: string;
  /** Store names (keys of `project.stores`). */
  storeNames: string[];
}

/** The project file (llmcm.yaml), resolved and validated. */
export interface ProjectConfig {
  /** Absolute path of the repo root. */
  root: string;
  /** Project file path relative to the root (`llmcm.yaml`). */
  file: string;
  /** Folder holding the environments, relative to the root (default `environments`). */
  directory: string;
  /** Shared base layer folder name under `directory`, or null when there is none. */
  base: string | null;
  /** Whether every environment file must carry sops metadata. */
  encryption: 'required' | 'optional';
  environments: EnvironmentDeclaration[];
  /** Promotion order, e.g. dev → staging → prod. */
  promotion: string[];
  /** Every store by name. */
  stores: Record<string, StoreConfig>;
  /** Stores each environment promotes into. */
  storesByEnvironment: Record<string, StoreConfig[]>;
  /** Document kind (file name without `.yaml`) → schema path relative to the root. */
  documents: Record<string, string>;
  /** 1-based line of each top-level key of llmcm.yaml (for error locations). */
  lines: Record<string, number>;
}

/** Where a merged value came from. */
export interface Provenance {
  /** File path relative to the repo root. */
  file: string;
  /** 1-based line and column of the value (for a map or list: where it starts). */
  line: number;
  column: number;
  /** 1-based line and column of the mapping key that holds the value (same as the value for list items and roots). */
  keyLine: number;
  keyColumn: number;
  /** The layer the value came from: the base layer name (e.g. `_base`) or the environment name. */
  layer: string;
}

/** The sops type declared by an encrypted value's envelope. */
export type EnvelopeType = 'str' | 'int' | 'float' | 'bool' | 'time' | 'comment' | 'bytes';

/** One source file of an environment after parsing (and decryption when keys were present). */
export interface LoadedFile {
  /** Path relative to the repo root. */
  file: string;
  layer: string;
  kind: string;
  /** Whether the file carries sops metadata. */
  encrypted: boolean;
  /** The file as parsed (before merging): values, positions and ENC envelopes, pointers prefixed with `/<kind>`. */
  source: YamlTree;
}

/** An environment: its layers merged, with per-value provenance and the set of encrypted values. */
export interface LoadedEnvironment {
  project: ProjectConfig;
  name: string;
  /** Document kind → merged document. Encrypted values are plaintext when `decrypted`, else the ENC[...] string. */
  tree: Record<string, unknown>;
  /** JSON pointer in `tree` (e.g. `/providers/openai/api_key`) → where the value came from. */
  provenance: Map<string, Provenance>;
  /** JSON pointers of values stored encrypted, with their envelope type. */
  secrets: Map<string, EnvelopeType>;
  /** True when every encrypted value was decrypted. */
  decrypted: boolean;
  /** Files that were read, in layer order. */
  files: LoadedFile[];
}

/** Options for loading an environment. */
export interface LoadEnvironmentOptions {
  /** age identities (AGE-SECRET-KEY-1...); when given, encrypted files are decrypted. */
  identities?: string[];
  /** Where to read files from (default: the working tree under `project.root`). */
  reader?: ConfigReader;
}
