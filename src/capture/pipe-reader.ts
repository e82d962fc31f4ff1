import { spawn, type ChildProcess } from 'node:child_process';
import { FrameSlot } from './frame-slot.js';
import { SourceError, emptySourceStats, type Frame, type FrameSource, type SourceStats } from './types.js';
import { monotonicMs } from '../util/clock.js';

/** When a frame was captured: wall-clock UTC ms for records, and a time that never steps for durations. */
export type FrameTime = Pick<Frame, 'ts' | 'mono'>;

/**
 * Times a program's frames. It may learn them from the program's stderr (a recording's
 * presentation times), so it sees every stderr line before the reader does.
 */
export interface FrameClock {
  /** Capture time of frame `index`; a promise while its stderr line has not arrived yet. */
  time(index: number): FrameTime | Promise<FrameTime>;
  /** Returns the line as a diagnostic (corrupt frame, cause of a failure), or null if it was the clock's. */
  line(line: string): string | null;
  /** stderr has ended: no more lines will come. */
  end(): void;
}

/** Live cameras: each frame is timed by the unit's clocks as it arrives. */
export const arrivalClock: FrameClock = {
  time: () => ({ ts: Date.now(), mono: monotonicMs() }),
  line: (line) => line,
  end: () => {},
};

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
  /** Times the frames; default: `arrivalClock`. */
  clock?: FrameClock;
  /** stderr lines that report a damaged frame the program skipped (counted as corrupt). */
  corruptLine?: RegExp;
  /** stderr lines that name the cause of a failure (preferred over the last line). */
  causeLine?: RegExp;
  /** A program that fails after delivering frames only ends the source (a recording's damaged tail). */
  toleratesLateFailure?: boolean;
  /** Where to tell the user to get the program from when it is missing. */
  installHint: string;
  /**
   * What went wrong, after the label, when the program delivered no frame at all (a recording
   * with nothing decodable): said instead of the program's last words, which then follow as the cause.
   */
  noFrame?: string;
  /**
   * A recording's frame count from its header, when known. A program that exits normally after
   * reporting a `causeLine`, having given fewer frames than this (or this unknown), ended early
   * (`SourceStats.endedEarly`).
   */
  expectedFrames?: number | null;
  /**
   * Known before the program ran: the recording was cut, and how (an MPEG-TS file ending inside a
   * packet, which ffmpeg replays to the cut without a word). A program that then exits normally
   * ended early, whatever it said.
   */
  cut?: string | null;
  /**
   * Stop the program and fail when it writes nothing for this long while the reader waits on it
   * (time spent handing a frame on, under back-pressure, does not count): a looping recording
   * whose data is gone makes ffmpeg go round and round without a frame, forever.
   */
  stallMs?: number;
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
    // Stopped before it was read (the daemon stopping while the camera opened): start nothing.
    if (this.stopped) return;
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
    const clock = this.opts.clock ?? arrivalClock;
    const [cmd, ...args] = this.opts.command;
    const proc = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    const spawnError = new Promise<Error>((resolve) => proc.once('error', resolve));
    let cause = '';
    // ffmpeg's `[demuxer @ 0x…] ` before a line is no help to the user.
    const causeText = () => cause.replace(/^\[[^\]]* @ 0x[0-9a-f]+\] /, '');
    // A chunk may end inside a line: keep that part until the rest arrives.
    let partial = '';
    const onLine = (raw: string) => {
      // The clock sees the line as printed: trimmed, a showinfo line that is only its tag would
      // no longer read as one and would be taken for a diagnostic.
      const line = raw.trim() && clock.line(raw)?.trim();
      if (!line) return;
      if (corruptLine?.test(line)) this.counters.corrupt++;
      // The first line naming the cause wins; later ones tend to repeat consequences.
      if (causeLine?.test(line)) {
        if (!causeLine.test(cause)) cause = line;
      } else if (!causeLine?.test(cause)) cause = line;
    };
    proc.stderr!.setEncoding('utf8');
    proc.stderr!.on('data', (text: string) => {
      const lines = (partial + text).split('\n');
      partial = lines.pop()!;
      lines.forEach(onLine);
    });
    // A last line without its newline was cut off by the program dying mid-write (programs end
    // their lines): a fragment, often of a frame's description, so neither a cause nor a frame time.
    proc.stderr!.once('close', () => clock.end());
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      proc.once('close', (code, signal) => resolve({ code, signal })),
    );

    // When the reader began waiting on the program's output (null while a frame is handed on).
    let waitingSince: number | null = monotonicMs();
    let stalled = false;
    const stallMs = this.opts.stallMs;
    const watchdog =
      stallMs === undefined
        ? null
        : setInterval(
            () => {
              if (waitingSince === null || monotonicMs() - waitingSince < stallMs || stalled) return;
              stalled = true;
              proc.kill('SIGKILL');
            },
            Math.min(1000, stallMs),
          );
    let frame = Buffer.allocUnsafe(frameBytes);
    let filled = 0;
    try {
      for await (const chunk of proc.stdout! as AsyncIterable<Buffer>) {
        waitingSince = monotonicMs();
        let offset = 0;
        while (offset < chunk.length) {
          const n = Math.min(frameBytes - filled, chunk.length - offset);
          chunk.copy(frame, filled, offset, offset + n);
          filled += n;
          offset += n;
          if (filled === frameBytes) {
            const index = this.counters.decoded++;
            const time = clock.time(index);
            const { ts, mono } = time instanceof Promise ? await time : time;
            this.counters.lastFrameMono = monotonicMs();
            waitingSince = null;
            await this.slot.put({ cameraId: this.id, index, ts, mono, width, height, rgb: frame });
            waitingSince = monotonicMs();
            frame = Buffer.allocUnsafe(frameBytes);
            filled = 0;
          }
        }
      }
      const exit = await Promise.race([exited, spawnError]);
      if (exit instanceof Error) {
        throw new SourceError(
          (exit as NodeJS.ErrnoException).code === 'ENOENT'
            ? `${cmd} not found: ${this.opts.installHint}`
            : `${this.opts.label}: cannot start ${cmd} (${exit.message})`,
          this.opts.label,
        );
      }
      if (stalled && !this.stopped) {
        this.counters.errors++;
        const seconds = Math.round(stallMs! / 1000);
        const what =
          this.counters.decoded === 0
            ? `${this.opts.noFrame ?? 'no frame'} in ${seconds} s`
            : `no new frame in ${seconds} s after ${this.counters.decoded} frames`;
        this.counters.lastError = `${what}${cause ? ` (${cmd}: ${causeText()})` : ''}; stopped`;
        throw new SourceError(`${this.opts.label}: ${this.counters.lastError}`, this.opts.label);
      }
      if (exit.code !== 0 && !this.stopped) {
        this.counters.errors++;
        // Killed from outside (the OOM killer, an operator), the program says nothing of it, and
        // what it last said (a warning about a damaged packet) is not why it ended.
        this.counters.lastError = exit.signal
          ? `${cmd} was killed (${exit.signal})`
          : cause || `${cmd} exited with code ${exit.code}`;
        if (this.counters.decoded === 0 && this.opts.noFrame && !exit.signal)
          this.counters.lastError = `${this.opts.noFrame} (${cause ? `${cmd}: ${causeText()}` : `${cmd} exited with code ${exit.code}`})`;
        if (!this.opts.toleratesLateFailure || this.counters.decoded === 0) {
          throw new SourceError(`${this.opts.label}: ${this.counters.lastError}`, this.opts.label);
        }
      }
      // A cut-off recording ends "normally": ffmpeg says why ("partial file"), decodes what is
      // there and exits 0. Nothing failed, but the rest is missing, and whoever replays it must
      // hear so. Fewer frames than the header counts is no proof alone: an MP4's edit list (a
      // file cut without re-encoding) hides frames its header still counts.
      // A cut the file itself shows (MPEG-TS) needs no word from ffmpeg.
      const { decoded } = this.counters;
      const expected = this.opts.expectedFrames ?? null;
      const short = expected === null || decoded < expected;
      const count = expected === null ? `${decoded}` : `${decoded} of ${expected}`;
      if (exit.code === 0 && !this.stopped) {
        if (this.opts.cut) this.counters.endedEarly = `${count} frames (${this.opts.cut})`;
        else if (causeLine?.test(cause) && short)
          this.counters.endedEarly = `${count} frames (${cmd}: ${causeText()})`;
      }
    } finally {
      if (watchdog) clearInterval(watchdog);
      this.slot.end();
    }
  }
}
