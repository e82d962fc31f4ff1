import type { Command } from './command.js';
import { runCommand } from './commands/run.js';
import { replayCommand } from './commands/replay.js';
import { readCommand } from './commands/read.js';
import { evalCommand } from './commands/eval.js';
import { provisionCommand } from './commands/provision.js';
import { selftestCommand } from './commands/selftest.js';
import { usersCommand } from './commands/users.js';
import { queryCommand } from './commands/query.js';
import { auditCommand } from './commands/audit.js';
import { exportCommand } from './commands/export.js';
import { retentionCommand } from './commands/retention.js';
import { holdCommand } from './commands/hold.js';
import { hotlistCommand } from './commands/hotlist.js';

/** Every top-level command, in the order `lpr-edge --help` lists them. */
export const commands: Command[] = [
  runCommand,
  replayCommand,
  readCommand,
  evalCommand,
  usersCommand,
  queryCommand,
  auditCommand,
  exportCommand,
  retentionCommand,
  holdCommand,
  hotlistCommand,
  provisionCommand,
  selftestCommand,
];
