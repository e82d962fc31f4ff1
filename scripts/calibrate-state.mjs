#!/usr/bin/env node
// Fits the state reader's weights and threshold (src/state/config.ts defaults) on the calibration
// part (70 %, by file-name hash) of a crops dataset with states, and reports the held-out 30 %.
// Usage: npx tsc -p . && node scripts/calibrate-state.mjs [crops-dir]   (default: openalpr-dev crops-us)
/* global console, process */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => import(path.join(root, 'dist', p));
const { loadConfig } = await dist('config/load.js');
const { Vision } = await dist('vision/vision.js');
const { loadImage } = await dist('vision/load-image.js');
const { loadDataset } = await dist('evaluation/dataset.js');
const { createStateReader } = await dist('state/reader.js');
const { fit, outcome, reliability, isHeldOut } = await dist('state/calibrate.js');
const { mergeFormats } = await dist('state/formats.js');
const { normaliseWords } = await dist('state/match.js');
const { editDistance } = await dist('util/edit-distance.js');

const dir = process.argv[2] ?? path.resolve(root, '..', 'shared', 'datasets', 'openalpr-dev', 'crops-us');
const { config } = loadConfig({});
const vision = await Vision.open(config.vision);
const reader = await createStateReader(config, vision);
const samples = [];
for (const item of loadDataset(dir).items.filter((i) => i.state)) {
  const image = await loadImage(item.file);
  const plate = (await vision.readCrop(image))[0]?.plate ?? '';
  const { lines } = await reader.estimate({ plate, crop: image });
  const words = lines
    .map((l) => l.text)
    .filter(
      (t) => !plate || editDistance(normaliseWords(t), plate) > Math.max(1, Math.floor(plate.length / 3)),
    );
  samples.push({ file: item.file, expected: item.state, plate, lines: words });
}
await reader.close();
await vision.close();

const s = config.state;
// Calibrated without a home state: the dataset is not one unit's traffic.
const base = {
  homePrior: s.homePrior,
  textWeight: s.textWeight,
  formatWeight: s.formatWeight,
  minSimilarity: s.minSimilarity,
  formats: mergeFormats(s.formats),
};
const train = samples.filter((x) => !isHeldOut(x.file));
const held = samples.filter((x) => isHeldOut(x.file));
const f = fit(train, base);
console.log(
  `fitted on ${train.length}: textWeight ${f.params.textWeight}, formatWeight ${f.params.formatWeight}, threshold ${f.threshold}`,
);
console.log('calibration', outcome(train, f.params, f.threshold));
console.log('held-out   ', outcome(held, f.params, f.threshold));
console.table(reliability(held, f.params));
