import { renameSync, rmSync, writeFileSync } from 'node:fs';
import type { Db } from '../store/database.js';
import { PolicyError } from './errors.js';

/**
 * Write `text` to `file` (mode 0600) and the audit record that describes it, both or neither
 * (the audit log never records a file that was not written, and no file exists without its
 * record). The text goes to a temp file beside `file`; the record is appended and the temp file
 * renamed inside one transaction, so a failed rename rolls the record back and a failed commit
 * removes the file again. The temp file never outlives a failure: it may hold FOUO data.
 */
export function writeFileWithRecord<T>(db: Db, file: string, text: string, record: () => T): T {
  const tmp = `${file}.tmp-${process.pid}`;
  let renamed = false;
  try {
    writeFileSync(tmp, text, { mode: 0o600 });
    return db
      .transaction(() => {
        const r = record();
        renameSync(tmp, file);
        renamed = true;
        return r;
      })
      .immediate();
  } catch (err) {
    rmSync(tmp, { force: true });
    if (renamed) rmSync(file, { force: true });
    // File-system errors (disk full, permissions changed since the check) are the user's to fix.
    if ((err as NodeJS.ErrnoException).syscall) {
      throw new PolicyError(
        `cannot write ${file}: ${(err as Error).message}; nothing was written or recorded`,
        'write-failed',
        1,
      );
    }
    throw err;
  }
}
