import type { Db } from '../store/database.js';

/**
 * SQL condition: the hit `hits` is under a legal hold not yet released, or its read is (VI.C): a
 * held read keeps the hits raised on it, and a held hit keeps its read (by foreign key).
 */
export const HIT_HELD_SQL = `EXISTS (SELECT 1 FROM legal_holds h WHERE h.released_at IS NULL AND (
  (h.target_kind = 'hit' AND h.target_id = hits.id) OR (h.target_kind = 'read' AND h.target_id = hits.read_id)))`;

/**
 * Closed without a stop: rejected (a misread), withdrawn, superseded, suppressed (a duplicate), or
 * expired once an officer has acknowledged the console's notice of it (until then it is still on
 * the console as missed). A verified hit is not here: it is what an officer based a stop on
 * (IV.C.2), so it has prosecution value (VI.C) and is kept on the unit, whatever the window; its
 * read with it. Open hits (raised, seen) are never purged.
 */
const CLOSED_SQL = `(hits.status IN ('rejected', 'withdrawn', 'superseded', 'suppressed')
  OR (hits.status = 'expired' AND hits.expiry_acked_at IS NOT NULL))`;

/** HQ acknowledged the hit and every event of it (sync sets acked_at on a signed ack, VI.B). */
const ACKED_SQL = `hits.acked_at IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM hit_events e WHERE e.hit_id = hits.id AND e.acked_at IS NULL)`;

/** Raised, decided and last acted on before the cutoff. */
const OLD_SQL = `hits.raised_at < @cutoff AND COALESCE(hits.decided_at, 0) < @cutoff
  AND NOT EXISTS (SELECT 1 FROM hit_events e WHERE e.hit_id = hits.id AND e.ts >= @cutoff)`;

const PURGEABLE_SQL = `${CLOSED_SQL} AND ${OLD_SQL} AND ${ACKED_SQL} AND NOT ${HIT_HELD_SQL}`;

export interface HitRetentionCounts {
  /** Closed, acknowledged, old and not held: deleted with their events and confirmations. */
  hitsPurged: number;
  /** Verified (a stop may rest on it): kept, with its read. */
  hitsKeptVerified: number;
  /** Closed and old, but held (the hit or its read): kept. */
  hitsKeptHeld: number;
  /** Closed, old, not held, but HQ has not acknowledged the hit or one of its events: kept. */
  hitsKeptUnacknowledged: number;
  /** Raised before the cutoff and still open (raised, seen, or expired and not yet acknowledged). */
  hitsKeptOpen: number;
}

class KeptAfterAll extends Error {}

/**
 * Deletes the hits retention may purge (closed, older than `cutoff`, acknowledged by HQ, not
 * held), with their events and confirmations, so that their reads can be purged after them. Call
 * it inside retention's immediate transaction. Each DELETE repeats the conditions.
 */
export function purgeClosedHits(db: Db, cutoff: number): HitRetentionCounts {
  const count = (where: string) =>
    db.prepare(`SELECT COUNT(*) FROM hits WHERE hits.raised_at < @cutoff AND ${where}`).pluck().get({
      cutoff,
    }) as number;
  const counts: HitRetentionCounts = {
    hitsPurged: 0,
    hitsKeptVerified: count(`hits.status = 'verified'`),
    hitsKeptHeld: count(`${CLOSED_SQL} AND ${OLD_SQL} AND ${HIT_HELD_SQL}`),
    hitsKeptUnacknowledged: count(
      `${CLOSED_SQL} AND ${OLD_SQL} AND NOT ${HIT_HELD_SQL} AND NOT (${ACKED_SQL})`,
    ),
    hitsKeptOpen: count(`hits.status <> 'verified' AND NOT ${CLOSED_SQL}`),
  };
  const ids = db
    .prepare(`SELECT id FROM hits WHERE ${PURGEABLE_SQL} ORDER BY seq`)
    .pluck()
    .all({ cutoff }) as string[];
  const stillPurgeable = `EXISTS (SELECT 1 FROM hits WHERE hits.id = @id AND ${PURGEABLE_SQL})`;
  const delConfirmations = db.prepare(
    `DELETE FROM hit_confirmations WHERE hit_id = @id AND ${stillPurgeable}`,
  );
  const delEvents = db.prepare(`DELETE FROM hit_events WHERE hit_id = @id AND ${stillPurgeable}`);
  // Its events are gone by now, so only the conditions on the hit itself are left to repeat.
  const delHit = db.prepare(
    `DELETE FROM hits WHERE id = @id AND ${CLOSED_SQL} AND hits.raised_at < @cutoff
       AND COALESCE(hits.decided_at, 0) < @cutoff AND hits.acked_at IS NOT NULL AND NOT ${HIT_HELD_SQL}`,
  );
  for (const id of ids) {
    try {
      // One savepoint per hit: its events and confirmations go only if the hit itself goes.
      db.transaction(() => {
        delConfirmations.run({ id, cutoff });
        delEvents.run({ id, cutoff });
        if (delHit.run({ id, cutoff }).changes === 0) throw new KeptAfterAll();
      })();
      counts.hitsPurged++;
    } catch (err) {
      if (!(err instanceof KeptAfterAll)) throw err;
    }
  }
  return counts;
}
