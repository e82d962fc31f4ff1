import type { Box, RgbImage } from './image.js';
import { CROP_GREY_WASM } from './crop-grey-wasm.js';

/*
 * Crop + greyscale + stretch of a plate crop, synchronous, without sharp.
 *
 * It reproduces sharp 0.35 / libvips 8.18 for
 *   sharp(raw rgb).extract(box).resize(w, h, { fit: 'fill', kernel: 'linear' }).greyscale().raw()
 * to within rounding (see test/vision-resize.test.ts), because the recogniser was trained and
 * evaluated on sharp's pixels: a merely plausible resampler (an earlier attempt) cost accuracy on
 * small upscaled plates. sharp itself costs ~6 ms per call in fixed overhead, more than the model.
 *
 * The pixel loops are C compiled to WebAssembly (crop-grey.c, which says step by step what libvips
 * does): the same steps in TypeScript took 2.6 ms for a crops-us crop of about 320x150 on this
 * machine, the WebAssembly about 0.8 ms, with identical pixels. This module computes the lookup
 * tables (the C has no Math.pow) and moves pixels in and out of the module's memory.
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

/** libvips' last step to grey: linear light (times 255, float32) to 8-bit sRGB, interpolating. */
function toSrgb(at: number): number {
  const i = at | 0;
  const lo = fromLinear[i]!;
  return Math.round(lo + (fromLinear[i + 1]! - lo) * Math.fround(at - i));
}

/**
 * toSrgb() by 1/64 steps of its input, -1 where the output changes inside a step: most pixels are
 * looked up, the rest computed (the interpolation was most of the grey conversion's cost).
 */
const STEPS = 64;
const stepped = new Int16Array(256 * STEPS + 1);
for (let k = 0; k <= 256 * STEPS; k++) {
  const lo = toSrgb(Math.min(255, k / STEPS));
  stepped[k] = lo === toSrgb(Math.min(255, (k + 1) / STEPS)) ? lo : -1;
}

/** An instance of the compiled module, with the tables above copied into its memory. */
interface CropModule {
  memory: WebAssembly.Memory;
  /** Where free memory starts: after the module's own data and stack. */
  heapBase: number;
  run(rgb: number, w: number, h: number, out: number, width: number, height: number, free: number): void;
}

let compiled: WebAssembly.Module | undefined;
/** The instance every crop uses, unless it needs more than KEPT_MEMORY_BYTES. */
let kept: CropModule | undefined;
/**
 * WebAssembly memory grows but never shrinks: a crop needing more than this (a multi-megapixel box
 * of a large photo) gets an instance of its own, dropped afterwards, so that one such crop does not
 * hold hundreds of megabytes for the life of the daemon. A 1920x1080 box needs about 15 MB.
 */
const KEPT_MEMORY_BYTES = 32 * 1024 * 1024;

function instantiate(): CropModule {
  compiled ??= new WebAssembly.Module(Buffer.from(CROP_GREY_WASM, 'base64'));
  const exports = new WebAssembly.Instance(compiled).exports as {
    memory: WebAssembly.Memory;
    __heap_base: WebAssembly.Global;
    table_address(table: number): number;
    crop_grey_resized: CropModule['run'];
  };
  // In the order of crop-grey.c's table enum.
  [shareR, shareG, shareB, fromLinear, stepped].forEach((table, n) =>
    new Uint8Array(exports.memory.buffer, exports.table_address(n), table.byteLength).set(
      new Uint8Array(table.buffer),
    ),
  );
  return {
    memory: exports.memory,
    heapBase: exports.__heap_base.value as number,
    run: exports.crop_grey_resized,
  };
}

const align8 = (n: number) => (n + 7) & ~7;

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
  // Layout after the module's own memory: the box's RGB rows, the output, then scratch for the C
  // code. The scratch bound: planes adding up to at most four times the box (grey, reduced down,
  // reduced across, and the half-size box pre-shrinks before each), filter tables of at most 9 taps
  // per output sample, per-line sums, and alignment padding.
  const outOffset = align8(w * h * 3);
  const scratchOffset = align8(outOffset + width * height);
  const needed = scratchOffset + 4 * (w * h + 8) + 80 * (width + height) + 8 * (w + h) + 1024;
  const { memory, heapBase, run } = needed > KEPT_MEMORY_BYTES ? instantiate() : (kept ??= instantiate());
  const rgbAt = heapBase;
  const outAt = heapBase + outOffset;
  const end = heapBase + needed;
  if (end > memory.buffer.byteLength) memory.grow(Math.ceil((end - memory.buffer.byteLength) / 65536));
  const heap = new Uint8Array(memory.buffer);
  const row = w * 3;
  for (let line = 0; line < h; line++) {
    const from = ((y + line) * img.width + x) * 3;
    heap.set(img.rgb.subarray(from, from + row), rgbAt + line * row);
  }
  run(rgbAt, w, h, outAt, width, height, heapBase + scratchOffset);
  return heap.slice(outAt, outAt + width * height);
}
