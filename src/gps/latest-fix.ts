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
 * The latest fix a live receiver gave, as a PositionSource. A read asks for the fix at its own
 * time; the latest fix is returned with its age when that age is within `maxFixAgeMs`, else null
 * (the read is then stored without a position and flagged, never dropped). Age is measured on the
 * unit's clock from when the fix arrived, so a receiver with a wrong clock cannot make a stale fix
 * look fresh; and on its monotonic clock, up to the read's frame's own monotonic time (a live
 * camera's), so neither can the unit's own clock being stepped, even after the frame was taken.
 */
export class LatestFix implements PositionSource {
  private fix: GpsFix | null = null;
  /** When the fix arrived, on the monotonic clock. */
  private receivedAt = 0;
  /** Kept when the receiver loses its fix: the last place the unit is known to have been. */
  private lastKnown: GpsFix | null = null;
  fixes = 0;
  /** Times the receiver reported "no fix" after having one (GPS lost). */
  lost = 0;
  private hadFix = false;

  constructor(
    private readonly maxFixAgeMs: number,
    private readonly now: () => number = Date.now,
    private readonly mono: () => number = monotonicMs,
  ) {}

  update(fix: GpsFix): void {
    this.fix = fix;
    this.lastKnown = fix;
    this.receivedAt = this.mono();
    this.fixes++;
    this.hadFix = true;
  }

  /** The receiver says it has no fix (or the link dropped): forget the position. */
  clear(): void {
    if (this.hadFix) this.lost++;
    this.hadFix = false;
    this.fix = null;
  }

  fixAt(timeMs: number, monoMs?: number): { fix: GpsFix; ageMs: number } | null {
    if (!this.fix) return null;
    const ageMs = this.ageAt(timeMs, monoMs);
    if (ageMs > this.maxFixAgeMs) return null;
    return { fix: this.fix, ageMs };
  }

  lastKnownAt(timeMs: number, monoMs?: number): { fix: GpsFix; ageMs: number } | null {
    return this.lastKnown ? { fix: this.lastKnown, ageMs: this.ageAt(timeMs, monoMs) } : null;
  }

  latest(): { fix: GpsFix; ageMs: number } | null {
    return this.fix ? { fix: this.fix, ageMs: Math.max(0, this.mono() - this.receivedAt) } : null;
  }

  /**
   * The fix's age at a read's moment: from its arrival to `monoMs` on the monotonic clock. Without
   * it (a recording's frame), that moment is placed by how long ago wall-clock `timeMs` is now,
   * which a wall-clock step between the frame and now would shift by the step.
   */
  private ageAt(timeMs: number, monoMs?: number): number {
    const at = monoMs ?? this.mono() - (this.now() - timeMs);
    return Math.max(0, at - this.receivedAt);
  }
}
