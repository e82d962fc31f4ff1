import type { GpsFix } from '../store/types.js';
import type { PositionSource } from './types.js';
import { monotonicMs } from '../util/clock.js';

export type GpsHealth = {
  connected: boolean;
  /** Age of the latest fix in ms, or null before the first. */
  fixAgeMs: number | null;
  mode: number | null;
  satellites: number | null;
  hdop: number | null;
  fixes: number;
  lost: number;
  lastError: string | null;
};

/**
 * How long the fixes a live receiver gave are kept: a read asks for the fix at its best frame,
 * which is at most `tracker.maxTrackMs` (up to 10 minutes) plus `idleMs` (up to a minute) before
 * it is stored. At 10 fixes a second, some thousands of small objects.
 */
export const FIX_HISTORY_MS = 11 * 60_000;

/** What the receiver said at one moment (monotonic ms of its arrival): a fix, or that it had none. */
interface Said {
  fix: GpsFix | null;
  at: number;
}

/**
 * A live receiver's fixes as a PositionSource. A read asks for the fix at its best frame's moment
 * and gets the one the unit had then: the latest to arrive at or before it, with its age, when that
 * age is within `maxFixAgeMs`, else null (the read is then stored without a position and flagged,
 * never dropped). A read is stored `idleMs` after its plate was last seen, by when the car has
 * moved on (50 m and more at 20 m/s) or lost its fix (a tunnel): the fix of that later moment used
 * to be taken, as if the plate had been seen there, and a replayed track always gave the fix of the
 * frame's moment. Age is measured on the unit's clock from when the fix arrived, so a receiver
 * with a wrong clock cannot make a stale fix look fresh; and on its monotonic clock, at the read's
 * frame's own monotonic time (a live camera's), so neither can the unit's own clock being stepped,
 * even after the frame was taken.
 */
export class LatestFix implements PositionSource {
  /** What the receiver said over the last FIX_HISTORY_MS, oldest first. */
  private readonly said: Said[] = [];
  fixes = 0;
  /** Times the receiver reported "no fix" after having one (GPS lost). */
  lost = 0;

  constructor(
    private readonly maxFixAgeMs: number,
    private readonly now: () => number = Date.now,
    private readonly mono: () => number = monotonicMs,
  ) {}

  update(fix: GpsFix): void {
    this.tell(fix);
    this.fixes++;
  }

  /** The receiver says it has no fix (or the link dropped): no position from now on. */
  clear(): void {
    if (this.said.at(-1)?.fix) {
      this.lost++;
      this.tell(null);
    }
  }

  fixAt(timeMs: number, monoMs?: number): { fix: GpsFix; ageMs: number } | null {
    const at = this.momentOf(timeMs, monoMs);
    const then = this.saidAt(at);
    if (!then?.fix || at - then.at > this.maxFixAgeMs) return null;
    return { fix: then.fix, ageMs: at - then.at };
  }

  /** The last fix the unit had at that moment, however old, even if the receiver had lost it since. */
  lastKnownAt(timeMs: number, monoMs?: number): { fix: GpsFix; ageMs: number } | null {
    const at = this.momentOf(timeMs, monoMs);
    const known = lastOf(this.said, (s) => s.fix !== null && s.at <= at);
    return known?.fix ? { fix: known.fix, ageMs: at - known.at } : null;
  }

  latest(): { fix: GpsFix; ageMs: number } | null {
    const last = this.said.at(-1);
    return last?.fix ? { fix: last.fix, ageMs: Math.max(0, this.mono() - last.at) } : null;
  }

  private tell(fix: GpsFix | null): void {
    const at = this.mono();
    this.said.push({ fix, at });
    // The last one said before the window is kept: it is what the unit had at the window's start.
    while (this.said.length > 1 && this.said[1]!.at < at - FIX_HISTORY_MS) this.said.shift();
  }

  /** The latest thing the receiver had said by monotonic moment `at`. */
  private saidAt(at: number): Said | undefined {
    return lastOf(this.said, (s) => s.at <= at);
  }

  /**
   * A read's moment on the monotonic clock: its frame's, or, without it (a recording's frame),
   * placed by how long ago wall-clock `timeMs` is now, which a wall-clock step between the frame
   * and now would shift by the step.
   */
  private momentOf(timeMs: number, monoMs?: number): number {
    return monoMs ?? this.mono() - (this.now() - timeMs);
  }
}

/** The last element that passes (newest first: a read asks about moments seconds ago). */
function lastOf<T>(list: readonly T[], test: (item: T) => boolean): T | undefined {
  for (let i = list.length - 1; i >= 0; i--) if (test(list[i]!)) return list[i];
  return undefined;
}
