import type { Db } from '../store/database.js';
import { PARKED_IDS_SHOWN } from './schemas.js';

/**
 * Outbox records held back because they cannot fit the broker's maximum packet size even without
 * images (sync migration 4). Sending one would only get the connection dropped, and after every
 * reconnect it would be sent again ahead of the records behind it. A parked record is not due
 * (`Outbox.due` skips it) but stays unacknowledged, so it is never purged and counts in the queue
 * depth; `releaseAll` at each start tries it again against the limit of the day.
 */
export class ParkedRecords {
  private readonly stmts;

  constructor(
    db: Db,
    private readonly now: () => number = Date.now,
  ) {
    this.stmts = {
      park: db.prepare(
        'UPDATE sync_outbox SET parked_at = ?, parked_reason = ?, last_sent_at = NULL WHERE msg_id = ? AND acked_at IS NULL',
      ),
      release: db.prepare(
        'UPDATE sync_outbox SET parked_at = NULL, parked_reason = NULL WHERE parked_at IS NOT NULL AND acked_at IS NULL',
      ),
      count: db
        .prepare('SELECT COUNT(*) FROM sync_outbox WHERE parked_at IS NOT NULL AND acked_at IS NULL')
        .pluck(),
      ids: db
        .prepare(
          'SELECT msg_id FROM sync_outbox WHERE parked_at IS NOT NULL AND acked_at IS NULL ORDER BY oseq LIMIT ?',
        )
        .pluck(),
    };
  }

  park(msgId: string, reason: string): void {
    this.stmts.park.run(this.now(), reason, msgId);
  }

  /** Make every parked record due again (at start: the limit may have been raised since). */
  releaseAll(): number {
    return this.stmts.release.run().changes;
  }

  /** How many are parked, and the first few message ids (for the status and health). */
  summary(): { count: number; ids: string[] } {
    return {
      count: this.stmts.count.get() as number,
      ids: this.stmts.ids.all(PARKED_IDS_SHOWN) as string[],
    };
  }
}
