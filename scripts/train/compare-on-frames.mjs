#!/usr/bin/env node
// Compares recognisers on the same plate crops of full frames, apart from everything else the
// pipeline does. `lpr-edge eval` on full frames measures a model together with the choice among
// a frame's text lines and the plate-format fixes, and a new model changes those too (a model
// that is sure of some vehicle lettering hides the plate behind it). Here the shipped pipeline
// picks, once, the line crop over each labelled plate; every model then reads those same crops,
// with no format fixing, and the script prints each model's exact-read rate and misreads.
// Usage: npx tsc -p . && node scripts/train/compare-on-frames.mjs MODEL.onnx [MODEL.onnx ...]
//        (frames: --frames DIR, default ../shared/datasets/openalpr-dev/endtoend-us;
//        --labelled-box PAD: read the labelled plate box grown by PAD of its size on every side
//        instead, as a plate detector as good as the labels would crop it)
/* global console, process */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = (p) => import(path.join(root, 'dist', p));
const { loadConfig } = await dist('config/load.js');
const { Vision } = await dist('vision/vision.js');
const { Recogniser } = await dist('vision/recogniser.js');
const { loadImage } = await dist('vision/load-image.js');
const { loadDataset } = await dist('evaluation/dataset.js');
const { overlapOfSmaller } = await dist('vision/plate-shape.js');

const args = process.argv.slice(2);
const at = args.indexOf('--frames');
const frames =
  at >= 0
    ? args.splice(at, 2)[1]
    : path.resolve(root, '..', 'shared', 'datasets', 'openalpr-dev', 'endtoend-us');
const boxAt = args.indexOf('--labelled-box');
const boxPad = boxAt >= 0 ? Number(args.splice(boxAt, 2)[1]) : null;
if (args.length === 0 || Number.isNaN(boxPad)) {
  console.error(
    'usage: compare-on-frames.mjs MODEL.onnx [MODEL.onnx ...] [--frames DIR] [--labelled-box PAD]',
  );
  process.exit(2);
}

// The crop the shipped pipeline reads for each labelled plate (its best observation over the box),
// or with --labelled-box the labelled box itself.
const { config } = loadConfig({});
const vision = await Vision.open(config.vision);
const crops = [];
for (const item of loadDataset(frames).items) {
  const image = await loadImage(item.file);
  const found = (await vision.findPlatesInStill(image)).find(
    (p) => item.box && overlapOfSmaller(p.lineBox, item.box) > 0.5,
  );
  const box = boxPad === null ? found?.box : grown(item.box, boxPad, image);
  if (box) crops.push({ name: path.basename(item.file), plate: item.plate, image, box });
  else console.error(`${path.basename(item.file)}: no line over the labelled plate`);
}
await vision.close();

/**
 * A labelled box grown by `pad` of its width and height on every side, within the frame. Rounded
 * to the nearest pixel, not widened to whole pixels as `clampBox` does: the figures in
 * models/plate-rec.md were measured so, and one frame reads differently the other way.
 */
function grown([x, y, w, h], pad, image) {
  const x0 = Math.max(0, Math.round(x - pad * w));
  const y0 = Math.max(0, Math.round(y - pad * h));
  const x1 = Math.min(image.width, Math.round(x + w + pad * w));
  const y1 = Math.min(image.height, Math.round(y + h + pad * h));
  return [x0, y0, x1 - x0, y1 - y0];
}

for (const model of args) {
  const recogniser = await Recogniser.open(model, config.vision.threads);
  const misreads = [];
  for (const c of crops) {
    const [reading] = await recogniser.recognise(c.image, [c.box]);
    if (reading.text !== c.plate) misreads.push(`${c.name}: ${c.plate} read ${reading.text}`);
  }
  await recogniser.close();
  const exact = crops.length - misreads.length;
  console.log(
    `${model}: ${exact} of ${crops.length} plate crops read exactly (${((100 * exact) / crops.length).toFixed(1)} %)`,
  );
  for (const m of misreads) console.log(`  ${m}`);
}
