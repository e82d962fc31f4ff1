import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../src/policy/audit.js';
import { relieveDiskPressure } from '../src/policy/disk.js';
import { LegalHolds } from '../src/policy/holds.js';
import { policySchema } from '../src/policy/config.js';
import { approveRetention, runRetention } from '../src/policy/retention.js';
import { PolicyMaintenance } from '../src/policy/maintenance.js';
import { markReadsAcknowledged } from '../src/policy/acks.js';
import { silentLogger } from '../src/log.js';
import { recordingLogger } from './helpers/logger.js';
import { UserDirectory } from '../src/policy/users.js';
import { ReadStore } from '../src/store/reads.js';
import {
  ADMIN_PW,
  cli,
  insertHit,
  makeRead,
  OFFICER_PW,
  openTestDb,
  provision,
  saveReads,
  storedWhenCaptured,
  tempDir,
} from './policy-helpers.js';

const DAY = 86_400_000;

// Policy VI.B, VI.C, VI.D: a read is purged only when acknowledged by HQ, older than the window
// an admin approved, and not under legal hold.
describe('retention and legal hold', () => {
  let dir: string;
  const old = Date.now() - 40 * DAY;
  const ids = {
    ackedOld: makeRead({ ts: old, plate: 'OLD0001' }),
    unackedOld: makeRead({ ts: old, plate: 'OLD0002' }),
    heldOld: makeRead({ ts: old, plate: 'OLD0003' }),
    ackedNew: makeRead({ ts: Date.now() - DAY, plate: 'NEW0001' }),
  };
  beforeAll(() => {
    dir = tempDir();
    provision(dir);
    saveReads(dir, Object.values(ids));
    const db = openTestDb(dir);
    // HQ acknowledged three of them, overviews included (sync does this on an MQTT ack).
    markReadsAcknowledged(db, [ids.ackedOld.id, ids.heldOld.id, ids.ackedNew.id], { overviewSent: true });
    db.close();
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('purges nothing until an admin approves a window, and only an admin may approve or hold', () => {
    const run = cli(dir, ['retention', 'run', '--as', 'ada', '--json'], { LPR_EDGE_PASSWORD: ADMIN_PW });
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ ran: false, purged: 0 });
    const officerSet = cli(dir, ['retention', 'set', '--days', '30', '--as', 'olly'], {
      LPR_EDGE_PASSWORD: OFFICER_PW,
    });
    expect(officerSet.status).not.toBe(0);
    expect(officerSet.stderr).toMatch(/needs the admin role/);
    const officerHold = cli(
      dir,
      ['hold', 'set', '--read', ids.heldOld.id, '--case', 'C-9', '--reason', 'evidence', '--as', 'olly'],
      {
        LPR_EDGE_PASSWORD: OFFICER_PW,
      },
    );
    expect(officerHold.status).not.toBe(0);
    expect(officerHold.stderr).toMatch(/needs the admin role/);
  });

  it('never deletes unacknowledged or held reads; deletes acknowledged old ones with their images; audits the run', () => {
    expect(
      cli(dir, ['retention', 'set', '--days', '30', '--as', 'ada'], { LPR_EDGE_PASSWORD: ADMIN_PW }).status,
    ).toBe(0);
    const hold = cli(
      dir,
      [
        'hold',
        'set',
        '--read',
        ids.heldOld.id,
        '--case',
        'C-9',
        '--reason',
        'evidence in a prosecution',
        '--as',
        'ada',
      ],
      {
        LPR_EDGE_PASSWORD: ADMIN_PW,
      },
    );
    expect(hold.status).toBe(0);
    const db0 = openTestDb(dir);
    const cropOfPurged = new ReadStore(db0, dir).get(ids.ackedOld.id)!.cropPath!;
    db0.close();
    expect(fs.existsSync(path.join(dir, cropOfPurged))).toBe(true);

    const run = cli(dir, ['retention', 'run', '--as', 'ada', '--json'], { LPR_EDGE_PASSWORD: ADMIN_PW });
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      ran: true,
      windowDays: 30,
      purged: 1,
      keptUnacknowledged: 1,
      keptHeld: 1,
      imagesDeleted: 2,
      imagesFailed: 0,
    });

    const db = openTestDb(dir);
    try {
      const store = new ReadStore(db, dir);
      expect(store.get(ids.ackedOld.id)).toBeUndefined();
      expect(store.get(ids.unackedOld.id)?.plate).toBe('OLD0002');
      expect(store.get(ids.heldOld.id)?.plate).toBe('OLD0003');
      expect(store.get(ids.ackedNew.id)?.plate).toBe('NEW0001');
      expect(fs.existsSync(path.join(dir, cropOfPurged))).toBe(false);
      const audit = new AuditLog(db);
      expect(audit.list({ type: 'retention.set' }).at(-1)).toMatchObject({
        actor: 'ada',
        details: { days: 30 },
      });
      expect(audit.list({ type: 'hold.set' }).at(-1)).toMatchObject({
        actor: 'ada',
        details: { caseNumber: 'C-9', targetId: ids.heldOld.id },
      });
      expect(audit.list({ type: 'retention.run' }).at(-1)!.details).toMatchObject({
        purged: 1,
        keptHeld: 1,
        keptUnacknowledged: 1,
        approvedBy: 'ada',
      });

      // Once the hold is released, the next run may purge that read.
      const users = new UserDirectory(db, policySchema.parse({}));
      const ada = users.signIn('ada', ADMIN_PW);
      const holds = new LegalHolds(db);
      holds.release(ada, holds.active({ caseNumber: 'C-9' })[0]!.id, 'case closed');
      const again = runRetention({ db, dataDir: dir, actor: 'ada' });
      expect(again).toMatchObject({ purged: 1, keptHeld: 0, keptUnacknowledged: 1 });
      expect(store.get(ids.unackedOld.id)).toBeDefined();
      expect(audit.verify().ok).toBe(true);
    } finally {
      db.close();
    }
  });

  it('under disk pressure deletes only overview images of acknowledged reads, never an unacknowledged, held or hit read', () => {
    const d = tempDir();
    try {
      const reads = Array.from({ length: 8 }, (_, i) =>
        makeRead({ ts: Date.now() - (10 - i) * DAY, plate: `DSK000${i}` }),
      );
      const db = openTestDb(d);
      const store = new ReadStore(db, d);
      const big = Buffer.alloc(300_000, 1);
      for (const r of reads) store.save(r, { crop: Buffer.from('crop'), overview: big });
      for (const r of reads.slice(0, 5)) db.prepare('UPDATE reads SET acked_at = 1 WHERE id = ?').run(r.id);
      // The two oldest acknowledged reads are evidence: one under legal hold, one with a hit.
      const users = new UserDirectory(db, policySchema.parse({ passwordCostLog2: 14 }));
      users.bootstrapAdmin('ada', ADMIN_PW, '2026-01-01');
      new LegalHolds(db).set(users.signIn('ada', ADMIN_PW), {
        targetKind: 'read',
        targetId: reads[0]!.id,
        caseNumber: 'C-77',
        reason: 'prosecution evidence',
      });
      insertHit(db, reads[1]!.id);
      // 2.4 MB of overviews against a 1 MB cap.
      const res = relieveDiskPressure({ db, dataDir: d, maxDiskMb: 1 });
      expect(res.keepOverview).toBe(false);
      expect(res.overviewsDeleted).toBe(3);
      expect(res.warning).toMatch(/unacknowledged reads are kept/);
      expect(new AuditLog(db).list({ type: 'retention.run' }).at(-1)!.details).toMatchObject({
        diskPressure: true,
        overviewsDeleted: 3,
      });
      for (const r of reads.slice(2, 5)) expect(store.get(r.id)!.overviewPath).toBeNull();
      for (const r of [...reads.slice(0, 2), ...reads.slice(5)]) {
        const s = store.get(r.id)!;
        expect(s.plate).toBe(r.plate);
        expect(fs.existsSync(path.join(d, s.overviewPath!))).toBe(true);
      }
      expect(store.count()).toBe(8);
      // The daemon's maintenance service tells the camera pipeline to stop keeping overviews.
      const m = new PolicyMaintenance({ db, dataDir: d, maxDiskMb: 1, log: silentLogger() });
      m.tick();
      expect(m.keepOverview).toBe(false);
      expect(store.count()).toBe(8);
      db.close();
    } finally {
      fs.rmSync(d, { recursive: true, force: true });
    }
  });

  it('under disk pressure counts an overview it could not delete, audits it, and deletes the rest', () => {
    const d = tempDir();
    try {
      const reads = Array.from({ length: 3 }, (_, i) => makeRead({ ts: Date.now() - (5 - i) * DAY }));
      const db = openTestDb(d);
      const store = new ReadStore(db, d);
      for (const r of reads) store.save(r, { crop: null, overview: Buffer.alloc(500_000, 1) });
      db.prepare('UPDATE reads SET acked_at = 1').run();
      // A folder with a file in it where the oldest overview is: not deletable, even for root.
      const stuck = store.get(reads[0]!.id)!.overviewPath!;
      fs.rmSync(path.join(d, stuck));
      fs.mkdirSync(path.join(d, stuck, 'x'), { recursive: true });
      const { log, records } = recordingLogger();
      const res = relieveDiskPressure({ db, dataDir: d, maxDiskMb: 0.5, log });
      expect(res.overviewsDeleted).toBe(2);
      expect(new AuditLog(db).list({ type: 'retention.run' }).at(-1)!.details).toMatchObject({
        diskPressure: true,
        overviewsDeleted: 2,
        overviewsFailed: 1,
        failedPaths: [stuck],
      });
      expect(records.some((r) => r.path === stuck && /could not delete/.test(r.msg))).toBe(true);
      for (const r of reads.slice(1))
        expect(fs.readdirSync(path.dirname(path.join(d, stuck)))).not.toContain(r.id);
      db.close();
    } finally {
      fs.rmSync(d, { recursive: true, force: true });
    }
  });

  it('the daemon maintenance service runs retention against the approved window and reports disk state', async () => {
    const d = tempDir();
    try {
      const db = openTestDb(d);
      // Captured and stored 10 days ago.
      const store = new ReadStore(db, d, () => Date.now() - 10 * DAY);
      const a = makeRead({ ts: Date.now() - 10 * DAY, plate: 'MNT0001' });
      const b = makeRead({ ts: Date.now() - 10 * DAY, plate: 'MNT0002' });
      for (const r of [a, b]) store.save(r, { crop: Buffer.from('c'), overview: Buffer.from('o') });
      expect(markReadsAcknowledged(db, [a.id, a.id], { overviewSent: true })).toBe(1);
      const users = new UserDirectory(db, policySchema.parse({ passwordCostLog2: 14 }));
      users.bootstrapAdmin('ada', ADMIN_PW, '2026-01-01');
      approveRetention(db, users.signIn('ada', ADMIN_PW), 7);
      const m = new PolicyMaintenance({ db, dataDir: d, maxDiskMb: 100, log: silentLogger() }, 60_000);
      await m.start();
      await m.stop();
      expect(store.get(a.id)).toBeUndefined();
      expect(store.get(b.id)?.plate).toBe('MNT0002');
      expect(m.health()).toMatchObject({
        keepOverview: true,
        lastRetention: { purged: 1, keptUnacknowledged: 1 },
      });
      db.close();
    } finally {
      fs.rmSync(d, { recursive: true, force: true });
    }
  });
});

// Policy VI.D: each purge is audited, and the record tells what was destroyed, image files included.
describe('the image files a retention run deletes', () => {
  /** A unit with an approved 7-day window and acknowledged reads 10 days old, each with two images. */
  function unitWithPurgeableReads(n: number) {
    const d = tempDir();
    const db = openTestDb(d);
    // Captured and stored 10 days ago.
    const store = new ReadStore(db, d, () => Date.now() - 10 * DAY);
    const users = new UserDirectory(db, policySchema.parse({ passwordCostLog2: 14 }));
    users.bootstrapAdmin('ada', ADMIN_PW, '2026-01-01');
    approveRetention(db, users.signIn('ada', ADMIN_PW), 7);
    const reads = Array.from({ length: n }, (_, i) =>
      store.save(makeRead({ ts: Date.now() - 10 * DAY, plate: `IMG000${i}` }), {
        crop: Buffer.from('crop-jpeg'),
        overview: Buffer.from('overview-jpeg'),
      }),
    );
    markReadsAcknowledged(
      db,
      reads.map((r) => r.id),
      { overviewSent: true },
    );
    return { d, db, reads, audit: new AuditLog(db) };
  }
  /** The retention run's follow-up record: what became of the image files of the reads it purged. */
  const imagesRecord = (audit: AuditLog) => audit.list({ type: 'retention.images' }).at(-1);

  it('records the number of image files it deleted', () => {
    const { d, db, reads, audit } = unitWithPurgeableReads(3);
    try {
      const r = runRetention({ db, dataDir: d, actor: 'ada', log: silentLogger() });
      expect(r).toMatchObject({ purged: 3, imagesDeleted: 6, imagesFailed: 0 });
      for (const read of reads)
        for (const p of [read.cropPath!, read.overviewPath!])
          expect(fs.existsSync(path.join(d, p))).toBe(false);
      const run = audit.list({ type: 'retention.run' }).at(-1)!;
      expect(run.details).toMatchObject({ purged: 3, imagesToDelete: 6 });
      expect(imagesRecord(audit)).toMatchObject({
        actor: 'ada',
        details: { run: run.id, imagesDeleted: 6, imagesFailed: 0, failedPaths: [] },
      });
      expect(audit.verify().ok).toBe(true);
    } finally {
      db.close();
      fs.rmSync(d, { recursive: true, force: true });
    }
  });

  it('a file it cannot delete is counted, logged with its path and audited; the run completes', () => {
    const { d, db, reads, audit } = unitWithPurgeableReads(2);
    try {
      // A non-empty directory where the crop should be: no unlink removes it, not even root's.
      const stuck = reads[0]!.cropPath!;
      fs.rmSync(path.join(d, stuck));
      fs.mkdirSync(path.join(d, stuck));
      fs.writeFileSync(path.join(d, stuck, 'inside'), 'x');
      const warnings: { path?: string; msg: string }[] = [];
      const log = pino(
        { level: 'warn' },
        new Writable({
          write(chunk: Buffer, _enc, done) {
            for (const l of chunk.toString().split('\n').filter(Boolean)) warnings.push(JSON.parse(l));
            done();
          },
        }),
      );
      const r = runRetention({ db, dataDir: d, actor: 'ada', log });
      expect(r).toMatchObject({ purged: 2, imagesDeleted: 3, imagesFailed: 1 });
      // The purge itself is committed and audited whatever became of the files.
      expect(new ReadStore(db, d).count()).toBe(0);
      const run = audit.list({ type: 'retention.run' }).at(-1)!;
      expect(run.details).toMatchObject({ purged: 2, imagesToDelete: 4 });
      expect(imagesRecord(audit)).toMatchObject({
        details: { run: run.id, imagesDeleted: 3, imagesFailed: 1, failedPaths: [stuck] },
      });
      expect(warnings).toEqual([expect.objectContaining({ path: stuck })]);
      for (const p of [reads[0]!.overviewPath!, reads[1]!.cropPath!, reads[1]!.overviewPath!])
        expect(fs.existsSync(path.join(d, p))).toBe(false);
      expect(audit.verify().ok).toBe(true);
    } finally {
      db.close();
      fs.rmSync(d, { recursive: true, force: true });
    }
  });
});

describe('the daily retention run and a stepped clock', () => {
  it('a unit that booted with its clock a year ahead still runs retention a day after the clock is set right', () => {
    const d = tempDir();
    try {
      const db = openTestDb(d);
      const store = new ReadStore(db, d);
      const users = new UserDirectory(db, policySchema.parse({ passwordCostLog2: 14 }));
      users.bootstrapAdmin('ada', ADMIN_PW, '2026-01-01');
      approveRetention(db, users.signIn('ada', ADMIN_PW), 7);
      const realNow = Date.now();
      let wall = realNow + 365 * DAY; // a stale RTC, a year fast
      let mono = 0;
      const m = new PolicyMaintenance(
        { db, dataDir: d, maxDiskMb: 100, log: silentLogger() },
        60_000,
        () => wall,
        () => mono,
      );
      m.tick(); // the run at start
      expect(m.health()).toMatchObject({ lastRetention: { purged: 0 } });
      wall = realNow; // the GPS sets the clock right: a year back
      const due = makeRead({ ts: realNow - 10 * DAY, plate: 'DAY0001' });
      storedWhenCaptured(db, d, due).save(due, { crop: null, overview: null });
      markReadsAcknowledged(db, [due.id], { overviewSent: true });
      mono += DAY / 2;
      m.tick(); // not yet: half a day since the last run
      expect(store.get(due.id)?.plate).toBe('DAY0001');
      mono += DAY / 2;
      wall += DAY;
      m.tick(); // a day after the last run, whatever the wall clock says about it
      expect(store.get(due.id)).toBeUndefined();
      expect(m.health()).toMatchObject({ lastRetention: { purged: 1 } });
      db.close();
    } finally {
      fs.rmSync(d, { recursive: true, force: true });
    }
  });
});

describe('lpr-edge hold set --hit', () => {
  let dir: string;
  let hitId: string;
  beforeAll(() => {
    dir = tempDir();
    provision(dir);
    const read = makeRead({ plate: 'HIT0001' });
    saveReads(dir, [read]);
    const db = openTestDb(dir);
    hitId = insertHit(db, read.id);
    db.close();
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('refuses a hit id that does not exist, and holds one that does', () => {
    const hold = (id: string) =>
      cli(dir, ['hold', 'set', '--hit', id, '--case', 'C-1', '--reason', 'court', '--as', 'ada'], {
        LPR_EDGE_PASSWORD: ADMIN_PW,
      });
    const unknown = hold('abc');
    expect(unknown.status).not.toBe(0);
    expect(unknown.stderr).toBe('lpr-edge: no hit with id abc\n');
    const db = openTestDb(dir);
    try {
      expect(new LegalHolds(db).active()).toEqual([]);
      expect(new AuditLog(db).list({ type: 'hold.set' })).toEqual([]);
    } finally {
      db.close();
    }
    const known = hold(hitId);
    expect(known.status).toBe(0);
    expect(known.stdout).toMatch(`legal hold 1 set on hit ${hitId} for case C-1`);
  });
});
