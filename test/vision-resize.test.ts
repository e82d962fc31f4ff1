import { describe, expect, it, beforeAll } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { cropGreyResized } from '../src/vision/resize.js';
import { loadImage } from '../src/vision/load-image.js';
import { rawInput, type Box, type RgbImage } from '../src/vision/image.js';
import { DATASET } from './helpers/cli.js';

// The recogniser's crops come from cropGreyResized instead of sharp (sharp's fixed cost per call
// was most of the recognition time), so its pixels must stay the ones the model was trained and
// evaluated on: sharp's.
async function viaSharp(img: RgbImage, box: Box, width: number, height: number): Promise<Buffer> {
  return sharp(img.rgb, rawInput(img))
    .extract({ left: box[0], top: box[1], width: box[2], height: box[3] })
    .resize(width, height, { fit: 'fill', kernel: 'linear' })
    .greyscale()
    .raw()
    .toBuffer();
}

async function difference(img: RgbImage, box: Box, width = 128, height = 32) {
  const expected = await viaSharp(img, box, width, height);
  const actual = cropGreyResized(img, box, width, height);
  let sum = 0;
  let max = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(expected[i]! - actual[i]!);
    sum += d;
    max = Math.max(max, d);
  }
  return { length: actual.length, expectedLength: expected.length, mean: sum / expected.length, max };
}

describe('cropGreyResized matches sharp on real photos', () => {
  const dir = path.join(DATASET, 'endtoend-us');
  const labels = readdirSync(dir)
    .filter((f) => f.endsWith('.txt'))
    .sort()
    .slice(0, 6);
  const photos: { img: RgbImage; plate: Box }[] = [];

  beforeAll(async () => {
    for (const label of labels) {
      const [file, x, y, w, h] = readFileSync(path.join(dir, label), 'utf8').trim().split('\t');
      photos.push({ img: await loadImage(path.join(dir, file!)), plate: [x, y, w, h].map(Number) as Box });
    }
  });

  it('labelled plate boxes, padded, halved and tripled: same size, < 0.1 grey level apart', async () => {
    let sum = 0;
    let n = 0;
    for (const { img, plate } of photos) {
      const [x, y, w, h] = plate;
      const boxes: Box[] = [
        plate,
        [x - 3, y - 4, w + 6, h + 8],
        [x + 2, y + 2, w >> 1, h >> 1], // upscaled about 4x
        [Math.max(0, x - 60), Math.max(0, y - 40), w * 3 + 1, h * 3 + 3], // shrunk with a box pre-shrink
      ];
      for (const box of boxes) {
        const d = await difference(img, box);
        expect(d.length).toBe(d.expectedLength);
        expect(d.length).toBe(128 * 32);
        expect(d.max).toBeLessThanOrEqual(2);
        sum += d.mean;
        n++;
      }
    }
    expect(sum / n).toBeLessThan(0.1);
  });

  it('edge cases: 1x1 box, box at the image corner, very wide box, 10x upscale', async () => {
    const { img, plate } = photos[0]!;
    const cases: Box[] = [
      [plate[0], plate[1], 1, 1],
      [img.width - 37, img.height - 11, 37, 11], // touches the right and bottom edges
      [0, plate[1], img.width, 20], // the whole width, squeezed 5x+ across and stretched down
      [plate[0], plate[1], 13, 3], // 10x up
      [0, 0, img.width, img.height], // whole frame, 10x+ down both ways
    ];
    for (const box of cases) {
      const d = await difference(img, box);
      expect(d.length, box.join(',')).toBe(d.expectedLength);
      expect(d.mean, box.join(',')).toBeLessThan(0.1);
      expect(d.max, box.join(',')).toBeLessThanOrEqual(2);
    }
    // Other model sizes (PP-OCR's 240x48) and a crop that is already the model size.
    expect((await difference(img, plate, 240, 48)).mean).toBeLessThan(0.1);
    expect((await difference(img, [plate[0], plate[1], 128, 32])).mean).toBe(0);
  });

  it('rejects a box outside the image or with no pixels, as sharp does', () => {
    const { img } = photos[0]!;
    expect(() => cropGreyResized(img, [img.width - 5, 0, 10, 10], 128, 32)).toThrow(RangeError);
    expect(() => cropGreyResized(img, [0, 0, 0, 10], 128, 32)).toThrow(RangeError);
    expect(() => cropGreyResized(img, [0.5, 0, 10, 10], 128, 32)).toThrow(RangeError);
  });

  it('a multi-megapixel box (its own WebAssembly memory) and a small one after it', async () => {
    // A 4000x3000 photo made of the real frame tiled, so that the box holds real plate detail.
    const { img } = photos[0]!;
    const big = { width: 4000, height: 3000, rgb: Buffer.alloc(4000 * 3000 * 3) };
    for (let y = 0; y < big.height; y++)
      for (let x = 0; x < big.width; x += img.width) {
        const from = (y % img.height) * img.width * 3;
        const n = Math.min(img.width, big.width - x) * 3;
        img.rgb.copy(big.rgb, (y * big.width + x) * 3, from, from + n);
      }
    const d = await difference(big, [0, 0, 4000, 3000]);
    expect(d.mean).toBeLessThan(0.1);
    expect(d.max).toBeLessThanOrEqual(2);
    expect((await difference(img, photos[0]!.plate)).mean).toBeLessThan(0.1);
  });
});

describe('the WebAssembly crop module', () => {
  it('is what scripts/build-wasm.sh builds from src/vision/crop-grey.c', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'build-wasm-'));
    try {
      const built = path.join(dir, 'crop-grey-wasm.ts');
      const run = spawnSync('bash', ['scripts/build-wasm.sh', '--out', built], { encoding: 'utf8' });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      const committed = readFileSync('src/vision/crop-grey-wasm.ts', 'utf8');
      expect(
        readFileSync(built, 'utf8') === committed,
        'run scripts/build-wasm.sh and commit the result',
      ).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
