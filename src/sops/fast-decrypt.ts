import { LlmcmError } from '../core/errors.js';
import type { AgeIdentities } from './age-keys.js';
import { decryptBranches, formatFromPath, recoverDataKey, verifyMac } from './codec-core.js';
import type { SopsFormat } from './formats/types.js';
import { FastPathUnsupported, parseSimpleYaml } from './formats/yaml-fast.js';
import { parseMetadata } from './metadata.js';

/**
 * decryptText for the CLI's hot path: a YAML file in the shapes yaml-fast.ts reads (block maps and
 * lists, one-line scalars, comments: what sops writes for a config) with a canonical `sops:` block
 * is decrypted without loading the yaml package (a 260 KB module, about a tenth of a small file's
 * CLI time) or running its parser. Everything else, errors included, is handed to codec.ts, so the
 * result and the error for any input are exactly decryptText's.
 */
export async function decryptTextFast(
  text: string,
  options: {
    format?: SopsFormat;
    file: string;
    identities: AgeIdentities;
    ignoreMac?: boolean;
    onWarning?: (message: string) => void;
  },
): Promise<string> {
  const format = options.format ?? formatFromPath(options.file);
  const parsed = format === 'yaml' ? parseSimpleYaml(text) : null;
  if (parsed && parsed.metadataRaw !== undefined && parsed.metadataRaw !== null) {
    let metadata: ReturnType<typeof parseMetadata> | undefined;
    try {
      metadata = parseMetadata(parsed.metadataRaw, options.file);
    } catch (error) {
      // Odd metadata: let the full path produce its error.
      if (!(error instanceof LlmcmError)) throw error;
    }
    if (metadata) {
      const key = await recoverDataKey(metadata, options.identities, options.file);
      try {
        const { mac } = decryptBranches(parsed, metadata, key, options.file, undefined, { pointers: false });
        verifyMac(metadata, key, mac, options.file, {
          ignoreMac: options.ignoreMac,
          onWarning: options.onWarning ?? ((m) => process.stderr.write(`${m}\n`)),
        });
        return parsed.render(null);
      } catch (error) {
        if (!(error instanceof FastPathUnsupported)) throw error;
      }
    }
  }
  const { decryptText } = await import('./codec.js');
  return decryptText(text, { ...options, format });
}
