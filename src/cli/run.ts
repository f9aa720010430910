import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { isLlmcmError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import { scrubJsonSnippets } from '../core/json-input.js';
import { packageRoot } from '../core/package-root.js';
import type { CommandContext, CommandSpec } from './command.js';
import { renderCommandHelp, renderGlobalHelp } from './help.js';

/** A command name (`decrypt`, `policy build`) → its lazily loaded spec. */
export type CommandLoaders = Record<string, () => Promise<CommandSpec>>;

/**
 * Runs one `llmcm` invocation and returns its exit code: global flags, help, dispatch to the longest
 * registered command name, argument parsing, and the one-line error contract. Shared by the full
 * CLI (main.ts) and the start-up-optimised bundle of the sops file commands (sops-main.ts), so both
 * behave identically; `loaders` is the set of commands the caller can run.
 */
export async function runCli(argv: string[], loaders: CommandLoaders): Promise<number> {
  const debug = argv.includes('--debug');
  const noColor = argv.includes('--no-color') || process.env.NO_COLOR !== undefined;
  const args = argv.filter((a) => a !== '--debug' && a !== '--no-color');

  if (args.length === 0 || args[0] === '--help' || args[0] === '-h' || args[0] === 'help') {
    const topic = args[0] === 'help' ? args.slice(1).join(' ') : '';
    if (topic && loaders[topic]) {
      process.stdout.write(renderCommandHelp(await loaders[topic]()));
      return ExitCode.ok;
    }
    process.stdout.write(await renderGlobalHelp(loaders));
    return args.length === 0 ? ExitCode.usage : ExitCode.ok;
  }
  if (args[0] === '--version' || args[0] === '-V') {
    process.stdout.write(`${packageVersion()}\n`);
    return ExitCode.ok;
  }

  // Longest registered prefix wins: `policy build` before `policy`.
  let name: string | undefined;
  for (let n = Math.min(args.length, 3); n >= 1; n--) {
    const candidate = args.slice(0, n).join(' ');
    if (loaders[candidate]) {
      name = candidate;
      break;
    }
  }
  if (!name) {
    const group = Object.keys(loaders).filter((c) => c.startsWith(`${args[0]} `));
    if (group.length > 0) {
      process.stderr.write(`llmcm: '${args.join(' ')}' needs a subcommand: ${group.join(', ')}\n`);
    } else {
      process.stderr.write(`llmcm: unknown command '${args[0]}'. Run 'llmcm --help' for the list.\n`);
    }
    return ExitCode.usage;
  }
  const command = await loaders[name]!();
  const rest = args.slice(name.split(' ').length);
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(renderCommandHelp(command));
    return ExitCode.ok;
  }

  try {
    const context = parseCommandArgs(command, rest, {
      debug,
      color: !noColor && process.stdout.isTTY === true,
    });
    return await command.run(context);
  } catch (error) {
    return reportError(error, debug);
  }
}

function parseCommandArgs(
  command: CommandSpec,
  rest: string[],
  flags: { debug: boolean; color: boolean },
): CommandContext {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: rest,
      options: command.options as Parameters<typeof parseArgs>[0] extends infer C
        ? C extends { options?: infer O }
          ? O
          : never
        : never,
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw usage(`${(error as Error).message.split('\n')[0]} (see 'llmcm ${command.name} --help')`);
  }
  const positionals = parsed.positionals;
  if (command.minArgs !== undefined && positionals.length < command.minArgs) {
    throw usage(`missing arguments; usage: llmcm ${command.usage}`);
  }
  if (command.maxArgs !== undefined && positionals.length > command.maxArgs) {
    throw usage(`too many arguments; usage: llmcm ${command.usage}`);
  }
  return {
    positionals,
    values: parsed.values as CommandContext['values'],
    // Getters: Node builds each standard stream on its first read (process.stdin also loads the
    // tty/net stream modules, about 3 ms), which only the commands that use it should pay for.
    get stdout() {
      return process.stdout;
    },
    get stderr() {
      return process.stderr;
    },
    get stdin() {
      return process.stdin;
    },
    cwd: process.cwd(),
    env: process.env,
    debug: flags.debug,
    color: flags.color,
  };
}

function usage(message: string): Error {
  const error = new Error(message);
  (error as Error & { usage: true }).usage = true;
  return error;
}

/** One line on stderr, a hint when we have one, and the stack only with --debug. */
export function reportError(error: unknown, debug: boolean): number {
  if (isLlmcmError(error)) {
    process.stderr.write(`llmcm: error: ${scrubJsonSnippets(error.toOneLine())}\n`);
    if (error.hint) process.stderr.write(`  hint: ${error.hint}\n`);
    if (debug && error.stack) process.stderr.write(`${error.stack}\n`);
    return error.exitCode;
  }
  if (error instanceof Error && (error as Error & { usage?: boolean }).usage) {
    process.stderr.write(`llmcm: error: ${error.message}\n`);
    return ExitCode.usage;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`llmcm: internal error: ${scrubJsonSnippets(message.split('\n')[0] ?? '')}\n`);
  if (debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  else process.stderr.write('  hint: run again with --debug for details, and please report it\n');
  return ExitCode.internal;
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/**
 * The process entry: runs the CLI on process.argv and sets the exit code. The only place that
 * reads process.argv and sets the process's exit code.
 */
export function startCli(loaders: CommandLoaders): void {
  // `llmcm audit | head` closes the pipe early: that is the reader's choice, not an error to trace.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(process.exitCode ?? ExitCode.ok);
      throw error;
    });
  }
  runCli(process.argv.slice(2), loaders).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.exitCode = reportError(error, process.argv.includes('--debug'));
    },
  );
}
