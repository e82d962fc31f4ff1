import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DATASET, runCli } from './helpers/cli.js';
import { nmeaBurst, straightDrive } from './helpers/nmea-track.js';
import { tempDir } from './helpers/tmp.js';
import { openStore } from './helpers/unit.js';

// Without --gps a replay's reads are stamped with the time of the replay, so the stretch check of
// replay --gps cannot find an earlier replay: replaying one recording twice into one data folder
// stored (and sent to HQ) every read twice, without a word. The data folder now remembers which
// recordings it replayed, by their content (not their path), and refuses one again unless --again.
const dir = tempDir('replay-again-no-gps-');
const video = path.join(dir, 'car.mp4');
const copy = path.join(dir, 'renamed', 'same-drive.mp4');
const other = path.join(dir, 'other.mp4');
const track = path.join(dir, 'drive.nmea');

/** Two seconds of one car (plate EMR7094) at 5 frames/s; `crf` makes another recording of it. */
function encode(out: string, crf: number): void {
  execFileSync('ffmpeg', [
    ...['-loglevel', 'error', '-y', '-loop', '1', '-framerate', '5', '-t', '2'],
    ...['-i', path.join(DATASET, 'endtoend-us', 'car13.jpg')],
    ...['-vf', 'scale=800:600,format=yuv420p', '-c:v', 'libx264', '-crf', String(crf), out],
  ]);
}

beforeAll(() => {
  encode(video, 12);
  encode(other, 14);
  fs.mkdirSync(path.dirname(copy));
  fs.copyFileSync(video, copy);
  const lines = straightDrive(Date.UTC(2026, 11, 2, 12, 0, 0), 30).flatMap((p) => nmeaBurst(p));
  fs.writeFileSync(track, lines.join('\r\n') + '\r\n');
});

function storedPlates(data: string): string[] {
  const { db, reads } = openStore(data);
  try {
    return reads.list().map((r) => r.plate);
  } finally {
    db.close();
  }
}

describe('replaying one recording twice into one data folder, without --gps', { timeout: 240_000 }, () => {
  const data = path.join(dir, 'unit');
  const replay = (file: string, args: string[] = []) =>
    runCli(['replay', file, '--every-frame', '--data-dir', data, ...args]);

  it('refuses the same recording again, under another name, before storing anything', async () => {
    const first = await replay(video);
    expect(first.code, first.stderr).toBe(0);
    expect(storedPlates(data)).toEqual(['EMR7094']);
    const second = await replay(copy, ['--camera', 'front']);
    expect(second.code).toBe(2);
    const lines = second.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(
        `^lpr-edge: replay: ${data} already holds the 1 read\\(s\\) of an earlier replay of this recording \\(${path.basename(video)}, replayed \\d{4}-\\d\\d-\\d\\dT\\S+Z as camera "replay"\\): replaying it again would store its reads twice \\(and send them to HQ twice\\)\\. Replay into a fresh --data-dir, or give --again to store them a second time$`,
      ),
    );
    expect(storedPlates(data)).toEqual(['EMR7094']);
  });

  it('refuses it with --gps too: the earlier reads carry the time of that replay, not the drive', async () => {
    const r = await replay(copy, ['--gps', track]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/already holds the 1 read\(s\) of an earlier replay of this recording/);
    expect(storedPlates(data)).toEqual(['EMR7094']);
  });

  it('replays another recording into the same folder', async () => {
    const r = await replay(other);
    expect(r.code, r.stderr).toBe(0);
    expect(storedPlates(data)).toEqual(['EMR7094', 'EMR7094']);
  });

  it('--again stores the reads a second time', async () => {
    const r = await replay(copy, ['--again']);
    expect(r.code, r.stderr).toBe(0);
    expect(storedPlates(data)).toHaveLength(3);
  });
});
