import sharp from 'sharp';
import type { RgbImage } from './image.js';
import { inputFileProblem } from '../util/input-file.js';

export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

/**
 * Largest still we accept (also each image of a replayed folder): beyond this a picture is not a
 * camera frame and would exhaust memory.
 */
export const MAX_PIXELS = 60_000_000;

/** Decode a still image file (JPEG, PNG, WebP, TIFF, ...) to RGB; a one-line InputError if it can't. */
export async function loadImage(file: string): Promise<RgbImage> {
  // sharp would wait forever on a named pipe nobody writes to.
  const problem = inputFileProblem(file);
  if (problem?.kind === 'folder')
    throw new InputError(
      `${file}: a folder; give the image files in it (or measure a labelled folder with "lpr-edge eval")`,
    );
  if (problem) throw new InputError(`${file}: ${problem.message}`);
  try {
    const { data, info } = await sharp(file, { limitInputPixels: MAX_PIXELS })
      .rotate()
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`unexpected ${info.channels} channels`);
    return { width: info.width, height: info.height, rgb: data };
  } catch (err) {
    const msg = (err as Error).message;
    if (/no such file|ENOENT|input file is missing/i.test(msg)) throw new InputError(`${file}: no such file`);
    if (/unsupported image format/i.test(msg))
      throw new InputError(`${file}: not an image (unsupported format)`);
    if (/pixel limit/i.test(msg))
      throw new InputError(`${file}: image too large (over ${MAX_PIXELS / 1e6} megapixels)`);
    throw new InputError(`${file}: cannot decode image (${msg.split('\n')[0]})`);
  }
}
