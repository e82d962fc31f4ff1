import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import type { PullAnswer } from '../src/hq/sink.js';
import { queryLogMismatch } from '../src/policy/query.js';
import { publishPacketBytes } from '../src/sync/message-size.js';
import type { PullResponse } from '../src/sync/schemas.js';
import { loadPublicKey, openSigned } from '../src/sync/signing.js';
import { useBrokerAndHqSink } from './helpers/broker-and-hq-sink.js';
import { unitAnsweringPulls } from './helpers/unit-answering-pulls.js';
import { makeRead, until } from './helpers/unit.js';

// A pull answer used to go out as one message whatever its size. Larger than the broker's maximum
// packet size, it got the unit's connection dropped (again at each repeat HQ asked for) and HQ never
// had an answer. Here the broker takes 60,000 bytes: the answer comes in numbered parts that fit,
// a crop too large for any message is left out (and said so), and HQ puts the parts together.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const AGENCY = 'nyspd';
const LIMIT = 60_000;
const fixture = useBrokerAndHqSink('lpr-pull-size-', { maxPacketBytes: LIMIT, sink: false });
const { dir: tmp, hqKeys } = fixture;

/** A unit holding `crops.length` reads of `plate`, with those crops (null: none). */
function unitWithReads(
  unitId: string,
  plate: string,
  crops: (Buffer | null)[],
  settings: Record<string, unknown>,
) {
  const { car, sync } = unitAnsweringPulls(fixture, unitId, {
    reconnectInitialMs: 100,
    reconnectMaxMs: 500,
    ...settings,
  });
  const stored = crops.map((crop, i) =>
    car.reads.save({ ...makeRead(i, unitId), plate }, { crop, overview: null }),
  );
  return { car, stored, sync };
}

/**
 * Run `hq-sink` with a slow reader on its stdout, as a shell pipeline or a loaded machine makes:
 * nothing is read until `ready` has resolved and the process has then exited or had 3 s to.
 */
async function hqSinkSlowlyRead(args: string[], ready: () => Promise<unknown>) {
  const child = spawn(process.execPath, [path.join(root, 'scripts/hq-sink.mjs'), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stdout.pause();
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += String(d)));
  const closed = new Promise<number | null>((resolve) => child.once('close', resolve));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await ready();
  await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
  child.stdout.resume();
  const code = await closed;
  return { code, stdout: Buffer.concat(out).toString(), stderr };
}

/** Every pull-response message the broker passes on for `unitId`, as it came. */
async function watchAnswers(unitId: string) {
  const client = await mqtt.connectAsync(fixture.broker.url, { username: 'hq', password: 'hq-secret' });
  const topic = `lpr/v1/${AGENCY}/${unitId}/up/pull-response`;
  const seen: { bytes: number; message: PullResponse }[] = [];
  client.on('message', (_t, payload) =>
    seen.push({ bytes: payload.length, message: JSON.parse(String(payload)) as PullResponse }),
  );
  await client.subscribeAsync(topic, { qos: 1 });
  /** Every part of the answer, once they have all passed the broker. */
  const parts = async () => {
    // From the spawn of hq-sink on: a loaded machine takes seconds to start it.
    await until(() => seen.length > 0 && seen.length === seen[0]!.message.parts, 30_000, 'every part');
    return seen;
  };
  return { parts, topic, close: () => client.endAsync() };
}

describe('a pull answer larger than the broker accepts', () => {
  it('MQTT 5: 40 reads with 8 KB crops come in numbered parts, each within the limit; a 70 KB crop is left out, marked; HQ gets every read once', async () => {
    const crops = Array.from({ length: 41 }, (_, i) => randomBytes(i === 20 ? 70_000 : 8_000));
    const unit = unitWithReads('car-crops', 'BIG1234', crops, {});
    const wire = await watchAnswers('car-crops');
    const sink = fixture.newSink('hq-crops');
    await sink.start();
    await unit.sync.start();
    try {
      await until(() => unit.sync.link.connected, 10_000, 'the unit to connect');
      const answer: PullAnswer = await sink.pull(
        AGENCY,
        'car-crops',
        {
          requester: 'det.jones',
          purpose: 'investigation-vehicle',
          caseNumber: 'C-2026-97',
          attestation: true,
          criteria: { plate: 'BIG1234' },
          includeCrops: true,
        },
        { resendMs: 20_000, attempts: 1 },
      );
      // HQ has the whole answer: every read once, newest first, as the unit found them.
      expect(answer).toMatchObject({ status: 'answered', count: 41, complete: true, truncated: false });
      const newestFirst = [...unit.stored].reverse();
      expect(answer.reads.map((r) => r.id)).toEqual(newestFirst.map((r) => r.id));
      newestFirst.forEach((stored, i) => {
        const read = answer.reads[i]!;
        const crop = crops[unit.stored.indexOf(stored)]!;
        if (crop.length === 70_000) {
          // Too big for any message: sent without it, and HQ is told why. It stays on the unit.
          expect(read.crop).toBeUndefined();
          expect(read.imagesLeftOut).toEqual([
            { image: 'crop', reason: 'message-too-large', bytes: 70_000, limitBytes: LIMIT },
          ]);
        } else {
          expect(read.crop?.encoding === 'base64' && Buffer.from(read.crop.data, 'base64').equals(crop)).toBe(
            true,
          );
          expect(read.imagesLeftOut).toBeUndefined();
        }
      });
      // On the wire: parts 1..N of N, each packet within the broker's limit; the link held.
      const seen = await wire.parts();
      const parts = seen.map((s) => s.message);
      expect(parts.length).toBeGreaterThan(1);
      expect(parts.map((p) => p.part)).toEqual(parts.map((_, i) => i + 1));
      expect(new Set(parts.map((p) => p.parts))).toEqual(new Set([parts.length]));
      expect(new Set(parts.map((p) => p.count))).toEqual(new Set([41]));
      for (const s of seen)
        expect(publishPacketBytes(wire.topic, s.bytes, { v5: true })).toBeLessThanOrEqual(LIMIT);
      expect(unit.sync.link.stats.disconnects).toBe(0);
      // The query log names exactly the reads HQ received, once; and it reaches HQ too.
      const ids = answer.reads.map((r) => r.id);
      expect(unit.car.db.prepare('SELECT result_ids FROM query_log').pluck().all()).toEqual([
        JSON.stringify(ids),
      ]);
      expect(queryLogMismatch(unit.car.db)).toBeNull();
      await until(() => sink.count('query-log') === 1, 10_000, 'the query-log record at HQ');
      const logged = sink.db
        .prepare("SELECT body FROM records WHERE kind = 'query-log'")
        .pluck()
        .get() as string;
      expect((JSON.parse(logged) as { resultIds: string[] }).resultIds).toEqual(ids);
    } finally {
      await wire.close();
      await sink.stop();
      await unit.sync.stop();
      unit.car.db.close();
    }
  });

  it('a pull cut at its limit: the query log names the reads sent, not the one more the unit looked at to know there were more', async () => {
    const unit = unitWithReads('car-limit', 'LIMIT12', Array<null>(12).fill(null), {});
    const sink = fixture.newSink('hq-limit');
    await sink.start();
    await unit.sync.start();
    try {
      await until(() => unit.sync.link.connected, 10_000, 'the unit to connect');
      const answer = await sink.pull(
        AGENCY,
        'car-limit',
        {
          requester: 'det.jones',
          purpose: 'investigation-vehicle',
          caseNumber: 'C-2026-99',
          attestation: true,
          criteria: { plate: 'LIMIT12' },
          limit: 5,
        },
        { resendMs: 20_000, attempts: 1 },
      );
      expect(answer).toMatchObject({ status: 'answered', count: 5, truncated: true, complete: true });
      const row = unit.car.db.prepare('SELECT result_count, result_ids, criteria FROM query_log').get() as {
        result_count: number;
        result_ids: string;
        criteria: string;
      };
      expect(row.result_count).toBe(5);
      expect(JSON.parse(row.result_ids)).toEqual(answer.reads.map((r) => r.id));
      expect(JSON.parse(row.criteria)).toMatchObject({ plate: 'LIMIT12', limit: 5 });
      expect(queryLogMismatch(unit.car.db)).toBeNull();
    } finally {
      await sink.stop();
      await unit.sync.stop();
      unit.car.db.close();
    }
  });

  it('MQTT 3.1.1 (no announced limit) with sync.maxMessageBytes: 1,000 reads without crops reach hq-sink pull, which prints the whole answer to a slow reader', async () => {
    const unit = unitWithReads('car-many', 'MANY123', Array<null>(1000).fill(null), {
      protocolVersion: 4,
      maxMessageBytes: LIMIT,
      pullMaxResults: 1000,
    });
    const wire = await watchAnswers('car-many');
    const hqDb = path.join(tmp, 'hq-many.db');
    await unit.sync.start();
    try {
      await until(() => unit.sync.link.connected, 10_000, 'the unit to connect');
      // About half a megabyte of read metadata: several messages' worth. Printed, some 800 KB: more
      // than a pipe (a socket pair here) and its buffers hold, so a reader slower than hq-sink gets
      // all of it only if hq-sink waits for it before exiting.
      const cli = await hqSinkSlowlyRead(
        [
          'pull',
          ...fixture.hqSinkArgs(hqDb),
          '--agency',
          AGENCY,
          '--unit',
          'car-many',
          '--requester',
          'det.jones',
          '--purpose',
          'investigation-vehicle',
          '--case',
          'C-2026-98',
          '--plate',
          'MANY123',
          '--resend-ms',
          '20000',
          '--attempts',
          '1',
        ],
        () => wire.parts(),
      );
      expect(cli).toMatchObject({ code: 0, stderr: '' });
      const answer = JSON.parse(cli.stdout) as PullAnswer;
      expect(answer).toMatchObject({ status: 'answered', count: 1000, complete: true });
      expect(new Set(answer.reads.map((r) => r.id))).toEqual(new Set(unit.stored.map((r) => r.id)));
      expect(answer.reads).toHaveLength(1000);
      const seen = await wire.parts();
      expect(seen.length).toBeGreaterThan(1);
      for (const s of seen)
        expect(publishPacketBytes(wire.topic, s.bytes, { v5: false })).toBeLessThanOrEqual(LIMIT);
      expect(unit.sync.link.stats.disconnects).toBe(0);
      // HQ's database keeps the answer put together, once.
      const hq = new Database(hqDb, { readonly: true });
      try {
        const rows = hq.prepare('SELECT count, payload FROM pull_responses').all() as {
          count: number;
          payload: string;
        }[];
        expect(rows).toHaveLength(1);
        expect(rows[0]!.count).toBe(1000);
        expect((JSON.parse(rows[0]!.payload) as PullAnswer).reads).toHaveLength(1000);
      } finally {
        hq.close();
      }
    } finally {
      await wire.close();
      await unit.sync.stop();
      unit.car.db.close();
    }
  });

  it('HQ makes up a lost part from the answer to its resend, and names the parts that came when it gives up', async () => {
    // A stand-in unit answering in parts as scripted, so that a part can go missing.
    const unit = await mqtt.connectAsync(fixture.broker.url, { username: 'unit', password: 'unit-secret' });
    const reads = Array.from({ length: 4 }, (_, i) => makeRead(i, 'car-lossy'));
    const requests: { requestId: string }[] = [];
    const answer = (requestId: string, part: number, parts: number, repeat?: number) => {
      const per = Math.ceil(reads.length / parts);
      const message = {
        v: 1,
        requestId,
        agency: AGENCY,
        unit: 'car-lossy',
        status: 'answered',
        count: reads.length,
        truncated: false,
        reads: reads.slice((part - 1) * per, part * per),
        ts: Date.now(),
        part,
        parts,
        ...(repeat ? { repeat } : {}),
      };
      return unit.publishAsync(`lpr/v1/${AGENCY}/car-lossy/up/pull-response`, JSON.stringify(message), {
        qos: 1,
      });
    };
    let script: (requestId: string, copy: number) => Promise<unknown> = async () => {};
    unit.on('message', (_t, payload) => {
      const request = openSigned(JSON.parse(String(payload)), loadPublicKey(hqKeys.publicKeyPem)) as {
        requestId: string;
      };
      requests.push(request);
      void script(request.requestId, requests.filter((r) => r.requestId === request.requestId).length);
    });
    await unit.subscribeAsync(`lpr/v1/${AGENCY}/car-lossy/down/pull`, { qos: 1 });
    const sink = fixture.newSink('hq-lossy');
    await sink.start();
    const ask = (caseNumber: string) =>
      sink.pull(
        AGENCY,
        'car-lossy',
        {
          requester: 'det.jones',
          purpose: 'investigation-vehicle',
          caseNumber,
          attestation: true,
          criteria: { plate: 'T000001' },
        },
        { resendMs: 1_500, attempts: 2 },
      );
    try {
      // The first answer loses its part 2; the answer to the resend (a repeat) comes whole.
      script = (id, copy) =>
        copy === 1 ? answer(id, 1, 2) : Promise.all([answer(id, 1, 2, 1), answer(id, 2, 2, 1)]);
      const whole = await ask('C-2026-100');
      expect(whole).toMatchObject({ status: 'answered', count: 4, complete: true });
      expect(whole.reads.map((r) => r.id)).toEqual(reads.map((r) => r.id));
      // Only part 2 of 3 ever comes: the pull fails saying so, and HQ keeps what came, marked.
      script = (id) => answer(id, 2, 3);
      await expect(ask('C-2026-101')).rejects.toThrow(
        /^incomplete answer \(parts 2 of 3 arrived\) to pull request/,
      );
      const kept = sink.db
        .prepare('SELECT count, payload FROM pull_responses ORDER BY received_at DESC LIMIT 1')
        .get() as { count: number; payload: string };
      expect(kept.count).toBe(2);
      expect(JSON.parse(kept.payload)).toMatchObject({ complete: false });
    } finally {
      await sink.stop();
      await unit.endAsync();
    }
  });
});
