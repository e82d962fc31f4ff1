import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DATASET, runCli } from './helpers/cli.js';
import { nmeaBurst, straightDrive } from './helpers/nmea-track.js';
import { tempDir } from './helpers/tmp.js';
import { openStore } from './helpers/unit.js';

// With --gps a replay's reads carry the recorded drive's times, and every stored read goes to HQ.
// An engineer re-running a field test into the same data folder used to store every read of the
// drive a second time (HQ got each sighting twice) with only a warning after the fact. A replay
// over a stretch of the drive this data folder already holds reads of, for the same camera, is
// now refused before anything is stored, unless --again asks for it.
const dir = tempDir('replay-again-');
const video = path.join(dir, 'car.mp4');
// The dashcam's next file of the drive: the same car, encoded apart (another recording's content).
const nextVideo = path.join(dir, 'car-next.mp4');
const track = path.join(dir, 'drive.nmea');
const T0 = Date.UTC(2026, 11, 2, 12, 0, 0);

beforeAll(() => {
  // Two seconds of one car (plate EMR7094), frames at 0, 0.2 … 1.8 s.
  for (const [out, crf] of [
    [video, '12'],
    [nextVideo, '14'],
  ])
    execFileSync('ffmpeg', [
      ...['-loglevel', 'error', '-y', '-loop', '1', '-framerate', '5', '-t', '2'],
      ...['-i', path.join(DATASET, 'endtoend-us', 'car13.jpg')],
      ...['-vf', 'scale=800:600,format=yuv420p', '-c:v', 'libx264', '-crf', crf!, out!],
    ]);
  const lines = straightDrive(T0, 30).flatMap((p) => nmeaBurst(p));
  fs.writeFileSync(track, lines.join('\r\n') + '\r\n');
});

async function replay(data: string, args: string[] = [], recording = video) {
  return runCli(['replay', recording, '--every-frame', '--gps', track, '--data-dir', data, ...args]);
}

function storedPlates(data: string): string[] {
  const { db, reads } = openStore(data);
  try {
    return reads.list().map((r) => r.plate);
  } finally {
    db.close();
  }
}

describe('replaying one drive twice into one data folder', { timeout: 180_000 }, () => {
  const data = path.join(dir, 'unit');

  it('refuses the second replay before storing anything, naming what it holds and both ways on', async () => {
    const first = await replay(data);
    expect(first.code, first.stderr).toBe(0);
    expect(storedPlates(data)).toEqual(['EMR7094']);
    const second = await replay(data);
    expect(second.code).toBe(2);
    expect(second.stderr.trim()).toBe(
      `lpr-edge: replay: ${data} already holds 1 read(s) of camera "replay" from this recording's stretch of the drive (2026-12-02T12:00:00.000Z to 2026-12-02T12:00:02.000Z), an earlier replay of it: replaying it again would store its reads twice (and send them to HQ twice). Replay into a fresh --data-dir, or give --again to store them a second time`,
    );
    expect(storedPlates(data)).toEqual(['EMR7094']);
  });

  it('replays another stretch of the same drive (the next recording of a dashcam) into the same folder', async () => {
    const next = await replay(data, ['--gps-offset', '10'], nextVideo);
    expect(next.code, next.stderr).toBe(0);
    expect(storedPlates(data)).toEqual(['EMR7094', 'EMR7094']);
  });

  it('--again stores the reads a second time, and says so', async () => {
    const again = await replay(data, ['--again']);
    expect(again.code, again.stderr).toBe(0);
    expect(storedPlates(data)).toHaveLength(3);
    expect(again.stderr).toMatch(/its reads are now stored twice/);
  });

  it('refuses the same recording at another offset: it is the same footage, whatever its times', async () => {
    const r = await replay(data, ['--gps-offset', '20']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /already holds the 2 read\(s\) of 2 earlier replays of this recording \(car\.mp4, last replayed /,
    );
  });
});
