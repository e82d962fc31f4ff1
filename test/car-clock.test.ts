import { afterEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { stringify } from 'yaml';
import { Daemon } from '../src/daemon.js';
import { embeddedDefaults } from '../src/config/defaults.js';
import { nmeaSentence } from '../src/gps/nmea.js';
import { nmeaBurst } from './helpers/nmea-track.js';
import { tempDir } from './helpers/tmp.js';
import { recordingLogger } from './helpers/logger.js';
import { freePort, killChild, ptyPair, waitFor, spawn, portOpen } from './helpers/proc.js';
import { GpsdSource } from '../src/gps/gpsd.js';
import { Backoff } from '../src/capture/backoff.js';
import { silentLogger } from '../src/log.js';

const dir = tempDir('car-clock-');
const children: ChildProcess[] = [];
let daemon: Daemon | undefined;
afterEach(async () => {
  await daemon?.stop();
  daemon = undefined;
  for (const c of children.splice(0)) await killChild(c);
});

type Healthz = {
  status: string;
  problems: string[];
  clock: { status: string; offsetMs: number | null; maxOffsetMs: number; samples: number } | null;
};

describe('the unit clock checked against live GPS time (serial NMEA through a socat pty)', () => {
  it('reports a clock an hour off GPS time as degraded in /healthz and /metrics, and ok once it agrees; logs each change once', async () => {
    const receiver = path.join(dir, 'receiver');
    const tty = path.join(dir, 'ttyGPS0');
    children.push(await ptyPair(receiver, tty));
    const healthPort = await freePort();
    const config = path.join(dir, 'config.yaml');
    fs.writeFileSync(
      config,
      stringify({
        unitId: 'car-7',
        agency: 'nyspd',
        dataDir: path.join(dir, 'data'),
        vision: embeddedDefaults().vision,
        cameras: [],
        gps: { source: 'serial', path: tty, baud: 9600 },
        console: { port: await freePort() },
        health: { port: healthPort },
      }),
    );
    const { log, records } = recordingLogger();
    daemon = await Daemon.start({ configPath: config, log });
    const base = `http://127.0.0.1:${healthPort}`;
    const healthz = async () => {
      const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(5000) });
      return { code: res.status, body: (await res.json()) as Healthz };
    };
    await waitFor(
      async () => (await healthz()).body.clock?.status === 'unknown',
      10_000,
      'the port open, no fix yet',
    );

    // The receiver's bursts, one a second as a real one sends them, `skewMs` away from the unit's
    // clock; the receiver's time runs on, so each burst says the time it is sent at.
    let i = 0;
    const send = (skewMs: number) => {
      const t = Date.now() + skewMs;
      const p = { time: t, lat: 42.6526 + i * 1e-4, lon: -73.7562, speedMps: 10, headingDeg: 0 };
      i++;
      fs.appendFileSync(receiver, nmeaBurst(p).join('\r\n') + '\r\n');
    };
    let skewMs = 3_600_000; // the unit's clock is an hour behind
    const timer = setInterval(() => send(skewMs), 1000);
    try {
      send(skewMs);
      // A valid RMC without a date says nothing about the clock.
      fs.appendFileSync(
        receiver,
        nmeaSentence('GPRMC,010203.00,A,4239.1560,N,07345.3720,W,1.0,0.0,,,,A') + '\r\n',
      );
      const off = await waitFor(
        async () => {
          const h = await healthz();
          return h.body.clock?.status === 'off' && h.body.clock.samples >= 3 ? h : null;
        },
        15_000,
        'the clock reported off',
      );
      expect(off.code).toBe(503);
      expect(off.body.status).toBe('degraded');
      expect(Math.abs(off.body.clock!.offsetMs! - 3_600_000)).toBeLessThan(2000);
      expect(off.body.clock!.maxOffsetMs).toBe(5000);
      expect(off.body.problems.join('\n')).toMatch(
        /system clock is 3[56]\d\d\.\d s behind GPS time \(more than gps\.maxClockOffsetMs 5000 ms\)/,
      );
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(Number(/lpr_clock_offset_seconds ([\d.-]+)/.exec(metrics)?.[1])).toBeCloseTo(3600, -1);
      expect(metrics).toMatch(/lpr_clock_ok 0\n/);

      // The clock is set right (or the receiver agrees): after a few fixes the median is ok again.
      skewMs = 0;
      const ok = await waitFor(
        async () => {
          const h = await healthz();
          return h.body.clock?.status === 'ok' ? h : null;
        },
        15_000,
        'the clock reported ok',
      );
      // Nothing about the clock is left; this unit has no camera or hotlist, which stay reported.
      expect(ok.body.problems).toEqual([
        expect.stringMatching(/^no camera configured/),
        expect.stringMatching(/^no hotlist loaded/),
      ]);
      expect(Math.abs(ok.body.clock!.offsetMs!)).toBeLessThan(2000);
      expect(await (await fetch(`${base}/metrics`)).text()).toMatch(/lpr_clock_ok 1\n/);
      // Still fine a few fixes later; and one warning, one info, not one per fix.
      await new Promise((r) => setTimeout(r, 2500));
      expect((await healthz()).body.clock?.status).toBe('ok');
    } finally {
      clearInterval(timer);
    }
    const warns = records.filter((r) => /system clock is off GPS time/.test(r.msg));
    const infos = records.filter((r) => /system clock agrees with GPS time again/.test(r.msg));
    expect(warns.map((r) => r.level)).toEqual([40]);
    expect(infos.map((r) => r.level)).toEqual([30]);
  }, 90_000);
});

describe('the unit clock checked against gpsd TPV time (gpsd reading a socat pty)', () => {
  it('measures the offset from TPV times: an hour off is "off", equal to now is "ok"', async () => {
    const receiver = path.join(dir, 'receiver-gpsd');
    const tty = path.join(dir, 'ttyGPS1');
    children.push(await ptyPair(receiver, tty));
    const port = await freePort();
    const gpsd = spawn(
      'gpsd',
      [
        '-N',
        '-n',
        '-b',
        '-S',
        String(port),
        '-P',
        path.join(dir, 'gpsd.pid'),
        '-F',
        path.join(dir, 'gpsd.sock'),
        fs.realpathSync(tty),
      ],
      { stdio: 'ignore' },
    );
    children.push(gpsd);
    await waitFor(() => portOpen(port), 10_000, 'gpsd listening');
    const gps = new GpsdSource({
      host: '127.0.0.1',
      port,
      maxFixAgeMs: 3000,
      log: silentLogger(),
      backoff: new Backoff(100, 400),
    });
    let i = 0;
    let skewMs = -3_600_000; // the unit's clock is an hour ahead
    const send = () => {
      const p = {
        time: Date.now() + skewMs,
        lat: 42.6526 + i * 1e-4,
        lon: -73.7562,
        speedMps: 10,
        headingDeg: 0,
      };
      i++;
      fs.appendFileSync(receiver, nmeaBurst(p).join('\r\n') + '\r\n');
    };
    const timer = setInterval(send, 1000);
    await gps.start();
    try {
      const off = await waitFor(
        () => (gps.health().clock.status === 'off' ? gps.health().clock : null),
        20_000,
        'clock off from gpsd',
      );
      expect(Math.abs(off.offsetMs! + 3_600_000)).toBeLessThan(2000);
      skewMs = 0;
      const ok = await waitFor(
        () => (gps.health().clock.status === 'ok' ? gps.health().clock : null),
        20_000,
        'clock ok from gpsd',
      );
      expect(Math.abs(ok.offsetMs!)).toBeLessThan(2000);
    } finally {
      clearInterval(timer);
      await gps.stop();
    }
  }, 60_000);
});
