import { closeSync, openSync, readSync, statSync } from 'node:fs';
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
  const size = checkRecordingFile(opts.path);
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
    timeline: {
      start,
      fps,
      fromFileStart,
      frames: opts.loop ? null : info.frames,
      cut: !opts.loop && info.format?.split(',').includes('mpegts') ? mpegTsCut(opts.path, size) : null,
    },
    everyFrame: opts.everyFrame,
    // Looping, ffmpeg goes round forever once nothing in the file decodes (it is empty or was cut
    // short after it was opened) and never ends: a recording that gives no frame for this long has
    // failed. A frame is due every 1/fps (also under -re); a late-starting video waits a little more.
    ...(opts.loop ? { stallMs: Math.max(LOOP_STALL_MS, 3000 / fps) } : {}),
  });
}

/**
 * Refuses, naming the fix, a recording file ffprobe cannot be asked about; returns its size.
 * Called before anything probes the file (replay --gps asks for its duration first).
 */
export function checkRecordingFile(file: string): number {
  // ffprobe and ffmpeg would wait forever on a named pipe nobody writes to.
  const problem = inputFileProblem(file);
  if (problem) throw new SourceError(`${file}: ${problem.message}`, file);
  // ffprobe would only say "Invalid data found when processing input".
  const size = statSync(file).size;
  if (size === 0) throw new SourceError(`${file}: the file is empty (0 bytes); not a video`, file);
  return size;
}

/**
 * MPEG-TS packet sizes: 188 bytes; 192 in Blu-ray and AVCHD files (.m2ts, .mts: a 4-byte
 * timestamp before each packet); 204 with Reed-Solomon parity (DVB captures).
 */
const TS_PACKETS = [
  { size: 188, sync: 0 },
  { size: 192, sync: 4 },
  { size: 204, sync: 0 },
];
const TS_SYNC_BYTE = 0x47;
/** Packets whose sync byte must be in place for their size to be the file's. */
const TS_SYNC_CHECKED = 5;

/**
 * Where an MPEG-TS file of `size` bytes was cut, or null when it ends at a packet's end (or its
 * packets are not told by their sync bytes). A transport stream has no index and counts no
 * frames: cut off (a DVR losing power, a copy that did not finish), ffmpeg replays it to the cut
 * and exits 0 without a word, as if it were whole. Only a file's end inside a packet tells; one
 * cut exactly between packets cannot be told from a whole one.
 */
export function mpegTsCut(file: string, size: number): string | null {
  const head = Buffer.alloc(TS_SYNC_CHECKED * 204 + 4);
  const fd = openSync(file, 'r');
  let read: number;
  try {
    read = readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  const packet = TS_PACKETS.find(({ size: p, sync }) => {
    const at = Array.from({ length: TS_SYNC_CHECKED }, (_, k) => sync + k * p).filter((i) => i < read);
    return at.length >= 3 && at.every((i) => head[i] === TS_SYNC_BYTE);
  });
  if (!packet || size % packet.size === 0) return null;
  return `the file ends ${size % packet.size} bytes into a ${packet.size}-byte MPEG-TS packet`;
}

/** How long a looping recording may give no frame before it counts as failed. */
export const LOOP_STALL_MS = 15_000;

const MIN_SIDE = 16;

function even(n: number): number {
  return n - (n % 2);
}
