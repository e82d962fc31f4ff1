import { rmSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../log.js';

/** At most this many failed paths go into an audit record; the count is always exact. */
export const MAX_FAILED_PATHS_AUDITED = 100;

/**
 * Image files whose reads no longer point at them (the database change is committed first: a crash
 * in between leaves orphan files, never a read without its image), deleted one by one. A file that
 * cannot be deleted is logged and returned, and the rest still go; one already missing counts as
 * deleted (it is no longer on the unit either way).
 */
export function deleteImageFiles(
  dataDir: string,
  files: readonly string[],
  log: Logger | undefined,
  what: string,
): { deleted: string[]; failed: string[] } {
  const deleted: string[] = [];
  const failed: string[] = [];
  for (const p of files) {
    try {
      rmSync(path.join(dataDir, p), { force: true });
      deleted.push(p);
    } catch (err) {
      failed.push(p);
      log?.warn({ path: p, err: (err as Error).message }, `could not delete ${what}`);
    }
  }
  return { deleted, failed };
}
