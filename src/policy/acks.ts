import type { Db } from '../store/database.js';

/**
 * HQ has stored these reads (sync calls this on its acknowledgement). Only acknowledged reads are
 * ever eligible for retention (policy VI.B). Returns how many were newly marked.
 */
export function markReadsAcknowledged(db: Db, ids: readonly string[], at = Date.now()): number {
  const stmt = db.prepare('UPDATE reads SET acked_at = ? WHERE id = ? AND acked_at IS NULL');
  return db.transaction(() => ids.reduce((n, id) => n + stmt.run(at, id).changes, 0))();
}
