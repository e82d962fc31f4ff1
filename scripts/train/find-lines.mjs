#!/usr/bin/env node
// Finds the character line in each training crop of crops-us as lpr-edge finds it on full frames
// (the text detector's line box), so that train.py can also train on real line crops: on full
// frames the recogniser reads that line with a small margin, not the whole plate.
// Only the train split is read (the held-out 30 % stays unseen); of the detected lines, the one
// whose reading is nearest the label is kept, if it has the label's length and is within two
// edits of it.
// Usage: npx tsc -p . && node scripts/train/find-lines.mjs [crops-dir] > scripts/train/crops-us-lines.json
/* global console, process */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = (p) => import(path.join(root, 'dist', p));
const { loadConfig } = await dist('config/load.js');
const { Vision } = await dist('vision/vision.js');
const { loadImage } = await dist('vision/load-image.js');
const { loadDataset } = await dist('evaluation/dataset.js');
const { isHeldOut } = await dist('state/calibrate.js');
const { editDistance } = await dist('util/edit-distance.js');

const dir = process.argv[2] ?? path.resolve(root, '..', 'shared', 'datasets', 'openalpr-dev', 'crops-us');
const { config } = loadConfig({});
const vision = await Vision.open(config.vision);
const lines = {};
let train = 0;
for (const item of loadDataset(dir).items.filter((i) => !isHeldOut(i.file))) {
  train++;
  const found = await vision.findPlatesInStill(await loadImage(item.file));
  // Same length, so the line holds every labelled character (a line that misses stacked
  // characters would teach the model to invent them); a few misread ones are what it should learn.
  const best = found
    .filter((p) => p.plate.length === item.plate.length)
    .map((p) => ({ box: p.lineBox, edits: editDistance(p.plate, item.plate) }))
    .sort((a, b) => a.edits - b.edits)[0];
  if (best && best.edits <= 2) lines[path.basename(item.file)] = best.box.map((v) => Math.round(v * 10) / 10);
}
await vision.close();
console.error(`${Object.keys(lines).length} of ${train} training crops have a character line`);
const entries = Object.entries(lines).map(
  ([file, box]) => `  ${JSON.stringify(file)}: ${JSON.stringify(box)}`,
);
console.log(`{\n${entries.join(',\n')}\n}`);
