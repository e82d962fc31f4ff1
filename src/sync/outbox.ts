import type { Db } from '../store/database.js';
import type { FrameImages } from './codec.js';
import type { UpKind } from './topics.js';

/**
 * Where outbox records come from: a table with a commit-order sequence. The outbox never copies
 * payloads; it keeps ids and builds each message from the source row when it is sent.
 */
export interface OutboxSource {
  kind: UpKind;
  /** Lower is sent first: hits and audit before bulk reads. */
  priority: number;
  /** Records committed after `afterSeq`, in commit order. */
  scan(afterSeq: number, limit: number): { id: string; seq: number }[];
  /** The message body (and images) for one record, or undefined if it no longer exists. */
  load(id: string): { body: Record<string, unknown>; images?: FrameImages } | undefined;
  /**
   * HQ has acknowledged these records: mark them (makes them eligible for local retention).
   * `withoutOverview`, `withoutCrop`: ids of those a copy of which went without its overview frame
   * or its plate crop (left out to fit the broker), so HQ may not hold it.
   */
  acknowledged?(
    ids: string[],
    at: number,
    withoutOverview?: ReadonlySet<string>,
    withoutCrop?: ReadonlySet<string>,
  ): void;
  /** Ids are row numbers of this database, not UUIDs: message ids then carry the install id. */
  localIds?: boolean;
}

export interface OutboxItem {
  msgId: string;
  kind: UpKind;
  sourceId: string;
  sourceSeq: number;
  attempts: number;
}

/** What one ack message did. */
export interface AckResult {
  /** Newly acknowledged: the source rows are marked (which makes them eligible for retention). */
  acked: string[];
  /** Sent and acknowledged before: HQ acknowledges a duplicate again. Nothing to do. */
  repeated: number;
  /** In the outbox but never sent: ignored (see `ack`). */
  unsent: number;
  /** Not in the outbox (never queued here, or forgotten a week after its ack): ignored. */
  unknown: number;
}

interface ItemRow {
  msg_id: string;
  kind: UpKind;
  source_id: string;
  source_seq: number;
  attempts: number;
}

/**
 * The durable queue of records for headquarters. A record is done only when HQ acknowledges its
 * message id on the ack topic; until then it is sent again (HQ de-duplicates by id): after the ack
 * timeout, which the sync service times on the monotonic clock and ends with `markUnsent`, and
 * after a restart (`resetInFlight`). `last_sent_at` marks a record in flight and says when it went
 * (wall clock); it is never compared with the clock, so a step of the clock neither holds resends
 * back until it catches up nor makes the whole window look timed out. `attempts` counts the sends
 * that were handed to the broker: an ack counts only for a record sent at least once.
 */
export class Outbox {
  private readonly sources = new Map<UpKind, OutboxSource>();
  private readonly stmts;
  /** Random per database (sync migration 2): tells apart two databases under one unit id. */
  readonly installId: string;

  constructor(
    private readonly db: Db,
    private readonly unitId: string,
    sources: OutboxSource[],
    private readonly now: () => number = Date.now,
  ) {
    for (const s of sources) this.sources.set(s.kind, s);
    this.installId = db.prepare('SELECT uid FROM sync_install WHERE id = 1').pluck().get() as string;
    this.stmts = {
      cursor: db.prepare('SELECT last_seq FROM sync_cursors WHERE kind = ?').pluck(),
      setCursor: db.prepare(
        'INSERT INTO sync_cursors (kind, last_seq) VALUES (?, ?) ON CONFLICT (kind) DO UPDATE SET last_seq = excluded.last_seq',
      ),
      enqueue: db.prepare(
        `INSERT OR IGNORE INTO sync_outbox (msg_id, kind, source_id, source_seq, priority, enqueued_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      due: db.prepare(
        `SELECT msg_id, kind, source_id, source_seq, attempts FROM sync_outbox
         WHERE acked_at IS NULL AND last_sent_at IS NULL AND parked_at IS NULL
         ORDER BY priority, oseq LIMIT ?`,
      ),
      sent: db.prepare('UPDATE sync_outbox SET attempts = attempts + 1, last_sent_at = ? WHERE msg_id = ?'),
      unsent: db.prepare('UPDATE sync_outbox SET last_sent_at = NULL WHERE msg_id = ? AND acked_at IS NULL'),
      undelivered: db.prepare(
        `UPDATE sync_outbox SET last_sent_at = NULL, attempts = attempts - 1
         WHERE msg_id = ? AND acked_at IS NULL AND attempts > 0`,
      ),
      ackTarget: db.prepare(
        'SELECT kind, source_id, attempts, acked_at, overview_left_out, crop_left_out FROM sync_outbox WHERE msg_id = ?',
      ),
      overviewLeftOut: db.prepare('UPDATE sync_outbox SET overview_left_out = 1 WHERE msg_id = ?'),
      cropLeftOut: db.prepare('UPDATE sync_outbox SET crop_left_out = 1 WHERE msg_id = ?'),
      ack: db.prepare('UPDATE sync_outbox SET acked_at = ? WHERE msg_id = ? AND acked_at IS NULL'),
      depth: db.prepare('SELECT COUNT(*) FROM sync_outbox WHERE acked_at IS NULL').pluck(),
      resetSent: db.prepare(
        'UPDATE sync_outbox SET last_sent_at = NULL WHERE acked_at IS NULL AND last_sent_at IS NOT NULL',
      ),
      prune: db.prepare('DELETE FROM sync_outbox WHERE acked_at IS NOT NULL AND acked_at < ?'),
    };
  }

  messageId(kind: UpKind, sourceId: string): string {
    const local = this.sources.get(kind)?.localIds === true;
    return `${this.unitId}:${kind}:${local ? `${this.installId}-` : ''}${sourceId}`;
  }

  /**
   * Move newly committed source records into the outbox. The cursor moves in the same
   * transaction as the inserts, so a crash at any point neither skips nor doubles a record.
   */
  collect(batch = 5000): number {
    let added = 0;
    for (const source of this.sources.values()) {
      for (;;) {
        const n = this.db.transaction(() => {
          const after = (this.stmts.cursor.get(source.kind) as number | undefined) ?? 0;
          const rows = source.scan(after, batch);
          const at = this.now();
          for (const r of rows) {
            this.stmts.enqueue.run(
              this.messageId(source.kind, r.id),
              source.kind,
              r.id,
              r.seq,
              source.priority,
              at,
            );
          }
          const last = rows[rows.length - 1];
          if (last) this.stmts.setCursor.run(source.kind, last.seq);
          return rows.length;
        })();
        added += n;
        if (n < batch) break;
      }
    }
    return added;
  }

  /**
   * Records due for sending, by priority then commit order: never sent, or no longer in flight
   * (`markUnsent`: timed out or failed; `resetInFlight`: restarted).
   */
  due(limit: number): OutboxItem[] {
    return (this.stmts.due.all(limit) as ItemRow[]).map((r) => ({
      msgId: r.msg_id,
      kind: r.kind,
      sourceId: r.source_id,
      sourceSeq: r.source_seq,
      attempts: r.attempts,
    }));
  }

  load(item: OutboxItem): ReturnType<OutboxSource['load']> {
    return this.sources.get(item.kind)?.load(item.sourceId);
  }

  markSent(msgIds: string[], at = this.now()): void {
    this.db.transaction(() => {
      for (const id of msgIds) this.stmts.sent.run(at, id);
    })();
  }

  /** A send failed before reaching the broker, or HQ did not acknowledge it in time: due again. */
  markUnsent(msgIds: string[]): void {
    this.db.transaction(() => {
      for (const id of msgIds) this.stmts.unsent.run(id);
    })();
  }

  /**
   * The publish failed before it reached the broker: due again, and the attempt does not count,
   * so the record is not taken for sent (an ack for it would not count).
   */
  markNotDelivered(msgIds: string[]): void {
    this.db.transaction(() => {
      for (const id of msgIds) this.stmts.undelivered.run(id);
    })();
  }

  /**
   * This record was sent without these images: its ack will not say HQ holds them. Set once,
   * never cleared: HQ keeps the first copy it stores, and the ack does not say which that was.
   */
  markImagesLeftOut(msgId: string, images: readonly ('overview' | 'crop')[]): void {
    if (images.includes('overview')) this.stmts.overviewLeftOut.run(msgId);
    if (images.includes('crop')) this.stmts.cropLeftOut.run(msgId);
  }

  /**
   * Apply an HQ acknowledgement. An ack makes a record eligible for local retention (policy VI.B,
   * VI.F), so it counts only for a record this unit has sent at least once: anyone able to publish
   * on the ack topic could otherwise have reads purged that HQ never received. A record sent and
   * then due again (ack timeout, restart) still counts: its late ack is HQ's answer to that send.
   */
  ack(msgIds: string[]): AckResult {
    const at = this.now();
    return this.db.transaction(() => {
      const result: AckResult = { acked: [], repeated: 0, unsent: 0, unknown: 0 };
      const byKind = new Map<UpKind, string[]>();
      const withoutOverview = new Set<string>();
      const withoutCrop = new Set<string>();
      for (const id of msgIds) {
        const row = this.stmts.ackTarget.get(id) as
          | {
              kind: UpKind;
              source_id: string;
              attempts: number;
              acked_at: number | null;
              overview_left_out: number;
              crop_left_out: number;
            }
          | undefined;
        if (!row) result.unknown++;
        else if (row.acked_at !== null) result.repeated++;
        else if (row.attempts === 0) result.unsent++;
        else {
          this.stmts.ack.run(at, id);
          result.acked.push(id);
          const list = byKind.get(row.kind) ?? [];
          list.push(row.source_id);
          byKind.set(row.kind, list);
          if (row.overview_left_out) withoutOverview.add(row.source_id);
          if (row.crop_left_out) withoutCrop.add(row.source_id);
        }
      }
      for (const [kind, ids] of byKind)
        this.sources.get(kind)?.acknowledged?.(ids, at, withoutOverview, withoutCrop);
      return result;
    })();
  }

  /** Records not yet acknowledged by HQ. */
  depth(): number {
    return this.stmts.depth.get() as number;
  }

  /** After a restart nothing is in flight any more: everything unacknowledged is due again. */
  resetInFlight(): void {
    this.stmts.resetSent.run();
  }

  /** Forget acknowledged entries older than `olderThanMs` (the source rows keep their acked_at). */
  prune(olderThanMs: number): number {
    return this.stmts.prune.run(this.now() - olderThanMs).changes;
  }
}
