import type { ParseArgsConfig } from 'node:util';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface CommandContext {
  /** Global options, present for every command. */
  configPath?: string;
  dataDir?: string;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export type OptionValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

/**
 * One CLI command. Commands with subcommands (e.g. `hotlist import`) list them in `subcommands`;
 * the dispatcher picks the subcommand from the first positional.
 */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  options?: OptionSpec;
  subcommands?: Command[];
  /** Returns the process exit code. */
  run?(ctx: CommandContext, positionals: string[], values: OptionValues): Promise<number>;
}

/** An error the user can fix: printed as one line, exit code 2 by default. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}
