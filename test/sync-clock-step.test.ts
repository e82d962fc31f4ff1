import path from 'node:path';
import mqtt from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../src/log.js';
import { policyServices } from '../src/policy/services.js';
import type { PullResponse } from '../src/sync/schemas.js';
import { createSyncService } from '../src/sync/service.js';
import { loadPrivateKey, signDocument } from '../src/sync/signing.js';
import { useBrokerAndHqSink } from './helpers/broker-and-hq-sink.js';
import { makeRead, openStore, plateCrop, unitConfig } from './helpers/unit.js';

// A patrol car's wall clock is stepped by NTP or the GPS after boot, often by an hour. Here
// Date.now jumps while records wait to go to HQ through a real Mosquitto into the reference sink;
// the sending must carry on at its rate, without a resend, and HQ must get every record once.
const AGENCY = 'nyspd';
const RATE = 20;
const N = 120;
/** What the test adds to the real wall clock: the unit's and the sink's Date.now. */
let offset = 0;

/** Waits on the monotonic clock (helpers' `until` reads Date.now, which the test moves). */
async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

// The test's clock, before the sink starts; put back after it has stopped.
beforeAll(() => {
  const realNow = Date.now.bind(Date);
  vi.spyOn(Date, 'now').mockImplementation(() => realNow() + offset);
});

afterAll(() => {
  vi.restoreAllMocks();
});

// HQ commits and acknowledges every 2 s (it may batch): records are in flight when the clock steps.
const fixture = useBrokerAndHqSink('lpr-sync-clock-', { sink: { flushMs: 2000 } });
const { dir: tmp, hqKeys } = fixture;

afterEach(() => {
  offset = 0;
});

describe('a wall-clock step while records wait for HQ', () => {
  it.each([
    ['back', -3_600_000],
    ['forward', 3_600_000],
  ])(
    'stepped %s an hour mid-drain: sent at the configured rate, none resent, each record at HQ once',
    async (direction, step) => {
      const unitId = `car-${direction}`;
      const dataDir = path.join(tmp, unitId);
      const { db, reads } = openStore(dataDir);
      const config = unitConfig(
        dataDir,
        fixture.unitSync({
          rate: RATE,
          ackTimeoutMs: 30_000,
          reconnectInitialMs: 100,
          reconnectMaxMs: 500,
        }),
        unitId,
      );
      // What leaves the unit, as the broker passes it on: each copy, and when it came (monotonic).
      const seen = await mqtt.connectAsync(fixture.broker.url, { username: 'hq', password: 'hq-secret' });
      const arrivals: { id: string; at: number }[] = [];
      seen.on('message', (_t, payload) =>
        arrivals.push({ id: (JSON.parse(String(payload)) as { id: string }).id, at: performance.now() }),
      );
      await seen.subscribeAsync(`lpr/v1/${AGENCY}/${unitId}/up/read`, { qos: 1 });
      const crop = await plateCrop();
      const made = db.transaction(() =>
        Array.from({ length: N }, (_, i) => reads.save(makeRead(i, unitId), { crop, overview: null })),
      )();
      const started = performance.now(); // the rate limiter starts full, one second's worth
      const sync = createSyncService({ config, db, reads, log: silentLogger() });
      try {
        await sync.start();
        // A third of the way through, with 10-20 records sent since HQ's last ack (so its next
        // is a second or more away), the clock steps.
        const inFlight = () => sync.health().inFlight as number;
        await waitFor(
          () => arrivals.length >= N / 3 && inFlight() >= 10 && inFlight() <= 20,
          30_000,
          'a third of the records to be sent, 10-20 of them unacknowledged',
        );
        offset = step;
        const steppedAt = performance.now();
        const before = arrivals.length;
        await waitFor(() => sync.outbox.depth() === 0, 60_000, 'every record to be acknowledged');
        fixture.sink.flush();

        // No stall: the rest went at the rate (plus a second of burst and the ack round trip), not
        // when the clock caught up.
        const rest = (N - before) / RATE;
        expect((performance.now() - steppedAt) / 1000).toBeLessThan(rest + 10);
        // No burst: a backlog never leaves the bucket time to fill, so by any moment at most one
        // second's burst plus the rate times the time since the unit started had gone out. (What
        // the broker passes on can only lag behind what was sent, so this holds on a busy machine.)
        arrivals.forEach((a, i) =>
          expect(i + 1).toBeLessThanOrEqual(Math.floor(RATE * (1 + (a.at - started) / 1000))),
        );
        // Nothing sent twice (no false ack timeouts), nothing lost: HQ has each read once.
        expect(sync.stats.resent).toBe(0);
        expect(arrivals).toHaveLength(N);
        const ids = made.map((r) => `${unitId}:read:${r.id}`).sort();
        expect(arrivals.map((a) => a.id).sort()).toEqual(ids);
        const atHq = fixture.sink.db
          .prepare('SELECT id FROM records WHERE unit = ? ORDER BY id')
          .pluck()
          .all(unitId) as string[];
        expect(atHq).toEqual(ids);
      } finally {
        await seen.endAsync();
        await sync.stop();
        db.close();
      }
    },
    120_000,
  );

  it('a pull request HQ repeats after the clock was set back an hour is answered, not held for the hour', async () => {
    const dataDir = path.join(tmp, 'car-pull');
    const car = openStore(dataDir);
    const config = unitConfig(dataDir, fixture.unitSync(), 'car-pull');
    const policy = policyServices({ db: car.db, config });
    // The unit boots an hour fast (a stale RTC) and answers; then the GPS sets its clock right.
    offset = 3_600_000;
    const sync = createSyncService(
      { config, db: car.db, reads: car.reads, log: silentLogger() },
      { audit: policy.audit, queries: policy.queries },
    );
    const hq = await mqtt.connectAsync(fixture.broker.url, { username: 'hq', password: 'hq-secret' });
    const answers: PullResponse[] = [];
    hq.on('message', (_t, payload) => answers.push(JSON.parse(String(payload)) as PullResponse));
    await hq.subscribeAsync(`lpr/v1/${AGENCY}/car-pull/up/pull-response`, { qos: 1 });
    try {
      await sync.start();
      await waitFor(() => sync.link.connected, 10_000, 'the unit to connect');
      const read = car.reads.save(
        { ...makeRead(1, 'car-pull'), plate: 'STEP123' },
        { crop: null, overview: null },
      );
      const request = {
        v: 1,
        requestId: '5b3f0c1e-8d2a-4e7b-9c41-0a6e2d9f7b13',
        agency: AGENCY,
        unit: 'car-pull',
        issuedAt: Date.now() - offset, // HQ's clock is right
        requester: 'det.jones',
        purpose: 'investigation-vehicle',
        caseNumber: 'C-2026-90',
        attestation: true,
        criteria: { plate: 'STEP123' },
      };
      const signed = JSON.stringify(signDocument(request, loadPrivateKey(hqKeys.privateKeyPem)));
      await hq.publishAsync(`lpr/v1/${AGENCY}/car-pull/down/pull`, signed, { qos: 1 });
      await waitFor(() => answers.length === 1, 10_000, 'the first answer');
      offset = 0;
      // HQ lost the answer and asks again. The unit's clock now reads an hour before its answer, so
      // it cannot tell how long ago that was: it answers, rather than hold HQ off for the hour
      // until its clock has caught up with the pace of repeats (30 s).
      await hq.publishAsync(`lpr/v1/${AGENCY}/car-pull/down/pull`, signed, { qos: 1 });
      await waitFor(() => answers.length === 2, 10_000, 'the answer to the repeat');
      expect(answers[1]).toMatchObject({ status: 'answered', count: 1, repeat: 1 });
      expect(answers[1]!.reads.map((r) => r.id)).toEqual([read.id]);
    } finally {
      await hq.endAsync();
      await sync.stop();
      car.db.close();
    }
  }, 60_000);
});
