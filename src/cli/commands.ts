import type { Command } from './command.js';
import { runCommand } from './commands/run.js';
import { replayCommand } from './commands/replay.js';
import { readCommand } from './commands/read.js';
import { evalCommand } from './commands/eval.js';
import { provisionCommand } from './commands/provision.js';
import { selftestCommand } from './commands/selftest.js';

/** Every top-level command, in the order `lpr-edge --help` lists them. */
export const commands: Command[] = [runCommand, replayCommand, readCommand, evalCommand, provisionCommand, selftestCommand];
