import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../src/policy/audit.js';
import { policySchema } from '../src/policy/config.js';
import { approveRetention, runRetention } from '../src/policy/retention.js';
import { UserDirectory } from '../src/policy/users.js';
import type { Db } from '../src/store/database.js';
import { allMigrations } from '../src/store/all-migrations.js';
import { openDatabase } from '../src/store/database.js';
import { ReadStore } from '../src/store/reads.js';
import { readSource } from '../src/sync/sources.js';
import { ADMIN_PW, makeRead, openTestDb, storedWhenCaptured, tempDir } from './policy-helpers.js';

const DAY = 86_400_000;

/**
 * A read too large for the broker is sent without its plate crop, and HQ acknowledges it: the
 * unit holds the only copy of the crop. Reads are kept at least a year (VI.B), so such a read is
 * kept with its crop for a year from capture (or the approved window when longer), as an overview
 * HQ never received is; then it goes under the approved procedure (VI.D), not kept for ever.
 * (`sync-crop-left-out.test.ts` has the crop left out by a real broker's packet limit.)
 */
describe('retention of plate crops HQ never received', () => {
  let d: string;
  let db: Db;
  afterEach(() => {
    db?.close();
    fs.rmSync(d, { recursive: true, force: true });
  });

  /** A unit with a 7-day window; a read 10 days old, acknowledged by HQ as sync does. */
  function unitWithAckedRead(opts: { cropLeftOut: boolean }) {
    d = tempDir();
    db = openTestDb(d);
    const users = new UserDirectory(db, policySchema.parse({ passwordCostLog2: 14 }));
    users.bootstrapAdmin('ada', ADMIN_PW, '2026-01-01');
    approveRetention(db, users.signIn('ada', ADMIN_PW), 7);
    const r = makeRead({ ts: Date.now() - 10 * DAY, plate: 'CRP0001' });
    const read = storedWhenCaptured(db, d, r).save(r, { crop: Buffer.from('crop'), overview: null });
    const store = new ReadStore(db, d);
    const leftOut = new Set(opts.cropLeftOut ? [read.id] : []);
    readSource(db, store, { sendOverview: false }).acknowledged!([read.id], r.ts + 1000, new Set(), leftOut);
    return { read, store };
  }

  it('keeps a read whose crop was left out for a year, counted in the audit record, then purges it with its crop', () => {
    const { read, store } = unitWithAckedRead({ cropLeftOut: true });
    const crop = path.join(d, read.cropPath!);
    expect(runRetention({ db, dataDir: d })).toMatchObject({ purged: 0, keptCropUnsent: 1 });
    expect(fs.existsSync(crop)).toBe(true);
    expect(new AuditLog(db).list({ type: 'retention.run' }).at(-1)!.details).toMatchObject({
      purged: 0,
      keptCropUnsent: 1,
    });
    expect(runRetention({ db, dataDir: d, now: read.ts + 364 * DAY })).toMatchObject({ purged: 0 });
    expect(runRetention({ db, dataDir: d, now: read.ts + 366 * DAY })).toMatchObject({
      purged: 1,
      keptCropUnsent: 0,
    });
    expect(store.get(read.id)).toBeUndefined();
    expect(fs.existsSync(crop)).toBe(false);
  });

  it('purges at the window a read whose crop HQ received', () => {
    const { read } = unitWithAckedRead({ cropLeftOut: false });
    expect(runRetention({ db, dataDir: d })).toMatchObject({ purged: 1, keptCropUnsent: 0 });
    expect(fs.existsSync(path.join(d, read.cropPath!))).toBe(false);
  });

  it('keeps a year a read acknowledged before the unit tracked crops (policy migration 7): it cannot tell whether its crop went', () => {
    d = tempDir();
    const file = path.join(d, 'lpr-edge.db');
    // The unit before the upgrade: every migration but the one adding reads.crop_at_hq.
    const before = openDatabase(
      file,
      allMigrations.filter((m) => !(m.module === 'policy' && m.version === 7)),
    );
    const r = makeRead({ ts: Date.now() - 10 * DAY, plate: 'CRP0002' });
    const read = storedWhenCaptured(before, d, r).save(r, { crop: Buffer.from('crop'), overview: null });
    before
      .prepare('UPDATE reads SET acked_at = ?, overview_at_hq = 1 WHERE id = ?')
      .run(r.ts + 1000, read.id);
    before.close();
    db = openTestDb(d);
    const users = new UserDirectory(db, policySchema.parse({ passwordCostLog2: 14 }));
    users.bootstrapAdmin('ada', ADMIN_PW, '2026-01-01');
    approveRetention(db, users.signIn('ada', ADMIN_PW), 7);
    expect(runRetention({ db, dataDir: d })).toMatchObject({ purged: 0, keptCropUnsent: 1 });
    expect(runRetention({ db, dataDir: d, now: read.ts + 366 * DAY })).toMatchObject({ purged: 1 });
  });
});
