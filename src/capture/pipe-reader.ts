import { spawn, type ChildProcess } from 'node:child_process';
import { FrameSlot } from './frame-slot.js';
import { SourceError, type Frame, type FrameSource, type SourceStats } from './types.js';

export interface PipeReaderOptions {
  id: string;
  /** The program and its arguments; it must write packed RGB24 frames of width×height to stdout. */
  command: string[];
  width: number;
  height: number;
  label: string;
  everyFrame?: boolean;
}

/**
 * Reads fixed-size RGB24 frames from any program's stdout (gst-launch for GigE cameras; ffmpeg
 * sources use FfmpegReader). Frames are stamped with the unit's clock on arrival.
 */
export class PipeReader implements FrameSource {
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
    const { width, height } = this.opts;
    const frameBytes = width * height * 3;
    const [cmd, ...args] = this.opts.command;
    const proc = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    const spawnError = new Promise<Error>((resolve) => proc.once('error', resolve));
    let lastStderr = '';
    proc.stderr!.setEncoding('utf8');
    proc.stderr!.on('data', (text: string) => {
      const lines = text
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean);
      // gst-launch's first ERROR line names the cause; later ones repeat "pipeline doesn't want to preroll".
      const err = lines.find((l) => l.startsWith('ERROR'));
      if (err && !lastStderr.startsWith('ERROR')) lastStderr = err;
      else if (!lastStderr && lines.length) lastStderr = lines[lines.length - 1]!;
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
            const ts = Date.now();
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
            ? `${cmd} not found: install it (see docs/in-car.md)`
            : `${this.opts.label}: cannot start ${cmd} (${code.message})`,
          this.opts.label,
        );
      }
      if (code !== 0 && !this.stopped) {
        this.counters.errors++;
        this.counters.lastError = lastStderr || `${cmd} exited with code ${code}`;
        throw new SourceError(`${this.opts.label}: ${this.counters.lastError}`, this.opts.label);
      }
    } finally {
      this.slot.end();
    }
  }
}
