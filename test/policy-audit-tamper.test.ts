import Database from 'better-sqlite3';
import fs from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../src/policy/audit.js';
import { runRetention } from '../src/policy/retention.js';
import { markReadsAcknowledged } from '../src/policy/acks.js';
import { ReadStore } from '../src/store/reads.js';
import {
  ADMIN_PW,
  cli,
  dbFile,
  makeRead,
  openTestDb,
  provision,
  saveReads,
  tempDir,
} from './policy-helpers.js';

const DAY = 86_400_000;

// Policy VI.F: with plain SQL, no trigger dropped, records must not be cut off the chain without
// `audit verify` noticing: the ack, the head and the base change only as sync, append and purge do.
describe('tampering with the audit chain through SQL alone', () => {
  let template: string;
  let dir: string;
  let db: Database.Database;
  beforeAll(() => {
    template = tempDir();
    provision(template);
    expect(
      cli(template, ['retention', 'set', '--days', '30', '--as', 'ada'], { LPR_EDGE_PASSWORD: ADMIN_PW })
        .status,
    ).toBe(0);
  });
  beforeEach(() => {
    dir = tempDir();
    fs.cpSync(template, dir, { recursive: true });
    db = new Database(dbFile(dir)); // as an attacker would: no trigger dropped
  });
  afterEach(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  afterAll(() => fs.rmSync(template, { recursive: true, force: true }));

  const rows = () =>
    db.prepare('SELECT seq, type, hash, acked_at FROM audit_log ORDER BY seq').all() as {
      seq: number;
      type: string;
      hash: string;
      acked_at: number | null;
    }[];

  it('an acknowledgement is given once: not taken back, not moved', () => {
    const [first] = rows();
    db.prepare('UPDATE audit_log SET acked_at = ? WHERE seq = ?').run(Date.now(), first!.seq);
    expect(() => db.prepare('UPDATE audit_log SET acked_at = NULL WHERE seq = ?').run(first!.seq)).toThrow(
      /acked_at is set once/,
    );
    expect(() => db.prepare('UPDATE audit_log SET acked_at = 1 WHERE seq = ?').run(first!.seq)).toThrow(
      /acked_at is set once/,
    );
  });

  it('the last record (retention.set) cannot be cut off, even with a forged ack, and the head cannot go back', () => {
    const all = rows();
    const last = all.at(-1)!;
    const prev = all.at(-2)!;
    expect(last.type).toBe('retention.set');
    db.prepare('UPDATE audit_log SET acked_at = ? WHERE seq = ?').run(Date.now(), last.seq);
    expect(() => db.prepare('DELETE FROM audit_log WHERE seq = ?').run(last.seq)).toThrow(
      /above the chain base/,
    );
    expect(() =>
      db.prepare('UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1').run(prev.seq, prev.hash),
    ).toThrow(/only advances to the newest record/);
    expect(() => db.prepare('DELETE FROM audit_head').run()).toThrow(/only advances/);
    expect(() =>
      db
        .prepare('INSERT OR REPLACE INTO audit_head (id, seq, hash) VALUES (1, ?, ?)')
        .run(prev.seq, prev.hash),
    ).toThrow(/only advances/);
    expect(() =>
      db
        .prepare(
          `INSERT INTO audit_log (seq, id, ts, type, actor, details, prev_hash, hash) VALUES (?, 'x', 0, 'query', 'olly', '{}', ?, ?)`,
        )
        .run(last.seq + 5, last.hash, last.hash),
    ).toThrow(/right after the chain head/);
    expect(cli(dir, ['audit', 'verify']).status).toBe(0);
  });

  it('the start of the chain cannot be cut off: the base moves only over acknowledged records still there', () => {
    const all = rows();
    const k = all[3]!;
    db.prepare('UPDATE audit_log SET acked_at = ? WHERE seq <= ?').run(Date.now(), k.seq);
    expect(() => db.prepare('DELETE FROM audit_log WHERE seq <= ?').run(k.seq)).toThrow(
      /above the chain base/,
    );
    const setBase = (v: unknown) =>
      db
        .prepare(
          `INSERT INTO policy_state (key, value, updated_by, updated_at) VALUES ('audit.base', ?, NULL, 0)
           ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
        )
        .run(JSON.stringify(v));
    // Not over records HQ has not acknowledged, nor to a hash that is not the record's, nor the head.
    expect(() => setBase({ seq: all[5]!.seq, hash: all[5]!.hash })).toThrow(/audit.base only advances/);
    expect(() => setBase({ seq: k.seq, hash: 'f'.repeat(64) })).toThrow(/audit.base only advances/);
    expect(() => setBase('nonsense')).toThrow(/audit.base only advances/);
    // What purgeAcknowledged does is allowed: base first, then the records up to it.
    setBase({ seq: k.seq, hash: k.hash });
    db.prepare('DELETE FROM audit_log WHERE seq <= ?').run(k.seq);
    // ... and the base never goes back nor away.
    expect(() => setBase({ seq: 1, hash: all[0]!.hash })).toThrow(/audit.base only advances/);
    expect(() => db.prepare("DELETE FROM policy_state WHERE key = 'audit.base'").run()).toThrow(
      /audit.base only advances/,
    );
    expect(cli(dir, ['audit', 'verify']).status).toBe(0);
  });

  it('purgeAcknowledged still purges an acknowledged prefix', () => {
    db.close();
    const unit = openTestDb(dir);
    try {
      const audit = new AuditLog(unit);
      const all = audit.list();
      audit.markAcknowledged(all.slice(0, 3).map((r) => r.id));
      expect(audit.purgeAcknowledged(Date.now() + 1000)).toBe(3);
      expect(audit.verify()).toMatchObject({ ok: true, count: all.length - 3 });
    } finally {
      unit.close();
      db = new Database(dbFile(dir));
    }
  });

  it('retention does not act on a window written into policy_state instead of approved', () => {
    const old = makeRead({ ts: Date.now() - 10 * DAY, plate: 'OLD0001' });
    saveReads(dir, [old]);
    db.prepare("UPDATE policy_state SET value = '{\"days\":1}' WHERE key = 'retention.approved'").run();
    const unit = openTestDb(dir);
    try {
      markReadsAcknowledged(unit, [old.id], { overviewSent: true });
      const r = runRetention({ db: unit, dataDir: dir, actor: null });
      expect(r).toMatchObject({ ran: false, purged: 0 });
      expect(r.reason).toMatch(
        /approved retention window \(1 days by ada\) does not match the audit chain \(30 days by ada \(audit record \d+\)\): nothing purged/,
      );
      expect(new ReadStore(unit, dir).get(old.id)?.plate).toBe('OLD0001');
      expect(new AuditLog(unit).list({ type: 'retention.run' }).at(-1)!.details).toMatchObject({
        ran: false,
        reason: r.reason,
      });
    } finally {
      unit.close();
    }
  });
});
