import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { relieveDiskPressure } from '../src/policy/disk.js';
import { AuditLog } from '../src/policy/audit.js';
import { LegalHolds } from '../src/policy/holds.js';
import { approveRetention, runRetention } from '../src/policy/retention.js';
import { markReadsAcknowledged } from '../src/policy/acks.js';
import { policySchema } from '../src/policy/config.js';
import { UserDirectory } from '../src/policy/users.js';
import { ReadStore } from '../src/store/reads.js';
import type { Db } from '../src/store/database.js';
import {
  ADMIN_PW,
  dbFile,
  makeRead,
  openTestDb,
  root,
  storedWhenCaptured,
  tempDir,
} from './policy-helpers.js';

const DAY = 86_400_000;

/**
 * Another process takes the write lock, holds it `holdMs`, then runs `sql` and commits (an admin's
 * `hold set` while the daemon's retention runs). Resolves once it holds the lock; `done` once it
 * has committed.
 */
function writerHoldingTheLock(file: string, holdMs: number, sql: string) {
  return lockHolder('write-while-locked.mjs', [file, String(holdMs), sql]);
}

/** Runs test/fixtures/`fixture` with `args`: resolves once it holds the write lock. */
async function lockHolder(fixture: string, args: string[]) {
  const child = spawn(process.execPath, [path.join(root, 'test/fixtures', fixture), ...args]);
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`writer: ${err}`))));
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('locked')) resolve();
    });
    done.catch(reject);
  });
  return { done };
}

describe('a legal hold committed while retention or disk pressure waits for the write lock (VI.C, VI.D)', () => {
  let d: string;
  let db: Db;
  afterEach(() => {
    db?.close();
    fs.rmSync(d, { recursive: true, force: true });
  });

  /** An admin, an approved 7-day window and one acknowledged read 10 days old. */
  function unit() {
    d = tempDir();
    db = openTestDb(d);
    const users = new UserDirectory(db, policySchema.parse({ passwordCostLog2: 14 }));
    users.bootstrapAdmin('ada', ADMIN_PW, '2026-01-01');
    const ada = users.signIn('ada', ADMIN_PW);
    approveRetention(db, ada, 7);
    const read0 = makeRead({ ts: Date.now() - 10 * DAY, plate: 'EVD0001' });
    const store = storedWhenCaptured(db, d, read0);
    const read = store.save(read0, {
      crop: Buffer.from('crop'),
      overview: Buffer.alloc(400_000, 1),
    });
    markReadsAcknowledged(db, [read.id], { overviewSent: true });
    return { ada, store, read };
  }
  const holdSql = (readId: string) =>
    `INSERT INTO legal_holds (target_kind, target_id, case_number, reason, set_by, set_at)
     VALUES ('read', '${readId}', 'C-77', 'homicide evidence', 'ada', ${Date.now()})`;

  it('retention keeps a read whose hold was committed after it started', async () => {
    const { store, read } = unit();
    const writer = await writerHoldingTheLock(dbFile(d), 1000, holdSql(read.id));
    const r = runRetention({ db, dataDir: d, actor: null });
    await writer.done;
    expect(store.get(read.id)?.plate).toBe('EVD0001');
    expect(fs.existsSync(path.join(d, read.cropPath!))).toBe(true);
    expect(r).toMatchObject({ purged: 0, keptHeld: 1 });
  });

  it('disk pressure keeps the overview of a read whose hold was committed after it started', async () => {
    const { store, read } = unit();
    const writer = await writerHoldingTheLock(dbFile(d), 1000, holdSql(read.id));
    const r = relieveDiskPressure({ db, dataDir: d, maxDiskMb: 0.2 });
    await writer.done;
    expect(r.overviewsDeleted).toBe(0);
    expect(store.get(read.id)?.overviewPath).not.toBeNull();
    expect(fs.existsSync(path.join(d, read.overviewPath!))).toBe(true);
  });

  it('hold set refuses a read purged while it waited for the lock, instead of holding nothing', async () => {
    const { ada, read } = unit();
    const writer = await writerHoldingTheLock(dbFile(d), 1000, `DELETE FROM reads WHERE id = '${read.id}'`);
    const holds = new LegalHolds(db);
    expect(() =>
      holds.set(ada, { targetKind: 'read', targetId: read.id, caseNumber: 'C-77', reason: 'evidence' }),
    ).toThrow(`no read with id ${read.id}`);
    await writer.done;
    expect(holds.active()).toEqual([]);
  });
});

describe('a legal hold released by another process while hold release waits for the write lock (VI.C)', () => {
  let d: string;
  let db: Db;
  afterEach(() => {
    db?.close();
    fs.rmSync(d, { recursive: true, force: true });
  });

  it('refuses to release it a second time, keeping who released it first and one hold.release record', async () => {
    d = tempDir();
    db = openTestDb(d);
    const users = new UserDirectory(db, policySchema.parse({ passwordCostLog2: 14 }));
    users.bootstrapAdmin('ada', ADMIN_PW, '2026-01-01');
    const ada = users.signIn('ada', ADMIN_PW);
    const read = new ReadStore(db, d).save(makeRead({ plate: 'EVD0002' }), {
      crop: Buffer.from('crop'),
      overview: Buffer.from('overview'),
    });
    const holds = new LegalHolds(db);
    const hold = holds.set(ada, {
      targetKind: 'read',
      targetId: read.id,
      caseNumber: 'C-78',
      reason: 'evidence',
    });
    // Another admin's `hold release` in another process, committed while this one waits.
    const writer = await writerHoldingTheLock(
      dbFile(d),
      1000,
      `UPDATE legal_holds SET released_by = 'bea', released_at = ${Date.now()} WHERE id = ${hold.id}`,
    );
    expect(() => holds.release(ada, hold.id, 'case closed')).toThrow(
      `legal hold ${hold.id} was already released`,
    );
    await writer.done;
    expect(holds.get(hold.id)).toMatchObject({ releasedBy: 'bea' });
    expect(new AuditLog(db).list({ type: 'hold.release' })).toEqual([]);
  });
});

describe('a retention window an admin changes while retention waits for the write lock (VI.D)', () => {
  let d: string;
  let db: Db;
  afterEach(() => {
    db?.close();
    fs.rmSync(d, { recursive: true, force: true });
  });

  it('retention purges by the window in force when it holds the lock, and the change records the window it replaced', async () => {
    d = tempDir();
    db = openTestDb(d);
    const users = new UserDirectory(db, policySchema.parse({ passwordCostLog2: 14 }));
    users.bootstrapAdmin('ada', ADMIN_PW, '2026-01-01');
    const ada = users.signIn('ada', ADMIN_PW);
    approveRetention(db, ada, 7);
    const r = makeRead({ ts: Date.now() - 10 * DAY, plate: 'WIN0001' });
    storedWhenCaptured(db, d, r).save(r, { crop: Buffer.from('crop'), overview: null });
    markReadsAcknowledged(db, [r.id], { overviewSent: true });
    // Another admin lengthens the window to 30 days while this run waits for the lock.
    const admin = await lockHolder('approve-while-locked.mjs', [dbFile(d), '1000', '30', 'ada', ADMIN_PW]);
    const run = runRetention({ db, dataDir: d, actor: null });
    await admin.done;
    expect(run).toMatchObject({ ran: true, windowDays: 30, purged: 0 });
    expect(new ReadStore(db, d).get(r.id)?.plate).toBe('WIN0001');

    // And the other way: this admin's change waits for the other's, and records it as replaced.
    const other = await lockHolder('approve-while-locked.mjs', [dbFile(d), '1000', '60', 'ada', ADMIN_PW]);
    const set = approveRetention(db, ada, 90);
    await other.done;
    expect(set.days).toBe(90);
    expect(new AuditLog(db).list({ type: 'retention.set' }).map((x) => x.details)).toEqual([
      { days: 7, previousDays: null },
      { days: 30, previousDays: 7 },
      { days: 60, previousDays: 30 },
      { days: 90, previousDays: 60 },
    ]);
  });
});
