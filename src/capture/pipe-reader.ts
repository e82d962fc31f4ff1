import { spawn, type ChildProcess } from 'node:child_process';
import { FrameSlot } from './frame-slot.js';
import { SourceError, emptySourceStats, type Frame, type FrameSource, type SourceStats } from './types.js';

export interface PipeReaderOptions {
  id: string;
  /** The program and its arguments; it must write packed RGB24 frames of width×height to stdout. */
  command: string[];
  width: number;
  height: number;
  /** What the user asked to read, for error messages (a path, or a URL without credentials). */
  label: string;
  /** Deliver every frame (back-pressure) instead of dropping to the latest. */
  everyFrame?: boolean;
  /** Capture time of frame `index`; default: the unit's clock on arrival. */
  timestamp?: (index: number) => number;
  /** stderr lines that report a damaged frame the program skipped (counted as corrupt). */
  corruptLine?: RegExp;
  /** stderr lines that name the cause of a failure (preferred over the last line). */
  causeLine?: RegExp;
  /** A program that fails after delivering frames only ends the source (a recording's damaged tail). */
  toleratesLateFailure?: boolean;
  /** Where to tell the user to get the program from when it is missing. */
  installHint: string;
}

/**
 * Reads fixed-size RGB24 frames from a program's stdout: ffmpeg for recordings, V4L2 and RTSP,
 * gst-launch for GigE cameras. Frames go through a one-frame slot (latest wins) or, for replays
 * of every frame, with back-pressure on the pipe.
 */
export class PipeReader implements FrameSource {
  readonly id: string;
  private proc: ChildProcess | null = null;
  private readonly slot: FrameSlot<Frame>;
  private readonly counters: SourceStats = emptySourceStats();
  private stopped = false;
  private iterated = false;
  /** Resolves when the program has exited and every frame has been handed to the slot. */
  private done: Promise<void> = Promise.resolve();

  constructor(private readonly opts: PipeReaderOptions) {
    this.id = opts.id;
    this.slot = new FrameSlot<Frame>(opts.everyFrame ?? false);
  }

  stats(): SourceStats {
    return { ...this.counters, dropped: this.slot.dropped };
  }

  async *frames(): AsyncGenerator<Frame> {
    if (this.iterated) throw new Error(`frame source ${this.id} can be iterated only once`);
    this.iterated = true;
    this.done = this.read();
    const failure = this.done.catch((err: unknown) => err as Error);
    for (;;) {
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

  private async read(): Promise<void> {
    const { width, height, corruptLine, causeLine } = this.opts;
    const frameBytes = width * height * 3;
    // An empty frame would never be filled and the loop would spin without yielding.
    if (frameBytes <= 0) throw new Error(`${this.opts.label}: frame size ${width}x${height} is empty`);
    const timestamp = this.opts.timestamp ?? (() => Date.now());
    const [cmd, ...args] = this.opts.command;
    const proc = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    const spawnError = new Promise<Error>((resolve) => proc.once('error', resolve));
    let cause = '';
    proc.stderr!.setEncoding('utf8');
    proc.stderr!.on('data', (text: string) => {
      for (const line of text.split('\n').map((l) => l.trim())) {
        if (!line) continue;
        if (corruptLine?.test(line)) this.counters.corrupt++;
        // The first line naming the cause wins; later ones tend to repeat consequences.
        if (causeLine?.test(line)) {
          if (!causeLine.test(cause)) cause = line;
        } else if (!causeLine?.test(cause)) cause = line;
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
            const ts = timestamp(index);
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
            ? `${cmd} not found: ${this.opts.installHint}`
            : `${this.opts.label}: cannot start ${cmd} (${code.message})`,
          this.opts.label,
        );
      }
      if (code !== 0 && !this.stopped) {
        this.counters.errors++;
        this.counters.lastError = cause || `${cmd} exited with code ${code}`;
        if (!this.opts.toleratesLateFailure || this.counters.decoded === 0) {
          throw new SourceError(`${this.opts.label}: ${this.counters.lastError}`, this.opts.label);
        }
      }
    } finally {
      this.slot.end();
    }
  }
}
