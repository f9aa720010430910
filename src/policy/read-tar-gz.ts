import { gunzipSync } from 'node:zlib';
import { LlmcmError } from '../core/errors.js';

/**
 * The regular files of a gzipped tar archive (ustar/pax, as written by `opa build`), keyed by path
 * without a leading slash. Written here because a bundle is tiny and a tar dependency is not worth it.
 */
export function readTarGz(archive: Uint8Array, label: string): Map<string, Buffer> {
  let tar: Buffer;
  try {
    tar = gunzipSync(archive);
  } catch (error) {
    throw new LlmcmError(`${label} is not a gzip archive (${(error as Error).message})`, {
      code: 'POLICY_BUNDLE_CORRUPT',
      kind: 'config',
      file: label,
      hint: "rebuild it with 'llmcm policy build'",
    });
  }
  const files = new Map<string, Buffer>();
  let offset = 0;
  let paxPath: string | undefined;
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((byte) => byte === 0)) break;
    const name = readString(header, 0, 100);
    const prefix = readString(header, 345, 155);
    const size = Number.parseInt(readString(header, 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(header[156] ?? 0x30);
    if (!Number.isFinite(size) || size < 0) {
      throw new LlmcmError(`${label} has a corrupt tar header`, {
        code: 'POLICY_BUNDLE_CORRUPT',
        kind: 'config',
        file: label,
        hint: "rebuild it with 'llmcm policy build'",
      });
    }
    const body = tar.subarray(offset + 512, offset + 512 + size);
    if (type === 'x') {
      const match = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString('utf8'));
      paxPath = match?.[1];
    } else if (type === '0' || type === '\0') {
      const path = paxPath ?? (prefix ? `${prefix}/${name}` : name);
      files.set(path.replace(/^\/+/, ''), Buffer.from(body));
      paxPath = undefined;
    } else {
      paxPath = undefined;
    }
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

function readString(buffer: Buffer, start: number, length: number): string {
  const slice = buffer.subarray(start, start + length);
  const end = slice.indexOf(0);
  return slice.subarray(0, end === -1 ? slice.length : end).toString('utf8');
}
