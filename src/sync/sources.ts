import { readFileSync } from 'node:fs';
import type { Db } from '../store/database.js';
import { fromRow, type ReadStore } from '../store/reads.js';
import type { StoredRead } from '../store/types.js';
import type { FrameImages } from './codec.js';
import type { OutboxSource } from './outbox.js';
import type { UpKind } from './topics.js';

export const PRIORITY = { hit: 0, disposition: 0, audit: 1, 'query-log': 1, read: 2 } as const;

function hasColumn(db: Db, table: string, column: string): boolean {
  const cols = db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[];
  return cols.some((c) => c.name === column);
}

/** The read as it goes on the wire: the stored read minus local-only fields. */
export function readBody(read: StoredRead): Record<string, unknown> {
  const body: Record<string, unknown> = { ...read };
  for (const local of ['seq', 'unitId', 'cropPath', 'overviewPath']) delete body[local];
  return body;
}

/** Reads with their plate crop (and the overview frame when configured). */
export function readSource(db: Db, reads: ReadStore, opts: { sendOverview: boolean }): OutboxSource {
  const scan = db.prepare('SELECT id, seq FROM reads WHERE seq > ? ORDER BY seq LIMIT ?');
  // Prepared once: the drain loads thousands of reads per second.
  const get = db.prepare('SELECT * FROM reads WHERE id = ?');
  // The policy migrations add reads.acked_at (acknowledgement makes a read eligible for retention)
  // and reads.overview_at_hq and crop_at_hq (an image HQ never received is kept the year VI.B
  // asks). An overview is at HQ only if it was sent (sync.sendOverview) and no copy of the read
  // went without it (left out to fit the broker: `withoutOverview`); a crop only if no copy went
  // without it (`withoutCrop`).
  const ackWithImages = hasColumn(db, 'reads', 'crop_at_hq')
    ? db.prepare(
        'UPDATE reads SET acked_at = ?, overview_at_hq = ?, crop_at_hq = ? WHERE id = ? AND acked_at IS NULL',
      )
    : undefined;
  const ackStmt = hasColumn(db, 'reads', 'acked_at')
    ? db.prepare('UPDATE reads SET acked_at = ? WHERE id = ? AND acked_at IS NULL')
    : undefined;
  const image = (rel: string | null): Buffer | undefined => {
    if (!rel) return undefined;
    try {
      return readFileSync(reads.imagePath(rel));
    } catch {
      return undefined; // image lost (disk pressure): the read still goes, flagged below
    }
  };
  return {
    kind: 'read',
    priority: PRIORITY.read,
    scan: (after, limit) => scan.all(after, limit) as { id: string; seq: number }[],
    load(id) {
      const row = get.get(id) as Parameters<typeof fromRow>[0] | undefined;
      if (!row) return undefined;
      const read = fromRow(row);
      const images: FrameImages = {};
      const crop = image(read.cropPath);
      if (crop) images.crop = crop;
      if (opts.sendOverview) {
        const overview = image(read.overviewPath);
        if (overview) images.overview = overview;
      }
      const body = readBody(read);
      if (read.cropPath && !crop) body.flags = [...read.flags, 'crop-missing'];
      return { body, images };
    },
    acknowledged(ids, at, withoutOverview = new Set(), withoutCrop = new Set()) {
      for (const id of ids) {
        if (ackWithImages)
          ackWithImages.run(
            at,
            opts.sendOverview && !withoutOverview.has(id) ? 1 : 0,
            withoutCrop.has(id) ? 0 : 1,
            id,
          );
        else ackStmt?.run(at, id);
      }
    },
  };
}

/**
 * Any table with a commit-order column, an id column and (optionally) an `acked_at` column:
 * audit_log, query_log, hits, dispositions. `toBody` maps a row to the wire body.
 */
export function tableSource(
  db: Db,
  spec: {
    kind: UpKind;
    table: string;
    seqColumn: string;
    idColumn: string;
    /** The id column numbers rows (INTEGER PRIMARY KEY) rather than holding a UUID. */
    localIds?: boolean;
    toBody: (row: Record<string, unknown>) => Record<string, unknown>;
  },
): OutboxSource {
  const { table, seqColumn: seq, idColumn: idc } = spec;
  const scan = db.prepare(
    `SELECT CAST(${idc} AS TEXT) AS id, ${seq} AS seq FROM ${table} WHERE ${seq} > ? ORDER BY ${seq} LIMIT ?`,
  );
  const get = db.prepare(`SELECT * FROM ${table} WHERE ${idc} = ?`);
  const ackStmt = hasColumn(db, table, 'acked_at')
    ? db.prepare(`UPDATE ${table} SET acked_at = ? WHERE ${idc} = ? AND acked_at IS NULL`)
    : undefined;
  return {
    kind: spec.kind,
    priority: PRIORITY[spec.kind],
    localIds: spec.localIds === true,
    scan: (after, limit) => scan.all(after, limit) as { id: string; seq: number }[],
    load(id) {
      const row = get.get(id) as Record<string, unknown> | undefined;
      return row ? { body: spec.toBody(row) } : undefined;
    },
    acknowledged(ids, at) {
      if (ackStmt) for (const id of ids) ackStmt.run(at, id);
    },
  };
}
