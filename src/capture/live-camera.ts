import type { Logger } from 'pino';
import { Backoff, sleep } from './backoff.js';
import type { ReconnectConfig } from './config.js';
import type { Frame, FrameSource, SourceStats } from './types.js';
import { monotonicMs } from '../util/clock.js';

/** `ended` and `failed` are for recordings (file cameras): played to the end, or could not be opened. */
export type CameraState = 'connecting' | 'streaming' | 'reconnecting' | 'stopped' | 'ended' | 'failed';

/** What /healthz, /metrics, the status topic and selftest show for one camera. */
export type CameraHealth = {
  id: string;
  name: string;
  position: string;
  kind: string;
  state: CameraState;
  /** Frames per second over the last 5 s. */
  fps: number;
  /** ms since the last frame, or null before the first. */
  lastFrameAgeMs: number | null;
  frames: number;
  dropped: number;
  errors: number;
  reconnects: number;
  lastError: string | null;
};

export interface LiveCameraOptions {
  id: string;
  name: string;
  position: string;
  kind: string;
  /** Opens one connection attempt (a fresh ffmpeg/gst-launch process). */
  open: () => FrameSource;
  reconnect: ReconnectConfig;
  log: Logger;
}

const FPS_WINDOW_MS = 5000;

/**
 * A live camera that never gives up: the one reconnect-with-backoff wrapper every live camera
 * kind (V4L2, GigE, RTSP) runs in. When the stream ends, fails, or delivers nothing for
 * `stallMs` (a frozen camera keeps its socket open), the attempt is stopped and a new one opened
 * after a backoff delay (1 s doubling to 30 s by default, reset once frames have flowed for
 * `steadyMs`, so a flapping camera backs off too). Frames keep one index sequence across
 * reconnects. `frames()` ends only when `stop()` is called.
 *
 * Logging: the first loss after steady streaming is a warning; further short-lived attempts are
 * logged at debug with a count, so a flapping camera does not flood the journal.
 */
export class LiveCamera implements FrameSource {
  readonly id: string;
  /** Every live kind's frames are timed on arrival (`arrivalClock`). */
  readonly unitClock = true;
  private readonly backoff: Backoff;
  private readonly abort = new AbortController();
  private current: FrameSource | null = null;
  private state: CameraState = 'connecting';
  private index = 0;
  private readonly arrivals: number[] = [];
  /** Arrival times, like every time kept here, on the monotonic clock: a wall-clock step must not fake a stall. */
  private lastFrameMono: number | null = null;
  private errors = 0;
  private reconnects = 0;
  private lastError: string | null = null;
  private droppedBefore = 0;
  /** Attempts lost since frames last flowed steadily (or since start). */
  private shortAttempts = 0;

  constructor(private readonly opts: LiveCameraOptions) {
    this.id = opts.id;
    this.backoff = new Backoff(opts.reconnect.initialMs, opts.reconnect.maxMs);
  }

  async *frames(): AsyncGenerator<Frame> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      this.state = this.reconnects === 0 && this.index === 0 ? 'connecting' : 'reconnecting';
      const source = this.opts.open();
      this.current = source;
      const attemptStart = monotonicMs();
      let attemptFrameAt: number | null = null;
      let attemptFirstFrameAt: number | null = null;
      let steady = false;
      let stalled = false;
      const watchdog = setInterval(
        () => {
          // When the camera last delivered a frame, whether or not the pipeline has taken it yet: a
          // pipeline slower over a frame than stallMs (cameras sharing the cores, many plates) is
          // no stalled camera, and reopening a working one lost the frames of the reconnect.
          const delivered = source.stats().lastFrameMono ?? attemptFrameAt;
          // Before an attempt's first frame, connecting may take longer than a stall.
          const limit =
            delivered === null ? this.opts.reconnect.connectTimeoutMs : this.opts.reconnect.stallMs;
          if (monotonicMs() - (delivered ?? attemptStart) > limit) {
            stalled = true;
            void source.stop();
          }
        },
        Math.min(1000, this.opts.reconnect.stallMs / 2),
      );
      try {
        for await (const frame of source.frames()) {
          if (signal.aborted) break;
          const now = monotonicMs();
          if (attemptFirstFrameAt === null) {
            attemptFirstFrameAt = now;
            this.state = 'streaming';
            const level = this.shortAttempts <= 1 ? 'info' : 'debug';
            this.opts.log[level]({ camera: this.id, shortAttempts: this.shortAttempts }, 'camera streaming');
          }
          if (!steady && now - attemptFirstFrameAt >= this.opts.reconnect.steadyMs) {
            steady = true;
            this.backoff.reset();
            if (this.shortAttempts > 1)
              this.opts.log.info(
                { camera: this.id, shortAttempts: this.shortAttempts },
                'camera streaming steadily again',
              );
            this.shortAttempts = 0;
          }
          attemptFrameAt = now;
          this.lastFrameMono = now;
          this.arrivals.push(now);
          while (this.arrivals.length && this.arrivals[0]! < now - FPS_WINDOW_MS) this.arrivals.shift();
          yield { ...frame, cameraId: this.id, index: this.index++ };
        }
        if (!signal.aborted) this.fail(stalled ? 'no frame in time (stalled)' : 'stream ended');
      } catch (err) {
        if (!signal.aborted) this.fail(stalled ? 'no frame in time (stalled)' : (err as Error).message);
      } finally {
        clearInterval(watchdog);
        this.droppedBefore += source.stats().dropped;
        await source.stop();
        this.current = null;
      }
      if (signal.aborted) break;
      this.state = 'reconnecting';
      this.reconnects++;
      const delay = this.backoff.next();
      const level = this.shortAttempts === 0 ? 'warn' : 'debug';
      this.shortAttempts++;
      this.opts.log[level](
        { camera: this.id, err: this.lastError, retryInMs: delay, shortAttempts: this.shortAttempts },
        'camera lost; reconnecting',
      );
      await sleep(delay, signal);
    }
    this.state = 'stopped';
  }

  private fail(message: string): void {
    this.errors++;
    // ffmpeg repeats the input URL in its errors: never let RTSP credentials reach logs or status.
    this.lastError = message.replace(/([a-z]+:\/\/[^:/@\s]+):[^@\s/]*@/gi, '$1:***@');
  }

  stats(): SourceStats {
    return {
      decoded: this.index,
      dropped: this.droppedBefore + (this.current?.stats().dropped ?? 0),
      corrupt: this.current?.stats().corrupt ?? 0,
      lastFrameMono: this.lastFrameMono,
      errors: this.errors,
      lastError: this.lastError,
    };
  }

  health(): CameraHealth {
    const now = monotonicMs();
    const recent = this.arrivals.filter((t) => t >= now - FPS_WINDOW_MS);
    // Frames per second over the window (or since the first frame, when that is shorter).
    const span = recent.length > 1 ? Math.max(now - recent[0]!, 1000) : FPS_WINDOW_MS;
    return {
      id: this.id,
      name: this.opts.name,
      position: this.opts.position,
      kind: this.opts.kind,
      state: this.state,
      fps: Math.round((recent.length / span) * 1000 * 10) / 10,
      lastFrameAgeMs: this.lastFrameMono === null ? null : now - this.lastFrameMono,
      frames: this.index,
      dropped: this.stats().dropped,
      errors: this.errors,
      reconnects: this.reconnects,
      lastError: this.lastError,
    };
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.state = 'stopped';
    await this.current?.stop();
  }
}
