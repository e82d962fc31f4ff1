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

/** The smallest box holding both. */
export function unionBox(a: Box, b: Box): Box {
  const x0 = Math.min(a[0], b[0]);
  const y0 = Math.min(a[1], b[1]);
  return [x0, y0, Math.max(a[0] + a[2], b[0] + b[2]) - x0, Math.max(a[1] + a[3], b[1] + b[3]) - y0];
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

/**
 * A text line that is not level in the picture: `box` is the line's own rectangle turned level
 * about its centre, `tilt` the angle (degrees, clockwise on screen) it is turned by in the picture.
 */
export interface TiltedBox {
  box: Box;
  tilt: number;
}

export function radians(degrees: number): number {
  return (degrees * Math.PI) / 180;
}

/** `point` turned by `degrees` (clockwise on screen: y points down) about `centre`. */
export function turnPoint(
  [x, y]: [x: number, y: number],
  degrees: number,
  [cx, cy]: [x: number, y: number],
): [x: number, y: number] {
  const [cos, sin] = [Math.cos(radians(degrees)), Math.sin(radians(degrees))];
  return [cx + (x - cx) * cos - (y - cy) * sin, cy + (x - cx) * sin + (y - cy) * cos];
}

/** The upright box around `box` once turned by `degrees` (clockwise on screen) about `centre`. */
export function turnedBounds(box: Box, degrees: number, centre: [x: number, y: number]): Box {
  const corners = [
    turnPoint([box[0], box[1]], degrees, centre),
    turnPoint([box[0] + box[2], box[1]], degrees, centre),
    turnPoint([box[0], box[1] + box[3]], degrees, centre),
    turnPoint([box[0] + box[2], box[1] + box[3]], degrees, centre),
  ];
  const xs = corners.map((c) => c[0]);
  const ys = corners.map((c) => c[1]);
  const [x0, y0] = [Math.min(...xs), Math.min(...ys)];
  return [x0, y0, Math.max(...xs) - x0, Math.max(...ys) - y0];
}

export function boxCentre(box: Box): [x: number, y: number] {
  return [box[0] + box[2] / 2, box[1] + box[3] / 2];
}

/** Where a tilted line lies in the picture, as an upright box. */
export function tiltedBounds(t: TiltedBox): Box {
  return turnedBounds(t.box, t.tilt, boxCentre(t.box));
}

/**
 * The part of the picture around a tilted line, turned so the line is level, and the line's box
 * in it: a recogniser reads the line as it reads a level one. Corners the turn brings in from
 * beyond the region (or the picture's edge) are mid grey.
 */
export async function levelled(img: RgbImage, t: TiltedBox): Promise<{ image: RgbImage; box: Box }> {
  const region = clampBox(tiltedBounds(t), img);
  if (!region) return { image: img, box: clampBox(t.box, img) ?? [0, 0, img.width, img.height] };
  const patch = await sharp(img.rgb, rawInput(img))
    .extract({ left: region[0], top: region[1], width: region[2], height: region[3] })
    .rotate(-t.tilt, { background: { r: 128, g: 128, b: 128 } })
    .raw()
    .toBuffer({ resolveWithObject: true });
  // The region's centre lands on the turned patch's centre; the line's centre turns about it.
  const [cx, cy] = boxCentre(t.box);
  const [rx, ry] = boxCentre(region);
  const patchCentre: [number, number] = [patch.info.width / 2, patch.info.height / 2];
  const [px, py] = turnPoint([patchCentre[0] + cx - rx, patchCentre[1] + cy - ry], -t.tilt, patchCentre);
  const image = { width: patch.info.width, height: patch.info.height, rgb: patch.data };
  const box: Box = [px - t.box[2] / 2, py - t.box[3] / 2, t.box[2], t.box[3]];
  return { image, box: clampBox(box, image) ?? [0, 0, image.width, image.height] };
}

/**
 * The part of the picture around a tilted line with each column moved up or down until the line
 * is level, and the line's box in it. Where the tilt comes from seeing the plate from the side
 * (the camera level, the plate beside it), its characters' strokes are still vertical: turning
 * the line level (`levelled`) would slant them by the tilt, moving the columns does not.
 */
export function unsloped(img: RgbImage, t: TiltedBox): { image: RgbImage; box: Box } {
  const region = clampBox(tiltedBounds(t), img);
  if (!region) return { image: img, box: clampBox(t.box, img) ?? [0, 0, img.width, img.height] };
  const [cx, cy] = boxCentre(t.box);
  const slope = Math.tan(radians(t.tilt));
  const [rx, ry] = region;
  const image = shiftedColumns(img, region, (x) => (x + 0.5 - cx) * slope);
  // The line's length along its slope spans less width, and its thickness more height.
  const cos = Math.cos(radians(t.tilt));
  const [w, h] = [t.box[2] * cos, t.box[3] / cos];
  const box: Box = [cx - rx - w / 2, cy - ry - h / 2, w, h];
  return { image, box: clampBox(box, image) ?? [0, 0, image.width, image.height] };
}

/**
 * `region` of the picture with each column's pixels taken from `rise(x)` rows further down (x in
 * picture pixels), interpolated between rows; beyond the picture its first or last row repeats.
 */
export function shiftedColumns(img: RgbImage, region: Box, rise: (x: number) => number): RgbImage {
  const [rx, ry, width, height] = region;
  const rgb = Buffer.alloc(width * height * 3);
  for (let x = 0; x < width; x++) {
    const offset = rise(rx + x);
    for (let y = 0; y < height; y++) {
      const sy = Math.min(img.height - 1, Math.max(0, ry + y + offset));
      const y0 = Math.floor(sy);
      const y1 = Math.min(img.height - 1, y0 + 1);
      const f = sy - y0;
      const [above, below, at] = [
        (y0 * img.width + rx + x) * 3,
        (y1 * img.width + rx + x) * 3,
        (y * width + x) * 3,
      ];
      for (let c = 0; c < 3; c++)
        rgb[at + c] = Math.round(img.rgb[above + c]! * (1 - f) + img.rgb[below + c]! * f);
    }
  }
  return { width, height, rgb };
}
