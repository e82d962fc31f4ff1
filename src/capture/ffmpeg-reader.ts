import { spawn, type ChildProcess } from 'node:child_process';
import { FrameSlot } from './frame-slot.js';
import { SourceError, type Frame, type FrameSource, type SourceStats } from './types.js';

export interface FfmpegReaderOptions {
  id: string;
  /** Everything before the output options: e.g. ['-re', '-i', 'file.mp4'] or v4l2/rtsp input args. */
  inputArgs: string[];
  /** Size of the decoded frames (the reader scales to it if the input differs). */
  width: number;
  height: number;
  /** Capture time of frame `index`; recordings derive it from their start time and frame rate. */
  timestamp: (index: number) => number;
  /** Deliver every frame (back-pressure) instead of dropping to the latest. */
  everyFrame: boolean;
  /** What the user asked to read, for error messages (a path or a URL without credentials). */
  label: string;
}

/**
 * Lines ffmpeg prints (at warning level) when it meets damaged data: the demuxer drops corrupt
 * packets (+discardcorrupt) and the decoder reports frames it cannot reconstruct.
 */
const CORRUPT_LINE =
  /corrupt|error while decoding|concealing|co located POCs|invalid nal|missing picture|non-existing PPS|decode_slice_header/i;

/**
 * Decodes any input ffmpeg understands into packed RGB24 frames on a pipe. Every camera kind that
 * ffmpeg can open (files, V4L2, RTSP) is this reader with different input arguments.
 */
export class FfmpegReader implements FrameSource {
  readonly id: string;
  private proc: ChildProcess | null = null;
  private readonly slot: FrameSlot<Frame>;
  private readonly counters: SourceStats = {
    decoded: 0,
    dropped: 0,
    corrupt: 0,
    lastFrameAt: null,
    errors: 0,
    lastError: null,
  };
  private stopped = false;
  private iterated = false;
  /** Resolves when ffmpeg has exited and every frame has been handed to the slot. */
  private done: Promise<void> = Promise.resolve();

  constructor(private readonly opts: FfmpegReaderOptions) {
    this.id = opts.id;
    this.slot = new FrameSlot<Frame>(opts.everyFrame);
  }

  stats(): SourceStats {
    return { ...this.counters, dropped: this.slot.dropped };
  }

  async *frames(): AsyncGenerator<Frame> {
    if (this.iterated) throw new Error(`frame source ${this.id} can be iterated only once`);
    this.iterated = true;
    this.done = this.decode();
    const failure = this.done.catch((err: unknown) => err as Error);
    while (true) {
      const frame = await this.slot.take();
      if (frame === null) break;
      yield frame;
    }
    const err = await failure;
    if (err instanceof Error) throw err;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.slot.end();
    const proc = this.proc;
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      const killer = setTimeout(() => proc.kill('SIGKILL'), 2000);
      await new Promise((resolve) => proc.once('close', resolve));
      clearTimeout(killer);
    }
    await this.done.catch(() => undefined);
  }

  private async decode(): Promise<void> {
    const { width, height } = this.opts;
    const frameBytes = width * height * 3;
    const args = [
      '-hide_banner',
      '-nostdin',
      '-loglevel',
      'warning',
      '-fflags',
      '+discardcorrupt',
      ...this.opts.inputArgs,
      '-an',
      '-sn',
      '-vf',
      `scale=${width}:${height}`,
      '-fps_mode',
      'passthrough',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      'pipe:1',
    ];
    const proc = spawn('ffmpeg', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    const spawnError = new Promise<Error>((resolve) => proc.once('error', resolve));
    let lastStderr = '';
    proc.stderr!.setEncoding('utf8');
    proc.stderr!.on('data', (text: string) => {
      for (const line of text.split('\n')) {
        if (!line.trim()) continue;
        lastStderr = line.trim();
        if (CORRUPT_LINE.test(line)) this.counters.corrupt++;
      }
    });
    const exited = new Promise<number | null>((resolve) => proc.once('close', (code) => resolve(code)));

    let frame = Buffer.allocUnsafe(frameBytes);
    let filled = 0;
    try {
      for await (const chunk of proc.stdout! as AsyncIterable<Buffer>) {
        let offset = 0;
        while (offset < chunk.length) {
          const n = Math.min(frameBytes - filled, chunk.length - offset);
          chunk.copy(frame, filled, offset, offset + n);
          filled += n;
          offset += n;
          if (filled === frameBytes) {
            const index = this.counters.decoded++;
            const ts = this.opts.timestamp(index);
            this.counters.lastFrameAt = ts;
            await this.slot.put({ cameraId: this.id, index, ts, width, height, rgb: frame });
            frame = Buffer.allocUnsafe(frameBytes);
            filled = 0;
          }
        }
      }
      const code = await Promise.race([exited, spawnError]);
      if (code instanceof Error) {
        throw new SourceError(
          (code as NodeJS.ErrnoException).code === 'ENOENT'
            ? 'ffmpeg not found: install ffmpeg (apt-get install ffmpeg)'
            : `${this.opts.label}: cannot start ffmpeg (${code.message})`,
          this.opts.label,
        );
      }
      if (code !== 0 && !this.stopped) {
        this.counters.errors++;
        this.counters.lastError = lastStderr || `ffmpeg exited with code ${code}`;
        if (this.counters.decoded === 0) {
          throw new SourceError(`${this.opts.label}: ${this.counters.lastError}`, this.opts.label);
        }
      }
    } finally {
      this.slot.end();
    }
  }
}
