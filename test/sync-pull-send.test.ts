import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { MqttClient } from 'mqtt';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../src/log.js';
import { queryLogMismatch } from '../src/policy/query.js';
import { policyServices } from '../src/policy/services.js';
import type { PullResponse } from '../src/sync/schemas.js';
import { createSyncService } from '../src/sync/service.js';
import { loadPrivateKey, signDocument } from '../src/sync/signing.js';
import { useBrokerAndHqSink } from './helpers/broker-and-hq-sink.js';
import { Mosquitto } from './helpers/mosquitto.js';
import { makeRead, openStore, unitConfig, until } from './helpers/unit.js';

// How a pull answer leaves the unit. Its parts used to go out in one burst, past the rate limit
// every other message keeps to; an answer that could not be made to fit the broker was logged as
// disclosing reads it never sent; and an HQ tool that predates parts took the first part for the
// whole answer. Real Mosquitto (maximum packet size 20,000 bytes), the reference sink.
const AGENCY = 'nyspd';
const LIMIT = 20_000;
const fixture = useBrokerAndHqSink('lpr-pull-send-', { maxPacketBytes: LIMIT });
const { dir: tmp, hqKeys } = fixture;

/** Waits on the monotonic clock. */
async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A unit holding reads of `plate`, one per crop given (null: none); its clock `ahead` ms fast. */
function unitWithReads(
  unitId: string,
  plate: string,
  crops: (Buffer | null)[],
  settings: Record<string, unknown>,
  read: (i: number) => Partial<ReturnType<typeof makeRead>> = () => ({}),
) {
  const dataDir = path.join(tmp, unitId);
  const car = openStore(dataDir);
  const config = unitConfig(
    dataDir,
    fixture.unitSync({
      reconnectInitialMs: 100,
      reconnectMaxMs: 300,
      ...settings,
    }),
    unitId,
  );
  const policy = policyServices({ db: car.db, config });
  const stored = crops.map((crop, i) =>
    car.reads.save({ ...makeRead(i, unitId), plate, ...read(i) }, { crop, overview: null }),
  );
  const clock = { ahead: 0 };
  /** Taken before the service (and its rate limiter, full at birth) exists. */
  const born = performance.now();
  const sync = createSyncService(
    { config, db: car.db, reads: car.reads, log: silentLogger() },
    { audit: policy.audit, queries: policy.queries, now: () => Date.now() + clock.ahead },
  );
  const queryLog = () =>
    car.db.prepare('SELECT outcome, refusal, result_count, result_ids FROM query_log ORDER BY id').all() as {
      outcome: string;
      refusal: string | null;
      result_count: number;
      result_ids: string;
    }[];
  return { car, stored, sync, policy, clock, born, queryLog };
}

/** Every message a unit publishes on up/… (records and pull answers), with when it came. */
async function watchUnit(unitId: string) {
  const client = await mqtt.connectAsync(fixture.broker.url, { username: 'hq', password: 'hq-secret' });
  const seen: { topic: string; at: number; message: Record<string, unknown> }[] = [];
  client.on('message', (topic, payload) =>
    seen.push({
      topic,
      at: performance.now(),
      message: JSON.parse(String(payload)) as Record<string, unknown>,
    }),
  );
  await client.subscribeAsync(`lpr/v1/${AGENCY}/${unitId}/up/+`, { qos: 1 });
  const answers = () =>
    seen
      .filter((s) => s.topic.endsWith('/up/pull-response'))
      .map((s) => s.message as unknown as PullResponse);
  return { seen, answers, close: () => client.endAsync() };
}

const ask = {
  requester: 'det.jones',
  purpose: 'investigation-vehicle',
  caseNumber: 'C-2026-120',
  attestation: true,
};

describe('a pull answer in parts', () => {
  it('goes out at sync.rate, from the bucket the records use, and HQ puts every part together', async () => {
    const RATE = 4;
    // 8 KB crops: one read to a message under the broker's 20,000 bytes, so 16 parts.
    const crops = Array.from({ length: 16 }, () => randomBytes(8_000));
    const unit = unitWithReads('car-rate', 'RATE123', crops, { rate: RATE });
    const wire = await watchUnit('car-rate');
    await unit.sync.start();
    try {
      // The reads themselves go first (at the rate), and HQ acknowledges them.
      await waitFor(() => unit.sync.outbox.depth() === 0, 30_000, 'the reads to reach HQ');
      // A full bucket again (a second's worth): the answer may start with that burst, no more.
      await new Promise((r) => setTimeout(r, 1_500));
      const answer = await fixture.sink.pull(
        AGENCY,
        'car-rate',
        { ...ask, criteria: { plate: 'RATE123' }, includeCrops: true },
        { resendMs: 30_000, attempts: 1 },
      );
      expect(answer).toMatchObject({ status: 'answered', count: 16, complete: true, truncated: false });
      const newestFirst = [...unit.stored].reverse();
      expect(answer.reads.map((r) => r.id)).toEqual(newestFirst.map((r) => r.id));
      answer.reads.forEach((read, i) => {
        const crop = crops[unit.stored.indexOf(newestFirst[i]!)]!;
        expect(read.crop?.encoding === 'base64' && Buffer.from(read.crop.data, 'base64').equals(crop)).toBe(
          true,
        );
      });

      // The watcher is another subscriber: it may get the last part after HQ's sink.
      await waitFor(() => wire.answers().length >= 16, 5_000, 'every part at the watcher');
      const parts = wire.seen.filter((s) => s.topic.endsWith('/pull-response'));
      expect(parts.map((p) => p.message.part)).toEqual(parts.map((_, i) => i + 1));
      expect(parts).toHaveLength(16);
      // Paced: four at once (the bucket), then four a second. In one burst they came within
      // milliseconds of each other.
      const span = (parts[15]!.at - parts[0]!.at) / 1000;
      expect(span).toBeGreaterThan((16 - RATE) / RATE - 0.5);
      // And one bucket for everything the unit sends up: at no moment had more gone out than a
      // second's burst plus the rate times the time since the unit started (what the broker
      // passes on can only lag behind what was sent).
      wire.seen.forEach((s, i) =>
        expect(i + 1).toBeLessThanOrEqual(Math.floor(RATE * (1 + (s.at - unit.born) / 1000))),
      );
      // The query log names the reads sent, once.
      expect(unit.queryLog()).toEqual([
        {
          outcome: 'ok',
          refusal: null,
          result_count: 16,
          result_ids: JSON.stringify(newestFirst.map((r) => r.id)),
        },
      ]);
      // Counted as the broker acknowledges each to the unit (which may be after HQ has it).
      await waitFor(() => unit.sync.health().answerParts === 16, 5_000, 'the last PUBACK');
      expect(unit.sync.health()).toMatchObject({ answerParts: 16, answerPartsWaiting: 0 });
    } finally {
      await wire.close();
      await unit.sync.stop();
      unit.car.db.close();
    }
  });

  it('loses no part when the link drops while the answer is paced out: the rest waits for the link', async () => {
    const crops = Array.from({ length: 6 }, () => randomBytes(8_000));
    const unit = unitWithReads('car-drop', 'DROP123', crops, { rate: 2 });
    const wire = await watchUnit('car-drop');
    await unit.sync.start();
    try {
      await waitFor(() => unit.sync.outbox.depth() === 0, 30_000, 'the reads to reach HQ');
      const connects = unit.sync.link.stats.connects;
      const pulling = fixture.sink.pull(
        AGENCY,
        'car-drop',
        { ...ask, criteria: { plate: 'DROP123' }, includeCrops: true },
        { resendMs: 30_000, attempts: 1 },
      );
      await waitFor(() => wire.answers().length >= 1, 10_000, 'the first part');
      // The connection dies under the unit (a tunnel, a dead cell) with parts still to go.
      (unit.sync.link as unknown as { client: MqttClient }).client.stream.destroy();
      const answer = await pulling;
      expect(unit.sync.link.stats.connects).toBeGreaterThan(connects);
      expect(answer).toMatchObject({ status: 'answered', count: 6, complete: true });
      expect(answer.reads.map((r) => r.id)).toEqual([...unit.stored].reverse().map((r) => r.id));
      // One answer (no resend, no repeat), every part of it.
      const parts = () => new Set(wire.answers().map((a) => a.part));
      await waitFor(() => parts().size === 6, 5_000, 'every part to pass the broker');
      expect(parts()).toEqual(new Set([1, 2, 3, 4, 5, 6]));
      expect(wire.answers().every((a) => a.repeat === undefined)).toBe(true);
      expect(unit.queryLog()).toHaveLength(1);
      expect(unit.policy.audit.list({ type: 'pull.unsent' })).toEqual([]);
    } finally {
      await wire.close();
      await unit.sync.stop();
      unit.car.db.close();
    }
  });

  it('stopped mid-answer: the audit chain names the reads of the parts never sent, so what left the unit stays provable', async () => {
    const crops = Array.from({ length: 5 }, () => randomBytes(8_000));
    const unit = unitWithReads('car-stop', 'STOP123', crops, { rate: 1 });
    const wire = await watchUnit('car-stop');
    await unit.sync.start();
    try {
      await waitFor(() => unit.sync.outbox.depth() === 0, 30_000, 'the reads to reach HQ');
      await new Promise((r) => setTimeout(r, 1_100));
      void fixture.sink
        .pull(
          AGENCY,
          'car-stop',
          { ...ask, criteria: { plate: 'STOP123' }, includeCrops: true },
          { resendMs: 30_000, attempts: 1 },
        )
        .catch(() => {});
      await waitFor(() => wire.answers().length >= 1, 10_000, 'the first part');
      await unit.sync.stop();
      await new Promise((r) => setTimeout(r, 500));
      const logged = JSON.parse(unit.queryLog()[0]!.result_ids) as string[];
      expect(logged).toHaveLength(5);
      const unsent = unit.policy.audit.list({ type: 'pull.unsent' });
      expect(unsent).toHaveLength(1);
      const query = unit.policy.audit.list({ type: 'query' })[0]!;
      const details = unsent[0]!.details as {
        of: number;
        parts: number;
        unsentParts: number[];
        readIds: string[];
      };
      expect(details).toMatchObject({ of: query.seq, parts: 5 });
      expect(details.unsentParts.length).toBeGreaterThan(0);
      // What HQ got and what the chain says was not sent are the query's reads, each once.
      const received = wire.answers().flatMap((a) => a.reads.map((r) => r.id));
      expect([...received, ...details.readIds].sort()).toEqual([...logged].sort());
      expect(new Set(wire.answers().map((a) => a.part)).size + details.unsentParts.length).toBe(5);
    } finally {
      await wire.close();
      await unit.sync.stop();
      unit.car.db.close();
    }
  });
});

describe('a pull answer made for a larger limit than the broker takes after a reconnect', () => {
  it('is not sent on (it would get the link dropped, again and again): the parts left are audited as unsent', async () => {
    // A broker of its own, restarted mid-answer with a smaller maximum packet size (another node
    // of a cluster, configured otherwise, would do the same).
    const dir = path.join(tmp, 'shrinking');
    const small = await Mosquitto.create(dir, undefined, [`max_packet_size ${LIMIT}`]);
    const crops = Array.from({ length: 4 }, () => randomBytes(8_000));
    const unit = unitWithReads('car-shrink', 'SHRINK1', crops, { rate: 1, brokerUrl: small.url });
    const hq = fixture.newSink('hq-shrink', { url: small.url });
    await hq.start();
    await unit.sync.start();
    try {
      await waitFor(() => unit.sync.outbox.depth() === 0, 30_000, 'the reads to reach HQ');
      await new Promise((r) => setTimeout(r, 1_100));
      void hq
        .pull(
          AGENCY,
          'car-shrink',
          { ...ask, criteria: { plate: 'SHRINK1' }, includeCrops: true },
          { resendMs: 30_000, attempts: 1 },
        )
        .catch(() => {});
      const firstPart = () =>
        hq.db.prepare('SELECT COUNT(*) FROM pull_response_parts').pluck().get() as number;
      await waitFor(() => firstPart() >= 1, 10_000, 'the first part at HQ');
      // Each part (a read with its 8 KB crop) is some 11 KB: over the new limit.
      const conf = path.join(dir, 'mosquitto.conf');
      writeFileSync(
        conf,
        readFileSync(conf, 'utf8').replace(`max_packet_size ${LIMIT}`, 'max_packet_size 9000'),
      );
      await small.kill('SIGTERM');
      await small.start();
      await waitFor(
        () => unit.policy.audit.list({ type: 'pull.unsent' }).length === 1,
        20_000,
        'pull.unsent',
      );
      const details = unit.policy.audit.list({ type: 'pull.unsent' })[0]!.details as {
        unsentParts: number[];
        readIds: string[];
      };
      expect(details.unsentParts).toEqual([2, 3, 4]);
      const logged = JSON.parse(unit.queryLog()[0]!.result_ids) as string[];
      expect(details.readIds).toEqual(logged.slice(1));
      // The link came back after the restart and stays: nothing over the limit was sent.
      await waitFor(() => unit.sync.link.connected, 10_000, 'the unit to reconnect');
      const { connects, disconnects } = unit.sync.link.stats;
      await new Promise((r) => setTimeout(r, 1_500));
      expect(unit.sync.link.connected).toBe(true);
      expect(unit.sync.link.stats).toMatchObject({ connects, disconnects });
      expect(unit.sync.health()).toMatchObject({ answerPartsWaiting: 0 });
    } finally {
      await unit.sync.stop();
      await hq.stop();
      unit.car.db.close();
      await small.kill('SIGTERM');
    }
  });
});

describe('the query log of a pull lists what was sent', () => {
  it('an answer that cannot fit the broker goes as an error, and the query log says no read was disclosed (again at a repeat)', async () => {
    // One read's metadata alone is larger than the unit's 8 KiB limit: no message can hold it.
    const unit = unitWithReads('car-error', 'ERR1234', [null, null], { maxMessageBytes: 8192 }, (i) =>
      i === 1
        ? { candidates: Array.from({ length: 300 }, (_, k) => ({ plate: `ERR${k}`, confidence: 0.5 })) }
        : {},
    );
    await unit.sync.start();
    try {
      await until(() => unit.sync.link.connected, 10_000, 'the unit to connect');
      const requestId = randomUUID();
      const request = { ...ask, requestId, criteria: { plate: 'ERR1234' } };
      const answer = await fixture.sink.pull(AGENCY, 'car-error', request, { resendMs: 30_000, attempts: 1 });
      expect(answer).toMatchObject({ status: 'error', count: 0, reads: [], complete: true });
      expect(answer.reason).toMatch(/does not fit the broker's maximum packet size \(8192 bytes\)/);
      const refusal = `answer not sent: ${answer.reason}`;
      expect(unit.queryLog()).toEqual([{ outcome: 'refused', refusal, result_count: 0, result_ids: '[]' }]);
      expect(queryLogMismatch(unit.car.db)).toBeNull();
      expect(
        unit.car.db
          .prepare('SELECT status, reason, read_ids FROM sync_pulls WHERE request_id = ?')
          .get(requestId),
      ).toEqual({ status: 'error', reason: answer.reason, read_ids: '[]' });
      // HQ asks again (the unit's clock past the pace of repeats): the same error, logged as such.
      unit.clock.ahead = 31_000;
      const again = await fixture.sink.pull(AGENCY, 'car-error', request, { resendMs: 30_000, attempts: 1 });
      expect(again).toMatchObject({ status: 'error', reads: [] });
      expect(unit.queryLog()).toEqual([
        { outcome: 'refused', refusal, result_count: 0, result_ids: '[]' },
        { outcome: 'refused', refusal, result_count: 0, result_ids: '[]' },
      ]);
      expect(queryLogMismatch(unit.car.db)).toBeNull();
      // HQ's copy of the query log says the same.
      await until(
        () =>
          fixture.sink.db
            .prepare("SELECT COUNT(*) FROM records WHERE kind = 'query-log' AND unit = 'car-error'")
            .pluck()
            .get() === 2,
        10_000,
        'the query-log records at HQ',
      );
      const atHq = fixture.sink.db
        .prepare("SELECT body FROM records WHERE kind = 'query-log' AND unit = 'car-error'")
        .pluck()
        .all() as string[];
      for (const body of atHq)
        expect(JSON.parse(body)).toMatchObject({ outcome: 'refused', resultCount: 0, resultIds: [] });
    } finally {
      await unit.sync.stop();
      unit.car.db.close();
    }
  });

  it('an HQ tool that predates parts (no acceptsParts) gets one message, whole as it stands: cut, truncated, counted; the query log lists just its reads', async () => {
    // 4 KB crops: three reads to a message.
    const crops = Array.from({ length: 10 }, () => randomBytes(4_000));
    const unit = unitWithReads('car-old-hq', 'OLD1234', crops, {});
    const wire = await watchUnit('car-old-hq');
    await unit.sync.start();
    try {
      await until(() => unit.sync.link.connected, 10_000, 'the unit to connect');
      // What an older hq-sink signs: no acceptsParts. It takes the first message as the answer.
      const request = {
        v: 1,
        requestId: randomUUID(),
        agency: AGENCY,
        unit: 'car-old-hq',
        issuedAt: Date.now(),
        ...ask,
        criteria: { plate: 'OLD1234' },
        includeCrops: true,
      };
      await fixture.sink.publishRaw(
        AGENCY,
        'car-old-hq',
        'pull',
        JSON.stringify(signDocument(request, loadPrivateKey(hqKeys.privateKeyPem))),
      );
      await until(() => wire.answers().length >= 1, 10_000, 'the answer');
      // Nothing follows it.
      await new Promise((r) => setTimeout(r, 1_500));
      expect(wire.answers()).toHaveLength(1);
      const only = wire.answers()[0]!;
      expect(only).toMatchObject({ status: 'answered', part: 1, parts: 1, truncated: true });
      expect(only.reads.length).toBe(3);
      expect(only.count).toBe(only.reads.length);
      const newestFirst = [...unit.stored].reverse().map((r) => r.id);
      expect(only.reads.map((r) => r.id)).toEqual(newestFirst.slice(0, 3));
      expect(unit.queryLog()).toEqual([
        {
          outcome: 'ok',
          refusal: null,
          result_count: 3,
          result_ids: JSON.stringify(newestFirst.slice(0, 3)),
        },
      ]);
      expect(queryLogMismatch(unit.car.db)).toBeNull();
      // A repeat of it gets the same reads: the ones disclosed.
      expect(
        unit.car.db
          .prepare('SELECT read_ids, truncated FROM sync_pulls WHERE request_id = ?')
          .get(request.requestId),
      ).toEqual({ read_ids: JSON.stringify(newestFirst.slice(0, 3)), truncated: 1 });
    } finally {
      await wire.close();
      await unit.sync.stop();
      unit.car.db.close();
    }
  });
});
