import { parseArgs } from 'node:util';
import type { Command, CommandContext, OptionSpec } from './command.js';
import { UsageError } from './command.js';

const globalOptions: OptionSpec = {
  config: { type: 'string' },
  'data-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

export const GLOBAL_USAGE = `Global options (every command, before or after it):
  --config FILE     configuration (YAML or JSON); default /etc/lpr-edge/config.yaml, else the embedded demo
  --data-dir DIR    data directory (overrides the config's dataDir)
  -h, --help        help for a command`;

/** Global options that take a value and may come before the command name. */
const LEADING_GLOBALS = ['--config', '--data-dir'];

/** Parse argv for one of `commands` and run it; returns the exit code. */
export async function dispatch(
  commands: Command[],
  argv: string[],
  io: Pick<CommandContext, 'stdout' | 'stderr'>,
): Promise<number> {
  const { leading, rest: commandArgs } = splitLeadingGlobals(argv);
  const [name, ...rest] = commandArgs;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    // Asked for: the list on stdout. Missing: the same list, as an error.
    (name ? io.stdout : io.stderr).write(topUsage(commands));
    return name ? 0 : 2;
  }
  if (name.startsWith('-'))
    throw new UsageError(
      `unknown option "${name}" before the command; command options go after it (lpr-edge <command> [options]); run "lpr-edge --help" for the list`,
    );
  let command = commands.find((c) => c.name === name);
  if (!command) throw new UsageError(`unknown command "${name}"; run "lpr-edge --help" for the list`);
  let args = rest;
  const path = [command.name];
  while (command.subcommands) {
    const sub: string | undefined = args[0];
    const found: Command | undefined = command.subcommands.find((c) => c.name === sub);
    if (!found) {
      if (command.run) break;
      if (sub === '--help' || sub === '-h') {
        io.stdout.write(commandUsage(command, path));
        return 0;
      }
      if (sub === undefined || sub.startsWith('-')) {
        io.stderr.write(commandUsage(command, path));
        return 2;
      }
      throw new UsageError(
        `unknown subcommand "${sub}" for ${path.join(' ')}; one of: ${command.subcommands.map((c) => c.name).join(', ')}`,
      );
    }
    command = found;
    path.push(found.name);
    args = args.slice(1);
  }
  let parsed;
  try {
    parsed = parseArgs({
      // Leading global options go first, so they are never taken for arguments after a `--`.
      args: [...leading, ...args],
      options: { ...globalOptions, ...command.options },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new UsageError(`${path.join(' ')}: ${(err as Error).message}\n${command.usage}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout.write(commandUsage(command, path));
    return 0;
  }
  if (!command.run) throw new UsageError(command.usage);
  const ctx: CommandContext = {
    ...io,
    configPath: values.config as string | undefined,
    dataDir: values['data-dir'] as string | undefined,
  };
  return command.run(ctx, positionals, values);
}

/**
 * `lpr-edge --config X users list` means `lpr-edge users list --config X`: split off the global
 * options (`--config X`, `--config=X`, `--data-dir ...`) given before the command name.
 */
function splitLeadingGlobals(argv: string[]): { leading: string[]; rest: string[] } {
  let i = 0;
  while (i < argv.length) {
    const arg = argv[i]!;
    if (LEADING_GLOBALS.includes(arg)) {
      if (i + 1 >= argv.length) throw new UsageError(`${arg} needs a value, then the command`);
      i += 2;
    } else if (LEADING_GLOBALS.some((g) => arg.startsWith(`${g}=`))) i += 1;
    else break;
  }
  return { leading: argv.slice(0, i), rest: argv.slice(i) };
}

function topUsage(commands: Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'Usage: lpr-edge <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    GLOBAL_USAGE,
    '',
  ].join('\n');
}

function commandUsage(command: Command, path: string[]): string {
  const lines = [`Usage: lpr-edge ${command.usage}`, '', command.summary];
  if (command.subcommands) {
    lines.push('', 'Subcommands:');
    for (const s of command.subcommands) lines.push(`  ${path.join(' ')} ${s.name}: ${s.summary}`);
  }
  lines.push('', GLOBAL_USAGE, '');
  return lines.join('\n');
}
