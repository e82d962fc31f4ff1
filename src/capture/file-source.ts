import { statSync } from 'node:fs';
import { FfmpegReader } from './ffmpeg-reader.js';
import { probeVideo } from './probe.js';
import { SourceError, type FrameSource } from './types.js';
import { inputFileProblem } from '../util/input-file.js';

export interface RecordingOptions {
  id: string;
  path: string;
  /** Pace frames at the recording's own rate, as a live camera would deliver them. */
  realtime: boolean;
  everyFrame: boolean;
  /** Overrides the frame rate from the file header (for a frame that carries no presentation time). */
  fps?: number;
  /** UTC ms of the recording's first frame; default: the file's creation_time tag, else now. */
  startTime?: number;
  /** Replay the file again when it ends. */
  loop?: boolean;
}

/**
 * A recorded video as a camera. Frame timestamps are the recording's start plus each frame's own
 * presentation time (not its index over a nominal frame rate: phones record at a variable rate),
 * so reads and GPS tracks from the same drive line up.
 */
export async function openRecording(opts: RecordingOptions): Promise<FrameSource> {
  // ffprobe and ffmpeg would wait forever on a named pipe nobody writes to.
  const problem = inputFileProblem(opts.path);
  if (problem) throw new SourceError(`${opts.path}: ${problem.message}`, opts.path);
  // ffprobe would only say "Invalid data found when processing input".
  if (statSync(opts.path).size === 0)
    throw new SourceError(`${opts.path}: the file is empty (0 bytes); not a video`, opts.path);
  const info = await probeVideo(opts.path);
  // Below this no plate fits, and a 1-pixel side rounds to an empty frame the reader cannot step over.
  if (info.width < MIN_SIDE || info.height < MIN_SIDE) {
    throw new SourceError(
      `${opts.path}: the video is ${info.width}x${info.height}, too small to hold a plate (at least ${MIN_SIDE}x${MIN_SIDE})`,
      opts.path,
    );
  }
  const fps = opts.fps ?? info.fps ?? 25;
  const start = opts.startTime ?? info.createdAt ?? Date.now();
  // A creation time is the file's start, which its video may follow by a second or two.
  const fromFileStart = opts.startTime === undefined && info.createdAt !== null;
  return new FfmpegReader({
    id: opts.id,
    label: opts.path,
    inputArgs: [
      ...(opts.realtime ? ['-re'] : []),
      ...(opts.loop ? ['-stream_loop', '-1'] : []),
      '-i',
      opts.path,
    ],
    // The stream probed, not ffmpeg's own pick (a default-marked stream, else the largest): in a
    // file with two video streams the other's frames would be squeezed into this one's size.
    stream: '0:v:0',
    width: even(info.width),
    height: even(info.height),
    // A looping recording's frames outnumber its header's count: not compared with it.
    timeline: { start, fps, fromFileStart, frames: opts.loop ? null : info.frames },
    everyFrame: opts.everyFrame,
    // Looping, ffmpeg goes round forever once nothing in the file decodes (it is empty or was cut
    // short after it was opened) and never ends: a recording that gives no frame for this long has
    // failed. A frame is due every 1/fps (also under -re); a late-starting video waits a little more.
    ...(opts.loop ? { stallMs: Math.max(LOOP_STALL_MS, 3000 / fps) } : {}),
  });
}

/** How long a looping recording may give no frame before it counts as failed. */
export const LOOP_STALL_MS = 15_000;

const MIN_SIDE = 16;

function even(n: number): number {
  return n - (n % 2);
}
