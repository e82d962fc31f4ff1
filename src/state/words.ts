import type { TextDetector } from '../vision/text-detector.js';
import type { Recogniser } from '../vision/recogniser.js';
import { clampBox, type Box, type RgbImage } from '../vision/image.js';
import { iou, padBox } from '../vision/plate-shape.js';

/** One line of text printed on a plate crop, read with the recogniser's full alphabet. */
export interface PlateWordLine {
  text: string;
  confidence: number;
  box: Box;
  /** Line height as a fraction of the crop height (the main characters are the tallest line). */
  relHeight: number;
}

/** Longest side of a line image given to the recogniser, so one sticker cannot cost much. */
const MAX_LINE_WIDTH = 640;

/**
 * A narrower plate is enlarged to this width for the text detector, which cannot find words a
 * few pixels tall, as on a plate 100 px wide in a frame. Chosen on the calibration split of
 * openalpr-dev crops-us (states read right at 320 / 480 / 640 px: 94.1 / 94.7 / 93.6 %, none
 * wrong; 92.0 % without). The lines found are still read from the plate's own pixels: enlarged
 * pixels read worse.
 */
export const DETECT_WIDTH = 480;
/** Enlarging further only blurs: at most this many times. */
const MAX_ENLARGE = 4;

/**
 * Reads every line of text on a plate crop (state name, slogan, county, "DECAL") with the text
 * detector and a full-alphabet recogniser. Each line is read at its own aspect ratio: a long
 * slogan squeezed into the plate recogniser's fixed width would be unreadable. `characters`: where
 * the plate's characters are in the crop, when known; that line is not read again (it is the
 * widest, so the costliest, and never the state's words). `detectWidth`: see DETECT_WIDTH.
 */
export async function readWordLines(
  detector: TextDetector,
  words: Recogniser,
  crop: RgbImage,
  characters?: Box,
  detectWidth = DETECT_WIDTH,
): Promise<PlateWordLine[]> {
  if (crop.width < 8 || crop.height < 8) return [];
  const enlarge = Math.min(MAX_ENLARGE, Math.max(1, detectWidth / crop.width));
  const lines = (await detector.detect(crop, { maxScale: enlarge })).filter(
    (l) => l.box[3] >= 4 && l.box[2] >= l.box[3] * 0.8 && !(characters && iou(l.box, characters) > 0.5),
  );
  const height = words.spec.input.height;
  const out: PlateWordLine[] = [];
  for (const line of lines.slice(0, 12)) {
    const box = clampBox(padBox(line.box, 0.15, 0.12), crop);
    if (!box) continue;
    // A tilted line (a tilted plate's state name) is read turned level, at its own aspect ratio.
    const tilted = line.tilted && { box: padBox(line.tilted.box, 0.15, 0.12), tilt: line.tilted.tilt };
    const [, , w, h] = tilted ? tilted.box : box;
    const width = Math.min(MAX_LINE_WIDTH, Math.max(32, Math.round((height * w) / h / 8) * 8));
    const [r] = await words.recognise(crop, [tilted || box], { width });
    if (!r || !r.text.trim()) continue;
    out.push({ text: r.text, confidence: r.confidence, box, relHeight: line.box[3] / crop.height });
  }
  return joinRows(out);
}

/**
 * The detector can split a state name at its space ("West" and "Virginia" as two lines), and
 * "VIRGINIA" alone names another state than "WEST VIRGINIA". Lines side by side on one row, of
 * about one height and close together, are read as one line, left to right. Matching finds a
 * name anywhere in a line, so joining never hides a word that was read.
 */
export function joinRows(lines: readonly PlateWordLine[]): PlateWordLine[] {
  const rows: PlateWordLine[] = [];
  for (const line of [...lines].sort((a, b) => a.box[0] - b.box[0])) {
    const row = rows.find((r) => sameRow(r.box, line.box));
    if (!row) {
      rows.push({ ...line });
      continue;
    }
    const [x, y, w, h] = row.box;
    const [lx, ly, lw, lh] = line.box;
    const top = Math.min(y, ly);
    const right = Math.max(x + w, lx + lw);
    row.text = `${row.text} ${line.text}`;
    row.confidence = Math.min(row.confidence, line.confidence);
    row.box = [x, top, right - x, Math.max(y + h, ly + lh) - top];
    row.relHeight = Math.max(row.relHeight, line.relHeight);
  }
  return rows;
}

/** `next` continues the row ending in `row` (both boxes as read; `next` starts further right). */
function sameRow(row: Box, next: Box): boolean {
  const height = Math.min(row[3], next[3]);
  const overlap = Math.min(row[1] + row[3], next[1] + next[3]) - Math.max(row[1], next[1]);
  const gap = next[0] - (row[0] + row[2]);
  return (
    overlap >= 0.6 * height &&
    Math.max(row[3], next[3]) <= 1.5 * height &&
    gap <= 1.5 * Math.max(row[3], next[3])
  );
}
