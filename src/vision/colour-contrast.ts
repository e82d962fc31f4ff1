import type { Box, RgbImage } from './image.js';

/*
 * The recogniser reads grey crops (luminance), but a few plates print their characters in a
 * colour about as bright as the background: New Mexico's yellow on turquoise comes out light grey
 * on light grey, and "LJK920" was read "JK2". Such a crop is read instead along the colour axis on
 * which its pixels vary most (the first principal component of their RGB values), where the
 * characters stand out. Only then: the model was trained on luminance, and reading every crop this
 * way lost 5 of the 101 held-out crops and 5 of the 78 endtoend-us frames (docs/recognition.md).
 */

/** Read along the colour axis when it shows this many times the contrast luminance shows. */
export const COLOUR_CONTRAST_GAIN = 2;

/** Pixels sampled (on a grid) to find the axis: plenty for a 3 x 3 covariance. */
const SAMPLES = 1024;

const LUMA = [0.2126, 0.7152, 0.0722] as const;
/** Luminance's direction in RGB, as a unit vector. */
const LUMA_UNIT = LUMA.map((c) => c / Math.hypot(...LUMA));

export interface ColourAxis {
  mean: number[];
  /** Unit vector in RGB, oriented so that brighter along it is brighter in luminance. */
  axis: number[];
  /** Standard deviation along the axis over that along luminance's direction. */
  gain: number;
}

/** The crop to read for `box` of `img`: itself, or a grey picture of it along its colour axis. */
export function cropSource(img: RgbImage, box: Box): { image: RgbImage; box: Box } {
  const colour = colourAxis(img, box);
  return colour.gain >= COLOUR_CONTRAST_GAIN
    ? { image: alongAxis(img, box, colour), box: [0, 0, box[2], box[3]] }
    : { image: img, box };
}

/**
 * The colour axis of `box` and how much more contrast it shows than luminance: about 1.3 for a
 * grey picture whatever its contrast (its axis is the grey axis), 0 for a blank one.
 */
export function colourAxis(img: RgbImage, box: Box): ColourAxis {
  const [x0, y0, w, h] = box;
  const step = Math.max(1, Math.floor(Math.sqrt((w * h) / SAMPLES)));
  // Sums of each channel and of each product of two: one pass, no allocation per pixel.
  const sum = new Float64Array(3);
  const products = new Float64Array(9);
  let n = 0;
  for (let y = y0; y < y0 + h; y += step) {
    for (let x = x0; x < x0 + w; x += step) {
      const p = (y * img.width + x) * 3;
      for (let i = 0; i < 3; i++) {
        const a = img.rgb[p + i]!;
        sum[i] = sum[i]! + a;
        for (let j = i; j < 3; j++) products[i * 3 + j] = products[i * 3 + j]! + a * img.rgb[p + j]!;
      }
      n++;
    }
  }
  const mean = [...sum].map((s) => s / n);
  const cov = [0, 1, 2].map((i) =>
    [0, 1, 2].map((j) => products[Math.min(i, j) * 3 + Math.max(i, j)]! / n - mean[i]! * mean[j]!),
  );
  const variance = (v: readonly number[]) =>
    cov.reduce((s, row, i) => s + v[i]! * row.reduce((t, c, j) => t + c * v[j]!, 0), 0);
  // Power iteration, started from luminance's direction, converges on the principal axis.
  let axis = LUMA_UNIT;
  for (let it = 0; it < 30; it++) {
    const next = cov.map((row) => row.reduce((t, c, j) => t + c * axis[j]!, 0));
    const length = Math.hypot(...next);
    if (length === 0) break;
    axis = next.map((c) => c / length);
  }
  if (axis.reduce((s, c, i) => s + c * LUMA[i]!, 0) < 0) axis = axis.map((c) => -c);
  const lumaVariance = variance(LUMA_UNIT);
  const gain = Math.sqrt(variance(axis) / Math.max(lumaVariance, 1e-9));
  return { mean, axis, gain };
}

/** `box` of `img` as grey levels along the axis, centred on the box's mean luminance. */
function alongAxis(img: RgbImage, box: Box, { mean, axis }: ColourAxis): RgbImage {
  const [x0, y0, w, h] = box;
  const centre = LUMA.reduce((s, c, i) => s + c * mean[i]!, 0);
  const rgb = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = ((y0 + y) * img.width + x0 + x) * 3;
      let t = centre;
      for (let c = 0; c < 3; c++) t += (img.rgb[p + c]! - mean[c]!) * axis[c]!;
      const q = (y * w + x) * 3;
      rgb.fill(Math.max(0, Math.min(255, Math.round(t))), q, q + 3);
    }
  }
  return { width: w, height: h, rgb };
}
