import { parseArgs } from 'node:util';
import type { Command, CommandContext, OptionSpec } from './command.js';
import { UsageError } from './command.js';

const globalOptions: OptionSpec = {
  config: { type: 'string' },
  'data-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

export const GLOBAL_USAGE = `Global options (every command):
  --config FILE     configuration (YAML or JSON); default /etc/lpr-edge/config.yaml, else the embedded demo
  --data-dir DIR    data directory (overrides the config's dataDir)
  -h, --help        help for a command`;

/** Parse argv for one of `commands` and run it; returns the exit code. */
export async function dispatch(
  commands: Command[],
  argv: string[],
  io: Pick<CommandContext, 'stdout' | 'stderr'>,
): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(topUsage(commands));
    return name ? 0 : 2;
  }
  let command = commands.find((c) => c.name === name);
  if (!command) throw new UsageError(`unknown command "${name}"; run "lpr-edge --help" for the list`);
  let args = rest;
  const path = [command.name];
  while (command.subcommands) {
    const sub: string | undefined = args[0];
    const found: Command | undefined = command.subcommands.find((c) => c.name === sub);
    if (!found) {
      if (sub === '--help' || sub === '-h' || sub === undefined || !command.run) {
        io.stdout.write(commandUsage(command, path));
        return sub === '--help' || sub === '-h' ? 0 : 2;
      }
      break;
    }
    command = found;
    path.push(found.name);
    args = args.slice(1);
  }
  let parsed;
  try {
    parsed = parseArgs({
      args,
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
