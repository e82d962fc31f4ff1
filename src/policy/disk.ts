import { statSync } from 'node:fs';
import path from 'node:path';
import type { Db } from '../store/database.js';
import { AuditLog } from './audit.js';
import { READ_HELD_SQL } from './holds.js';
import { deleteImageFiles, MAX_FAILED_PATHS_AUDITED } from './image-files.js';
import type { Logger } from '../log.js';

export interface DiskPressureResult {
  usedBytes: number;
  limitBytes: number;
  /** False once usage passes the high-water mark: new reads are stored without overview images. */
  keepOverview: boolean;
  overviewsDeleted: number;
  /** Of those, overviews HQ never received (sync.sendOverview false): the only copy is gone. */
  overviewsNotAtHqDeleted: number;
  freedBytes: number;
  /** Set when the unit is still over its limit after everything it may delete: tell the operator. */
  warning: string | null;
}

/**
 * Disk pressure, in this order and never further (policy VI.B: no unacknowledged read is lost):
 *  1. above 90% of storage.maxDiskMb: stop keeping overview images for new reads (warn);
 *  2. above 100%: delete overview images of reads HQ has acknowledged, to 90%: first those HQ
 *     received with the read (reads.overview_at_hq: a copy is kept at HQ), oldest first, and
 *     only then those it never received (sync.sendOverview false: the unit's is the only copy,
 *     which retention keeps the year VI.B asks), oldest first, each of those counted in the
 *     audit record; never those of a read under legal hold (VI.C) or with a hit (the officer
 *     verifies a hit against its overview, IV.C.2, and it is the hit's evidence);
 *  3. still above: warn loudly and keep everything else. Plate crops and unacknowledged reads
 *     are never deleted for space; retention (acknowledged + window + no hold) is the only purge.
 */
export function relieveDiskPressure(deps: {
  db: Db;
  dataDir: string;
  maxDiskMb: number;
  audit?: AuditLog;
  log?: Logger;
}): DiskPressureResult {
  const { db, dataDir } = deps;
  const limit = deps.maxDiskMb * 1024 * 1024;
  const used = usedBytes(db, dataDir);
  const result: DiskPressureResult = {
    usedBytes: used,
    limitBytes: limit,
    keepOverview: used < 0.9 * limit,
    overviewsDeleted: 0,
    overviewsNotAtHqDeleted: 0,
    freedBytes: 0,
    warning: null,
  };
  if (used <= limit) {
    if (!result.keepOverview)
      result.warning = `disk ${pct(used, limit)} of storage.maxDiskMb: overview images no longer kept`;
    return result;
  }
  const target = 0.9 * limit;
  // Which overviews may go is part of the UPDATE itself, and they are chosen inside the same
  // immediate transaction: a hold another process commits while this waits for the write lock
  // is seen, and no overview of a read it holds is deleted (VI.C).
  const mayGo = `acked_at IS NOT NULL AND overview_path IS NOT NULL
    AND NOT ${READ_HELD_SQL} AND NOT EXISTS (SELECT 1 FROM hits WHERE hits.read_id = reads.id)`;
  const clear = db.prepare(
    `UPDATE reads SET overview_path = NULL, overview_bytes = 0 WHERE id = ? AND ${mayGo}`,
  );
  const toDelete: { id: string; path: string; bytes: number; atHq: boolean }[] = [];
  db.transaction(() => {
    const rows = db
      .prepare(
        `SELECT id, overview_path, overview_bytes, overview_at_hq FROM reads WHERE ${mayGo}
         ORDER BY overview_at_hq DESC, ts`,
      )
      .iterate() as IterableIterator<{
      id: string;
      overview_path: string;
      overview_bytes: number;
      overview_at_hq: number;
    }>;
    let projected = used;
    for (const r of rows) {
      if (projected <= target) break;
      toDelete.push({
        id: r.id,
        path: r.overview_path,
        bytes: r.overview_bytes,
        atHq: r.overview_at_hq === 1,
      });
      projected -= r.overview_bytes;
    }
    for (const d of toDelete) clear.run(d.id);
  }).immediate();
  const { deleted, failed } = deleteImageFiles(
    dataDir,
    toDelete.map((d) => d.path),
    deps.log,
    'disk pressure: an overview image of an acknowledged read',
  );
  const gone = new Set(deleted);
  for (const d of toDelete.filter((d) => gone.has(d.path))) {
    result.overviewsDeleted++;
    if (!d.atHq) result.overviewsNotAtHqDeleted++;
    result.freedBytes += d.bytes;
  }
  const notAtHq = result.overviewsNotAtHqDeleted
    ? ` (${result.overviewsNotAtHqDeleted} of them HQ never received: the only copy)`
    : '';
  const after = used - result.freedBytes;
  result.warning =
    after > limit
      ? `disk ${pct(after, limit)} of storage.maxDiskMb after deleting ${result.overviewsDeleted} acknowledged overview images${notAtHq}; unacknowledged reads are kept: connect to headquarters to sync`
      : `disk over storage.maxDiskMb: deleted ${result.overviewsDeleted} overview images of acknowledged reads${notAtHq}; overview images no longer kept`;
  if (toDelete.length > 0) {
    (deps.audit ?? new AuditLog(db)).append({
      type: 'retention.run',
      actor: null,
      details: {
        diskPressure: true,
        overviewsDeleted: result.overviewsDeleted,
        overviewsNotAtHqDeleted: result.overviewsNotAtHqDeleted,
        overviewsFailed: failed.length,
        failedPaths: failed.slice(0, MAX_FAILED_PATHS_AUDITED),
        freedBytes: result.freedBytes,
        usedBytes: used,
        limitBytes: limit,
      },
    });
  }
  return result;
}

function usedBytes(db: Db, dataDir: string): number {
  const images = (
    db.prepare('SELECT COALESCE(SUM(crop_bytes + overview_bytes), 0) AS n FROM reads').get() as { n: number }
  ).n;
  let dbBytes = 0;
  for (const f of ['lpr-edge.db', 'lpr-edge.db-wal']) {
    try {
      dbBytes += statSync(path.join(dataDir, f)).size;
    } catch {
      // not there (yet)
    }
  }
  return images + dbBytes;
}

function pct(used: number, limit: number): string {
  return `${Math.round((used / limit) * 100)}%`;
}
