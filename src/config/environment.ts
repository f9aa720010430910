import { LlmcmError } from '../core/errors.js';
import { type LayerDocument, mergeLayers } from './merge.js';
import { findEnvironment } from './project.js';
import { createWorkingTreeReader } from './reader.js';
import type {
  ConfigReader,
  EnvelopeType,
  LoadEnvironmentOptions,
  LoadedEnvironment,
  LoadedFile,
  ProjectConfig,
  Provenance,
} from './types.js';
import { readYamlSource, type YamlTree } from './yaml-source.js';

/**
 * Decrypts one sops YAML file (MAC verified) and returns its plaintext data without the `sops` key.
 * Positions always come from the encrypted text as committed, so only the values are needed.
 */
export type FileDecryptor = (text: string, file: string) => Promise<unknown>;

/** A parsed source file, cached per run so a shared base layer is parsed once for all environments. */
export interface ParsedSource {
  file: string;
  kind: string;
  tree: YamlTree;
  /** Plaintext view (only when decrypted). */
  plain?: YamlTree;
}

/** Extra knobs used by `llmcm check` (shared caches) and tests. */
export interface LoadEnvironmentInternals {
  /** Parse cache shared across environments of one run, keyed by `layer/file`. */
  cache?: Map<string, Promise<ParsedSource>>;
  /** Overrides the decryptor derived from `identities` (tests, or a codec already set up). */
  decryptor?: FileDecryptor;
}

const yamlFile = /^[^.].*\.ya?ml$/;

/** The document kind a file holds: its name without `.yaml`. */
export function documentKindOf(fileName: string): string {
  return fileName.replace(/\.ya?ml$/, '');
}

/** Lists the YAML files of one layer folder (relative paths, sorted). */
export async function listLayerFiles(
  project: ProjectConfig,
  layer: string,
  reader: ConfigReader,
): Promise<string[]> {
  const folder = `${project.directory}/${layer}`;
  return (await reader.listDir(folder)).filter((n) => yamlFile.test(n)).map((n) => `${folder}/${n}`);
}

/**
 * Loads one environment: the base layer and the environment's own files, parsed with positions,
 * decrypted when identities are given, merged (maps deep, lists replace, null removes) with provenance.
 */
export async function loadEnvironment(
  project: ProjectConfig,
  envName: string,
  options: LoadEnvironmentOptions & LoadEnvironmentInternals = {},
): Promise<LoadedEnvironment> {
  findEnvironment(project, envName);
  const reader = options.reader ?? createWorkingTreeReader(project.root);
  const decryptor =
    options.decryptor ??
    (options.identities && options.identities.length > 0
      ? await createDecryptor(options.identities)
      : undefined);
  const layers = project.base ? [project.base, envName] : [envName];

  const sources: { layer: string; parsed: ParsedSource }[] = [];
  for (const layer of layers) {
    const files = await listLayerFiles(project, layer, reader);
    const parsed = await Promise.all(
      files.map((file) => {
        const key = `${decryptor ? 'plain' : 'enc'}\0${file}\0${reader.identity?.(file) ?? ''}`;
        let pending = options.cache?.get(key);
        if (!pending) {
          pending = parseSource(project, file, reader, decryptor);
          options.cache?.set(key, pending);
        }
        return pending;
      }),
    );
    for (const p of parsed) sources.push({ layer, parsed: p });
  }

  const byKind = new Map<string, LayerDocument[]>();
  const files: LoadedFile[] = [];
  let decrypted = true;
  for (const { layer, parsed } of sources) {
    const encrypted = parsed.tree.hasSopsMetadata;
    files.push({ file: parsed.file, layer, kind: parsed.kind, encrypted, source: parsed.tree });
    if (parsed.tree.encrypted.size > 0 && !parsed.plain) decrypted = false;
    const tree: YamlTree = parsed.plain ? { ...parsed.plain, encrypted: parsed.tree.encrypted } : parsed.tree;
    const list = byKind.get(parsed.kind) ?? [];
    list.push({ layer, file: parsed.file, tree });
    byKind.set(parsed.kind, list);
  }

  const tree: Record<string, unknown> = {};
  const provenance = new Map<string, Provenance>();
  const secrets = new Map<string, EnvelopeType>();
  for (const [kind, docs] of [...byKind].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const merged = mergeLayers(`/${kind}`, docs);
    tree[kind] = merged.value;
    for (const [k, v] of merged.provenance) provenance.set(k, v);
    for (const [k, v] of merged.secrets) secrets.set(k, v);
  }
  return { project, name: envName, tree, provenance, secrets, decrypted, files };
}

async function parseSource(
  project: ProjectConfig,
  file: string,
  reader: ConfigReader,
  decryptor: FileDecryptor | undefined,
): Promise<ParsedSource> {
  const text = await reader.readFile(file);
  if (text === undefined) {
    throw new LlmcmError(`cannot read ${file}`, { code: 'FILE_UNREADABLE', kind: 'input', file });
  }
  const kind = documentKindOf(file.slice(file.lastIndexOf('/') + 1));
  const tree = readYamlSource(text, file, `/${kind}`);
  if (!tree.hasSopsMetadata && project.encryption === 'required') {
    throw new LlmcmError('environment file has no sops metadata, but this project requires encryption', {
      code: 'SOPS_METADATA_MISSING',
      kind: 'input',
      file,
      line: 1,
      column: 1,
      hint: `encrypt it with 'sops encrypt -i ${file}' (or set encryption: optional in ${project.file})`,
    });
  }
  if (!decryptor || !tree.hasSopsMetadata) return { file, kind, tree };
  const plain: YamlTree = { ...tree, value: await decryptor(text, file), encrypted: new Map() };
  return { file, kind, tree, plain };
}

/** Builds a decryptor over the sops codec (src/sops), loaded only when keys are present. */
async function createDecryptor(identities: string[]): Promise<FileDecryptor> {
  const { decryptSopsYaml } = await import('./decrypt.js');
  return (text, file) => decryptSopsYaml(text, file, identities);
}
