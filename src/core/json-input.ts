import { LlmcmError } from './errors.js';

export interface JsonInputOptions {
  file?: string;
  code: string;
  hint?: string;
}

/**
 * JSON.parse for user input, whose errors never quote the input: V8's messages embed a snippet of the
 * text around the error (`..."api_key": sk-live"... is not valid JSON`), which would print part of a
 * secret. The error says only where the problem is (line and column).
 */
export function parseJsonInput(text: string, options: JsonInputOptions): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const offset = locateJsonError(text, error instanceof Error ? error.message : '');
    const where = offset === undefined ? undefined : lineAndColumn(text, offset);
    throw new LlmcmError(`not valid JSON${where ? ` (line ${where.line}, column ${where.column})` : ''}`, {
      code: options.code,
      kind: 'input',
      file: options.file,
      line: where?.line,
      column: where?.column,
      hint: options.hint ?? 'fix the JSON syntax',
    });
  }
}

/** The offset of a JSON syntax error, from V8's message (a position, or a quoted snippet to find). */
export function locateJsonError(text: string, message: string): number | undefined {
  const position = /at position (\d+)/.exec(message);
  if (position) return Number(position[1]);
  if (/Unexpected end of JSON input/.test(message)) return text.length;
  const token = /^Unexpected token '(.)'/.exec(message)?.[1];
  const snippet = /(?:\.\.\.)?"(.*)"(?:\.\.\.)? is not valid JSON$/s.exec(message)?.[1];
  if (snippet !== undefined) {
    const at = text.indexOf(snippet.replace(/^\.\.\./, '').replace(/\.\.\.$/, ''));
    if (at >= 0) {
      const inner = token === undefined ? -1 : text.slice(at).indexOf(token);
      return at + Math.max(inner, 0);
    }
  }
  return undefined;
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

/**
 * Last line of defence for messages about to be printed: removes V8's quoted input snippets from
 * JSON syntax errors that some code path did not route through parseJsonInput.
 */
export function scrubJsonSnippets(message: string): string {
  return message
    .replace(/Unexpected token '.', (?:\.\.\.)?".*?"(?:\.\.\.)? is not valid JSON/gs, 'not valid JSON')
    .replace(/(?:\.\.\.)?"[^\n]*"(?:\.\.\.)? is not valid JSON/g, 'not valid JSON');
}
