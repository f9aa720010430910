import { usageError } from '../core/errors.js';
import { type CommandContext, type OptionSpec, stringOption } from './command.js';

/** `--input-type`, shared by every command that reads a sops file. */
export const inputTypeOption: OptionSpec = {
  type: 'string',
  description: 'yaml, json or dotenv (default: from the name)',
  valueName: 'T',
};

/** `--ignore-mac`, shared by every command that decrypts. */
export const ignoreMacOption: OptionSpec = {
  type: 'boolean',
  description: 'warn instead of failing on a MAC mismatch (dangerous)',
};

/** `--from ENV | --ref REF`: where a plan or promotion takes its source. */
export const sourceOptions: Record<string, OptionSpec> = {
  from: {
    type: 'string',
    description: 'promote the source last promoted to this environment',
    valueName: 'ENV',
  },
  ref: { type: 'string', description: 'source git ref or commit (default HEAD)', valueName: 'REF' },
};

/** `--format text|json` for commands whose output people and scripts both read. */
export const textOrJsonFormatOption: OptionSpec = {
  type: 'string',
  description: 'text (default) or json',
  valueName: 'FORMAT',
};

/** The value of a `--format text|json` option; a usage error for anything else. */
export function textOrJsonFormat(context: CommandContext): 'text' | 'json' {
  const format = stringOption(context, 'format') ?? 'text';
  if (format !== 'text' && format !== 'json')
    throw usageError(`unknown format '${format}'`, 'use text or json');
  return format;
}
