/**
 * The SOPS codec: sops-compatible encryption of YAML, JSON and dotenv files with age keys,
 * MAC verified on every decrypt, layout-preserving and minimal-diff on edit.
 */
export {
  type AgeIdentities,
  ageIdentitiesFrom,
  defaultAgeKeyFile,
  generateAgeIdentity,
  loadAgeIdentities,
  parseIdentityText,
} from './age-keys.js';
export {
  type DecryptedYaml,
  decryptFile,
  decryptYaml,
  encryptFile,
  readText,
  settingsFor,
  setValueInEncryptedText,
  unsetValueInEncryptedText,
} from './api.js';
export {
  type DecryptOptions,
  decryptText,
  type EncryptionSettings,
  type EncryptOptions,
  encryptText,
  formatFromPath,
  hasSopsMetadata,
  type OpenedSopsFile,
  openEncryptedText,
  parseSopsText,
  readSopsMetadata,
  recipientGroupsOf,
  reencryptText,
  rewrapText,
} from './codec.js';
export {
  type CreationRule,
  findCreationRule,
  findSopsConfig,
  parseCreationRule,
  readCreationRules,
} from './creation-rules.js';
export { isEncryptedValue, parseEnvelope, type SopsEnvelope } from './envelope.js';
export type { SopsFormat } from './formats/types.js';
export type { AgeStanza, KeyGroup, SopsMetadata } from './metadata.js';
export {
  extractFromPlainText,
  parseTreePath,
  setInPlainText,
  type TreePath,
  unsetInPlainText,
} from './plain-edit.js';
export type { Selection, SelectionKey } from './tree.js';
