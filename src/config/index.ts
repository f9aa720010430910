/**
 * The config repo model: the project file, environments with a shared base layer, merge rules,
 * provenance, and renderings. Other stages (check, plan, promote) read environments only through here.
 */
export { documentKindOf, type FileDecryptor, listLayerFiles, loadEnvironment } from './environment.js';
export { flattenForStore, flattenTree, secretKeys, secretVariableName, stringifyLeaf } from './flatten.js';
export { isPlainMap, mergeLayers } from './merge.js';
export { builtinDocuments, defaultStore, findEnvironment, loadProject, projectFileName } from './project.js';
export { adaptTreeReader, createWorkingTreeReader } from './reader.js';
export { type RenderFormat, type RenderOptions, renderEnvironment } from './render.js';
export type {
  ConfigReader,
  EnvelopeType,
  EnvironmentDeclaration,
  LoadEnvironmentOptions,
  LoadedEnvironment,
  LoadedFile,
  ProjectConfig,
  Provenance,
} from './types.js';
