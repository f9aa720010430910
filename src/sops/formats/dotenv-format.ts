import { LlmcmError } from '../../core/errors.js';
import { flattenMetadata, unflattenMetadata } from '../metadata.js';
import type { LeafUpdate, TreeMap } from '../tree.js';
import type { ParsedFile } from './types.js';

/**
 * dotenv as sops reads it (stores/dotenv/store.go): one `KEY=VALUE` per line, the key taken
 * verbatim up to the first `=`, `\n` in a value meaning a newline, `#` lines as comments, blank
 * lines skipped. Metadata is stored as flattened `sops_…` lines. Blank lines are kept on output.
 */
export function parseDotenvFile(text: string, file?: string): ParsedFile {
  type Line =
    | { kind: 'raw'; text: string }
    | { kind: 'entry'; key: string; value: string }
    | { kind: 'comment'; text: string };
  const lines: Line[] = [];
  const metaEntries: Array<[string, string]> = [];
  const branch: TreeMap = { kind: 'map', entries: [] };
  const rawLines = text.split('\n');
  if (rawLines[rawLines.length - 1] === '') rawLines.pop();
  rawLines.forEach((line, index) => {
    if (line.length === 0) {
      lines.push({ kind: 'raw', text: line });
      return;
    }
    if (line.startsWith('#')) {
      const holder: Line = { kind: 'comment', text: line.slice(1) };
      lines.push(holder);
      branch.entries.push({
        kind: 'comment',
        text: holder.text,
        pointer: [],
        update(update: LeafUpdate) {
          if (update.kind === 'comment') holder.text = update.text;
          else if (update.kind === 'encrypted') holder.text = update.envelope;
        },
      });
      return;
    }
    const eq = line.indexOf('=');
    if (eq < 0) {
      throw new LlmcmError('not a valid dotenv line (expected KEY=VALUE)', {
        code: 'SOPS_BAD_DOTENV',
        kind: 'input',
        file,
        line: index + 1,
        hint: 'each non-comment line must contain `=`',
      });
    }
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1).replace(/\\n/g, '\n');
    if (key.startsWith('sops_')) {
      metaEntries.push([key.slice(5), line.slice(eq + 1)]);
      return;
    }
    const holder: Line = { kind: 'entry', key, value };
    lines.push(holder);
    branch.entries.push({
      kind: 'pair',
      key,
      value: {
        kind: 'scalar',
        value: { type: 'str', text: value },
        pointer: [key],
        line: index + 1,
        update(update: LeafUpdate) {
          if (update.kind === 'encrypted') holder.value = update.envelope;
          else if (update.kind === 'plain') holder.value = update.value.text;
          else holder.value = update.text;
        },
      },
    });
  });
  return {
    format: 'dotenv',
    branches: [branch],
    metadataRaw: metaEntries.length > 0 ? unflattenMetadata(metaEntries) : undefined,
    render(metadata) {
      const out = lines.map((l) => {
        if (l.kind === 'raw') return l.text;
        if (l.kind === 'comment') return `#${l.text}`;
        return `${l.key}=${l.value.replace(/\n/g, '\\n')}`;
      });
      if (metadata) for (const [k, v] of flattenMetadata(metadata)) out.push(`${k}=${v}`);
      return out.length === 0 ? '' : `${out.join('\n')}\n`;
    },
  };
}
