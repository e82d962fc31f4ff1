import path from 'node:path';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { useBrokerAndHqSink } from './helpers/broker-and-hq-sink.js';
import { recordingLogger } from './helpers/logger.js';
import { unitAnsweringPulls } from './helpers/unit-answering-pulls.js';
import { makeRead, until } from './helpers/unit.js';

// The sink keeps a status or a pull answer it cannot write and tries it again at each flush, in
// order, up to the first that fails (test/hq-sink-busy-writes.test.ts). It did so whatever the
// error: a message whose write can never succeed (here a trigger HQ's database keeps, refusing a
// decommissioned unit's status) was tried again at every flush, forever, and held back every
// status and pull answer of every unit behind it: HQ showed the whole fleet as it was. Only a
// locked database is waited for now; such a message is quarantined and the ones behind it written.
const AGENCY = 'nyspd';
const fixture = useBrokerAndHqSink('lpr-hq-sink-unwritable-', { sink: false });

describe('the reference sink and a status or pull answer that can never be written', () => {
  it('quarantines it and goes on writing the statuses and answers behind it', async () => {
    const dbFile = path.join(fixture.dir, 'hq.db');
    const { log, records: logs } = recordingLogger();
    const sink = fixture.newSink('hq', { log });
    const hqDb = new Database(dbFile);
    hqDb.exec(`CREATE TRIGGER refuse_retired BEFORE INSERT ON unit_status WHEN NEW.unit = 'car-9'
               BEGIN SELECT RAISE(ABORT, 'car-9 is decommissioned'); END`);
    hqDb.close();
    await sink.start();
    const units = await mqtt.connectAsync(fixture.broker.url, { username: 'unit', password: 'unit-secret' });
    try {
      const status = (unit: string) => ({ v: 1, state: 'online', agency: AGENCY, unit, ts: Date.now() });
      const publish = (unit: string, channel: string, doc: unknown) =>
        units.publishAsync(`lpr/v1/${AGENCY}/${unit}/${channel}`, JSON.stringify(doc), { qos: 1 });
      await publish('car-9', 'status', status('car-9'));
      await publish('car-1', 'status', status('car-1'));
      await publish('car-2', 'up/pull-response', {
        v: 1,
        requestId: 'req-1',
        agency: AGENCY,
        unit: 'car-2',
        status: 'answered',
        count: 0,
        ts: Date.now(),
      });
      await until(() => sink.stats.received >= 3, 10_000, 'HQ to receive the three messages');
      // Written behind the one that cannot be.
      await until(
        () => sink.db.prepare('SELECT COUNT(*) FROM pull_responses').pluck().get() === 1,
        10_000,
        "HQ to write car-1's status and car-2's answer",
      );
      await until(
        () => sink.db.prepare('SELECT COUNT(*) FROM quarantine').pluck().get() === 1,
        10_000,
        "HQ to quarantine car-9's status",
      );
      expect(sink.db.prepare('SELECT unit, state FROM unit_status').all()).toEqual([
        { unit: 'car-1', state: 'online' },
      ]);
      const kept = sink.db.prepare('SELECT unit, topic, reason, payload FROM quarantine').all() as {
        payload: Buffer;
      }[];
      expect(kept).toEqual([
        {
          unit: 'car-9',
          topic: `lpr/v1/${AGENCY}/car-9/status`,
          reason: 'car-9 is decommissioned',
          payload: expect.any(Buffer),
        },
      ]);
      expect(JSON.parse(kept[0]!.payload.toString())).toMatchObject({ unit: 'car-9', state: 'online' });
      expect(logs.filter((r) => /trying again/.test(r.msg))).toEqual([]);
      expect(logs.filter((r) => /quarantined/.test(r.msg))).toEqual([
        expect.objectContaining({ topic: `lpr/v1/${AGENCY}/car-9/status`, err: 'car-9 is decommissioned' }),
      ]);
    } finally {
      await units.endAsync();
      await sink.stop();
    }
  });

  it("fails a pull whose answer cannot be stored with the reason, not 'no answer'", async () => {
    const dbFile = path.join(fixture.dir, 'pull.db');
    const { log, records: logs } = recordingLogger();
    const sink = fixture.newSink('pull', { log });
    const hqDb = new Database(dbFile);
    hqDb.exec(`CREATE TRIGGER answers_frozen BEFORE INSERT ON pull_responses
               BEGIN SELECT RAISE(ABORT, 'pull answers are read-only during the audit'); END`);
    hqDb.close();
    await sink.start();
    const { car, sync } = unitAnsweringPulls(fixture, 'car-3');
    const read = car.reads.save(makeRead(1, 'car-3'), { crop: null, overview: null });
    try {
      await sync.start();
      await until(() => sync.outbox.depth() === 0, 10_000, 'HQ to store the read (the unit is subscribed)');
      const pull = sink.pull(
        AGENCY,
        'car-3',
        {
          requester: 'analyst-7',
          purpose: 'investigation-vehicle',
          caseNumber: '2026-0042',
          attestation: true,
          criteria: { plate: read.plate },
        },
        { resendMs: 20_000, attempts: 1 },
      );
      await expect(pull).rejects.toThrow(
        /answer to pull request .* could not be stored .*pull answers are read-only during the audit/,
      );
      expect(logs.filter((r) => /pull answer not writable; quarantined/.test(r.msg))).not.toEqual([]);
    } finally {
      await sync.stop();
      await sink.stop();
      car.db.close();
    }
  }, 30_000);
});
