/** One decoded video frame, packed RGB (3 bytes a pixel, no row padding). */
export interface Frame {
  cameraId: string;
  /** 0-based index of the frame in its source (counts every decoded frame, dropped or not). */
  index: number;
  /** UTC ms when the frame was captured (for recordings: start time + presentation time): what reads record. */
  ts: number;
  /**
   * When the frame was captured on a clock that never steps, in ms: the unit's monotonic clock for
   * cameras, the recording's own timeline (presentation time) for recordings. Tracking, expiry and
   * every duration use it, so an NTP or GPS step of the wall clock cannot split or stall a track.
   */
  mono: number;
  width: number;
  height: number;
  rgb: Buffer;
}

export interface SourceStats {
  /** Frames decoded from the source. */
  decoded: number;
  /** Frames overwritten before the pipeline took them (latest-wins when inference is slower). */
  dropped: number;
  /** Corrupt or undecodable frames the decoder skipped. */
  corrupt: number;
  /** When the last frame arrived, on the unit's monotonic clock (`monotonicMs()`), or null before the first. */
  lastFrameMono: number | null;
  errors: number;
  lastError: string | null;
  /**
   * A recording that ended before its end, though ffmpeg exited normally (it stops at the last
   * whole frame of a cut-off file): how many frames came and what ffmpeg said. Its frames stand.
   */
  endedEarly?: string;
}

/** Counters of a source that has delivered nothing yet. */
export function emptySourceStats(): SourceStats {
  return { decoded: 0, dropped: 0, corrupt: 0, lastFrameMono: null, errors: 0, lastError: null };
}

/**
 * Anything that yields frames: recordings and image folders now; USB (V4L2), GigE Vision and RTSP
 * cameras implement the same interface. `frames()` may be iterated once; it ends when the source
 * ends (a recording finished) or `stop()` is called.
 */
export interface FrameSource {
  readonly id: string;
  /**
   * True when frames' `mono` is the unit's monotonic clock (`monotonicMs()`): live cameras. A
   * recording's `mono` is its own timeline and says nothing about when on the unit it was shown.
   */
  readonly unitClock?: boolean;
  frames(): AsyncIterable<Frame>;
  stats(): SourceStats;
  stop(): Promise<void>;
}

export class SourceError extends Error {
  constructor(
    message: string,
    readonly source: string,
  ) {
    super(message);
    this.name = 'SourceError';
  }
}
