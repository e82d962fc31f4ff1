import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/log.js';
import type { Status } from '../src/sync/schemas.js';
import { createSyncService } from '../src/sync/service.js';
import { useBrokerAndHqSink } from './helpers/broker-and-hq-sink.js';
import { openStore, unitConfig, until, writeConfig } from './helpers/unit.js';

// HQ keeps each unit's newest status. A patrol car's wall clock is stepped by NTP or the GPS after
// boot, often backwards by an hour: HQ must order statuses by the unit's boot and sequence, not by
// the status's `ts`, through a real Mosquitto into the reference sink.
const AGENCY = 'nyspd';
const HOUR = 3_600_000;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const fixture = useBrokerAndHqSink('lpr-sync-status-');
const { dir: tmp } = fixture;
const children: ChildProcess[] = [];

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** The status HQ holds for a unit. */
function atHq(unit: string): Status | undefined {
  const payload = fixture.sink.db
    .prepare('SELECT payload FROM unit_status WHERE unit = ?')
    .pluck()
    .get(unit) as string | undefined;
  return payload === undefined ? undefined : (JSON.parse(payload) as Status);
}

describe('unit status at HQ', () => {
  it('a unit whose clock steps back an hour keeps updating its status at HQ, across a lost connection', async () => {
    const unit = 'car-step';
    const dataDir = path.join(tmp, unit);
    const { db, reads } = openStore(dataDir);
    const config = unitConfig(
      dataDir,
      fixture.unitSync({
        statusIntervalMs: 1000,
        // Reconnects 50-400 ms after a lost connection: the will is HQ's status that long.
        reconnectInitialMs: 400,
        reconnectMaxMs: 500,
      }),
      unit,
    );
    let offset = 0;
    let satellites = 7;
    const sync = createSyncService(
      { config, db, reads, log: silentLogger() },
      { now: () => Date.now() + offset, status: () => ({ gps: { mode: 3, satellites } }) },
    );
    try {
      await sync.start();
      await until(() => atHq(unit)?.gps?.satellites === 7, 10_000, 'the unit online at HQ');
      expect(atHq(unit)).toMatchObject({ state: 'online', bootId: sync.bootId, connection: 1 });

      // The GPS sets the clock an hour back; what the unit reports changes after the step.
      offset = -HOUR;
      satellites = 11;
      await until(() => atHq(unit)?.gps?.satellites === 11, 10_000, 'the status made after the step at HQ');
      const stepped = atHq(unit)!;
      expect(stepped.state).toBe('online');
      expect(stepped.ts).toBeLessThan(Date.now() - HOUR / 2);
      satellites = 5;
      await until(() => atHq(unit)?.gps?.satellites === 5, 10_000, 'the next status at HQ');
      expect(atHq(unit)!.seq).toBeGreaterThan(stepped.seq!);

      // The car loses its connection (no DISCONNECT), twice: each time the broker publishes the
      // will, whose ts is the reconnect's, and HQ shows the unit offline; the unit reconnects and
      // its online status, on the stepped clock, wins. Each connection has a will of its own: a
      // will naming an earlier connection would not end the current one.
      for (const connection of [2, 3]) {
        const client = (sync.link as unknown as { client: mqtt.MqttClient }).client;
        const seen: Status[] = [];
        const watch = setInterval(() => seen.push(atHq(unit)!), 5);
        client.stream.destroy();
        await until(() => seen.some((s) => s.state === 'offline'), 10_000, 'the last will at HQ');
        await until(() => atHq(unit)?.state === 'online', 10_000, 'the unit online again at HQ');
        clearInterval(watch);
        expect(seen.find((s) => s.state === 'offline')).toMatchObject({
          will: true,
          bootId: sync.bootId,
          connection: connection - 1,
        });
        expect(atHq(unit)).toMatchObject({ state: 'online', bootId: sync.bootId, connection });
      }
      // ... and stays online: nothing of an earlier connection comes after it.
      await new Promise((r) => setTimeout(r, 1500));
      expect(atHq(unit)).toMatchObject({ state: 'online', connection: 3 });
    } finally {
      await sync.stop();
      db.close();
    }
    // A clean stop publishes offline with the boot's next number: HQ applies it.
    await until(() => atHq(unit)?.state === 'offline', 5000, 'offline after the stop');
    expect(atHq(unit)!.will).toBeUndefined();
  }, 60_000);

  it('a unit that dies (last will) and restarts with its clock set back an hour shows online at HQ', async () => {
    const unit = 'car-reboot';
    const dataDir = path.join(tmp, unit);
    openStore(dataDir).db.close();
    const config = unitConfig(
      dataDir,
      fixture.unitSync({
        reconnectInitialMs: 100,
      }),
      unit,
    );
    const configFile = writeConfig(path.join(tmp, `${unit}.json`), {
      ...config,
      log: { ...config.log, level: 'warn' },
    });
    const start = (offsetMs: number) => {
      const child = spawn(process.execPath, [path.join(root, 'test/fixtures/sync-child.mjs'), configFile], {
        stdio: ['ignore', 'ignore', 'inherit'],
        env: { ...process.env, LPR_TEST_CLOCK_OFFSET_MS: String(offsetMs) },
      });
      children.push(child);
      return child;
    };

    const first = start(0);
    await until(() => atHq(unit)?.state === 'online', 15_000, 'the unit online at HQ');
    const firstBoot = atHq(unit)!.bootId;
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    await until(() => atHq(unit)?.state === 'offline', 10_000, 'the last will at HQ');
    expect(atHq(unit)).toMatchObject({ will: true, bootId: firstBoot });

    // Restarted with the clock an hour behind (an RTC-less unit before its GPS fix): its statuses
    // are older by ts than the will, yet they are the unit's newest.
    const second = start(-HOUR);
    try {
      await until(() => atHq(unit)?.bootId !== firstBoot, 15_000, 'a status of the new boot at HQ');
      const now = atHq(unit)!;
      expect(now.state).toBe('online');
      expect(now.ts).toBeLessThan(Date.now() - HOUR / 2);
      // The retained status a newly subscribing HQ consumer gets is the same.
      const c = await mqtt.connectAsync(fixture.broker.url, { username: 'hq', password: 'hq-secret' });
      const retained = new Promise<Status>((resolve) =>
        c.once('message', (_t, p) => resolve(JSON.parse(String(p)) as Status)),
      );
      await c.subscribeAsync(`lpr/v1/${AGENCY}/${unit}/status`, { qos: 1 });
      expect(await retained).toMatchObject({ state: 'online', bootId: now.bootId });
      await c.endAsync();
    } finally {
      second.kill('SIGTERM');
      await new Promise((r) => second.once('exit', r));
    }
    await until(() => atHq(unit)?.state === 'offline', 5000, 'offline after the clean stop');
  }, 60_000);

  it('a unit older than bootId is still ordered by ts, its will applied whatever its ts', async () => {
    const unit = 'car-old';
    const topic = `lpr/v1/${AGENCY}/${unit}/status`;
    const c = await mqtt.connectAsync(fixture.broker.url, { username: 'unit', password: 'unit-secret' });
    const publish = async (s: Partial<Status>) => {
      await c.publishAsync(topic, JSON.stringify({ v: 1, agency: AGENCY, unit, ...s }), {
        qos: 1,
        retain: true,
      });
    };
    // A status of another unit over the same connection, after what was published before it: once
    // HQ holds it, HQ has dealt with those (the broker delivers one client's messages in order).
    let marks = 0;
    const dealtWith = async () => {
      const mark = ++marks;
      await c.publishAsync(
        `lpr/v1/${AGENCY}/car-old-mark/status`,
        JSON.stringify({
          v: 1,
          agency: AGENCY,
          unit: 'car-old-mark',
          state: 'online',
          ts: Date.now(),
          queueDepth: mark,
        }),
        { qos: 1 },
      );
      await until(() => atHq('car-old-mark')?.queueDepth === mark, 10_000, `marker ${mark} at HQ`);
    };
    try {
      const t = Date.now();
      await publish({ state: 'online', ts: t, queueDepth: 1 });
      await until(() => atHq(unit)?.queueDepth === 1, 10_000, 'the first status at HQ');
      expect(atHq(unit)).toMatchObject({ queueDepth: 1 });
      // An older one (by ts) does not replace it.
      await publish({ state: 'online', ts: t - 1000, queueDepth: 2 });
      await dealtWith();
      expect(atHq(unit)).toMatchObject({ queueDepth: 1 });
      await publish({ state: 'offline', ts: t - 5000, will: true });
      await until(() => atHq(unit)?.state === 'offline', 10_000, 'the will at HQ');
      expect(atHq(unit)).toMatchObject({ state: 'offline', will: true });
      // Upgraded: a status with a boot id replaces it, whatever its ts.
      await publish({
        state: 'online',
        ts: t - HOUR,
        bootId: '6f1c1a4e-8a55-4b8e-9a43-0d3b0f0a7c11',
        connection: 1,
        seq: 1,
      });
      await until(() => atHq(unit)?.seq === 1, 10_000, 'the status with a boot id at HQ');
      expect(atHq(unit)).toMatchObject({ state: 'online', seq: 1 });
    } finally {
      await c.endAsync();
    }
  }, 30_000);
});
