import { afterEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { NmeaFixBuilder, nmeaSentence, parseCoordinate } from '../src/gps/nmea.js';
import { SerialNmeaSource } from '../src/gps/serial.js';
import { parseTrack } from '../src/gps/track.js';
import { checkGps } from '../src/selftest/checks.js';
import { problems } from '../src/health/metrics.js';
import { parseConfig } from '../src/config/load.js';
import { Backoff } from '../src/capture/backoff.js';
import { silentLogger } from '../src/log.js';
import { nmeaBurst, straightDrive } from './helpers/nmea-track.js';
import { killChild, ptyPair, waitFor } from './helpers/proc.js';
import { tempDir } from './helpers/tmp.js';

// What a serial receiver's bad input does to the unit's position and to what the technician is
// told: selftest's GPS check and the source's health (/healthz "gps"), through a socat pty pair.
const dir = tempDir('gps-input-');
const T0 = Date.UTC(2026, 11, 2, 12, 0, 0);
const children: ChildProcess[] = [];
const timers: NodeJS.Timeout[] = [];
afterEach(async () => {
  for (const t of timers.splice(0)) clearInterval(t);
  for (const c of children.splice(0)) await killChild(c);
});

let ports = 0;
/** A receiver (write NMEA into `receiver`) wired to the unit's serial port `tty`. */
async function serialLine() {
  const n = ports++;
  const receiver = path.join(dir, `receiver${n}`);
  const tty = path.join(dir, `ttyGPS${n}`);
  children.push(await ptyPair(receiver, tty));
  return { receiver, tty };
}

/** The receiver sends `data()` every 300 ms, as a real one sends a burst every second. */
function sendEvery(receiver: string, data: () => string | Buffer): void {
  // Not appendFileSync: the event loop that reads the other end must keep running.
  timers.push(setInterval(() => void fs.promises.appendFile(receiver, data()), 300));
}

function selftestGps(tty: string, gpsSeconds: number) {
  const config = parseConfig({
    unitId: 'car-1',
    agency: 'nyspd',
    dataDir: path.join(dir, 'data'),
    vision: { detector: { model: 'unused.onnx' }, recogniser: { model: 'unused.onnx' } },
    gps: { source: 'serial', path: tty, baud: 9600 },
  });
  return checkGps({ config, log: silentLogger(), cameraSeconds: 1, gpsSeconds, minFreeMb: 1 });
}

/** A burst whose RMC and GGA carry `lat` (ddmm.mmmm) instead, checksums right. */
function burstWithLatitude(lat: string): string {
  return (
    nmeaBurst(straightDrive(T0, 1)[0]!)
      .map((line) => {
        const f = line.slice(1, line.lastIndexOf('*')).split(',');
        if (f[0] === 'GPGGA') f[2] = lat;
        if (f[0] === 'GPRMC') f[3] = lat;
        return nmeaSentence(f.join(','));
      })
      .join('\r\n') + '\r\n'
  );
}

describe('NMEA positions and times that are none', () => {
  it('rejects and counts them, naming why, instead of making a fix of them', () => {
    expect(parseCoordinate('9130.0000', 'N', 2)).toBeNull();
    expect(parseCoordinate('19500.0000', 'W', 3)).toBeNull();
    expect(parseCoordinate('4099.9999', 'N', 2)).toBeNull();
    expect(parseCoordinate('4043.1000', 'E', 2)).toBeNull();
    expect(parseCoordinate('9000.0000', 'S', 2)).toBe(-90);
    expect(parseCoordinate('17959.9999', 'E', 3)).toBeCloseTo(180, 3);
    const rmc = (time: string, lat: string, ns: string, lon: string, ew: string, date = '021226') =>
      nmeaSentence(`GPRMC,${time},A,${lat},${ns},${lon},${ew},10.0,90.0,${date},,,A`);
    const bad = [
      [rmc('120000.00', '9130.0000', 'N', '07400.0000', 'W'), /latitude "9130\.0000,N", which is no place/],
      [rmc('120001.00', '4043.1000', 'N', '19500.0000', 'W'), /longitude "19500\.0000,W"/],
      [rmc('120002.00', '4099.9999', 'N', '07400.0000', 'W'), /latitude "4099\.9999,N"/],
      [rmc('120003.00', '4043.1000', 'X', '07400.0000', 'W'), /latitude "4043\.1000,X"/],
      [rmc('256170.00', '4043.1000', 'N', '07400.0000', 'W'), /time "256170\.00", which is no time of day/],
      [rmc('120004.00', '4043.1000', 'N', '07400.0000', 'W', '310226'), /date "310226", which is no date/],
    ] as const;
    const b = new NmeaFixBuilder();
    for (const [line, why] of bad) {
      expect(b.push(line)).toBeNull();
      expect(b.lastRejection).toMatch(why);
    }
    expect(b.rejected).toBe(bad.length);
    const good = b.push(rmc('120005.00', '4043.1000', 'N', '07400.0000', 'W'));
    expect(good).toMatchObject({ lat: expect.closeTo(40.71833, 5), lon: -74, time: T0 + 5000 });
  });
});

describe('a recorded track with a gap or logged sparsely', () => {
  it('keeps every fix: only fixes far from most of their neighbours in the file are dropped', () => {
    const log = (times: number[]) =>
      times
        .map((t) => nmeaBurst({ time: t, lat: 42.65, lon: -73.75, speedMps: 10, headingDeg: 0 }).join('\r\n'))
        .join('\r\n');
    // Ten minutes in a tunnel between two stretches of one fix a second.
    const gap = [0, 1, 2, 3, 4, 604, 605, 606, 607].map((s) => T0 + s * 1000);
    expect(parseTrack(log(gap))).toMatchObject({
      droppedOutOfSequence: 0,
      fixes: gap.map((time) => ({ time })),
    });
    // A logger that records one fix every two minutes.
    const sparse = [0, 1, 2, 3, 4, 5].map((m) => T0 + m * 120_000);
    expect(parseTrack(log(sparse))).toMatchObject({
      droppedOutOfSequence: 0,
      fixes: sparse.map((time) => ({ time })),
    });
  });
});

describe('a serial receiver through a socat pty pair, as selftest and health see it', () => {
  it('fails selftest on a latitude of 91°30′ instead of passing with it, counting the rejects', async () => {
    const { receiver, tty } = await serialLine();
    sendEvery(receiver, () => burstWithLatitude('9130.0000'));
    const { result, fix } = await selftestGps(tty, 2);
    expect(fix).toBeNull();
    expect(result).toMatchObject({ check: 'gps', status: 'fail' });
    expect(result.detail).toMatch(
      /^serial \S+ connected but no fix in 2 s: \d+ NMEA sentence\(s\) rejected, the last: (RMC|GGA) with latitude "9130\.0000,N", which is no place on Earth$/,
    );
  });

  it('reads a receiver that ends its sentences with CR alone', async () => {
    const { receiver, tty } = await serialLine();
    const burst = nmeaBurst(straightDrive(T0, 1)[0]!, { sats: 7 });
    sendEvery(receiver, () => burst.join('\r') + '\r');
    const { result } = await selftestGps(tty, 5);
    expect(result).toMatchObject({
      status: 'pass',
      detail: '3D fix 42.65260, -73.75620, 7 satellites, HDOP 0.9',
    });
  });

  it('says what to check when data arrives but none of it is NMEA (a wrong baud rate)', async () => {
    const { receiver, tty } = await serialLine();
    // What 4800 baud looks like read at 9600: bytes, now and then a line end, no sentence.
    sendEvery(receiver, () => Buffer.from([0xf8, 0x80, 0x78, 0x00, 0xe0, 0x86, 0x0a, 0x9e, 0x66, 0x0d]));
    const { result } = await selftestGps(tty, 5);
    expect(result.detail).toMatch(
      /connected but no fix in 5 s: no NMEA sentence in [345] s: \d+ bytes arrived, none a valid sentence; check the baud rate \(gps\.baud 9600\) against the receiver's$/,
    );
  });

  it('drops data without line ends as it comes, says so, and reads the sentences after it', async () => {
    const { receiver, tty } = await serialLine();
    const gps = new SerialNmeaSource({ path: tty, baud: 9600, maxFixAgeMs: 3000, log: silentLogger() });
    await gps.start();
    try {
      await waitFor(() => gps.health().connected, 5000, 'port open');
      // 4 MB without a line end: not buffered whole, one line rejected.
      const flood = Buffer.alloc(4 * 1024 * 1024, 'A');
      await fs.promises.appendFile(receiver, flood);
      const h = await waitFor(
        () => (/lines too long/.test(gps.health().lastError ?? '') ? gps.health() : null),
        10_000,
        'the flood named in health: ' + JSON.stringify(gps.health()),
      );
      expect(h.lastError).toMatch(
        /^no NMEA sentence in \d+ s: lines too long for NMEA \(over 120 characters without a line end\); check the baud rate \(gps\.baud 9600\)/,
      );
      expect(h.rejectedSentences).toBe(1);
      expect(h.fixAgeMs).toBeNull();
      // What /healthz lists as the unit's problem.
      expect(problems({ unitId: 'car-1', uptimeS: 1, cameras: [], gps: h })).toContain(
        `GPS has no fix: ${h.lastError}`,
      );
      await fs.promises.appendFile(
        receiver,
        '\r\n' + nmeaBurst(straightDrive(T0, 1)[0]!).join('\r\n') + '\r\n',
      );
      const r = await waitFor(() => gps.fixAt(Date.now()), 5000, 'a fix after the flood');
      expect(r.fix.time).toBe(T0);
      expect(gps.health().lastError).toBeNull();
    } finally {
      await gps.stop();
    }
  });

  it("takes no fix dated 19.6 years back (a receiver's week-rollover bug) and says to update its firmware", async () => {
    const { receiver, tty } = await serialLine();
    // 1024 weeks before T0 (2 December 2026): 18 April 2007, as a receiver with the bug reports it.
    const rolledBack = T0 - 1024 * 7 * 86_400_000;
    expect(new Date(rolledBack).toISOString().slice(0, 10)).toBe('2007-04-18');
    const burst = nmeaBurst(straightDrive(rolledBack, 1)[0]!).join('\r\n') + '\r\n';
    const gps = new SerialNmeaSource({ path: tty, baud: 9600, maxFixAgeMs: 3000, log: silentLogger() });
    await gps.start();
    try {
      await waitFor(() => gps.health().connected, 5000, 'port open');
      sendEvery(receiver, () => burst);
      const h = await waitFor(
        () => (gps.health().lastError ? gps.health() : null),
        5000,
        'the rollover named in health',
      );
      const told =
        'GPS fix dated 2007-04-18, before 2020, not used: the receiver has the GPS week-rollover bug (its dates are 1024 weeks, 19.6 years, back); update its firmware or replace it';
      expect(h).toMatchObject({ connected: true, fixes: 0, fixAgeMs: null, lastError: told });
      // A read is not tagged with it, and the clock is not checked against it.
      expect(gps.fixAt(Date.now())).toBeNull();
      expect(gps.lastKnownAt(Date.now())).toBeNull();
      expect(h.clock).toMatchObject({ status: 'unknown', samples: 0 });
      expect(problems({ unitId: 'car-1', uptimeS: 1, cameras: [], gps: h })).toContain(
        `GPS has no fix: ${told}`,
      );
      // After the firmware update: the same receiver's fixes are taken, and the error is over.
      for (const t of timers.splice(0)) clearInterval(t);
      await fs.promises.appendFile(receiver, nmeaBurst(straightDrive(T0, 1)[0]!).join('\r\n') + '\r\n');
      const r = await waitFor(() => gps.fixAt(Date.now()), 5000, 'a fix dated 2026');
      expect(r.fix.time).toBe(T0);
      expect(gps.health().lastError).toBeNull();
    } finally {
      await gps.stop();
    }
  });

  it('fails selftest on a week-rollover date, naming it, instead of passing with it', async () => {
    const { receiver, tty } = await serialLine();
    const burst = nmeaBurst(straightDrive(T0 - 1024 * 7 * 86_400_000, 1)[0]!).join('\r\n') + '\r\n';
    sendEvery(receiver, () => burst);
    const { result, fix } = await selftestGps(tty, 2);
    expect(fix).toBeNull();
    expect(result).toMatchObject({ check: 'gps', status: 'fail' });
    expect(result.detail).toMatch(
      /^serial \S+ connected but no fix in 2 s: GPS fix dated 2007-04-18, before 2020, not used: the receiver has the GPS week-rollover bug .*update its firmware/,
    );
  });

  it('forgets "No such file" once the receiver is plugged in and the port opens', async () => {
    const tty = path.join(dir, 'ttyLATE');
    const receiver = path.join(dir, 'receiverLATE');
    const gps = new SerialNmeaSource({
      path: tty,
      baud: 9600,
      maxFixAgeMs: 3000,
      log: silentLogger(),
      backoff: new Backoff(100, 400),
    });
    await gps.start();
    try {
      await waitFor(() => /No such file/.test(gps.health().lastError ?? ''), 5000, 'the open to fail');
      children.push(await ptyPair(receiver, tty));
      await waitFor(() => gps.health().connected, 5000, 'port open');
      expect(gps.health()).toMatchObject({ connected: true, lastError: null });
    } finally {
      await gps.stop();
    }
  });
});
