import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { HqSink } from '../src/hq/sink.js';
import { useBrokerAndHqSink } from './helpers/broker-and-hq-sink.js';
import { unitAnsweringPulls } from './helpers/unit-answering-pulls.js';
import { makeRead, until } from './helpers/unit.js';

// The reference sink merged pull answers by request id alone: two units answering requests of the
// same id (an HQ tool that derives ids from the case, or a unit answering with another unit's
// request id) had their reads put together in one answer, under the unit that answered first. An
// answer is now one unit's: keyed by agency, unit and request id.
const fixture = useBrokerAndHqSink('lpr-hq-sink-pull-units-', { sink: false });
const { dir: tmp } = fixture;

function unitWithRead(unitId: string, plate: string) {
  const { car, sync } = unitAnsweringPulls(fixture, unitId);
  const read = car.reads.save({ ...makeRead(1, unitId), plate }, { crop: null, overview: null });
  return { car, read, sync };
}

describe('pull answers of two units to requests of the same id', () => {
  it("keeps each unit's answer apart, in the pull and in HQ's database", async () => {
    const sink = fixture.newSink('hq');
    const one = unitWithRead('car-1', 'ONE1111');
    const two = unitWithRead('car-2', 'TWO2222');
    await sink.start();
    try {
      await one.sync.start();
      await two.sync.start();
      await until(() => one.sync.link.connected && two.sync.link.connected, 10_000, 'the units to connect');
      const requestId = '0b7e2c64-6a4f-4d8e-9a43-3c1f2b9d5e10';
      const ask = (unit: string, plate: string) =>
        sink.pull(
          'nyspd',
          unit,
          {
            requestId,
            requester: 'det.jones',
            purpose: 'investigation-vehicle',
            caseNumber: 'C-2026-7',
            attestation: true,
            criteria: { plate },
          },
          { resendMs: 10_000, attempts: 2 },
        );
      const first = await ask('car-2', 'TWO2222');
      expect(first).toMatchObject({ unit: 'car-2', status: 'answered', count: 1 });
      expect(first.reads.map((r) => r.id)).toEqual([two.read.id]);

      const second = await ask('car-1', 'ONE1111');
      expect(second).toMatchObject({ unit: 'car-1', status: 'answered', count: 1, complete: true });
      expect(second.reads.map((r) => r.id)).toEqual([one.read.id]);

      const stored = sink.db
        .prepare('SELECT unit, request_id AS requestId, count, payload FROM pull_responses ORDER BY unit')
        .all() as { unit: string; requestId: string; count: number; payload: string }[];
      expect(stored.map(({ unit, requestId: id, count }) => ({ unit, id, count }))).toEqual([
        { unit: 'car-1', id: requestId, count: 1 },
        { unit: 'car-2', id: requestId, count: 1 },
      ]);
      const readsOf = (i: number) =>
        (JSON.parse(stored[i]!.payload) as { reads: { id: string }[] }).reads.map((r) => r.id);
      expect(readsOf(0)).toEqual([one.read.id]);
      expect(readsOf(1)).toEqual([two.read.id]);
    } finally {
      await one.sync.stop();
      await two.sync.stop();
      await sink.stop();
      one.car.db.close();
      two.car.db.close();
    }
  }, 60_000);

  it('moves the answers of a database keyed by request id alone over, each under its unit', () => {
    const dbFile = path.join(tmp, 'hq-before.db');
    const before = new Database(dbFile);
    before.exec(`
      CREATE TABLE pull_responses (
        request_id TEXT PRIMARY KEY, agency TEXT NOT NULL, unit TEXT NOT NULL, status TEXT NOT NULL,
        count INTEGER NOT NULL, received_at INTEGER NOT NULL, payload TEXT NOT NULL
      );
      CREATE TABLE pull_response_parts (
        request_id TEXT NOT NULL, answer INTEGER NOT NULL, part INTEGER NOT NULL, parts INTEGER NOT NULL,
        PRIMARY KEY (request_id, answer, part)
      );
      INSERT INTO pull_responses VALUES ('req-a', 'nyspd', 'car-9', 'answered', 1, 1000, '{"reads":[{"id":"r1"}]}');
      INSERT INTO pull_response_parts VALUES ('req-a', 0, 1, 2), ('req-a', 0, 2, 2);
    `);
    before.close();
    const sink = new HqSink({ url: fixture.broker.url, dbFile, consume: false });
    try {
      expect(
        sink.db.prepare('SELECT agency, unit, request_id, count, payload FROM pull_responses').all(),
      ).toEqual([
        { agency: 'nyspd', unit: 'car-9', request_id: 'req-a', count: 1, payload: '{"reads":[{"id":"r1"}]}' },
      ]);
      expect(
        sink.db.prepare('SELECT unit, request_id, part FROM pull_response_parts ORDER BY part').all(),
      ).toEqual([
        { unit: 'car-9', request_id: 'req-a', part: 1 },
        { unit: 'car-9', request_id: 'req-a', part: 2 },
      ]);
    } finally {
      sink.db.close();
    }
  });
});
