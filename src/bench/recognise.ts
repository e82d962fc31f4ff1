import { readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Recogniser } from '../vision/recogniser.js';
import type { Box, RgbImage } from '../vision/image.js';
import { loadImage } from '../vision/load-image.js';
import { BUNDLED_MODELS } from '../config/defaults.js';
import { round } from '../util/format.js';
import { percentile } from './percentile.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const CROPS = path.resolve(here, '..', '..', '..', 'shared', 'datasets', 'openalpr-dev', 'crops-us');

export interface RecogniseBenchResult {
  model: string;
  threads: number;
  crops: number;
  /** One crop per model call, as for a frame with one plate. */
  singleMedianMs: number;
  singleP95Ms: number;
  /** Four crops in one call, per crop, as for a frame with several candidate lines. */
  batchOf4MsPerCrop: number;
}

/**
 * The plate recogniser alone on real plate crops (openalpr-dev crops-us, beside the project):
 * crop, resize, normalise, inference and CTC decoding, per crop, with 1 and 2 threads. Then the
 * same for the second-opinion recogniser, which reads once per plate rather than per line.
 */
export async function benchRecognise(): Promise<RecogniseBenchResult[]> {
  if (!existsSync(CROPS)) {
    console.log(JSON.stringify({ skipped: `no crops at ${CROPS}` }));
    return [];
  }
  const files = readdirSync(CROPS)
    .filter((f) => /\.(png|jpe?g)$/i.test(f))
    .sort()
    .slice(0, 100);
  const images: RgbImage[] = [];
  for (const f of files) images.push(await loadImage(path.join(CROPS, f)));
  const whole = (img: RgbImage): Box => [0, 0, img.width, img.height];
  const results: RecogniseBenchResult[] = [];
  const models = [BUNDLED_MODELS.recogniser, BUNDLED_MODELS.secondOpinion];
  for (const [model, threads] of models.flatMap((m) => [1, 2].map((t) => [m, t] as const))) {
    const rec = await Recogniser.open(model, threads);
    try {
      for (const img of images.slice(0, 10)) await rec.recognise(img, [whole(img)]); // warm-up
      const single: number[] = [];
      for (const img of images) {
        const t = performance.now();
        await rec.recognise(img, [whole(img)]);
        single.push(performance.now() - t);
      }
      // Four crops of one frame in one model call (the same plate four times: the work per crop
      // does not depend on what it shows).
      const t = performance.now();
      for (const img of images)
        await rec.recognise(
          img,
          Array.from({ length: 4 }, () => whole(img)),
        );
      const batchOf4MsPerCrop = (performance.now() - t) / (images.length * 4);
      single.sort((a, b) => a - b);
      const result = {
        model: path.basename(model, '.onnx'),
        threads,
        crops: images.length,
        singleMedianMs: round(percentile(single, 50), 2),
        singleP95Ms: round(percentile(single, 95), 2),
        batchOf4MsPerCrop: round(batchOf4MsPerCrop, 2),
      };
      console.log(JSON.stringify(result));
      results.push(result);
    } finally {
      await rec.close();
    }
  }
  return results;
}
