import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { markReadsAcknowledged } from '../src/policy/acks.js';
import { policySchema } from '../src/policy/config.js';
import { approveRetention, runRetention } from '../src/policy/retention.js';
import { UserDirectory } from '../src/policy/users.js';
import type { Db } from '../src/store/database.js';
import { ReadStore } from '../src/store/reads.js';
import { ADMIN_PW, makeRead, openTestDb, tempDir } from './policy-helpers.js';

const DAY = 86_400_000;
/** 1970-01-02: the date a unit with no RTC battery and no GPS or NTP yet stamps its reads with. */
const EPOCH_CLOCK = DAY;

/**
 * Retention ages a read by when the unit stored it as well as by when it was captured: a capture
 * time from a wrong clock (or a replayed recording) is no measure of how long the unit has kept
 * the read (VI.B keep at least the window; VI.D destroy only per the approved procedure).
 */
describe('retention of reads stamped by a wrong clock', () => {
  let d: string;
  let db: Db;
  afterEach(() => {
    db?.close();
    fs.rmSync(d, { recursive: true, force: true });
  });

  /** An admin and an approved 7-day window on a fresh unit. */
  function unit() {
    d = tempDir();
    db = openTestDb(d);
    const users = new UserDirectory(db, policySchema.parse({ passwordCostLog2: 14 }));
    users.bootstrapAdmin('ada', ADMIN_PW, '2026-01-01');
    approveRetention(db, users.signIn('ada', ADMIN_PW), 7);
  }
  /** Stored (and acknowledged by HQ) when `clock` said. */
  function storeAt(clock: number, ts: number, plate: string) {
    const read = new ReadStore(db, d, () => clock).save(makeRead({ ts, plate }), {
      crop: Buffer.from('crop'),
      overview: null,
    });
    markReadsAcknowledged(db, [read.id], { overviewSent: true });
    return read;
  }
  const plates = () => new ReadStore(db, d).list().map((r) => r.plate);

  it('keeps a read captured "in 1970" but stored today for the whole window from today', () => {
    unit();
    const now = Date.now();
    storeAt(now, EPOCH_CLOCK, 'EPO0001');
    storeAt(now - 10 * DAY, now - 10 * DAY, 'OLD0001'); // a normal read, 10 days old
    storeAt(now - 6 * DAY, now - 6 * DAY, 'NEW0001'); // a normal read inside the window
    expect(runRetention({ db, dataDir: d, now })).toMatchObject({ purged: 1 });
    expect(plates()).toEqual(['EPO0001', 'NEW0001']);
    // Six days on, the read inside the window has passed it; the one stored today has not.
    expect(runRetention({ db, dataDir: d, now: now + 6 * DAY })).toMatchObject({ purged: 1 });
    expect(plates()).toEqual(['EPO0001']);
    expect(runRetention({ db, dataDir: d, now: now + 8 * DAY })).toMatchObject({ purged: 1 });
    expect(plates()).toEqual([]);
  });

  it('dates a read stored while the clock said 1970 at the first run with a believable clock, and keeps it the window from then', () => {
    unit();
    const now = Date.now();
    storeAt(EPOCH_CLOCK, EPOCH_CLOCK, 'EPO0002');
    const first = runRetention({ db, dataDir: d, now });
    expect(first).toMatchObject({ purged: 0, keptUndated: 1 });
    expect(plates()).toEqual(['EPO0002']);
    expect(runRetention({ db, dataDir: d, now: now + 6 * DAY })).toMatchObject({
      purged: 0,
      keptUndated: 0,
    });
    expect(runRetention({ db, dataDir: d, now: now + 8 * DAY })).toMatchObject({ purged: 1 });
  });
});
