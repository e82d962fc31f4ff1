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
 * Reads every line of text on a plate crop (state name, slogan, county, "DECAL") with the text
 * detector and a full-alphabet recogniser. Each line is read at its own aspect ratio: a long
 * slogan squeezed into the plate recogniser's fixed width would be unreadable. `characters`: where
 * the plate's characters are in the crop, when known; that line is not read again (it is the
 * widest, so the costliest, and never the state's words).
 */
export async function readWordLines(
  detector: TextDetector,
  words: Recogniser,
  crop: RgbImage,
  characters?: Box,
): Promise<PlateWordLine[]> {
  if (crop.width < 8 || crop.height < 8) return [];
  const lines = (await detector.detect(crop)).filter(
    (l) => l.box[3] >= 4 && l.box[2] >= l.box[3] * 0.8 && !(characters && iou(l.box, characters) > 0.5),
  );
  const height = words.spec.input.height;
  const out: PlateWordLine[] = [];
  for (const line of lines.slice(0, 12)) {
    const box = clampBox(padBox(line.box, 0.15, 0.12), crop);
    if (!box) continue;
    const width = Math.min(MAX_LINE_WIDTH, Math.max(32, Math.round((height * box[2]) / box[3] / 8) * 8));
    const [r] = await words.recognise(crop, [box], { width });
    if (!r || !r.text.trim()) continue;
    out.push({ text: r.text, confidence: r.confidence, box, relHeight: line.box[3] / crop.height });
  }
  return out;
}
