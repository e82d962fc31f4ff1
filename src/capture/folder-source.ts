import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { probeVideo } from './probe.js';
import { FrameSlot } from './frame-slot.js';
import { monotonicMs } from '../util/clock.js';
import { SourceError, emptySourceStats, type Frame, type FrameSource, type SourceStats } from './types.js';

const run = promisify(execFile);
const IMAGE = /\.(jpe?g|png|bmp|tiff?|webp)$/i;

export interface FolderOptions {
  id: string;
  path: string;
  everyFrame: boolean;
  /** Spacing of the images in time, for timestamps (a folder of stills has no clock of its own). */
  fps?: number;
  startTime?: number;
}

/**
 * A folder of still images, in file-name order, as a camera. Each image is decoded by ffmpeg at
 * its own size; an image that cannot be decoded is skipped and counted as corrupt.
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
      }
    }
    this.slot.end();
  }
}

/** Decode one still image to RGB24 with ffmpeg. */
export async function decodeImage(file: string): Promise<{ width: number; height: number; rgb: Buffer }> {
  const info = await probeVideo(file);
  const { stdout } = await run(
    'ffmpeg',
    [
      '-hide_banner',
      '-nostdin',
      '-loglevel',
      'error',
      '-i',
      file,
      '-frames:v',
      '1',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      'pipe:1',
    ],
    { encoding: 'buffer', maxBuffer: info.width * info.height * 3 + 1024 },
  );
  if (stdout.length !== info.width * info.height * 3)
    throw new SourceError(`${file}: could not decode image`, file);
  return { width: info.width, height: info.height, rgb: stdout };
}
