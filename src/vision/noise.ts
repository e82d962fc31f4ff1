import type { RgbImage } from './image.js';

/**
 * Sensor noise at or above this (standard deviation, grey levels) makes the text detector search
 * a smoothed copy of the picture. openalpr-dev's camera frames (endtoend-us, endtoend-eu) measure
 * at most 3.5; the same frames with a quarter of the light, gained back up, 4.4–8.2 (median 5.6).
 */
export const NOISY = 4.5;
/** Gaussian blur (pixels) of the copy the detector searches when the picture is noisy. */
const SMOOTHING_SIGMA = 1;
/** About this many pixels are measured, on an even grid: a 1080p frame's noise in about 1 ms. */
const SAMPLES = 20_000;

/**
 * The picture's noise, as the standard deviation of a Gaussian noise in grey levels: the median
 * response of a Laplacian difference that cancels flat areas and straight edges (Immerkær's
 * operator; its weights' squares sum to 36, so pure noise of deviation s gives responses of
 * deviation 6s, whose absolute values have a median of 0.6745 × 6s). The median, not the mean,
 * so that a picture's own texture and edges, which are few of its pixels, do not count as noise.
 */
export function noiseLevel(image: RgbImage): number {
  const { width, height, rgb } = image;
  if (width < 3 || height < 3) return 0;
  const grey = (x: number, y: number) => {
    const i = (y * width + x) * 3;
    return 0.299 * rgb[i]! + 0.587 * rgb[i + 1]! + 0.114 * rgb[i + 2]!;
  };
  const step = Math.max(1, Math.floor(Math.sqrt(((width - 2) * (height - 2)) / SAMPLES)));
  // Responses counted in bins of a quarter grey level: the median without sorting a million values.
  const bins = new Uint32Array(4 * 255 * 16 + 1);
  let count = 0;
  for (let y = 1; y < height - 1; y += step)
    for (let x = 1; x < width - 1; x += step) {
      const response =
        grey(x - 1, y - 1) -
        2 * grey(x, y - 1) +
        grey(x + 1, y - 1) -
        2 * grey(x - 1, y) +
        4 * grey(x, y) -
        2 * grey(x + 1, y) +
        grey(x - 1, y + 1) -
        2 * grey(x, y + 1) +
        grey(x + 1, y + 1);
      bins[Math.min(bins.length - 1, Math.round(Math.abs(response) * 4))]!++;
      count++;
    }
  let seen = 0;
  let bin = 0;
  while (seen + bins[bin]! <= count / 2) seen += bins[bin++]!;
  return bin / 4 / (6 * 0.6745);
}

/**
 * How much the text detector should smooth the picture before searching it (Gaussian sigma,
 * pixels): a noisy picture (low light gained up) a little, a clean one not at all. Noise breaks
 * the detector's character lines into pieces; a slight blur joins them again and costs clean
 * pictures their sharpness, so only noisy ones get it. Characters are always read from the
 * picture itself.
 */
export function detectionSmoothing(image: RgbImage): number {
  return noiseLevel(image) < NOISY ? 0 : SMOOTHING_SIGMA;
}
