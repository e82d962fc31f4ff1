import type { Command } from './command.js';
import { runCommand } from './commands/run.js';
import { replayCommand } from './commands/replay.js';
import { readCommand } from './commands/read.js';
import { evalCommand } from './commands/eval.js';

/** Every top-level command, in the order `lpr-edge --help` lists them. */
export const commands: Command[] = [runCommand, replayCommand, readCommand, evalCommand];
