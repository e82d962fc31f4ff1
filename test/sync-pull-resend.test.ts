import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import type { PullResponse } from '../src/sync/schemas.js';
import { useBrokerAndHqSink } from './helpers/broker-and-hq-sink.js';
import { unitAnsweringPulls } from './helpers/unit-answering-pulls.js';
import { makeRead, until } from './helpers/unit.js';

// HQ asks a unit for reads while the unit is out of coverage. `hq-sink pull` sends the same signed
// request again until the unit answers, and keeps each read once however many answers arrive.
const execFileAsync = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const AGENCY = 'nyspd';
const fixture = useBrokerAndHqSink('lpr-pull-resend-', { sink: false });
const { dir: tmp } = fixture;

/** A unit holding one read of `plate`, its sync not started. */
function unitWithRead(unitId: string, plate: string) {
  const { car, sync } = unitAnsweringPulls(fixture, unitId);
  const read = car.reads.save({ ...makeRead(1, unitId), plate }, { crop: null, overview: null });
  const pulls = (outcome: string) =>
    car.db
      .prepare("SELECT COUNT(*) FROM sync_inbound WHERE kind = 'pull' AND outcome = ?")
      .pluck()
      .get(outcome) as number;
  const queries = () => car.db.prepare('SELECT COUNT(*) FROM query_log').pluck().get() as number;
  return { car, read, sync, pulls, queries };
}

/** Copies of pull requests for `unitId` that HQ put on the broker. */
async function countRequests(unitId: string) {
  const client = await mqtt.connectAsync(fixture.broker.url, { username: 'hq', password: 'hq-secret' });
  const seen = { copies: 0, close: () => client.endAsync() };
  client.on('message', () => seen.copies++);
  await client.subscribeAsync(`lpr/v1/${AGENCY}/${unitId}/down/pull`, { qos: 1 });
  return seen;
}

describe('hq-sink pull to a unit out of coverage', () => {
  it('a unit the broker had no session for when the request went out answers a resent one; the reads come once', async () => {
    const unit = unitWithRead('car-late', 'LATE123');
    const requests = await countRequests('car-late');
    const hqDb = path.join(tmp, 'hq-late.db');
    try {
      const cli = execFileAsync(process.execPath, [
        path.join(root, 'scripts/hq-sink.mjs'),
        'pull',
        ...fixture.hqSinkArgs(hqDb),
        '--agency',
        AGENCY,
        '--unit',
        'car-late',
        '--requester',
        'det.jones',
        '--purpose',
        'investigation-vehicle',
        '--case',
        'C-2026-95',
        '--plate',
        'LATE123',
        '--resend-ms',
        '1500',
        '--attempts',
        '10',
      ]);
      cli.catch(() => {}); // awaited below; a failure before then is reported there
      // The first request reaches the broker while the unit has never connected: nobody gets it.
      await until(() => requests.copies >= 1, 15_000, 'the first pull request');
      await unit.sync.start();
      const { stdout } = await cli;
      const answer = JSON.parse(stdout) as PullResponse;
      expect(answer).toMatchObject({ status: 'answered', count: 1 });
      expect(answer.reads.map((r) => r.id)).toEqual([unit.read.id]);
      expect(requests.copies).toBeGreaterThanOrEqual(2); // it took a resend
      // HQ keeps the answer with the read once (it hears each answer on two subscriptions).
      const hq = new Database(hqDb, { readonly: true });
      try {
        const rows = hq.prepare('SELECT count, payload FROM pull_responses').all() as {
          count: number;
          payload: string;
        }[];
        expect(rows).toHaveLength(1);
        expect(rows[0]!.count).toBe(1);
        expect((JSON.parse(rows[0]!.payload) as PullResponse).reads.map((r) => r.id)).toEqual([unit.read.id]);
      } finally {
        hq.close();
      }
      // The unit searched once.
      expect(unit.pulls('answered')).toBe(1);
      expect(unit.queries()).toBe(1);
    } finally {
      await requests.close();
      await unit.sync.stop();
      unit.car.db.close();
    }
  }, 60_000);

  it('a unit whose session queued several copies while it was away answers one; HQ keeps each read once', async () => {
    const unit = unitWithRead('car-away', 'AWAY123');
    // Known to the broker (a persistent session), then out of coverage.
    await unit.sync.start();
    await until(() => unit.sync.link.connected, 10_000, 'the unit to connect');
    await unit.sync.stop();
    const requests = await countRequests('car-away');
    const sink = fixture.newSink('hq-away');
    await sink.start();
    try {
      const pulled = sink.pull(
        AGENCY,
        'car-away',
        {
          requester: 'det.jones',
          purpose: 'investigation-vehicle',
          caseNumber: 'C-2026-96',
          attestation: true,
          criteria: { plate: 'AWAY123' },
        },
        { resendMs: 700, attempts: 20 },
      );
      await until(() => requests.copies >= 3, 15_000, 'three copies of the request');
      await unit.sync.start(); // back in coverage: the broker delivers every queued copy
      const answer = await pulled;
      expect(answer).toMatchObject({ status: 'answered', count: 1 });
      expect(answer.reads.map((r) => r.id)).toEqual([unit.read.id]);
      await until(
        () => unit.pulls('ignored') >= 2,
        10_000,
        'the other copies to be dropped as early repeats',
      );
      // Recorded once the broker has acknowledged the answer to the unit, which may be after HQ has it.
      await until(() => unit.pulls('answered') >= 1, 10_000, 'the answer recorded on the unit');
      expect(unit.pulls('answered')).toBe(1);
      expect(unit.queries()).toBe(1);
      const stored = sink.db.prepare('SELECT payload FROM pull_responses').pluck().all() as string[];
      expect(stored.map((p) => (JSON.parse(p) as PullResponse).reads.map((r) => r.id))).toEqual([
        [unit.read.id],
      ]);
    } finally {
      await requests.close();
      await sink.stop();
      await unit.sync.stop();
      unit.car.db.close();
    }
  }, 60_000);
});
