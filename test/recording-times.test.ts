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
