import type { Writable } from 'node:stream';

export type OptionSpec =
  | { type: 'boolean'; short?: string; description: string; default?: boolean }
  | {
      type: 'string';
      short?: string;
      description: string;
      default?: string;
      multiple?: false;
      valueName?: string;
    }
  | { type: 'string'; short?: string; description: string; multiple: true; valueName?: string };

/** What a command receives: parsed flags, positionals and the process surroundings. */
export interface CommandContext {
  positionals: string[];
  values: Record<string, string | boolean | string[] | undefined>;
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  cwd: string;
  env: NodeJS.ProcessEnv;
  debug: boolean;
  color: boolean;
}

/**
 * One `llmcm` command. The CLI layer is thin: a command parses nothing itself beyond its spec,
 * calls the library, renders the result and returns the exit code.
 */
export interface CommandSpec {
  /** Full name as typed, e.g. `encrypt` or `policy build`. */
  name: string;
  summary: string;
  /** Usage line without the `llmcm` prefix, e.g. `encrypt FILE [options]`. */
  usage: string;
  /** Longer help text shown by `--help` (examples, notes). */
  details?: string;
  options: Record<string, OptionSpec>;
  /** Minimum / maximum positional arguments; enforced before run(). */
  minArgs?: number;
  maxArgs?: number;
  run(context: CommandContext): Promise<number>;
}

export function stringOption(context: CommandContext, name: string): string | undefined {
  const value = context.values[name];
  return typeof value === 'string' ? value : undefined;
}

export function booleanOption(context: CommandContext, name: string): boolean {
  return context.values[name] === true;
}

export function listOption(context: CommandContext, name: string): string[] {
  const value = context.values[name];
  if (Array.isArray(value)) return value;
  return typeof value === 'string' ? [value] : [];
}
