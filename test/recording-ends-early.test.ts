import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { openRecording } from '../src/capture/file-source.js';
import { embeddedDefaults } from '../src/config/defaults.js';
import { Daemon } from '../src/daemon.js';
import { runCli } from './helpers/cli.js';
import { recordingLogger } from './helpers/logger.js';
import { freePort, waitFor } from './helpers/proc.js';
import { tempDir } from './helpers/tmp.js';

// A recording cut off part-way (a dashcam losing power mid-write, a copy that did not finish):
// ffmpeg decodes up to the cut, says "partial file" and exits 0, as if the file were whole. Its
// frames stand, but whoever replays it must hear that the rest is missing.
const dir = tempDir();
let daemon: Daemon | undefined;
afterAll(async () => {
  await daemon?.stop();
});

/** 30 frames (3 s at 10 frames/s) of a test pattern, cut to the first half of its bytes. */
function cutInHalf(name: string, out: string[] = []): string {
  const whole = path.join(dir, `whole-${name}`);
  execFileSync('ffmpeg', [
    ...[
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=160x120:rate=10:duration=3',
    ],
    ...['-c:v', 'libx264', '-pix_fmt', 'yuv420p', ...out, whole],
  ]);
  const file = path.join(dir, name);
  const bytes = fs.readFileSync(whole);
  fs.writeFileSync(file, bytes.subarray(0, bytes.length / 2));
  return file;
}

/** An MP4 with its index first, as phones write it: the header still counts all 30 frames. */
const mp4 = cutInHalf('cut.mp4', ['-movflags', '+faststart']);

async function endOf(file: string) {
  const source = await openRecording({ id: 'front', path: file, realtime: false, everyFrame: true });
  for await (const frame of source.frames()) void frame;
  return source.stats();
}

describe('a recording that ends early', () => {
  it('says so, with the frames its header promised, where ffmpeg only exits 0', async () => {
    const stats = await endOf(mp4);
    expect(stats.decoded).toBeGreaterThan(5);
    expect(stats.decoded).toBeLessThan(30);
    expect(stats.endedEarly).toMatch(
      new RegExp(`^${stats.decoded} of 30 frames \\(ffmpeg: stream 0, offset 0x[0-9a-f]+: partial file\\)$`),
    );
  });

  it('says so for a Matroska file, whose header counts no frames', async () => {
    const stats = await endOf(cutInHalf('cut.mkv'));
    expect(stats.endedEarly).toBe(`${stats.decoded} frames (ffmpeg: File ended prematurely)`);
  });

  it('says nothing of a whole recording', async () => {
    const stats = await endOf(path.join(dir, 'whole-cut.mp4'));
    expect(stats).toMatchObject({ decoded: 30, errors: 0 });
    expect(stats.endedEarly).toBeUndefined();
  });

  it('fails a replay after its reads and summary, which carries the warning', async () => {
    const r = await runCli([
      'replay',
      mp4,
      '--every-frame',
      '--json',
      '--data-dir',
      path.join(dir, 'd-replay'),
    ]);
    const lines = r.stderr.trim().split('\n');
    const summary = JSON.parse(lines.at(-2)!) as { frames: number; warning: string };
    expect(summary.warning).toMatch(
      new RegExp(
        `^recording ends early after ${summary.frames} of 30 frames \\(ffmpeg: stream 0, offset 0x[0-9a-f]+: partial file\\)$`,
      ),
    );
    expect(lines.at(-1)).toBe(
      `lpr-edge: replay: ${mp4}: ${summary.warning}; the reads are only of the frames before the cut`,
    );
    expect(r.code).toBe(1);
  }, 120_000);

  it("is logged as a warning by the daemon's file camera", async () => {
    const { log, records } = recordingLogger();
    const config = path.join(dir, 'config.yaml');
    fs.writeFileSync(
      config,
      stringify({
        unitId: 'car-7',
        agency: 'nyspd',
        dataDir: path.join(dir, 'd-daemon'),
        vision: embeddedDefaults().vision,
        cameras: [{ id: 'front', kind: 'file', path: mp4 }],
        console: { port: await freePort() },
        health: { port: await freePort() },
      }),
    );
    daemon = await Daemon.start({ configPath: config, log });
    const ended = () => records.find((r) => r.msg.startsWith('recording ended'));
    await waitFor(ended, 120_000, 'the recording to end');
    expect(ended()).toMatchObject({
      level: 40,
      msg: 'recording ended early',
      camera: 'front',
      endedEarly: expect.stringMatching(/^\d+ of 30 frames \(ffmpeg: .*partial file\)$/),
    });
  }, 180_000);
});
