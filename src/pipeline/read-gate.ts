import type { GpsFix, Read } from '../store/types.js';
import type { Box, RgbImage } from '../vision/image.js';

/**
 * A rule every read passes before it is stored (exclusion zones, for one). It may let the read
 * through, rewrite it (mask the plate, drop the images) or drop it.
 */
export interface ReadGate {
  readonly name: string;
  apply(read: Read, context?: GateContext): { read: Read; keepImages: boolean } | null;
}

export interface GateContext {
  /** For a read without a fix: the last fix the unit had, and how long before the read. */
  lastKnown?: { fix: GpsFix; ageMs: number } | null;
}

/** A state-of-registration reader for a finished track (the plate's printed state, format, prior). */
export interface StateReader {
  stateOf(input: {
    plate: string;
    crop: RgbImage;
    /** Where the characters are in the crop, when known (that line is not read as words). */
    characters?: Box;
  }): Promise<{ state: string | null; confidence: number | null }>;
}
