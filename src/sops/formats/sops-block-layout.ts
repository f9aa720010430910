import { isDeepStrictEqual } from 'node:util';
import { parse as parseYaml } from 'yaml';

interface BlockSpan {
  start: number;
  end: number;
  text: string;
}

/** The single top-level `sops:` block of a YAML text (its lines, trailing blank lines excluded). */
function findSopsBlock(text: string): BlockSpan | null {
  const re = /^sops:[ \t]*(?:\r?\n|$)/gm;
  const first = re.exec(text);
  if (!first || re.exec(text)) return null; // none, or several documents: leave those alone
  const start = first.index;
  const lines = text.slice(start).split('\n');
  let length = lines[0]!.length + 1;
  let lastContent = length;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^\S/.test(line)) break;
    length += line.length + 1;
    if (line.trim() !== '') lastContent = length;
  }
  const end = Math.min(start + lastContent, text.length);
  return { start, end, text: text.slice(start, end) };
}

/** The `key: value` line of a direct child of the sops block, or undefined. */
function childLine(block: string, key: string): { line: string; indent: string } | undefined {
  const m = new RegExp(`^([ ]+)${key}:[^\\n]*$`, 'm').exec(block);
  if (!m) return undefined;
  return { line: m[0], indent: m[1]! };
}

/**
 * Keeps the layout of the original file's `sops:` block (indentation, block scalar style, key
 * order) when a rewrite changed only its `mac` and `lastmodified`: sops files use 4-space
 * indentation that llmcm's renderer would otherwise normalise, turning a one-value `set` into a
 * diff of the whole block. The patched block is used only when it parses to exactly the metadata
 * that was rendered; otherwise the rendered text is returned unchanged.
 */
export function keepSopsBlockLayout(originalText: string, renderedText: string): string {
  const old = findSopsBlock(originalText);
  const fresh = findSopsBlock(renderedText);
  if (!old || !fresh || old.text === fresh.text) return renderedText;
  let patched = old.text;
  for (const key of ['lastmodified', 'mac']) {
    const was = childLine(patched, key);
    const now = childLine(fresh.text, key);
    if (!was || !now) return renderedText;
    const value = now.line.slice(now.indent.length);
    patched = patched.replace(was.line, () => `${was.indent}${value}`);
  }
  try {
    if (!isDeepStrictEqual(parseYaml(patched), parseYaml(fresh.text))) return renderedText;
  } catch {
    return renderedText;
  }
  return renderedText.slice(0, fresh.start) + patched + renderedText.slice(fresh.end);
}
