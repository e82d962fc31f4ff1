import type { GpsFix } from '../store/types.js';

/**
 * Where the unit is. The pipeline asks for the fix at each read's time; a source with no fix (or
 * a stale one) returns null and the read is stored without a position and flagged, never dropped.
 */
export interface PositionSource {
  /**
   * The fix for a read at wall-clock `timeMs`. `monoMs` is the same moment on the unit's monotonic
   * clock (`monotonicMs()`) when it is known (a live camera's frame): a live receiver then measures
   * the fix's age on that clock alone, so a wall-clock step since the frame cannot change it.
   */
  fixAt(timeMs: number, monoMs?: number): { fix: GpsFix; ageMs: number } | null;
  /**
   * The last fix there was before `timeMs`, however old, with its age: where the unit was when it
   * last knew (exclusion zones use it when there is no fix now). Sources without history omit it.
   */
  lastKnownAt?(timeMs: number, monoMs?: number): { fix: GpsFix; ageMs: number } | null;
}

/** The position source of a unit without GPS configured. */
export const noPosition: PositionSource = { fixAt: () => null };
