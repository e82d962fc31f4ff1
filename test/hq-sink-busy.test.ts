import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createSyncService } from '../src/sync/service.js';
import { useBrokerAndHqSink } from './helpers/broker-and-hq-sink.js';
import { recordingLogger } from './helpers/logger.js';
import { makeRead, openStore, unitConfig, until } from './helpers/unit.js';

// HQ consumers of a shared subscription may share one database (docs/sync.md). One holding the
// write lock longer than the sink's busy timeout made the sink's periodic commit throw from its
// timer: an uncaught exception that ended the HQ process. The commit is tried again instead, and
// nothing is acknowledged until it has committed.
const fixture = useBrokerAndHqSink('lpr-hq-sink-busy-', { sink: false });
const { dir: tmp } = fixture;

describe('the reference sink when its database is locked by another consumer', () => {
  it('keeps the records, acknowledges nothing until they are committed, and stores them once the lock is gone', async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => void uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    const dbFile = path.join(tmp, 'hq.db');
    const { log, records: sinkLogs } = recordingLogger();
    const sink = fixture.newSink('hq', { log });
    await sink.start();
    sink.db.pragma('busy_timeout = 200'); // the lock outlasts it without a 5 s wait in the test
    const other = new Database(dbFile);
    const dataDir = path.join(tmp, 'unit');
    const unit = openStore(dataDir);
    const config = unitConfig(
      dataDir,
      fixture.unitSync({
        ackTimeoutMs: 60_000,
      }),
    );
    const reads = [1, 2, 3].map((i) => unit.reads.save(makeRead(i), { crop: null, overview: null }));
    const sync = createSyncService({ config, db: unit.db, reads: unit.reads, log: recordingLogger().log });
    try {
      other.exec('BEGIN IMMEDIATE');
      await sync.start();
      await until(() => sink.stats.received >= 3, 10_000, 'HQ to receive the reads');
      await until(
        () => sinkLogs.some((r) => /not committed/.test(r.msg)),
        10_000,
        'the sink to log the failed commit',
      );
      await new Promise((r) => setTimeout(r, 500));
      // Nothing acknowledged while nothing is stored.
      expect(unit.db.prepare('SELECT COUNT(*) FROM reads WHERE acked_at IS NOT NULL').pluck().get()).toBe(0);
      other.exec('COMMIT');
      await until(() => sync.outbox.depth() === 0, 10_000, 'HQ to store and acknowledge the reads');
      expect(sink.count('read')).toBe(3);
      // Records kept as they came, not quarantined as if invalid. (The unit's status met the lock
      // too: test/hq-sink-busy-writes.test.ts.)
      expect(sink.db.prepare('SELECT COUNT(*) FROM quarantine').pluck().get()).toBe(0);
      const ids = sink.db.prepare('SELECT id FROM records ORDER BY seq').pluck().all();
      expect(ids).toEqual(reads.map((r) => `car-1:read:${r.id}`));
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', onUncaught);
      if (other.inTransaction) other.exec('ROLLBACK');
      other.close();
      await sync.stop();
      await sink.stop();
      unit.db.close();
    }
  });
});
