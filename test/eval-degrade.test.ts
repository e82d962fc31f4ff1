import { describe, expect, it } from 'vitest';
import { infraredLike, lowLight, motionBlur, parseDegradations, degrade } from '../src/evaluation/degrade.js';
import { seededRandom } from '../src/util/random.js';
import type { Box, RgbImage } from '../src/vision/image.js';
import { runCli } from './helpers/cli.js';
import { cropSet, evalSummary } from './helpers/crop-set.js';
import { tempDir } from './helpers/tmp.js';
import { whiteBoxOnBlack } from './helpers/vision.js';

/** A grey picture from one row of values, `rows` rows tall. */
function greyRows(values: number[], rows = 2): RgbImage {
  const rgb = Buffer.alloc(values.length * rows * 3);
  for (let y = 0; y < rows; y++)
    values.forEach((v, x) => rgb.fill(v, (y * values.length + x) * 3, (y * values.length + x) * 3 + 3));
  return { width: values.length, height: rows, rgb };
}

const firstRow = (img: RgbImage) => Array.from({ length: img.width }, (_, x) => img.rgb[x * 3]!);

describe('degradations for robustness figures', () => {
  it('motion blur smears a thin stroke over the blur length, keeping its ink', () => {
    const stroke = greyRows([0, 0, 0, 0, 200, 0, 0, 0, 0, 0]);
    const blurred = motionBlur(stroke, 4);
    expect(firstRow(blurred)).toEqual([0, 0, 50, 50, 50, 50, 0, 0, 0, 0]);
    // Every row and channel alike.
    expect(blurred.rgb.subarray(30, 60)).toEqual(blurred.rgb.subarray(0, 30));
  });

  it('low light adds noise and loses grey levels, the same way for the same seed', () => {
    const ramp = greyRows(
      Array.from({ length: 200 }, (_, i) => i),
      4,
    );
    const night = lowLight(ramp, 0.1, seededRandom(7));
    const levels = new Set(night.rgb).size;
    expect(levels).toBeLessThan(40); // about 26 levels survive a tenth of the light
    expect(night.rgb.equals(ramp.rgb)).toBe(false);
    // Brightness is gained back: the mean stays near the original's.
    const mean = (b: Buffer) => b.reduce((s, v) => s + v, 0) / b.length;
    expect(Math.abs(mean(night.rgb) - mean(ramp.rgb))).toBeLessThan(5);
    expect(lowLight(ramp, 0.1, seededRandom(7)).rgb.equals(night.rgb)).toBe(true);
    expect(lowLight(ramp, 0.1, seededRandom(8)).rgb.equals(night.rgb)).toBe(false);
  });

  it('infrared-like pictures are grey, stretched, and lose red print on white', () => {
    // White, red print, dark-blue print: near-infrared sees red ink as white.
    const rgb = Buffer.from([255, 255, 255, 220, 20, 20, 20, 30, 120, 255, 255, 255]);
    const ir = infraredLike({ width: 4, height: 1, rgb });
    const px = (i: number) => [...ir.rgb.subarray(i * 3, i * 3 + 3)];
    expect(px(0)).toEqual([255, 255, 255]);
    expect(px(2)).toEqual([0, 0, 0]); // the blue characters: darkest, stretched to black
    expect(px(1)[0]).toBeGreaterThan(200); // the red characters nearly vanish
    expect(px(1)[1]).toBe(px(1)[0]);
  });

  it('scales size-relative damage by the plate height, and keeps the picture size', async () => {
    const img = greyRows(
      Array.from({ length: 60 }, (_, i) => (i % 12 < 6 ? 40 : 200)),
      30,
    );
    for (const spec of ['skew:10', 'shear:10', 'low-res:8', 'jpeg:10', 'ir', 'dark:0.1,motion:0.1']) {
      const { image: out } = await degrade(img, parseDegradations(spec), 30, 'file.png');
      expect([out.width, out.height, out.rgb.length], spec).toEqual([60, 30, 60 * 30 * 3]);
      expect(out.rgb.equals(img.rgb), spec).toBe(false);
    }
    // motion:0.2 of a 15 px plate is a 3 px blur: the 6 px stripes keep dark and light cores.
    // Of a 60 px plate it is 12 px, one whole period: the stripes vanish into one grey.
    const { image: short } = await degrade(img, parseDegradations('motion:0.2'), 15, 'f');
    const { image: long } = await degrade(img, parseDegradations('motion:0.2'), 60, 'f');
    expect(firstRow(short)).toEqual(expect.arrayContaining([40, 200]));
    expect(new Set(firstRow(long).slice(12, 48))).toEqual(new Set([120]));
  });

  it('moves the labelled plate box with a rotation, as the picture moves', async () => {
    const [width, height] = [200, 120];
    const plate: Box = [120, 70, 50, 20];
    const picture = whiteBoxOnBlack(width, height, plate);
    const { image, plateBox } = await degrade(picture, parseDegradations('skew:12'), 20, 'f', plate);
    let [x0, y0, x1, y1] = [width, height, 0, 0];
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++)
        if (image.rgb[(y * width + x) * 3]! > 128)
          [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x + 1), Math.max(y1, y + 1)];
    const expected = [x0, y0, x1 - x0, y1 - y0];
    plateBox!.forEach((v, i) =>
      expect(Math.abs(v - expected[i]!), `box ${plateBox} vs ${expected}`).toBeLessThan(2.5),
    );
  });

  it('shear slants vertical strokes and moves the labelled box with them', async () => {
    // A white box 20 × 40 in the middle of a black 100 × 40 picture, sheared 20 degrees: the
    // bottom row's stroke moves right and the top row's left by 20 × tan 20° ≈ 7 pixels.
    const [width, height] = [100, 40];
    const plate: Box = [40, 0, 20, 40];
    const picture = whiteBoxOnBlack(width, height, plate);
    const { image, plateBox } = await degrade(picture, parseDegradations('shear:20'), 40, 'f', plate);
    const whiteIn = (y: number) =>
      Array.from({ length: width }, (_, x) => x).filter((x) => image.rgb[(y * width + x) * 3]! > 128);
    const shift = 19.5 * Math.tan((20 * Math.PI) / 180);
    expect(Math.abs(whiteIn(0)[0]! - (40 - shift))).toBeLessThan(1.5);
    expect(Math.abs(whiteIn(height - 1)[0]! - (40 + shift))).toBeLessThan(1.5);
    expect(whiteIn(height - 1)).toHaveLength(whiteIn(0).length); // strokes keep their width
    expect(plateBox![0]).toBeCloseTo(40 - 20 * Math.tan((20 * Math.PI) / 180), 5);
    expect(plateBox![2]).toBeCloseTo(20 + 40 * Math.tan((20 * Math.PI) / 180), 5);
  });

  it('slope tilts level lines, keeps strokes vertical, and moves the labelled box with them', async () => {
    // A white box 40 × 10 in the middle of a black 100 × 40 picture, sloped 20 degrees: its right
    // column moves down and its left column up by 19.5 × tan 20° ≈ 7 pixels; each column keeps
    // its height.
    const [width, height] = [100, 40];
    const plate: Box = [30, 15, 40, 10];
    const picture = whiteBoxOnBlack(width, height, plate);
    const { image, plateBox } = await degrade(picture, parseDegradations('slope:20'), 10, 'f', plate);
    expect([image.width, image.height]).toEqual([width, height]);
    const whiteIn = (x: number) =>
      Array.from({ length: height }, (_, y) => y).filter((y) => image.rgb[(y * width + x) * 3]! > 128);
    const shift = 19.5 * Math.tan((20 * Math.PI) / 180);
    expect(Math.abs(whiteIn(30)[0]! - (15 - shift))).toBeLessThan(1.5);
    expect(Math.abs(whiteIn(69)[0]! - (15 + shift))).toBeLessThan(1.5);
    expect(whiteIn(69)).toHaveLength(whiteIn(30).length);
    expect(plateBox![1]).toBeCloseTo(15 - 20 * Math.tan((20 * Math.PI) / 180), 5);
    expect(plateBox![3]).toBeCloseTo(10 + 40 * Math.tan((20 * Math.PI) / 180), 5);
  });

  it('rejects a bad --degrade naming the part at fault and what is allowed', () => {
    expect(parseDegradations('dark:0.1,skew:-5')).toEqual([
      { kind: 'dark', amount: 0.1 },
      { kind: 'skew', amount: -5 },
    ]);
    expect(() => parseDegradations('fog:2')).toThrow(
      /"fog:2" is not a degradation; use one or more of: motion:N/,
    );
    expect(() => parseDegradations('motion')).toThrow(/"motion" needs an amount: motion:N/);
    expect(() => parseDegradations('jpeg:0')).toThrow(/jpeg amount from 1 to 100/);
    expect(() => parseDegradations('ir:1')).toThrow(/ir takes no amount/);
  });
});

describe('lpr-edge eval --degrade (real crops)', () => {
  const dir = tempDir();
  const crops = cropSet(dir, 'crops', [
    ['ak399.png', 'ak', 'FGJ235'],
    ['ri1558.png', 'ri', 'XO706'],
  ]);

  it('reads the same plates worse as the damage grows, and says what was done', async () => {
    const exact = (spec?: string) => evalSummary(crops, ...(spec ? ['--degrade', spec] : []));
    const undamaged = await exact();
    expect(undamaged).toMatchObject({ exactTop1: 100 });
    expect(undamaged).not.toHaveProperty('degraded');
    expect(await exact('motion:0.03')).toMatchObject({ exactTop1: 100, degraded: 'motion:0.03' });
    expect(await exact('motion:0.5')).toMatchObject({ exactTop1: 0 });
    const table = await runCli(['eval', crops, '--degrade', 'low-res:6']);
    expect(table.stdout).toMatch(/degraded\s+low-res:6\s+\(every picture, before reading\)/);
    expect(table.stdout).toMatch(/exact plate top-1\s+0 %/);
  }, 120_000);

  it('refuses a bad --degrade before reading anything', async () => {
    const run = await runCli(['eval', crops, '--degrade', 'skew:90']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--degrade: "skew:90": skew amount from -45 to 45/);
  });
});
