import sharp from 'sharp';
import { openSession, checkInput, ort } from './onnx.js';
import { boxCentre, radians, rawInput, type Box, type RgbImage, type TiltedBox } from './image.js';

export interface TextBox {
  box: Box;
  /** Mean text probability inside the region. */
  score: number;
  /** The line's own rectangle and angle, when it is a long line tilted enough to be turned level. */
  tilted?: TiltedBox;
}

export interface TextDetectorOptions {
  /** Longest side given to the model (multiple of 32). */
  inputSize: number;
  /** Minimum mean probability of a region to count as text. */
  boxThreshold: number;
  threads: number;
}

// ImageNet statistics in B, G, R order: PaddleOCR's detector was trained on BGR images.
const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];
const PIXEL_THRESHOLD = 0.3;
const UNCLIP_RATIO = 1.6;
/**
 * A line is turned level before it is read only when its tilt makes its upright box much taller
 * than the line: its ends rise or fall by MIN_DRIFT of its thickness or more (a plate line four
 * times longer than thick: about 5 degrees). Below that, the upright box reads as well, and
 * turning costs sharpness (measured: docs/recognition.md, "Tilted plates"). Beyond MAX_TILT a
 * region is more likely a blob than a line of text.
 */
const MIN_DRIFT = 0.35;
const MIN_TILT = 2;
const MAX_TILT = 30;
/** Only a region this many times longer than thick has a direction worth trusting. */
const MIN_ELONGATION = 2.5;

export interface DetectOptions {
  /** The longest side the image is shrunk to (default: the model's `inputSize`). */
  maxSide?: number;
  /** Search only this part of the image. */
  region?: Box;
  /** Above 1, a small image may be enlarged, up to `maxSide`. */
  maxScale?: number;
  /** Gaussian blur (pixels at the image's own size) before searching: for noisy pictures. */
  smoothing?: number;
}

/**
 * Finds lines of text with a DB (differentiable binarisation) segmentation model such as
 * PP-OCRv4's detector: the model outputs a text-probability map; connected regions above a
 * threshold become boxes, grown back ("unclipped") to cover whole characters.
 */
export class TextDetector {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly opts: TextDetectorOptions,
  ) {}

  /** `key`: the config key that named `file`, for errors (see refuseSpecialModelFile). */
  static async open(file: string, opts: TextDetectorOptions, key = 'model'): Promise<TextDetector> {
    const session = await openSession(file, opts.threads, key);
    checkInput(session, file, 3);
    return new TextDetector(session, opts);
  }

  /** Text lines in `image`; boxes are in image pixels. */
  async detect(image: RgbImage, opts: DetectOptions = {}): Promise<TextBox[]> {
    const { maxSide = this.opts.inputSize, region, maxScale = 1, smoothing = 0 } = opts;
    const [left, top, width, height] = region ?? [0, 0, image.width, image.height];
    const scale = Math.min(maxScale, maxSide / Math.max(width, height));
    const w = Math.max(32, Math.round((width * scale) / 32) * 32);
    const h = Math.max(32, Math.round((height * scale) / 32) * 32);
    const pixels = await searchedPixels(image, region, smoothing, w, h);
    const plane = w * h;
    const input = new Float32Array(3 * plane);
    for (let c = 0; c < 3; c++) {
      const src = 2 - c; // RGB → BGR
      const mean = MEAN[c]!;
      const std = STD[c]!;
      for (let i = 0; i < plane; i++) input[c * plane + i] = (pixels[i * 3 + src]! / 255 - mean) / std;
    }
    const result = await this.session.run({
      [this.session.inputNames[0]!]: new ort.Tensor('float32', input, [1, 3, h, w]),
    });
    const map = result[this.session.outputNames[0]!]!.data as Float32Array;
    const sx = width / w;
    const sy = height / h;
    const toImage = (b: Box): Box => [left + b[0] * sx, top + b[1] * sy, b[2] * sx, b[3] * sy];
    return regions(map, w, h, this.opts.boxThreshold).map(({ box, score, tilted }) => ({
      score,
      box: toImage(box),
      // The map is stretched to a multiple of 32 on each side (sx, sy within a few % of each
      // other), so the angle is turned by the stretch and the lengths taken at the mean scale.
      ...(tilted && {
        tilted: {
          box: scaledAboutCentre(toImage(tilted.box), tilted.box, (sx + sy) / 2),
          tilt:
            (Math.atan2(Math.sin(radians(tilted.tilt)) * sy, Math.cos(radians(tilted.tilt)) * sx) * 180) /
            Math.PI,
        },
      }),
    }));
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

/**
 * The searched pixels: `region` of the image (or all of it), smoothed by `smoothing` at the
 * image's own size, stretched to w × h. sharp blurs after resizing whatever the order of the
 * calls, so smoothing takes a call of its own; only the region is smoothed, not the frame.
 */
async function searchedPixels(
  image: RgbImage,
  region: Box | undefined,
  smoothing: number,
  w: number,
  h: number,
): Promise<Buffer> {
  let picture = sharp(image.rgb, rawInput(image));
  if (region)
    picture = picture.extract({ left: region[0], top: region[1], width: region[2], height: region[3] });
  if (smoothing > 0) {
    const { data, info } = await picture.blur(smoothing).raw().toBuffer({ resolveWithObject: true });
    picture = sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } });
  }
  return picture.resize(w, h, { fit: 'fill' }).raw().toBuffer();
}

/** Connected regions of the probability map above the pixel threshold, as unclipped boxes. */
export function regions(map: Float32Array, w: number, h: number, boxThreshold: number): TextBox[] {
  const label = new Int32Array(w * h);
  const stack: number[] = [];
  const out: TextBox[] = [];
  let next = 0;
  for (let start = 0; start < w * h; start++) {
    if (label[start] !== 0 || map[start]! < PIXEL_THRESHOLD) continue;
    next++;
    label[start] = next;
    stack.push(start);
    const pixels: number[] = [];
    let minX = w,
      minY = h,
      maxX = 0,
      maxY = 0,
      sum = 0,
      count = 0;
    while (stack.length) {
      const p = stack.pop()!;
      const x = p % w;
      const y = (p - x) / w;
      sum += map[p]!;
      count++;
      pixels.push(p);
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
      const neighbours = [
        x > 0 ? p - 1 : -1,
        x < w - 1 ? p + 1 : -1,
        y > 0 ? p - w : -1,
        y < h - 1 ? p + w : -1,
      ];
      for (const q of neighbours) {
        if (q >= 0 && label[q] === 0 && map[q]! >= PIXEL_THRESHOLD) {
          label[q] = next;
          stack.push(q);
        }
      }
    }
    const bw = maxX - minX + 1;
    const bh = maxY - minY + 1;
    if (count < 6 || Math.min(bw, bh) < 2) continue;
    const score = sum / count;
    if (score < boxThreshold) continue;
    // DB shrinks text regions during training; grow them back by area * ratio / perimeter.
    const d = (bw * bh * UNCLIP_RATIO) / (2 * (bw + bh));
    const tilted = tiltOf(pixels, w);
    out.push({ box: [minX - d, minY - d, bw + 2 * d, bh + 2 * d], score, ...(tilted && { tilted }) });
  }
  return out;
}

/**
 * The direction of a region from its second moments, and its own rectangle along that direction
 * (unclipped as the upright box is); undefined for a region that is level, short or not a line.
 */
function tiltOf(pixels: number[], w: number): TiltedBox | undefined {
  const n = pixels.length;
  let mx = 0;
  let my = 0;
  for (const p of pixels) {
    mx += p % w;
    my += Math.floor(p / w);
  }
  mx /= n;
  my /= n;
  let xx = 0;
  let yy = 0;
  let xy = 0;
  for (const p of pixels) {
    const dx = (p % w) - mx;
    const dy = Math.floor(p / w) - my;
    xx += dx * dx;
    yy += dy * dy;
    xy += dx * dy;
  }
  const angle = 0.5 * Math.atan2(2 * xy, xx - yy);
  const tilt = (angle * 180) / Math.PI;
  if (Math.abs(tilt) < MIN_TILT || Math.abs(tilt) > MAX_TILT) return undefined;
  const [cos, sin] = [Math.cos(angle), Math.sin(angle)];
  let [u0, u1, v0, v1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (const p of pixels) {
    const dx = (p % w) - mx;
    const dy = Math.floor(p / w) - my;
    const u = dx * cos + dy * sin;
    const v = -dx * sin + dy * cos;
    [u0, u1, v0, v1] = [Math.min(u0, u), Math.max(u1, u), Math.min(v0, v), Math.max(v1, v)];
  }
  const [length, thickness] = [u1 - u0 + 1, v1 - v0 + 1];
  if (length < MIN_ELONGATION * thickness) return undefined;
  if (length * Math.abs(Math.sin(angle)) < MIN_DRIFT * thickness) return undefined;
  const d = (length * thickness * UNCLIP_RATIO) / (2 * (length + thickness));
  // The rectangle's centre, back in map coordinates.
  const [cu, cv] = [(u0 + u1) / 2, (v0 + v1) / 2];
  const cx = mx + cu * cos - cv * sin + 0.5;
  const cy = my + cu * sin + cv * cos + 0.5;
  const [L, T] = [length + 2 * d, thickness + 2 * d];
  return { box: [cx - L / 2, cy - T / 2, L, T], tilt };
}

/** `box` (already moved to the picture) with the size of `mapBox` times `scale`, same centre. */
function scaledAboutCentre(box: Box, mapBox: Box, scale: number): Box {
  const [cx, cy] = boxCentre(box);
  const [w, h] = [mapBox[2] * scale, mapBox[3] * scale];
  return [cx - w / 2, cy - h / 2, w, h];
}
