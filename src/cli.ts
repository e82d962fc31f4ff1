import { dispatch } from './cli/dispatch.js';
import { UsageError } from './cli/command.js';
import { commands } from './cli/commands.js';

/**
 * `lpr-edge`: one entry point for the daemon and every tool a technician, officer, auditor or
 * field engineer uses. Errors a user can fix print one line naming the cause and exit non-zero.
 */
async function main(): Promise<void> {
  try {
    process.exitCode = await dispatch(commands, process.argv.slice(2), {
      stdout: process.stdout,
      stderr: process.stderr,
    });
  } catch (err) {
    const e = err as Error & { exitCode?: number };
    if (err instanceof UsageError || isUserFacing(e)) {
      process.stderr.write(`lpr-edge: ${e.message}\n`);
      process.exitCode = e.exitCode ?? 2;
    } else {
      process.stderr.write(`lpr-edge: unexpected error: ${e.stack ?? e.message}\n`);
      process.exitCode = 70;
    }
  }
}

/** Errors whose message is already written for the user (config, data dir, input files, models). */
function isUserFacing(err: Error): boolean {
  return [
    'ConfigError',
    'DatabaseError',
    'SourceError',
    'ModelError',
    'InputError',
    'PolicyError',
    'StartError',
  ].includes(err.name);
}

// `lpr-edge query ... | head`: the reader went away; what it did not want is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

await main();
