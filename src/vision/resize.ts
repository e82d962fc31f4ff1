import type { Box, RgbImage } from './image.js';

/*
 * Crop + greyscale + stretch of a plate crop in plain TypeScript, synchronous.
 *
 * It reproduces sharp 0.35 / libvips 8.18 for
 *   sharp(raw rgb).extract(box).resize(w, h, { fit: 'fill', kernel: 'linear' }).greyscale().raw()
 * to within rounding (see test/vision-resize.test.ts), because the recogniser was trained and
 * evaluated on sharp's pixels: a merely plausible resampler (an earlier attempt) cost accuracy on
 * small upscaled plates. sharp itself costs ~6 ms per call in fixed overhead, more than the model.
 *
 * What libvips does, step by step, and so what this module does:
 * 1. greyscale BEFORE resizing (sharp's pipeline order), through linear light: 8-bit sRGB to
 *    linear with a float lookup table, Y = 0.2126 R + 0.7152 G + 0.0722 B in float32, then back
 *    to 8-bit sRGB by interpolating in an integer lookup table.
 * 2. vertical reduce, then horizontal reduce, for each axis that shrinks (vips_reducev/h):
 *    when the axis shrinks by 4x or more, first an integer box shrink by k = floor(factor / 2)
 *    (vips "gap" 2.0), with libvips' own fixed-point average; then a triangle filter as wide as
 *    the remaining factor, centred on each output pixel's centre, with 12-bit integer weights
 *    and edge pixels repeated.
 * 3. for the axes that grow, one bilinear pass (vips_affine) sampling input x = out x / scale
 *    - 0.5, edge pixels repeated. An axis with scale 1 in that pass is still shifted by half a
 *    pixel, as libvips does.
 */

/**
 * Each channel's share of luminance by 8-bit sRGB value (linear light times its weight, rounded to
 * float32 as in libvips), and linear light in 1/255 steps back to 8-bit sRGB. The per-pixel sum is
 * then done in double precision, not float32 like libvips: half the time, and only 7 of the 4.2
 * million pixels of the crops-us crops come out one grey level apart.
 */
const shareR = new Float64Array(256);
const shareG = new Float64Array(256);
const shareB = new Float64Array(256);
const fromLinear = new Int32Array(257);
for (let i = 0; i < 256; i++) {
  const f = Math.fround(i / 255);
  const linear = Math.fround(f <= 0.04045 ? f / 12.92 : Math.pow((f + 0.055) / 1.055, 2.4));
  shareR[i] = Math.fround(Math.fround(0.2126) * linear);
  shareG[i] = Math.fround(Math.fround(0.7152) * linear);
  shareB[i] = Math.fround(Math.fround(0.0722) * linear);
  const v = Math.fround(f <= 0.0031308 ? 12.92 * f : 1.055 * Math.pow(f, 1 / 2.4) - 0.055);
  fromLinear[i] = Math.round(255 * v);
}
fromLinear[256] = fromLinear[255]!; // lets the interpolation below read [i + 1] at i = 255

/** libvips' fixed-point scale for resampling weights (VIPS_INTERPOLATE_SHIFT = 12). */
const SHIFT = 12;
const ONE = 1 << SHIFT;
const HALF = ONE >> 1;

/** C rint(): round half to even (decides the tap count at factors like 2.5). */
function rint(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** libvips' last step to grey: linear light (times 255, float32) to 8-bit sRGB, interpolating. */
function toSrgb(at: number): number {
  const i = at | 0;
  const lo = fromLinear[i]!;
  return Math.round(lo + (fromLinear[i + 1]! - lo) * Math.fround(at - i));
}

/**
 * toSrgb() by 1/64 steps of its input, -1 where the output changes inside a step: most pixels are
 * looked up, the rest computed (the interpolation was most of greyCrop's cost).
 */
const STEPS = 64;
const stepped = new Int16Array(256 * STEPS + 1);
for (let k = 0; k <= 256 * STEPS; k++) {
  const lo = toSrgb(Math.min(255, k / STEPS));
  stepped[k] = lo === toSrgb(Math.min(255, (k + 1) / STEPS)) ? lo : -1;
}

function greyCrop(img: RgbImage, [x0, y0, w, h]: Box): Uint8Array {
  const out = new Uint8Array(w * h);
  const rgb = img.rgb;
  for (let y = 0, q = 0; y < h; y++) {
    for (let p = ((y0 + y) * img.width + x0) * 3, end = p + w * 3; p < end; p += 3) {
      // The weights sum to a hair over 1, so white can land just above 255.
      const at = Math.min(255, (shareR[rgb[p]!]! + shareG[rgb[p + 1]!]! + shareB[rgb[p + 2]!]!) * 255);
      const g = stepped[(at * STEPS) | 0]!;
      out[q++] = g >= 0 ? g : toSrgb(at);
    }
  }
  return out;
}

/**
 * A plane of `len` samples along the axis being resampled and `lines` across it. `step` is the
 * distance between neighbours along the axis, `lineStep` between lines.
 */
interface Plane {
  data: Uint8Array;
  len: number;
  lines: number;
  vertical: boolean;
}

function strides(p: { len: number; lines: number; vertical: boolean }): [step: number, lineStep: number] {
  return p.vertical ? [p.lines, 1] : [1, p.len];
}

/** vips_shrinkh/v (ceil mode): mean of each k samples, the last block padded with the edge sample. */
function boxShrink(src: Plane, k: number): Plane {
  const len = Math.ceil(src.len / k);
  const dst: Plane = { data: new Uint8Array(len * src.lines), len, lines: src.lines, vertical: src.vertical };
  const [ss, sl] = strides(src);
  const [ds, dl] = strides(dst);
  // libvips' SIMD path: (sum + k/2) * floor(2^24 / k) >> 24, which is not always round-to-nearest.
  const multiplier = Math.floor(2 ** 24 / k);
  // Across lines innermost: contiguous memory when shrinking vertically, the costly direction.
  const { data: from, lines } = src;
  const to = dst.data;
  const sums = new Int32Array(lines);
  for (let o = 0; o < len; o++) {
    sums.fill(k >> 1);
    for (let j = 0; j < k; j++) {
      const at = Math.min(src.len - 1, o * k + j) * ss;
      for (let line = 0; line < lines; line++) sums[line]! += from[at + line * sl]!;
    }
    for (let line = 0; line < lines; line++)
      to[line * dl + o * ds] = Math.floor((sums[line]! * multiplier) / 2 ** 24);
  }
  return dst;
}

/** vips_reduceh/v with the linear kernel, from `src.len` down to `outLen` samples per line. */
function reduce(input: Plane, outLen: number): Plane {
  // sharp passes 1 / (in / out) to vips_resize, which passes 1 / that to reduce: keep the round trip.
  let factor = 1 / (1 / (input.len / outLen));
  let extra = outLen * factor - input.len; // > 0: samples invented past the edges, split evenly
  let src = input;
  const k = Math.max(1, Math.floor(input.len / outLen / 2));
  if (k > 1) {
    src = boxShrink(input, k);
    factor /= k;
    extra /= k;
  }
  if (factor === 1) return src;
  const taps = 2 * rint(factor) + 1;
  const half = taps >> 1;
  const index = new Int32Array(outLen * taps);
  const weight = new Int32Array(outLen * taps);
  const c = new Float64Array(taps);
  // Input position of output sample 0 (centre convention; pixel i covers [i, i + 1)), computed
  // in libvips' order of operations so that the weights round the same way.
  const shift = (1 + extra) / 2 - 1;
  let pos = 0.5 * factor - 0.5 - shift;
  for (let o = 0; o < outLen; o++, pos += factor) {
    const first = Math.trunc(pos);
    const offset = pos - first + taps / 2 - 1;
    let sum = 0;
    for (let i = 0; i < taps; i++) {
      c[i] = Math.max(0, 1 - Math.abs((i - offset) / factor));
      sum += c[i]!;
    }
    for (let i = 0; i < taps; i++) {
      index[o * taps + i] = Math.min(src.len - 1, Math.max(0, first - half + i));
      weight[o * taps + i] = Math.trunc((c[i]! / sum) * ONE);
    }
  }
  const dst: Plane = {
    data: new Uint8Array(outLen * src.lines),
    len: outLen,
    lines: src.lines,
    vertical: src.vertical,
  };
  const [ss, sl] = strides(src);
  const [ds, dl] = strides(dst);
  // Across lines innermost (contiguous when reducing vertically); integer sums, so the order of
  // the additions does not change the result.
  const { data: from, lines } = src;
  const to = dst.data;
  const acc = new Int32Array(lines);
  for (let o = 0, t = 0; o < outLen; o++) {
    acc.fill(HALF);
    for (let i = 0; i < taps; i++, t++) {
      const w = weight[t]!;
      const at = index[t]! * ss;
      for (let line = 0; line < lines; line++) acc[line]! += w * from[at + line * sl]!;
    }
    for (let line = 0; line < lines; line++)
      to[line * dl + o * ds] = Math.min(255, Math.max(0, acc[line]! >> SHIFT));
  }
  return dst;
}

/** vips_affine with the bilinear interpolator as vips_resize uses it to enlarge. */
function bilinear(src: Uint8Array, w: number, h: number, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height);
  const xStep = 1 / (1 / (w / width));
  const yStep = 1 / (1 / (h / height));
  for (let yo = 0; yo < height; yo++) {
    const y = Math.min(h - 1, Math.max(0, yo * yStep - 0.5));
    const y0 = Math.floor(y);
    const row0 = y0 * w;
    const row1 = Math.min(h - 1, y0 + 1) * w;
    const fy = Math.trunc((y - y0) * ONE);
    for (let xo = 0; xo < width; xo++) {
      const x = Math.min(w - 1, Math.max(0, xo * xStep - 0.5));
      const x0 = Math.floor(x);
      const x1 = Math.min(w - 1, x0 + 1);
      const fx = Math.trunc((x - x0) * ONE);
      const c4 = (fy * fx) >> SHIFT;
      const c2 = ((ONE - fy) * fx) >> SHIFT;
      const c3 = fy - c4;
      const c1 = ONE - fy - c2;
      const v = c1 * src[row0 + x0]! + c2 * src[row0 + x1]! + c3 * src[row1 + x0]! + c4 * src[row1 + x1]!;
      out[yo * width + xo] = (v + HALF) >> SHIFT;
    }
  }
  return out;
}

/**
 * `box` of `img` in grey, stretched to width x height: the bytes sharp gives for
 * extract(box).resize(width, height, { fit: 'fill', kernel: 'linear' }).greyscale().raw().
 */
export function cropGreyResized(img: RgbImage, box: Box, width: number, height: number): Uint8Array {
  const [x, y, w, h] = box;
  const whole = (n: number) => Number.isInteger(n) && n >= 0;
  if (![x, y, w, h, width, height].every(whole) || w < 1 || h < 1 || width < 1 || height < 1)
    throw new RangeError(`bad crop ${box.join(',')} -> ${width}x${height}`);
  if (x + w > img.width || y + h > img.height)
    throw new RangeError(`crop ${box.join(',')} outside the ${img.width}x${img.height} image`);
  let plane: Plane = { data: greyCrop(img, box), len: h, lines: w, vertical: true };
  if (height < h) plane = reduce(plane, height);
  const rows = plane.len;
  plane = { data: plane.data, len: w, lines: rows, vertical: false };
  if (width < w) plane = reduce(plane, width);
  const cols = plane.len;
  if (width > cols || height > rows) return bilinear(plane.data, cols, rows, width, height);
  return plane.data;
}
