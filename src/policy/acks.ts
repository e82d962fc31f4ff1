import type { Db } from '../store/database.js';

/**
 * HQ has stored these reads (as sync's read source marks them on HQ's acknowledgement), with their
 * overview frames when `overviewSent` (sync.sendOverview) and their plate crops unless `cropSent` is
 * false. Only acknowledged reads are ever eligible for retention (policy VI.B); one whose overview
 * or crop HQ never received is kept a year. Returns how many were newly marked.
 */
export function markReadsAcknowledged(
  db: Db,
  ids: readonly string[],
  opts: { overviewSent: boolean; cropSent?: boolean },
  at = Date.now(),
): number {
  const stmt = db.prepare(
    'UPDATE reads SET acked_at = ?, overview_at_hq = ?, crop_at_hq = ? WHERE id = ? AND acked_at IS NULL',
  );
  const overview = opts.overviewSent ? 1 : 0;
  const crop = opts.cropSent === false ? 0 : 1;
  return db.transaction(() => ids.reduce((n, id) => n + stmt.run(at, overview, crop, id).changes, 0))();
}
