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
import { cutCopy, makeTestVideo } from './helpers/video.js';

// A recording cut off part-way (a dashcam losing power mid-write, a copy that did not finish):
// ffmpeg decodes up to the cut, says "partial file" and exits 0, as if the file were whole. Its
// frames stand, but whoever replays it must hear that the rest is missing.
const dir = tempDir();
let daemon: Daemon | undefined;
afterAll(async () => {
  await daemon?.stop();
});

/** 30 frames (3 s at 10 frames/s) of a test pattern in `name`; `args`: more ffmpeg output options. */
function recording(name: string, args: string[] = []): string {
  const file = path.join(dir, name);
  makeTestVideo(file, { frames: 30, fps: 10, size: '160x120', args });
  return file;
}

/** An MP4 with its index first, as phones write it: the header still counts all 30 frames. */
const wholeMp4 = recording('whole-cut.mp4', ['-movflags', '+faststart']);
const mp4 = cutCopy(wholeMp4, path.join(dir, 'cut.mp4'));

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
    const stats = await endOf(cutCopy(recording('whole-cut.mkv'), path.join(dir, 'cut.mkv')));
    expect(stats.endedEarly).toBe(`${stats.decoded} frames (ffmpeg: File ended prematurely)`);
  });

  it('says nothing of a whole recording', async () => {
    const stats = await endOf(wholeMp4);
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

  it('is exit code 1, as "replay --help" says with the other exit codes', async () => {
    const r = await runCli(['replay', '--help']);
    expect(r.code).toBe(0);
    const codes = r.stdout.slice(r.stdout.indexOf('\nExit codes:\n'));
    expect(codes).toMatch(/^\nExit codes:\n {2}0 {4}the recording or folder was replayed to its end\n/);
    expect(codes).toMatch(/\n {2}1 {4}replayed, but incomplete .*: the\s+recording ends early \(cut off/);
    expect(codes).toMatch(/\n {2}2 {4}nothing replayed: /);
    expect(codes).toMatch(/\n {2}130 {2}interrupted \(Ctrl-C, SIGINT\): before the recording started/);
  });

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

// MPEG-TS (DVRs, broadcast captures) is a run of fixed-size packets with no index and no frame
// count: ffmpeg replays a file cut inside a packet to the cut and exits 0 without a word, so only
// the file's size, not a whole number of packets, tells.
describe('an MPEG-TS recording cut inside a packet', () => {
  const wholeTs = recording('whole.ts');
  const ts = cutCopy(wholeTs, path.join(dir, 'cut.ts'));

  it('says so, with where the file ends, where ffmpeg says nothing', async () => {
    const size = fs.statSync(ts).size;
    expect(fs.statSync(wholeTs).size % 188).toBe(0);
    expect(size % 188).not.toBe(0);
    const stats = await endOf(ts);
    expect(stats.decoded).toBeGreaterThan(5);
    expect(stats.decoded).toBeLessThan(30);
    expect(stats.endedEarly).toBe(
      `${stats.decoded} frames (the file ends ${size % 188} bytes into a 188-byte MPEG-TS packet)`,
    );
  });

  it("tells a Blu-ray / AVCHD file's 192-byte packets", async () => {
    const whole = recording('whole.m2ts', ['-f', 'mpegts', '-mpegts_m2ts_mode', '1']);
    expect(fs.statSync(whole).size % 192).toBe(0);
    expect((await endOf(whole)).endedEarly).toBeUndefined();
    const cut = cutCopy(whole, path.join(dir, 'cut.m2ts'), fs.statSync(whole).size - 100);
    const stats = await endOf(cut);
    expect(stats.endedEarly).toBe(
      `${stats.decoded} frames (the file ends 92 bytes into a 192-byte MPEG-TS packet)`,
    );
  });

  it('says nothing of a whole one', async () => {
    const stats = await endOf(wholeTs);
    expect(stats).toMatchObject({ decoded: 30, errors: 0 });
    expect(stats.endedEarly).toBeUndefined();
  });

  it('fails a replay, as a cut MP4 does', async () => {
    const r = await runCli(['replay', ts, '--every-frame', '--json', '--data-dir', path.join(dir, 'd-ts')]);
    const lines = r.stderr.trim().split('\n');
    const summary = JSON.parse(lines.at(-2)!) as { frames: number; warning: string };
    expect(summary.warning).toBe(
      `recording ends early after ${summary.frames} frames (the file ends ${fs.statSync(ts).size % 188} bytes into a 188-byte MPEG-TS packet)`,
    );
    expect(lines.at(-1)).toBe(
      `lpr-edge: replay: ${ts}: ${summary.warning}; the reads are only of the frames before the cut`,
    );
    expect(r.code).toBe(1);
  }, 120_000);
});
