import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openRecording } from '../src/capture/file-source.js';
import type { FrameSource } from '../src/capture/types.js';
import { runCli } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';

// Recordings with nothing decodable in them: an empty file, and one cut off after a few KB (a
// dashcam losing power mid-write), made by ffmpeg here. Looping (a daemon camera of kind file
// with loop), ffmpeg goes round such a file forever; every one of them must end with an error.
const dir = tempDir();

function ffmpeg(args: string[]): void {
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args]);
}

const SOURCE = ['-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=5:duration=2', '-c:v', 'libx264'];

/** An empty file. */
function empty(name: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, '');
  return file;
}

/** The first 4 KB of an MP4 with its index first (as phones write): the index, no whole frame. */
function cutMp4(name: string): string {
  const full = path.join(dir, `full-${name}`);
  ffmpeg([...SOURCE, '-movflags', '+faststart', full]);
  const file = path.join(dir, name);
  fs.writeFileSync(file, fs.readFileSync(full).subarray(0, 4096));
  return file;
}

/** Every frame the source gives, or its error; stopped after `limitMs` so a hang fails, not hangs. */
async function drain(
  source: FrameSource,
  limitMs: number,
): Promise<{ frames: number; error: string | null }> {
  const guard = setTimeout(() => void source.stop(), limitMs);
  let frames = 0;
  try {
    for await (const frame of source.frames()) frames += frame.index >= 0 ? 1 : 0;
    return { frames, error: null };
  } catch (err) {
    return { frames, error: (err as Error).message };
  } finally {
    clearTimeout(guard);
  }
}

describe('replay of a recording with nothing decodable', { timeout: 60_000 }, () => {
  it('refuses an empty file up front, in one line', async () => {
    const file = empty('empty.mp4');
    const r = await runCli(['replay', file, '--every-frame', '--data-dir', path.join(dir, 'd-empty')], {
      timeoutMs: 30_000,
    });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`lpr-edge: ${file}: the file is empty (0 bytes); not a video`);
  });

  it('fails a cut-off MP4 saying no frame could be decoded and why', async () => {
    const file = cutMp4('cut.mp4');
    const r = await runCli(['replay', file, '--every-frame', '--data-dir', path.join(dir, 'd-cut')], {
      timeoutMs: 30_000,
    });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(
      new RegExp(
        `^lpr-edge: ${file}: no frame could be decoded \\(ffmpeg: stream 0, offset 0x[0-9a-f]+: partial file\\)$`,
      ),
    );
  });
});

describe('a looping recording with nothing decodable', { timeout: 60_000 }, () => {
  it('refuses an empty file when opened', async () => {
    const file = empty('loop-empty.mp4');
    await expect(
      openRecording({ id: 'front', path: file, realtime: true, everyFrame: false, loop: true }),
    ).rejects.toThrow(`${file}: the file is empty (0 bytes); not a video`);
  });

  it('fails a cut-off MP4 at once, with no frame', async () => {
    const file = cutMp4('loop-cut.mp4');
    const source = await openRecording({
      id: 'front',
      path: file,
      realtime: true,
      everyFrame: false,
      loop: true,
    });
    const result = await drain(source, 30_000);
    expect(result).toEqual({
      frames: 0,
      error: expect.stringMatching(`^${file}: no frame could be decoded \\(`),
    });
    expect(source.stats()).toMatchObject({
      decoded: 0,
      errors: 1,
      lastError: expect.stringMatching(/^no frame could be decoded/),
    });
  });

  it('fails, rather than going round forever, when the file is cut to nothing decodable after it was opened', async () => {
    // A transport stream (what many dashcams write) cut to its first 6 packets once the camera
    // has opened it: ffmpeg keeps seeking back to its start and never ends, nor gives a frame.
    const file = path.join(dir, 'dashcam.ts');
    ffmpeg([...SOURCE, file]);
    const source = await openRecording({
      id: 'front',
      path: file,
      realtime: true,
      everyFrame: false,
      loop: true,
    });
    fs.truncateSync(file, 6 * 188);
    const started = Date.now();
    const result = await drain(source, 40_000);
    expect(result).toEqual({
      frames: 0,
      error: expect.stringMatching(`^${file}: no frame could be decoded in 15 s \\(ffmpeg: .*\\); stopped$`),
    });
    expect(Date.now() - started).toBeLessThan(30_000);
    // The camera's health says why it has no picture.
    expect(source.stats().lastError).toMatch(/^no frame could be decoded in 15 s/);
  });
});
