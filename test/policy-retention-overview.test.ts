import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { policySchema } from '../src/policy/config.js';
import { approveRetention, runRetention } from '../src/policy/retention.js';
import { relieveDiskPressure } from '../src/policy/disk.js';
import { AuditLog } from '../src/policy/audit.js';
import { UserDirectory } from '../src/policy/users.js';
import type { Db } from '../src/store/database.js';
import { ReadStore } from '../src/store/reads.js';
import { readSource } from '../src/sync/sources.js';
import { ADMIN_PW, makeRead, openTestDb, storedWhenCaptured, tempDir } from './policy-helpers.js';

const DAY = 86_400_000;

/**
 * With `sync.sendOverview: false` (the default) HQ acknowledges a read whose overview frame it
 * never received: the unit holds the only copy. Reads are kept at least a year (VI.B), so such an
 * overview is kept, with its read, for a year from capture (or the approved window when longer);
 * then it goes with its read under the approved procedure (VI.D), not kept for ever.
 */
describe('retention of overview images HQ never received', () => {
  let d: string;
  let db: Db;
  afterEach(() => {
    db?.close();
    fs.rmSync(d, { recursive: true, force: true });
  });

  /** A unit with a 7-day window; a read 10 days old, acknowledged by HQ as sync does. */
  function unitWithAckedRead(opts: { sendOverview: boolean; overview: boolean }) {
    d = tempDir();
    db = openTestDb(d);
    const users = new UserDirectory(db, policySchema.parse({ passwordCostLog2: 14 }));
    users.bootstrapAdmin('ada', ADMIN_PW, '2026-01-01');
    approveRetention(db, users.signIn('ada', ADMIN_PW), 7);
    const r = makeRead({ ts: Date.now() - 10 * DAY, plate: 'OVR0001' });
    const read = storedWhenCaptured(db, d, r).save(r, {
      crop: Buffer.from('crop'),
      overview: opts.overview ? Buffer.from('overview') : null,
    });
    const store = new ReadStore(db, d);
    readSource(db, store, { sendOverview: opts.sendOverview }).acknowledged!([read.id], r.ts + 1000);
    return { read, store };
  }

  it('keeps a read whose overview was never sent for a year, then purges it with its images', () => {
    const { read, store } = unitWithAckedRead({ sendOverview: false, overview: true });
    const overview = path.join(d, read.overviewPath!);
    expect(runRetention({ db, dataDir: d })).toMatchObject({ purged: 0, keptOverviewUnsent: 1 });
    expect(fs.existsSync(overview)).toBe(true);
    expect(runRetention({ db, dataDir: d, now: read.ts + 364 * DAY })).toMatchObject({ purged: 0 });
    expect(runRetention({ db, dataDir: d, now: read.ts + 366 * DAY })).toMatchObject({
      purged: 1,
      keptOverviewUnsent: 0,
    });
    expect(store.get(read.id)).toBeUndefined();
    expect(fs.existsSync(overview)).toBe(false);
  });

  it('purges at the window a read whose overview HQ received', () => {
    const { read } = unitWithAckedRead({ sendOverview: true, overview: true });
    expect(runRetention({ db, dataDir: d })).toMatchObject({ purged: 1, keptOverviewUnsent: 0 });
    expect(fs.existsSync(path.join(d, read.overviewPath!))).toBe(false);
  });

  it('purges at the window a read stored without an overview', () => {
    unitWithAckedRead({ sendOverview: false, overview: false });
    expect(runRetention({ db, dataDir: d })).toMatchObject({ purged: 1, keptOverviewUnsent: 0 });
  });
});

/**
 * Disk pressure deletes overview images of acknowledged reads: those HQ received first (a copy is
 * at HQ), oldest first; only then those HQ never received (the unit's copy is the only one), and
 * each of those is counted in the audit record.
 */
describe('disk pressure and overview images HQ never received', () => {
  let d: string;
  let db: Db;
  afterEach(() => {
    db?.close();
    fs.rmSync(d, { recursive: true, force: true });
  });

  it('deletes the overviews HQ has before those it never received, and audits how many of those went', () => {
    d = tempDir();
    db = openTestDb(d);
    const store = new ReadStore(db, d);
    const OVERVIEW = 300_000;
    // The two oldest acknowledged without their overview (sync.sendOverview false), the two newer with it.
    const reads = Array.from({ length: 4 }, (_, i) =>
      makeRead({ ts: Date.now() - (10 - i) * DAY, plate: `PRS000${i}` }),
    );
    for (const r of reads) store.save(r, { crop: Buffer.from('crop'), overview: Buffer.alloc(OVERVIEW, 1) });
    readSource(db, store, { sendOverview: false }).acknowledged!([reads[0]!.id, reads[1]!.id], Date.now());
    readSource(db, store, { sendOverview: true }).acknowledged!([reads[2]!.id, reads[3]!.id], Date.now());
    // What the unit uses (images and database), asked with a limit it is far under.
    const used = relieveDiskPressure({ db, dataDir: d, maxDiskMb: 1e6 }).usedBytes;
    // A limit whose 90 % is reached by deleting three overviews but not two.
    const maxDiskMb = (used - 2.5 * OVERVIEW) / 0.9 / (1024 * 1024);
    const res = relieveDiskPressure({ db, dataDir: d, maxDiskMb });
    expect(res.overviewsDeleted).toBe(3);
    // The two HQ has, then the oldest of those it never received; the newer of those is kept.
    expect(reads.map((r) => store.get(r.id)!.overviewPath === null)).toEqual([true, false, true, true]);
    expect(res.overviewsNotAtHqDeleted).toBe(1);
    expect(res.warning).toMatch(/1 of them HQ never received/);
    expect(new AuditLog(db).list({ type: 'retention.run' }).at(-1)!.details).toMatchObject({
      diskPressure: true,
      overviewsDeleted: 3,
      overviewsNotAtHqDeleted: 1,
    });
  });
});
