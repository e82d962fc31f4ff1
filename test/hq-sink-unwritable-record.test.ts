import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createSyncService } from '../src/sync/service.js';
import { useBrokerAndHqSink } from './helpers/broker-and-hq-sink.js';
import { recordingLogger } from './helpers/logger.js';
import { makeRead, openStore, unitConfig, until } from './helpers/unit.js';

// The sink commits the records it takes in one transaction per flush, and keeps the whole batch
// for the next flush when the commit fails (a lock held by another consumer: hq-sink-busy.test.ts).
// It did so whatever the error: one record whose write can never succeed (here a trigger HQ's
// database keeps) failed every flush's batch, forever, so no record of any unit was stored or
// acknowledged again: every unit's backlog grew until its disk filled. Only a locked database is
// waited for now; such a record is kept raw in `quarantine`, acknowledged like an invalid one,
// and the others stored.
const fixture = useBrokerAndHqSink('lpr-hq-sink-unwritable-record-', { sink: false });

describe('the reference sink and a record that can never be written', () => {
  it('quarantines that record and stores and acknowledges the others', async () => {
    const { log, records: logs } = recordingLogger();
    const sink = fixture.newSink('hq', { log });
    const hqDb = new Database(path.join(fixture.dir, 'hq.db'));
    hqDb.exec(`CREATE TRIGGER refuse_plate BEFORE INSERT ON records WHEN NEW.body LIKE '%T000002%'
               BEGIN SELECT RAISE(ABORT, 'plate T000002 is under a court seal'); END`);
    hqDb.close();
    await sink.start();
    const dataDir = path.join(fixture.dir, 'unit');
    const unit = openStore(dataDir);
    const config = unitConfig(dataDir, fixture.unitSync({ ackTimeoutMs: 60_000 }));
    const reads = [1, 2, 3].map((i) => unit.reads.save(makeRead(i), { crop: null, overview: null }));
    const sync = createSyncService({ config, db: unit.db, reads: unit.reads, log: recordingLogger().log });
    try {
      await sync.start();
      await until(
        () => sync.outbox.depth() === 0,
        10_000,
        'HQ to store or quarantine, and acknowledge, all three',
      );
      const stored = sink.db.prepare('SELECT id FROM records ORDER BY seq').pluck().all();
      expect(stored).toEqual([reads[0], reads[2]].map((r) => `car-1:read:${r!.id}`));
      const kept = sink.db.prepare('SELECT id, unit, reason, payload FROM quarantine').all() as {
        payload: Buffer;
      }[];
      expect(kept).toEqual([
        {
          id: `car-1:read:${reads[1]!.id}`,
          unit: 'car-1',
          reason: 'plate T000002 is under a court seal',
          payload: expect.any(Buffer),
        },
      ]);
      expect(JSON.parse(kept[0]!.payload.toString())).toMatchObject({
        id: `car-1:read:${reads[1]!.id}`,
        body: { plate: 'T000002' },
      });
      expect(logs.filter((r) => /record not writable; quarantined/.test(r.msg))).toEqual([
        expect.objectContaining({
          id: `car-1:read:${reads[1]!.id}`,
          err: 'plate T000002 is under a court seal',
        }),
      ]);
    } finally {
      await sync.stop();
      await sink.stop();
      unit.db.close();
    }
  });
});
