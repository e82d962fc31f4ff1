import { accessSync, constants, existsSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { userName } from '../util/accounts.js';

/**
 * Why this process cannot write the database `file` (naming the file) and the fix, or null when
 * it can. SQLite opens a file it may not write read-only without a word, so the daemon
 * used to start and then die on its first write ("attempt to write a readonly database", a stack
 * trace, exit 70), typically after root had created the database in the service user's folder.
 * The folder must be writable too: SQLite creates its -wal and -shm there, the daemon its images.
 */
export function whyNotWritable(file: string): { problem: string; fix: string } | null {
  const dir = path.dirname(file);
  for (const p of [file, `${file}-wal`, `${file}-shm`, dir]) {
    if (!existsSync(p)) continue;
    try {
      accessSync(p, constants.W_OK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EROFS')
        return {
          problem: `cannot write the database ${file}: ${dir} is on a read-only filesystem`,
          // Not a setting: a data disk the kernel turned read-only after I/O errors, typically.
          fix: 'check the disk (dmesg; a card or disk turned read-only after errors), then mount it read-write and start lpr-edge again',
        };
      const me = userName(os.userInfo().uid);
      return {
        problem: `cannot write the database ${file}: ${p} belongs to ${userName(statSync(p).uid)}, so user ${me} cannot write it`,
        fix: fix(dir, me),
      };
    }
  }
  return null;
}

/**
 * The folder's owner is the account meant to write it (install.sh gives /var/lib/lpr-edge to the
 * service user): when that is this process's user, or root, its files go back to this user;
 * when it is another account, this one is the wrong user to run as.
 */
function fix(dir: string, me: string): string {
  const owner = userName(statSync(dir).uid);
  return owner === me || owner === 'root'
    ? `give the data folder to ${me}: sudo chown -R ${me}: ${dir}`
    : `run lpr-edge as ${owner} (the data folder's owner) or with sudo`;
}
