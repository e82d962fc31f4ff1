import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { probeVideo } from './probe.js';
import { FrameSlot } from './frame-slot.js';
import { monotonicMs } from '../util/clock.js';
import { SourceError, emptySourceStats, type Frame, type FrameSource, type SourceStats } from './types.js';
import { inputFileProblem } from '../util/input-file.js';
import { MAX_PIXELS, loadImage } from '../vision/load-image.js';
import type { RgbImage } from '../vision/image.js';

const run = promisify(execFile);
/** The file names taken for pictures (in a replayed folder, in an eval set). */
export const IMAGE = /\.(jpe?g|png|bmp|tiff?|webp)$/i;

export interface FolderOptions {
  id: string;
  path: string;
  everyFrame: boolean;
  /** Spacing of the images in time, for timestamps (a folder of stills has no clock of its own). */
  fps?: number;
  startTime?: number;
  /** Told of each image skipped (cannot be decoded, too large, not a file), with the reason. */
  onSkip?: (reason: string) => void;
}

/**
 * A folder of still images, in file-name order, as a camera. Each image is decoded at its own
 * size, upright; an image that cannot be decoded (or is larger than `read` accepts) is skipped,
 * counted as corrupt and reported to `onSkip`.
 */
export function openFolder(opts: FolderOptions): FrameSource {
  let names: string[];
  try {
    names = readdirSync(opts.path)
      .filter((n) => IMAGE.test(n))
      .sort();
  } catch {
    throw new SourceError(`${opts.path}: cannot read folder`, opts.path);
  }
  if (names.length === 0)
    throw new SourceError(`${opts.path}: no images (.jpg, .png, .bmp, .tif, .webp)`, opts.path);
  return new FolderSource(
    opts,
    names.map((n) => path.join(opts.path, n)),
  );
}

export function isFolder(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

class FolderSource implements FrameSource {
  readonly id: string;
  private readonly slot: FrameSlot<Frame>;
  private readonly counters: SourceStats = emptySourceStats();
  private stopped = false;

  constructor(
    private readonly opts: FolderOptions,
    private readonly files: string[],
  ) {
    this.id = opts.id;
    this.slot = new FrameSlot(opts.everyFrame);
  }

  stats(): SourceStats {
    return { ...this.counters, dropped: this.slot.dropped };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.slot.end();
  }

  async *frames(): AsyncGenerator<Frame> {
    void this.produce();
    while (true) {
      const frame = await this.slot.take();
      if (!frame) return;
      yield frame;
    }
  }

  private async produce(): Promise<void> {
    const start = this.opts.startTime ?? Date.now();
    const interval = 1000 / (this.opts.fps ?? 1);
    for (const [index, file] of this.files.entries()) {
      if (this.stopped) break;
      try {
        const { width, height, rgb } = await decodeImage(file);
        this.counters.decoded++;
        // The folder's own timeline, as a recording's.
        const mono = index * interval;
        this.counters.lastFrameMono = monotonicMs();
        await this.slot.put({
          cameraId: this.id,
          index,
          ts: Math.round(start + mono),
          mono,
          width,
          height,
          rgb,
        });
      } catch (err) {
        this.counters.corrupt++;
        this.counters.lastError = (err as Error).message;
        this.opts.onSkip?.((err as Error).message);
      }
    }
    this.slot.end();
  }
}

/**
 * Decode one still image to RGB24 as `read` does (sharp: turned upright by its EXIF orientation,
 * as phones and dash cams save them; refused over `MAX_PIXELS` before decoding). BMP, which sharp
 * does not read, goes through ffmpeg, after the same checks.
 */
export async function decodeImage(file: string): Promise<RgbImage> {
  if (!/\.bmp$/i.test(file)) {
    try {
      return await loadImage(file);
    } catch (err) {
      throw new SourceError((err as Error).message, file);
    }
  }
  const problem = inputFileProblem(file);
  if (problem) throw new SourceError(`${file}: ${problem.message}`, file);
  const info = await probeVideo(file, 'image');
  if (info.width * info.height > MAX_PIXELS)
    throw new SourceError(
      `${file}: image too large (${info.width}x${info.height}, over ${MAX_PIXELS / 1e6} megapixels)`,
      file,
    );
  const { stdout } = await run(
    'ffmpeg',
    [
      ...['-hide_banner', '-nostdin', '-loglevel', 'error', '-i', file],
      ...['-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'],
    ],
    { encoding: 'buffer', maxBuffer: info.width * info.height * 3 + 1024 },
  );
  if (stdout.length !== info.width * info.height * 3)
    throw new SourceError(`${file}: could not decode image`, file);
  return { width: info.width, height: info.height, rgb: stdout };
}
