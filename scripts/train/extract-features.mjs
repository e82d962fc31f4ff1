#!/usr/bin/env node
// Runs an ONNX model with one grey input over a file of uint8 images and writes its first output
// as float32, for train_pp.py: Debian's Python has no onnxruntime, so the frozen part of
// PP-OCRv4's recogniser is run here, with the same runtime lpr-edge uses.
// Usage: node scripts/train/extract-features.mjs MODEL.onnx IMAGES.u8 COUNT HEIGHT WIDTH OUT.f32
//   IMAGES.u8: COUNT images of HEIGHT x WIDTH bytes, row by row; each pixel p goes in as (p/255 - 0.5) / 0.5.
/* global console, process, Buffer */
import fs from 'node:fs';
import * as ort from 'onnxruntime-node';

const [model, images, count, height, width, out] = process.argv.slice(2);
if (!out) {
  console.error('usage: extract-features.mjs MODEL.onnx IMAGES.u8 COUNT HEIGHT WIDTH OUT.f32');
  process.exit(2);
}
const [n, h, w] = [Number(count), Number(height), Number(width)];
const BATCH = 64;
const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 2, interOpNumThreads: 1 });
const pixels = fs.readFileSync(images);
if (pixels.length !== n * h * w) {
  console.error(`${images}: ${pixels.length} bytes, expected ${n} x ${h} x ${w}`);
  process.exit(2);
}
const fd = fs.openSync(out, 'w');
for (let start = 0; start < n; start += BATCH) {
  const size = Math.min(BATCH, n - start);
  const input = new Float32Array(size * h * w);
  for (let i = 0; i < input.length; i++) input[i] = (pixels[start * h * w + i] / 255 - 0.5) / 0.5;
  const result = await session.run({
    [session.inputNames[0]]: new ort.Tensor('float32', input, [size, 1, h, w]),
  });
  const data = result[session.outputNames[0]].data;
  fs.writeSync(fd, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
}
fs.closeSync(fd);
