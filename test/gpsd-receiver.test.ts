import { afterAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { stringify } from 'yaml';
import { Daemon } from '../src/daemon.js';
import { embeddedDefaults } from '../src/config/defaults.js';
import { tempDir } from './helpers/tmp.js';
import { freePort, waitFor } from './helpers/proc.js';
import { recordingLogger } from './helpers/logger.js';

/**
 * gpsd as a technician meets it in a car: not running yet, then running with the receiver's USB
 * cable out (it answers, with no device), then with the receiver plugged in. A gpsd speaking the
 * JSON protocol on a loopback port, as gpsd 3.22 does.
 */

const dir = tempDir('gpsd-receiver-');
let daemon: Daemon | undefined;
let gpsd: net.Server | undefined;
afterAll(async () => {
  await daemon?.stop();
  gpsd?.close();
});

type Healthz = { problems: string[]; gps: { connected: boolean; lastError: string | null } | null };
const line = (o: object) => JSON.stringify(o) + '\n';

describe('gpsd with no receiver behind it', () => {
  it('logs an unreachable gpsd once, not at every retry, and names an unplugged receiver in /healthz', async () => {
    const gpsPort = await freePort();
    const healthPort = await freePort();
    const config = path.join(dir, 'config.yaml');
    writeFileSync(
      config,
      stringify({
        unitId: 'car-3',
        agency: 'nyspd',
        dataDir: path.join(dir, 'data'),
        vision: embeddedDefaults().vision,
        cameras: [],
        gps: { source: 'gpsd', port: gpsPort },
        console: { port: await freePort() },
        health: { port: healthPort },
      }),
    );
    const { log, records } = recordingLogger();
    daemon = await Daemon.start({ configPath: config, log });
    const healthz = async () =>
      (await (await fetch(`http://127.0.0.1:${healthPort}/healthz`)).json()) as Healthz;

    // gpsd not running: retried with backoff (0.5 s, 1 s, 2 s, …), said once.
    await new Promise((r) => setTimeout(r, 4000));
    const gpsdWarnings = () => records.filter((r) => r.level >= 40 && /gpsd/.test(r.msg));
    expect(gpsdWarnings().map((r) => r.msg)).toEqual(['gpsd unreachable; retrying']);
    expect((await healthz()).gps?.lastError).toMatch(/ECONNREFUSED/);

    // gpsd starts, but the receiver is unplugged: gpsd answers with an empty device list.
    let client: net.Socket | undefined;
    gpsd = net.createServer((socket) => {
      client = socket;
      socket.on('error', () => undefined);
      socket.write(line({ class: 'VERSION', release: '3.22', proto_major: 3, proto_minor: 14 }));
      socket.write(line({ class: 'DEVICES', devices: [] }));
      socket.write(line({ class: 'WATCH', enable: true, json: true }));
    });
    await new Promise<void>((r) => gpsd!.listen(gpsPort, '127.0.0.1', () => r()));
    const unplugged = await waitFor(
      async () => {
        const h = await healthz();
        return h.gps?.connected && h.gps.lastError ? h : null;
      },
      20_000,
      'gpsd connected with no receiver',
    );
    expect(unplugged.gps?.lastError).toBe('gpsd has no receiver attached: check the GPS USB cable');
    expect(unplugged.problems).toContain(
      'GPS has no fix: gpsd has no receiver attached: check the GPS USB cable',
    );

    // The receiver is plugged in: gpsd reports the device, then fixes.
    client!.write(line({ class: 'DEVICE', path: '/dev/ttyUSB0', activated: '2026-12-02T05:00:00.000Z' }));
    client!.write(line({ class: 'TPV', mode: 3, time: new Date().toISOString(), lat: 42.65, lon: -73.75 }));
    const plugged = await waitFor(
      async () => {
        const h = await healthz();
        return h.gps?.lastError === null && !h.problems.some((p) => /GPS/.test(p)) ? h : null;
      },
      10_000,
      'the receiver back',
    );
    expect(plugged.gps?.connected).toBe(true);

    // Unplugged again while connected: gpsd says the device went away.
    client!.write(line({ class: 'DEVICE', path: '/dev/ttyUSB0', activated: 0 }));
    await waitFor(
      async () =>
        (await healthz()).gps?.lastError === 'gpsd has no receiver attached: check the GPS USB cable',
      10_000,
      'the receiver named as gone',
    );
    expect(gpsdWarnings().map((r) => r.msg)).toEqual([
      'gpsd unreachable; retrying',
      'gpsd has no receiver attached: check the GPS USB cable',
      'gpsd has no receiver attached: check the GPS USB cable',
    ]);

    // A receiver with the GPS week-rollover bug behind gpsd: its 2007 fixes are not taken.
    client!.write(line({ class: 'DEVICE', path: '/dev/ttyUSB0', activated: '2026-12-02T05:00:00.000Z' }));
    const rolledBack = new Date(Date.now() - 1024 * 7 * 86_400_000).toISOString();
    client!.write(line({ class: 'TPV', mode: 3, time: rolledBack, lat: 42.65, lon: -73.75 }));
    await waitFor(
      async () => /week-rollover bug .*update its firmware/.test((await healthz()).gps?.lastError ?? ''),
      10_000,
      'the rollover date named',
    );
    // Fixed firmware: its fixes are taken and the error is over.
    client!.write(line({ class: 'TPV', mode: 3, time: new Date().toISOString(), lat: 42.65, lon: -73.75 }));
    await waitFor(async () => (await healthz()).gps?.lastError === null, 10_000, 'the error cleared');
  }, 90_000);
});
