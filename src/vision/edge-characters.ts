import type { Recognition } from './recogniser.js';
import type { ShapeLimits } from './plate-shape.js';

/*
 * The text detector's line can leave out a plate's first or last character when it stands apart
 * from the others: on another background colour, beyond a sticker, or split off by a gap
 * ("AJK7551" found as "JK7551"). The recogniser, given the line with its usual small margin, then
 * reads a plate one character short. So a plate-like reading is read once more from a crop wider
 * by about one character on each side, and that reading is taken when it only adds characters at
 * the ends, each read with confidence.
 *
 * Measured on openalpr-dev (docs/recognition.md, "Characters the line leaves out"): endtoend-us
 * 80.8 -> 82.1 %, endtoend-eu 93.5 -> 95.4 % (region eu, [SK]), no frame read worse. A quarter
 * of a line height did not reach the left-out A of "AJK7551"; at 0.6 an I (a bolt or the frame's
 * edge) was added beside one plate.
 *
 * The wider crop is also a second look at the whole plate. The tight crop of a small dark plate
 * can lose a character inside it: "DH5X9P" read "D5X9P", the H lost in a dark smear, while the
 * wider crop read "DH5X9P". So when the tight reading fits no plate format and the wider one does,
 * every character read at least WIDER_MIN_CONFIDENCE, the wider reading is taken. Measured:
 * endtoend-us +1 frame, endtoend-eu +1, nothing read worse (docs/recognition.md, "A second look").
 */

/** The wider crop's extra margin on each side, in line heights (a plate character is ~0.5). */
export const WIDER_PAD_X = 0.5;

/** Each added character must be read at least this sure (bolts and frame edges read as I or 1). */
export const EDGE_MIN_CONFIDENCE = 0.9;

/**
 * The wider reading when it holds the narrow one whole and adds only confident characters at
 * its ends, within `maxChars`; otherwise the narrow reading.
 */
export function withEdgeCharacters(narrow: Recognition, wider: Recognition, maxChars: number): Recognition {
  const at = wider.text.indexOf(narrow.text);
  if (!narrow.text || at < 0 || wider.text.length === narrow.text.length || wider.text.length > maxChars)
    return narrow;
  const added = [
    ...wider.charConfidences.slice(0, at),
    ...wider.charConfidences.slice(at + narrow.text.length),
  ];
  return added.every((c) => c >= EDGE_MIN_CONFIDENCE) ? wider : narrow;
}

/** Every character of a wider reading taken for its plate format must be read at least this sure. */
export const WIDER_MIN_CONFIDENCE = 0.7;

/**
 * The wider reading when it only adds confident characters at the ends (`withEdgeCharacters`), or
 * when the narrow reading fits no plate format and the wider one, within `limits` and read with
 * confidence, does (`fitsFormat`: the syntax fixing applied after; null with syntax fixing off);
 * otherwise the narrow reading.
 */
export function withWiderReading(
  narrow: Recognition,
  wider: Recognition,
  limits: ShapeLimits,
  fitsFormat: ((r: Recognition) => boolean) | null,
): Recognition {
  const extended = withEdgeCharacters(narrow, wider, limits.maxChars);
  if (extended !== narrow || !fitsFormat) return extended;
  const plausible =
    wider.text.length >= limits.minChars &&
    wider.text.length <= limits.maxChars &&
    wider.charConfidences.every((c) => c >= WIDER_MIN_CONFIDENCE);
  return plausible && !fitsFormat(narrow) && fitsFormat(wider) ? wider : narrow;
}
