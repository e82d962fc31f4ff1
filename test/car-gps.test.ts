import { describe, it, expect, afterEach } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { nmeaSentence, parseSentence, NmeaFixBuilder, parseCoordinate } from '../src/gps/nmea.js';
import { GpsdSource } from '../src/gps/gpsd.js';
import { SerialNmeaSource } from '../src/gps/serial.js';
import { parseTrack, TrackPositionSource, loadTrack } from '../src/gps/track.js';
import { Backoff } from '../src/capture/backoff.js';
import { gpsSchema } from '../src/gps/config.js';
import { silentLogger } from '../src/log.js';
import { nmeaLog, nmeaBurst, straightDrive } from './helpers/nmea-track.js';
import { freePort, waitFor, killChild, ptyPair, spawn, portOpen } from './helpers/proc.js';

const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lpr-gps-'));
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) await killChild(c);
});

describe('NMEA parsing', () => {
  it('verifies checksums and rejects corrupted sentences', () => {
    const good = nmeaSentence('GPGGA,120000.00,4239.1560,N,07345.3720,W,1,09,0.9,85.0,M,-34.0,M,,');
    expect(parseSentence(good).ok).toBe(true);
    // One digit of the latitude flipped in transit: the checksum no longer matches.
    const corrupted = good.replace('4239.1560', '4239.1860');
    expect(parseSentence(corrupted)).toMatchObject({ ok: false, reason: 'bad-checksum' });
    expect(parseSentence('$GPGGA,120000.00,4239.1560,N')).toMatchObject({ ok: false, reason: 'no-checksum' });
  });

  it('turns a receiver burst into a fix with mode, HDOP, satellites, speed and heading', () => {
    const b = new NmeaFixBuilder();
    const [p] = straightDrive(T0, 1);
    const out = nmeaBurst(p!, { sats: 7, hdop: 1.4 }).map((l) => b.push(l));
    const fix = out.find((r) => r && r !== 'nofix');
    expect(fix).toMatchObject({ time: T0, mode: 3, satellites: 7, hdop: 1.4 });
    if (!fix || fix === 'nofix') throw new Error('no fix');
    expect(fix.lat).toBeCloseTo(42.6526, 5);
    expect(fix.lon).toBeCloseTo(-73.7562, 5);
    expect(fix.speedMps).toBeCloseTo(12.5, 1);
    expect(fix.headingDeg).toBeCloseTo(38.5, 1);
    expect(parseCoordinate('03345.3720', 'E', 3)).toBeCloseTo(33.7562, 4);
  });

  it('dates the first GGA after midnight, which has no date, on the new day', () => {
    const b = new NmeaFixBuilder();
    const midnight = Date.UTC(2026, 11, 31, 24);
    const drive = straightDrive(midnight - 2000, 4); // 23:59:58 to 00:00:01, GGA before RMC
    const times = drive
      .flatMap((p) => nmeaBurst(p).map((l) => b.push(l)))
      .flatMap((r) => (r && r !== 'nofix' ? [r.time] : []));
    expect(times).toEqual(drive.map((p) => p.time));
  });

  it('reports "no fix" when the receiver says its data is void', () => {
    const b = new NmeaFixBuilder();
    expect(b.push(nmeaSentence('GPRMC,120000.00,V,,,,,,,281126,,,N'))).toBe('nofix');
    expect(b.push(nmeaSentence('GPGGA,120000.00,,,,,0,00,99.9,,,,,,'))).toBe('nofix');
  });
});

describe('recorded track (replay)', () => {
  it('aligns the track with the video using the offset and flags gaps', () => {
    const pts = straightDrive(T0, 20);
    // A 6-second gap in the log (receiver lost the sky under a bridge).
    const text = nmeaLog(pts.filter((_, i) => i < 8 || i >= 14));
    const track = parseTrack(text + '$GPRMC,bad*7F\r\n');
    expect(track.fixes).toHaveLength(14);
    expect(track.rejected).toBe(1);
    const videoStart = 1_000_000;
    const src = new TrackPositionSource(track, videoStart, 2000, 3000);
    // Frame 1.5 s into the video = 3.5 s into the track → the fix of second 3, 500 ms old.
    const r = src.fixAt(videoStart + 1500);
    expect(r?.fix.time).toBe(T0 + 3000);
    expect(r?.ageMs).toBe(500);
    // 10 s into the track falls in the gap (last fix at 7 s is 3.x s old): no position.
    expect(src.fixAt(videoStart + 8200)).toBeNull();
    expect(src.fixAt(videoStart + 12_000)?.fix.time).toBe(T0 + 14_000);
    // Before the track starts: nothing.
    expect(new TrackPositionSource(track, videoStart, -5000).fixAt(videoStart)).toBeNull();
  });

  it('refuses a file without fixes with a clear error', () => {
    const f = path.join(tmp, 'empty.nmea');
    fs.writeFileSync(f, 'hello\n');
    expect(() => loadTrack(f)).toThrow(/no valid fix found.*NMEA 0183/);
  });
});

describe('gps config', () => {
  it('defaults gpsd to localhost:2947 and rejects unknown sources', () => {
    expect(gpsSchema.parse({ source: 'gpsd' })).toMatchObject({
      host: '127.0.0.1',
      port: 2947,
      maxFixAgeMs: 5000,
    });
    expect(gpsSchema.safeParse({ source: 'usb' }).success).toBe(false);
    expect(gpsSchema.safeParse({ source: 'serial' }).success).toBe(false);
  });
});

function startGpsfake(port: number, logFile: string): ChildProcess {
  // -n: start without waiting for a client; -c 0.1: 0.1 s between sentences; loops over the log.
  const c = spawn('gpsfake', ['-P', String(port), '-n', '-c', '0.1', '-q', logFile], { stdio: 'ignore' });
  children.push(c);
  return c;
}

describe('gpsd client against gpsfake', () => {
  it('gets fixes with satellites and HDOP, loses them when gpsd goes away and recovers', async () => {
    const log = path.join(tmp, 'drive.nmea');
    fs.writeFileSync(log, nmeaLog(straightDrive(T0, 30), { sats: 8, hdop: 1.2 }));
    const port = await freePort();
    let fake = startGpsfake(port, log);
    const gps = new GpsdSource({
      host: '127.0.0.1',
      port,
      maxFixAgeMs: 3000,
      log: silentLogger(),
      backoff: new Backoff(100, 400),
    });
    await gps.start();
    try {
      // gpsd's very first report has no speed yet (it derives it from consecutive fixes).
      const first = await waitFor(
        () => {
          const r = gps.fixAt(Date.now());
          return r?.fix.speedMps !== undefined ? r : null;
        },
        20_000,
        'a fix with speed from gpsd',
      );
      expect(first.fix.mode).toBe(3);
      expect(first.fix.lat).toBeGreaterThan(42.65);
      expect(first.fix.lat).toBeLessThan(42.656);
      expect(first.fix.lon).toBeLessThan(-73.752);
      expect(first.fix.speedMps).toBeCloseTo(12.5, 0);
      await waitFor(
        () => gps.health().satellites === 8 && gps.health().hdop === 1.2,
        10_000,
        'SKY report ' + JSON.stringify(gps.health()),
      );

      await killChild(fake);
      await waitFor(() => !gps.health().connected, 5000, 'disconnect');
      expect(gps.fixAt(Date.now())).toBeNull();
      expect(gps.health().lost).toBeGreaterThanOrEqual(1);

      await waitFor(async () => !(await portOpen(port)), 5000, 'gpsd to release the port');
      fake = startGpsfake(port, log);
      await waitFor(() => gps.fixAt(Date.now()), 20_000, 'fix after gpsd came back');
      expect(gps.health().connected).toBe(true);
    } finally {
      await gps.stop();
    }
  });
});

describe('serial NMEA through a socat pseudo-terminal pair', () => {
  it('reads fixes, ignores sentences with bad checksums, and reopens the port after it vanished', async () => {
    const receiver = path.join(tmp, 'receiver');
    const unit = path.join(tmp, 'ttyGPS0');
    let pair = await ptyPair(receiver, unit);
    children.push(pair);
    const gps = new SerialNmeaSource({
      path: unit,
      baud: 9600,
      maxFixAgeMs: 3000,
      log: silentLogger(),
      backoff: new Backoff(100, 400),
    });
    await gps.start();
    const pts = straightDrive(T0, 5);
    const write = (lines: string[]) => fs.appendFileSync(receiver, lines.join('\r\n') + '\r\n');
    try {
      await waitFor(() => gps.health().connected, 5000, 'port open');
      // A corrupted burst that would put the car 0.3° away must be ignored.
      const corrupt = nmeaBurst(pts[0]!).map((l) => l.replace('4239.15', '4259.15'));
      write(corrupt);
      write(nmeaBurst(pts[1]!, { sats: 6, hdop: 2.1 }));
      const r = await waitFor(() => gps.fixAt(Date.now()), 5000, 'fix over serial');
      expect(r.fix.lat).toBeCloseTo(42.6527, 4);
      expect(r.fix).toMatchObject({ satellites: 6, hdop: 2.1, mode: 3, time: T0 + 1000 });
      expect(gps.health().rejectedSentences).toBeGreaterThanOrEqual(2);

      // The receiver is unplugged: the port goes away, the fix is forgotten.
      await killChild(pair);
      await waitFor(() => !gps.health().connected, 5000, 'port closed');
      expect(gps.fixAt(Date.now())).toBeNull();

      pair = await ptyPair(receiver, unit);
      children.push(pair);
      await waitFor(() => gps.health().connected, 10_000, 'port reopened');
      write(nmeaBurst(pts[3]!));
      const again = await waitFor(() => gps.fixAt(Date.now()), 5000, 'fix after reconnect');
      expect(again.fix.time).toBe(T0 + 3000);
    } finally {
      await gps.stop();
    }
  });

  it('stops at once when stopped while the port is still opening (a start that fails halfway)', async () => {
    const unit = path.join(tmp, 'ttyGPS2');
    children.push(await ptyPair(path.join(tmp, 'receiver2'), unit));
    for (let i = 0; i < 5; i++) {
      const gps = new SerialNmeaSource({ path: unit, baud: 9600, maxFixAgeMs: 3000, log: silentLogger() });
      await gps.start();
      const stopped = gps.stop().then(() => 'stopped');
      const hung = new Promise((r) => setTimeout(() => r('still stopping after 3 s'), 3000));
      expect(await Promise.race([stopped, hung])).toBe('stopped');
      expect(gps.health().connected).toBe(false);
    }
  });
});
