import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openRecording } from '../src/capture/file-source.js';
import { tempDir } from './policy-helpers.js';

// A recording's frames are timed by the presentation times ffmpeg's showinfo filter prints on
// stderr, among ffmpeg's own messages. These recordings are made by ffmpeg here, as cameras make them.
const dir = tempDir();
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const T0 = Date.UTC(2026, 10, 28, 14, 0, 0);

function ffmpeg(args: string[]): void {
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args]);
}

/** The pid of this process's child running `program` with `arg` on its command line. */
function childRunning(program: string, arg: string): number | undefined {
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The parent pid is the field after the (parenthesised, possibly spaced) command name.
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const argv = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (ppid === process.pid && argv[0] === program && argv.includes(arg)) return Number(entry);
    } catch {
      // The process ended while we looked.
    }
  }
  return undefined;
}

describe('a recording whose ffmpeg dies mid-replay', () => {
  it.each([
    // The OOM killer: ffmpeg says nothing.
    ['SIGKILL', 'ffmpeg was killed (SIGKILL)'],
    // An operator: ffmpeg stops, says so at info level ("Exiting normally…") and exits 255.
    ['SIGTERM', 'ffmpeg exited with code 255'],
  ] as const)(
    'by %s: its health says so, not a line of a frame description',
    async (signal, error) => {
      // x264 writes its settings into the stream (an SEI), which showinfo prints as side data on
      // the first frame of every loop, ending with a line that is only its tag.
      const video = path.join(dir, `x264-${signal}.mp4`);
      ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=5:duration=1', '-c:v', 'libx264', video]);
      const source = await openRecording({
        id: 'front',
        path: video,
        realtime: true,
        everyFrame: true,
        startTime: T0,
        loop: true,
      });
      let frames = 0;
      for await (const frame of source.frames()) {
        frames++;
        // Into the second loop.
        if (frame.index === 7) process.kill(childRunning('ffmpeg', video)!, signal);
        expect(frames).toBeLessThan(50);
      }
      // The frames delivered stand; the replay ends, and the camera's health says why.
      expect(frames).toBeGreaterThanOrEqual(8);
      const stats = source.stats();
      expect(stats.errors).toBe(1);
      expect(stats.lastError).toBe(error);
    },
    60_000,
  );
});

describe('a recording whose video starts after the start of the file', () => {
  it('gives its first frame the recording start time, and the rest their real spacing', async () => {
    // Audio from 0 s, video from 2 s: ffmpeg's timeline starts with the audio, as for a cut
    // dashcam segment or a file whose sound was recorded first.
    const video = path.join(dir, 'late-video.mkv');
    ffmpeg([
      ...['-f', 'lavfi', '-i', 'sine=frequency=440:duration=4'],
      ...['-itsoffset', '2', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=5:duration=2'],
      ...['-map', '0:a', '-map', '1:v', '-c:a', 'aac', '-c:v', 'libx264', video],
    ]);
    const source = await openRecording({
      id: 'front',
      path: video,
      realtime: false,
      everyFrame: true,
      startTime: T0,
      loop: true,
    });
    const times: { ts: number; mono: number }[] = [];
    // Two loops of 10 frames, 200 ms apart.
    for await (const f of source.frames()) {
      times.push({ ts: f.ts - T0, mono: f.mono });
      if (times.length === 20) await source.stop();
    }
    expect(times.slice(0, 10).map((t) => t.ts)).toEqual([
      0, 200, 400, 600, 800, 1000, 1200, 1400, 1600, 1800,
    ]);
    expect(times.map((t) => t.mono)).toEqual(times.map((t) => expect.closeTo(t.ts, 0)));
    // The second loop carries on after the first.
    for (let i = 10; i < 20; i++) expect(times[i]!.ts - times[i - 1]!.ts).toBeGreaterThanOrEqual(200);
  }, 60_000);

  it("keeps its video 2 s after the file's creation time, when that is the start it has", async () => {
    // The same file stamped with when recording began (the audio's start): no start is given,
    // as for a daemon camera of kind file, so the creation time is the file's start, not the video's.
    const stamped = path.join(dir, 'late-video-stamped.mkv');
    ffmpeg([
      ...['-i', path.join(dir, 'late-video.mkv'), '-c', 'copy'],
      ...['-metadata', `creation_time=${new Date(T0).toISOString()}`, stamped],
    ]);
    const source = await openRecording({ id: 'front', path: stamped, realtime: false, everyFrame: true });
    const times: number[] = [];
    for await (const f of source.frames()) times.push(f.ts - T0);
    expect(times[0]).toBeGreaterThanOrEqual(1900);
    expect(times[0]).toBeLessThanOrEqual(2100);
    expect(times[9]! - times[0]!).toBe(1800);
  }, 60_000);
});
