import type { GpsFix } from '../store/types.js';

/**
 * Where the unit is. The pipeline asks for the fix at each read's time; a source with no fix (or
 * a stale one) returns null and the read is stored without a position and flagged, never dropped.
 */
export interface PositionSource {
  fixAt(timeMs: number): { fix: GpsFix; ageMs: number } | null;
}

/** The position source of a unit without GPS configured. */
export const noPosition: PositionSource = { fixAt: () => null };
