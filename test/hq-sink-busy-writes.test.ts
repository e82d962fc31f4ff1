import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { HqSink } from '../src/hq/sink.js';
import { policyServices } from '../src/policy/services.js';
import { createSyncService } from '../src/sync/service.js';
import { useBrokerAndHqSink } from './helpers/broker-and-hq-sink.js';
import { recordingLogger } from './helpers/logger.js';
import { makeRead, openStore, unitConfig, until } from './helpers/unit.js';

// test/hq-sink-busy.test.ts: records that meet a database locked by another consumer are kept and
// committed later. A unit's status and a pull answer met the same lock and were dropped, logged as
// invalid: HQ showed no status for the unit (or an old one: a lost "offline" left a dead unit online
// until its next status, a minute later or never), and `pull` waited for an answer that had come,
// then failed. They are now kept, in the order they came, and written once the lock is gone.
const fixture = useBrokerAndHqSink('lpr-hq-sink-busy-writes-', { sink: false });
const { dir: tmp } = fixture;

/** A sink with database `<name>.db`, started. */
async function startSink(name: string) {
  const { log, records: logs } = recordingLogger();
  const sink = fixture.newSink(name, { log });
  await sink.start();
  sink.db.pragma('busy_timeout = 200'); // the lock outlasts it without a 5 s wait in the test
  return { sink, logs };
}

function startUnit(name: string) {
  const dataDir = path.join(tmp, name);
  const unit = openStore(dataDir);
  const config = unitConfig(dataDir, fixture.unitSync());
  const policy = policyServices({ db: unit.db, config });
  const sync = createSyncService(
    { config, db: unit.db, reads: unit.reads, log: recordingLogger().log },
    { audit: policy.audit, queries: policy.queries },
  );
  return { unit, sync };
}

const statusOf = (sink: HqSink) =>
  sink.db.prepare("SELECT state FROM unit_status WHERE unit = 'car-1'").pluck().get() as string | undefined;

describe('the reference sink writing statuses and pull answers while another consumer locks its database', () => {
  it("keeps a unit's online and offline statuses and writes them once the lock is gone", async () => {
    const dbFile = path.join(tmp, 'status.db');
    const { sink, logs } = await startSink('status');
    const other = new Database(dbFile);
    const { unit, sync } = startUnit('status-unit');
    unit.reads.save(makeRead(1), { crop: null, overview: null });
    try {
      other.exec('BEGIN IMMEDIATE');
      await sync.start();
      await until(() => sink.stats.received >= 2, 10_000, 'HQ to receive the status and the read');
      await until(() => logs.some((r) => /not committed/.test(r.msg)), 10_000, 'the failed commit');
      other.exec('COMMIT');
      // The read's ack follows its commit; the status, which came first, is written before it.
      await until(() => sync.outbox.depth() === 0, 10_000, 'HQ to store and acknowledge the read');
      expect(statusOf(sink)).toBe('online');

      // The unit stops while the database is locked: its "offline" must not be lost.
      other.exec('BEGIN IMMEDIATE');
      const received = sink.stats.received;
      await sync.stop();
      await until(() => sink.stats.received > received, 10_000, 'HQ to receive the offline status');
      other.exec('COMMIT');
      await until(() => statusOf(sink) === 'offline', 10_000, 'HQ to show the unit offline');
      expect(sink.stats.invalid).toBe(0);
      expect(logs.filter((r) => /dropped|quarantined/.test(r.msg))).toEqual([]);
    } finally {
      if (other.inTransaction) other.exec('ROLLBACK');
      other.close();
      await sync.stop();
      await sink.stop();
      unit.db.close();
    }
  });

  it('keeps a pull answer and hands it to the waiting pull once the lock is gone', async () => {
    const dbFile = path.join(tmp, 'pull.db');
    const { sink, logs } = await startSink('pull');
    const other = new Database(dbFile);
    const { unit, sync } = startUnit('pull-unit');
    const read = unit.reads.save(makeRead(1), { crop: null, overview: null });
    try {
      await sync.start();
      await until(() => sync.outbox.depth() === 0, 10_000, 'HQ to store the read');
      other.exec('BEGIN IMMEDIATE');
      const received = sink.stats.received;
      // One send only: a unit answers a repeated request at most every 30 s, so a lost answer
      // would fail this pull rather than be made good by a resend.
      const answer = sink.pull(
        'nyspd',
        'car-1',
        {
          requester: 'analyst-7',
          purpose: 'investigation-vehicle',
          caseNumber: '2026-0042',
          attestation: true,
          criteria: { plate: read.plate },
        },
        { resendMs: 20_000, attempts: 1 },
      );
      // Twice: through the shared subscription, and the one `pull` listens on.
      await until(() => sink.stats.received >= received + 2, 10_000, 'HQ to receive the answer');
      other.exec('COMMIT');
      const r = await answer;
      expect(r.status).toBe('answered');
      expect(r.reads.map((x) => x.id)).toEqual([read.id]);
      const stored = sink.db.prepare('SELECT unit, count FROM pull_responses').all();
      expect(stored).toEqual([{ unit: 'car-1', count: 1 }]);
      expect(sink.stats.invalid).toBe(0);
      expect(logs.filter((l) => /dropped/.test(l.msg))).toEqual([]);
    } finally {
      if (other.inTransaction) other.exec('ROLLBACK');
      other.close();
      await sync.stop();
      await sink.stop();
      unit.db.close();
    }
  }, 40_000);
});
