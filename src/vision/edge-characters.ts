import type { Recognition } from './recogniser.js';

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
