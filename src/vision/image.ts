import sharp from 'sharp';

/** A packed RGB24 picture: a camera frame or a decoded still. */
export interface RgbImage {
  width: number;
  height: number;
  rgb: Buffer;
}

export type Box = [x: number, y: number, w: number, h: number];

export function rawInput(img: RgbImage) {
  return { raw: { width: img.width, height: img.height, channels: 3 as const } };
}

/** Clamp a box to the image; null when nothing of it is inside. */
export function clampBox(box: Box, img: { width: number; height: number }): Box | null {
  const x0 = Math.max(0, Math.floor(box[0]));
  const y0 = Math.max(0, Math.floor(box[1]));
  const x1 = Math.min(img.width, Math.ceil(box[0] + box[2]));
  const y1 = Math.min(img.height, Math.ceil(box[1] + box[3]));
  if (x1 - x0 < 2 || y1 - y0 < 2) return null;
  return [x0, y0, x1 - x0, y1 - y0];
}

/** Cut `box` out of the image and stretch it to width x height, as raw RGB or grey bytes. */
export async function cropResized(
  img: RgbImage,
  box: Box,
  width: number,
  height: number,
  channels: 1 | 3,
): Promise<Buffer> {
  let pipeline = sharp(img.rgb, rawInput(img))
    .extract({ left: box[0], top: box[1], width: box[2], height: box[3] })
    .resize(width, height, { fit: 'fill', kernel: 'linear' });
  if (channels === 1) pipeline = pipeline.greyscale();
  return pipeline.raw().toBuffer();
}

/** JPEG of a region (or the whole image) for storage and the officer console. */
export async function encodeJpeg(img: RgbImage, quality: number, box?: Box): Promise<Buffer> {
  let pipeline = sharp(img.rgb, rawInput(img));
  if (box) pipeline = pipeline.extract({ left: box[0], top: box[1], width: box[2], height: box[3] });
  return pipeline.jpeg({ quality, mozjpeg: false }).toBuffer();
}

/** A region of an image as a new RGB image (for state reading on the plate crop). */
export async function cropRgb(img: RgbImage, box: Box): Promise<RgbImage> {
  const rgb = await sharp(img.rgb, rawInput(img))
    .extract({ left: box[0], top: box[1], width: box[2], height: box[3] })
    .raw()
    .toBuffer();
  return { width: box[2], height: box[3], rgb };
}
