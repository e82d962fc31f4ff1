import sharp from 'sharp';
import { openSession, checkInput, ort } from './onnx.js';
import { rawInput, type Box, type RgbImage } from './image.js';

export interface TextBox {
  box: Box;
  /** Mean text probability inside the region. */
  score: number;
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
 * Finds lines of text with a DB (differentiable binarisation) segmentation model such as
 * PP-OCRv4's detector: the model outputs a text-probability map; connected regions above a
 * threshold become boxes, grown back ("unclipped") to cover whole characters.
 */
export class TextDetector {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly opts: TextDetectorOptions,
  ) {}

  static async open(file: string, opts: TextDetectorOptions): Promise<TextDetector> {
    const session = await openSession(file, opts.threads);
    checkInput(session, file, 3);
    return new TextDetector(session, opts);
  }

  /**
   * Text lines in `image` (or only in `region` of it, in one sharp call), shrunk first so the
   * longest side is at most `maxSide` (default: `inputSize`). Boxes are in image pixels.
   * `maxScale` above 1 lets a small image be enlarged, up to `maxSide`.
   */
  async detect(
    image: RgbImage,
    maxSide = this.opts.inputSize,
    region?: Box,
    maxScale = 1,
  ): Promise<TextBox[]> {
    const [left, top, width, height] = region ?? [0, 0, image.width, image.height];
    const scale = Math.min(maxScale, maxSide / Math.max(width, height));
    const w = Math.max(32, Math.round((width * scale) / 32) * 32);
    const h = Math.max(32, Math.round((height * scale) / 32) * 32);
    let picture = sharp(image.rgb, rawInput(image));
    if (region) picture = picture.extract({ left, top, width, height });
    const pixels = await picture.resize(w, h, { fit: 'fill' }).raw().toBuffer();
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
    return regions(map, w, h, this.opts.boxThreshold).map(({ box, score }) => ({
      score,
      box: [left + box[0] * sx, top + box[1] * sy, box[2] * sx, box[3] * sy] as Box,
    }));
  }

  async close(): Promise<void> {
    await this.session.release();
  }
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
    out.push({ box: [minX - d, minY - d, bw + 2 * d, bh + 2 * d], score });
  }
  return out;
}
