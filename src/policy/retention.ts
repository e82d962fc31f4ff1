import { EARLIEST_GPS_TIME } from '../gps/clock-check.js';
import type { Logger } from '../log.js';
import type { Db } from '../store/database.js';
import { AuditLog } from './audit.js';
import { PolicyError } from './errors.js';
import { purgeClosedHits, type HitRetentionCounts } from './hit-retention.js';
import { READ_HELD_SQL } from './holds.js';
import { deleteImageFiles, MAX_FAILED_PATHS_AUDITED } from './image-files.js';
import { requireRole, type SignedInUser } from './roles.js';
import { getState, setState } from './state.js';

const APPROVED_KEY = 'retention.approved';
const DAY_MS = 86_400_000;

/**
 * Older than the window (`@cutoff`) both by when it was captured and by when the unit stored it: a
 * capture time from a wrong clock (1970 on a unit with no RTC battery, GPS or NTP) or from a
 * replayed recording says nothing of how long the unit has kept the read (VI.B). A read stored
 * undated (`stored_at` NULL: the clock was not believable then) is never old enough until dated.
 */
const READ_OLD_SQL = 'reads.ts < @cutoff AND reads.stored_at < @cutoff';

/** Reads are kept at least a year (VI.B); HQ keeps them once it has acknowledged them. */
const MIN_KEEP_DAYS = 365;

/** A year old (`@yearCutoff`), by capture and storage time as READ_OLD_SQL. */
const YEAR_OLD_SQL = '(reads.ts < @yearCutoff AND reads.stored_at < @yearCutoff)';

/**
 * HQ acknowledged the read without its overview frame (sync.sendOverview false, or left out to
 * fit the broker) and it is less than a year old: the unit's copy is the only one.
 */
const OVERVIEW_ONLY_HERE_SQL = `(reads.overview_path IS NOT NULL AND reads.overview_at_hq = 0
  AND NOT ${YEAR_OLD_SQL})`;

/** As OVERVIEW_ONLY_HERE_SQL, for the plate crop (left out of a read too large for the broker). */
const CROP_ONLY_HERE_SQL = `(reads.crop_path IS NOT NULL AND reads.crop_at_hq = 0
  AND NOT ${YEAR_OLD_SQL})`;

/**
 * Nothing of the read exists only on the unit, or it is a year old: an image HQ never received is
 * kept, with its read, the year VI.B asks, then goes with its read under the approved procedure
 * (VI.D).
 */
const ARCHIVED_SQL = `(NOT ${OVERVIEW_ONLY_HERE_SQL} AND NOT ${CROP_ONLY_HERE_SQL})`;

export interface ApprovedRetention {
  days: number;
  approvedBy: string;
  approvedAt: number;
}

/** The retention window an admin approved (policy VI.D), or undefined: then nothing is purged. */
export function approvedRetention(db: Db): ApprovedRetention | undefined {
  const s = getState<{ days: number }>(db, APPROVED_KEY);
  return s ? { days: s.value.days, approvedBy: s.updatedBy ?? '?', approvedAt: s.updatedAt } : undefined;
}

/** Only an admin sets the retention window; who and when are kept with it and audited. */
export function approveRetention(
  db: Db,
  actor: SignedInUser,
  days: number,
  audit = new AuditLog(db),
  now = Date.now(),
): ApprovedRetention {
  requireRole(actor, 'admin');
  if (!Number.isInteger(days) || days < 1 || days > 3650) {
    throw new PolicyError(`--days: got ${days}; give a whole number of days from 1 to 3650`, 'bad-days');
  }
  // The window it replaces is read inside the immediate transaction that replaces it: read before
  // it, another admin's change committed while this waited for the write lock would be missing
  // from the record (previousDays).
  const tx = db.transaction(() => {
    const before = approvedRetention(db);
    setState(db, APPROVED_KEY, { days }, actor.name, now);
    audit.append({
      type: 'retention.set',
      actor: actor.name,
      details: { days, previousDays: before?.days ?? null },
    });
    return approvedRetention(db)!;
  });
  return tx.immediate();
}

/**
 * Why the window in policy_state cannot be trusted, or null. policy_state is a plain table; the
 * admin's approval is also a `retention.set` record in the hash chain (VI.D), so a window written
 * into the table by other means (a shorter one, purging reads early) is not acted on.
 */
function unchainedApproval(approved: ApprovedRetention, audit: AuditLog): string | null {
  const record = audit.lastIntact('retention.set');
  if (record && record.details.days === approved.days && record.actor === approved.approvedBy) return null;
  const chained = record
    ? `${String(record.details.days)} days by ${record.actor ?? '?'} (audit record ${record.seq})`
    : 'no intact retention.set record';
  return `the approved retention window (${approved.days} days by ${approved.approvedBy}) does not match the audit chain (${chained}): nothing purged; run lpr-edge audit verify, then have an admin set the window again (lpr-edge retention set --days N --as ADMIN)`;
}

export interface RetentionResult extends HitRetentionCounts {
  ran: boolean;
  reason?: string;
  windowDays: number | null;
  cutoff: number | null;
  purged: number;
  /** Old enough but not acknowledged by HQ: kept (policy VI.B). */
  keptUnacknowledged: number;
  /**
   * Stored while the unit's clock was not believable, so of unknown age: dated by this run (its
   * `now`), and kept at least the window from then.
   */
  keptUndated: number;
  /**
   * Old enough and acknowledged, but HQ never received its overview (sync.sendOverview false) and
   * it is less than a year old: kept (VI.B).
   */
  keptOverviewUnsent: number;
  /**
   * As keptOverviewUnsent, for a plate crop left out to fit the broker. A read HQ lacks both of is
   * counted in both.
   */
  keptCropUnsent: number;
  /** Old enough and acknowledged but under legal hold: kept (VI.C). */
  keptHeld: number;
  /** Old enough, acknowledged, not held, but another table still refers to it (e.g. a hit): kept. */
  keptReferenced: number;
  /** Image files of purged reads deleted after the commit. */
  imagesDeleted: number;
  /** Image files of purged reads that could not be deleted (logged with their paths, audited). */
  imagesFailed: number;
}

/**
 * One purge run: deletes reads (and their images) only when HQ has acknowledged them, they are
 * older than the admin-approved window, and no active legal hold covers them; before them, the
 * closed hits that are as old, acknowledged and not held (`purgeClosedHits`), so that a read with
 * only such hits (a rejected misread) goes too. Audited with counts,
 * also when it purged nothing or could not run: `retention.run` commits with the purge and says how
 * many image files are to go; `retention.images` follows the deletions and says how many went and
 * which could not be deleted. A file that cannot be deleted never fails the run.
 */
export function runRetention(deps: {
  db: Db;
  dataDir: string;
  audit?: AuditLog;
  now?: number;
  actor?: string | null;
  log?: Logger;
}): RetentionResult {
  const { db, dataDir } = deps;
  const audit = deps.audit ?? new AuditLog(db);
  const now = deps.now ?? Date.now();
  const result: RetentionResult = {
    ran: false,
    windowDays: null,
    cutoff: null,
    purged: 0,
    keptUnacknowledged: 0,
    keptUndated: 0,
    keptOverviewUnsent: 0,
    keptCropUnsent: 0,
    keptHeld: 0,
    keptReferenced: 0,
    imagesDeleted: 0,
    imagesFailed: 0,
    hitsPurged: 0,
    hitsKeptVerified: 0,
    hitsKeptHeld: 0,
    hitsKeptUnacknowledged: 0,
    hitsKeptOpen: 0,
  };
  const yearCutoff = now - MIN_KEEP_DAYS * DAY_MS;
  // Each condition of a purge is in the DELETE itself, and the window and the reads are read
  // inside the same immediate transaction: a hold another process commits while this run waits
  // for the write lock is seen, and nothing it holds is deleted (VI.C); a window an admin changes
  // meanwhile is the one this run purges by (VI.D).
  const del = db.prepare(
    `DELETE FROM reads WHERE id = @id AND ${READ_OLD_SQL} AND acked_at IS NOT NULL AND NOT ${READ_HELD_SQL}
       AND ${ARCHIVED_SQL}`,
  );
  const files: string[] = [];
  const purge = db.transaction(() => {
    const approved = approvedRetention(db);
    result.windowDays = approved?.days ?? null;
    const refusal = approved
      ? unchainedApproval(approved, audit)
      : 'no retention window approved by an admin (lpr-edge retention set --days N --as ADMIN)';
    if (!approved || refusal) {
      result.reason = refusal!;
      return audit.append({ type: 'retention.run', actor: deps.actor ?? null, details: { ...result } });
    }
    const cutoff = now - approved.days * DAY_MS;
    result.ran = true;
    result.cutoff = cutoff;
    const count = (sql: string) => (db.prepare(sql).get({ cutoff, yearCutoff }) as { n: number }).n;
    // Closed hits first: a read is purged only once no hit refers to it any more.
    Object.assign(result, purgeClosedHits(db, cutoff));
    // Reads stored undated get this run's time, when it is believable: their age counts from now.
    if (now >= EARLIEST_GPS_TIME)
      result.keptUndated = db
        .prepare('UPDATE reads SET stored_at = ? WHERE stored_at IS NULL')
        .run(now).changes;
    result.keptUnacknowledged = count(
      `SELECT COUNT(*) AS n FROM reads WHERE ${READ_OLD_SQL} AND acked_at IS NULL`,
    );
    result.keptHeld = count(
      `SELECT COUNT(*) AS n FROM reads WHERE ${READ_OLD_SQL} AND acked_at IS NOT NULL AND ${READ_HELD_SQL}`,
    );
    const keptUnsent = (onlyHere: string) =>
      count(
        `SELECT COUNT(*) AS n FROM reads WHERE ${READ_OLD_SQL} AND acked_at IS NOT NULL AND NOT ${READ_HELD_SQL}
           AND ${onlyHere}`,
      );
    result.keptOverviewUnsent = keptUnsent(OVERVIEW_ONLY_HERE_SQL);
    result.keptCropUnsent = keptUnsent(CROP_ONLY_HERE_SQL);
    const candidates = db
      .prepare(
        `SELECT id, crop_path, overview_path FROM reads WHERE ${READ_OLD_SQL} AND acked_at IS NOT NULL
           AND NOT ${READ_HELD_SQL} AND ${ARCHIVED_SQL} ORDER BY ts`,
      )
      .all({ cutoff, yearCutoff }) as {
      id: string;
      crop_path: string | null;
      overview_path: string | null;
    }[];
    for (const c of candidates) {
      try {
        // A savepoint per row: a foreign key from another module's table (a hit) keeps that read.
        if (db.transaction(() => del.run({ id: c.id, cutoff, yearCutoff }).changes)() === 0) continue;
        result.purged++;
        for (const p of [c.crop_path, c.overview_path]) if (p) files.push(p);
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_FOREIGNKEY') result.keptReferenced++;
        else throw err;
      }
    }
    // Committed with the purge, so no purge goes unaudited. The files are deleted only after the
    // commit, so this record can say how many are to go, not how many went.
    return audit.append({
      type: 'retention.run',
      actor: deps.actor ?? null,
      details: {
        ran: result.ran,
        windowDays: result.windowDays,
        cutoff: result.cutoff,
        purged: result.purged,
        keptUnacknowledged: result.keptUnacknowledged,
        keptUndated: result.keptUndated,
        keptOverviewUnsent: result.keptOverviewUnsent,
        keptCropUnsent: result.keptCropUnsent,
        keptHeld: result.keptHeld,
        keptReferenced: result.keptReferenced,
        hitsPurged: result.hitsPurged,
        hitsKeptVerified: result.hitsKeptVerified,
        hitsKeptHeld: result.hitsKeptHeld,
        hitsKeptUnacknowledged: result.hitsKeptUnacknowledged,
        hitsKeptOpen: result.hitsKeptOpen,
        imagesToDelete: files.length,
        approvedBy: approved.approvedBy,
        approvedAt: approved.approvedAt,
      },
    });
  });
  const runRecord = purge.immediate();
  if (files.length === 0) return result;
  // The reads are gone already; a file left behind is counted, logged and audited.
  const { deleted, failed } = deleteImageFiles(
    dataDir,
    files,
    deps.log,
    'retention: an image file of a purged read',
  );
  result.imagesDeleted = deleted.length;
  result.imagesFailed = failed.length;
  audit.append({
    type: 'retention.images',
    actor: deps.actor ?? null,
    details: {
      run: runRecord.id,
      imagesDeleted: result.imagesDeleted,
      imagesFailed: result.imagesFailed,
      failedPaths: failed.slice(0, MAX_FAILED_PATHS_AUDITED),
    },
  });
  return result;
}
