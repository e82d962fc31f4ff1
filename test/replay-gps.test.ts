import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { embeddedDefaults } from '../src/config/defaults.js';
import { nmeaSentence } from '../src/gps/nmea.js';
import { DATASET, jsonLines, runCli } from './helpers/cli.js';
import { nmeaBurst, straightDrive } from './helpers/nmea-track.js';
import { tempDir } from './helpers/tmp.js';
import { openStore } from './helpers/unit.js';

// What a replay makes of a recorded track with bad fixes in it, or that does not cover the video:
// real NMEA files, a two-second ffmpeg video of one car (plate EMR7094), the whole pipeline.
const dir = tempDir('replay-gps-');
const video = path.join(dir, 'car.mp4');
const T0 = Date.UTC(2026, 11, 2, 12, 0, 0);
/** 0.001° of latitude a second: a read's position tells which second's fix it got. */
const drive = straightDrive(T0, 30, 42.6526, -73.7562, 0.001);
const latOf = (second: number) => 42.6526 + second * 0.001;

beforeAll(() => {
  // Frames at 0, 0.2 … 1.8 s of the video.
  execFileSync('ffmpeg', [
    ...['-loglevel', 'error', '-y', '-loop', '1', '-framerate', '5', '-t', '2'],
    ...['-i', path.join(DATASET, 'endtoend-us', 'car13.jpg')],
    ...['-vf', 'scale=800:600,format=yuv420p', '-c:v', 'libx264', '-crf', '12', video],
  ]);
});

/** A receiver's sentence with some fields changed, checksum made right again (it passes). */
function edit(sentence: string, fields: Record<number, string>): string {
  const parts = sentence.slice(1, sentence.lastIndexOf('*')).split(',');
  for (const [i, v] of Object.entries(fields)) parts[Number(i)] = v;
  return nmeaSentence(parts.join(','));
}

/** An NMEA log of `drive`, each second's burst (GGA … RMC) changed by `change` where it says. */
function writeTrack(name: string, change: (second: number, line: string) => string = (_, l) => l): string {
  const file = path.join(dir, name);
  const lines = drive.flatMap((p, second) => nmeaBurst(p).map((line) => change(second, line)));
  fs.writeFileSync(file, lines.join('\r\n') + '\r\n');
  return file;
}

async function replay(name: string, args: string[]) {
  const data = path.join(dir, name);
  const r = await runCli(['replay', video, '--every-frame', '--json', '--data-dir', data, ...args]);
  const stored = () => {
    const { db, reads } = openStore(data);
    try {
      return reads.list();
    } finally {
      db.close();
    }
  };
  return { ...r, stored };
}

describe('replay --gps with bad fixes in the track', { timeout: 120_000 }, () => {
  it('rejects positions that are no place on Earth instead of storing them with the reads', async () => {
    // Seconds 2 to 4 have latitude 91°30' (with right checksums), the video's seconds with offset 2.
    const track = writeTrack('badlat.nmea', (s, line) =>
      s >= 2 && s <= 4 && /^\$GP(GGA|RMC)/.test(line)
        ? edit(line, line.startsWith('$GPGGA') ? { 2: '9130.0000' } : { 3: '9130.0000' })
        : line,
    );
    const r = await replay('badlat', ['--gps', track, '--gps-offset', '2']);
    expect(r.code, r.stderr).toBe(0);
    const [read] = r.stored();
    expect(read?.plate).toBe('EMR7094');
    // The last good fix, second 1's, 1 to 2.8 s old.
    expect(read!.gps!.lat).toBeCloseTo(latOf(1), 6);
    expect(read!.gpsFixAgeMs).toBeGreaterThanOrEqual(1000);
    expect(r.stderr).toMatch(
      /warning: GPS track \S*badlat\.nmea: not used: 6 sentence\(s\) rejected \(the last: RMC with latitude "9130\.0000,N", which is no place on Earth\)/,
    );
  });

  it('drops a week-rollover date and a fix out of sequence instead of moving the whole replay to them', async () => {
    // Second 10's RMC is dated 2007 (1024 weeks back), second 20's ten days on. Each second's fix
    // is emitted on its RMC, the last of its burst; the next second's RMC dates the next fix again.
    const track = writeTrack('rollover.nmea', (s, line) =>
      line.startsWith('$GPRMC') && (s === 10 || s === 20)
        ? edit(line, { 9: s === 10 ? '170507' : '121226' })
        : line,
    );
    const r = await replay('rollover', ['--gps', track]);
    expect(r.code, r.stderr).toBe(0);
    const [line] = jsonLines(r.stdout);
    // The video starts at the track's first fix, 2026-12-02 12:00:00.
    expect(line!.firstSeen).toMatch(/^2026-12-02T12:00:0/);
    expect(Date.parse(line!.firstSeen as string) - T0).toBeGreaterThanOrEqual(0);
    expect(Date.parse(line!.lastSeen as string) - T0).toBeLessThanOrEqual(1800);
    const [read] = r.stored();
    expect(read!.ts - T0).toBeLessThanOrEqual(1800);
    expect(read!.gps!.lat).toBeLessThanOrEqual(latOf(1) + 1e-9);
    expect(r.stderr).toMatch(
      /not used: 1 fix\(es\) dated before 2020 \(a receiver's GPS week-rollover date\); 1 fix\(es\) far out of sequence with their neighbours in the file/,
    );
  });
});

describe('replay --gps with a video outside the track', { timeout: 120_000 }, () => {
  const track = () => writeTrack('ok.nmea');

  it('refuses at once a video that starts after the track has ended, storing nothing', async () => {
    const r = await replay('after', ['--gps', track(), '--gps-offset', '3600']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      'lpr-edge: replay: with --gps-offset 3600 the video starts at 2026-12-02T13:00:00.000Z, after the GPS track ends (2026-12-02T12:00:00.000Z to 2026-12-02T12:00:29.000Z): no read could have a position; check --gps-offset',
    );
    expect(r.stored()).toEqual([]);
  });

  it('fails a replay none of whose frames falls within the track, naming both time spans', async () => {
    const r = await replay('before', ['--gps', track(), '--gps-offset=-3600']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n').at(-1)).toBe(
      'lpr-edge: replay: no frame of the video falls within the GPS track (the video runs from 2026-12-02T11:00:00.000Z to 2026-12-02T11:00:01.800Z, the GPS track from 2026-12-02T12:00:00.000Z to 2026-12-02T12:00:29.000Z): every read was stored without a position; check --gps-offset',
    );
    expect(r.stored().map((read) => [read.plate, read.gps, read.flags])).toEqual([
      ['EMR7094', null, ['no-gps-fix']],
    ]);
  });

  it('warns about the frames outside the track when the video only partly overlaps it', async () => {
    const r = await replay('partly', ['--gps', track(), '--gps-offset=-1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /lpr-edge: warning: 5 of 10 frames fall outside the GPS track \(the video runs from 2026-12-02T11:59:59\.000Z to 2026-12-02T12:00:00\.800Z, the GPS track from 2026-12-02T12:00:00\.000Z to 2026-12-02T12:00:29\.000Z\): their reads have no position; check --gps-offset/,
    );
  });
});

// Without --again the second replay is refused before storing anything (replay-again.test.ts).
describe('replay --gps --again of one drive twice into one data dir', { timeout: 120_000 }, () => {
  it('warns that the reads are now stored twice, at the same recorded times', async () => {
    const track = writeTrack('twice.nmea');
    const first = await replay('twice', ['--gps', track, '--gps-offset', '5']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).not.toMatch(/stored twice/);
    const second = await replay('twice', ['--gps', track, '--gps-offset', '5', '--again']);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(
      /lpr-edge: warning: \S+twice already held 1 read\(s\) of camera "replay" from this drive's time \(2026-12-02T12:00:05\.000Z to 2026-12-02T12:00:06\.800Z\), an earlier replay of it\?: its reads are now stored twice \(and go to HQ twice\); replay each run into its own --data-dir/,
    );
    expect(second.stored().map((r) => [r.plate, r.ts])).toEqual([
      ['EMR7094', first.stored()[0]!.ts],
      ['EMR7094', first.stored()[0]!.ts],
    ]);
  });
});

describe('replay --gps and gps.maxFixAgeMs', { timeout: 120_000 }, () => {
  it('gives no position from a fix older than the config allows, as the daemon would', async () => {
    // Fixes at second 0 and from second 10: the video (offset 2) falls 2 to 3.8 s after the last one.
    const track = path.join(dir, 'gap.nmea');
    const kept = drive.filter((_, second) => second === 0 || second >= 10);
    fs.writeFileSync(track, kept.flatMap((p) => nmeaBurst(p)).join('\r\n') + '\r\n');
    const config = path.join(dir, 'maxage.yaml');
    fs.writeFileSync(
      config,
      stringify({
        unitId: 'car-7',
        agency: 'nyspd',
        dataDir: path.join(dir, 'maxage'),
        vision: embeddedDefaults().vision,
        cameras: [],
        gps: { source: 'gpsd', maxFixAgeMs: 1000 },
      }),
    );
    const r = await runCli([
      'replay',
      video,
      '--every-frame',
      '--config',
      config,
      '--gps',
      track,
      '--gps-offset',
      '2',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const { db, reads } = openStore(path.join(dir, 'maxage'));
    try {
      expect(reads.list().map((read) => [read.plate, read.gps, read.flags])).toEqual([
        ['EMR7094', null, ['no-gps-fix']],
      ]);
    } finally {
      db.close();
    }
  });
});
