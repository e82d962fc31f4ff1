import type { Db } from '../store/database.js';

/**
 * HQ has stored these reads (as sync's read source marks them on HQ's acknowledgement), with their
 * overview frames when `overviewSent` (sync.sendOverview). Only acknowledged reads are ever eligible
 * for retention (policy VI.B); one whose overview HQ never received is kept a year. Returns how many
 * were newly marked.
 */
export function markReadsAcknowledged(
  db: Db,
  ids: readonly string[],
  opts: { overviewSent: boolean },
  at = Date.now(),
): number {
  const stmt = db.prepare(
    'UPDATE reads SET acked_at = ?, overview_at_hq = ? WHERE id = ? AND acked_at IS NULL',
  );
  const sent = opts.overviewSent ? 1 : 0;
  return db.transaction(() => ids.reduce((n, id) => n + stmt.run(at, sent, id).changes, 0))();
}
