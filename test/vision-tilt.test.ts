import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { regions } from '../src/vision/text-detector.js';
import { levelled, tiltedBounds, unsloped, type Box, type RgbImage } from '../src/vision/image.js';
import { degrade, parseDegradations } from '../src/evaluation/degrade.js';
import { DATASET } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';
import { platesReplayedFrom } from './helpers/replay-still.js';
import { cropSet, evalSummary, frameSet } from './helpers/crop-set.js';
import { whiteBoxOnBlack } from './helpers/vision.js';

/** A text-probability map holding one bar `length` × `thickness` turned `degrees` about (cx, cy). */
function barMap(w: number, h: number, length: number, thickness: number, degrees: number): Float32Array {
  const map = new Float32Array(w * h);
  const [cos, sin] = [Math.cos((degrees * Math.PI) / 180), Math.sin((degrees * Math.PI) / 180)];
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const [dx, dy] = [x + 0.5 - w / 2, y + 0.5 - h / 2];
      const u = dx * cos + dy * sin;
      const v = -dx * sin + dy * cos;
      if (Math.abs(u) <= length / 2 && Math.abs(v) <= thickness / 2) map[y * w + x] = 0.9;
    }
  return map;
}

describe('tilted text lines', () => {
  it('finds the direction and own size of a tilted line, and leaves level or short ones upright', () => {
    const [line] = regions(barMap(160, 100, 80, 12, 10), 160, 100, 0.5);
    expect(line!.tilted!.tilt).toBeCloseTo(10, 0);
    // Its own rectangle: the bar's size, unclipped like the upright box, centred on the bar.
    const [x, y, w, h] = line!.tilted!.box;
    const grow = (80 * 12 * 1.6) / (2 * (80 + 12)); // DB's unclip: area * 1.6 / perimeter
    expect(Math.abs(w - (80 + 2 * grow))).toBeLessThan(3); // within the pixels of the bar's ends
    expect(Math.abs(h - (12 + 2 * grow))).toBeLessThan(3);
    expect(x + w / 2).toBeCloseTo(80, 0);
    expect(y + h / 2).toBeCloseTo(50, 0);
    // The upright box is what it always was: the bar's bounds, unclipped.
    expect(line!.box[3]).toBeGreaterThan(h + 10);

    expect(regions(barMap(160, 100, 80, 12, -8), 160, 100, 0.5)[0]!.tilted!.tilt).toBeCloseTo(-8, 0);
    // Level, tilted too little to matter (the ends drift under a third of its thickness), or too
    // short to have a direction: read from the upright box.
    expect(regions(barMap(160, 100, 80, 12, 0), 160, 100, 0.5)[0]!.tilted).toBeUndefined();
    expect(regions(barMap(160, 100, 80, 12, 2), 160, 100, 0.5)[0]!.tilted).toBeUndefined();
    expect(regions(barMap(160, 100, 20, 12, 10), 160, 100, 0.5)[0]!.tilted).toBeUndefined();
  });

  it('turns the picture around a tilted line so the line is level in its box', async () => {
    // A white band 90 × 14 on black, turned 12 degrees as a camera would see it.
    const band: Box = [55, 53, 90, 14];
    const { image: turned } = await degrade(
      whiteBoxOnBlack(200, 120, band),
      parseDegradations('skew:12'),
      14,
      'f',
    );
    const tilted = { box: band, tilt: 12 };
    expect(tiltedBounds(tilted)[3]).toBeGreaterThan(30); // upright, the band's box is mostly black
    const { image, box } = await levelled(turned, tilted);
    // Level again: inside the box nearly every pixel is white, and the rows just outside are black.
    const at = (img: RgbImage, x: number, y: number) => img.rgb[(y * img.width + x) * 3]!;
    let white = 0;
    for (let y = box[1] + 1; y < box[1] + box[3] - 1; y++)
      for (let x = box[0] + 2; x < box[0] + box[2] - 2; x++) if (at(image, x, y) > 128) white++;
    expect(white / ((box[3] - 2) * (box[2] - 4))).toBeGreaterThan(0.95);
    const mid = Math.round(box[0] + box[2] / 2);
    expect(at(image, mid, box[1] - 3)).toBeLessThan(60);
    expect(at(image, mid, box[1] + box[3] + 2)).toBeLessThan(60);
  });

  it('moves the columns of a sloping line level, its vertical ends staying vertical', async () => {
    // The same band sloping 12 degrees as seen from the side: its ends are still vertical.
    const band: Box = [55, 53, 90, 14];
    const { image: sloped } = await degrade(
      whiteBoxOnBlack(200, 120, band),
      parseDegradations('slope:12'),
      14,
      'f',
    );
    // What the detector gives such a line: its length along the slope, its thickness across it.
    const cos = Math.cos((12 * Math.PI) / 180);
    const tilted = { box: [100 - 45 / cos, 60 - 7 * cos, 90 / cos, 14 * cos] as Box, tilt: 12 };
    const { image, box } = unsloped(sloped, tilted);
    const white = (y: number) =>
      Array.from({ length: image.width }, (_, x) => x).filter(
        (x) => image.rgb[(y * image.width + x) * 3]! > 128,
      );
    const rows = Array.from({ length: 10 }, (_, i) => Math.round(box[1] + 2 + i)); // inside the band
    // Every row inside the box is the band's full width, starting at the same column: level, and
    // its left end a vertical edge, not slanted as turning the line would leave it.
    for (const y of rows) {
      expect(white(y).length, `row ${y}`).toBeGreaterThan(86);
      expect(Math.abs(white(y)[0]! - white(rows[0]!)[0]!), `row ${y}`).toBeLessThanOrEqual(1);
    }
    expect(Math.abs(box[2] - 90)).toBeLessThan(1);
    expect(white(Math.round(box[1] - 3))).toHaveLength(0);
    expect(white(Math.round(box[1] + box[3] + 2))).toHaveLength(0);
  });
});

// Real frames and crops (never trained on), turned with `eval --degrade skew`. Before lines were
// turned level, these read 0 of 4 frames and 0 of 3 crops right.
describe.skipIf(!existsSync(DATASET))('reading tilted plates (real pictures)', () => {
  const dir = tempDir();

  it('reads frames turned 10 degrees as it reads them level', async () => {
    const frames = frameSet(dir, 'frames', [
      'wts-lg-000013',
      'wts-lg-000041',
      'wts-lg-000086',
      'wts-lg-000156',
    ]);
    expect(await evalSummary(frames, '--degrade', 'skew:10')).toMatchObject({
      exactTop1: 100,
      detectionRecall: 100,
      degraded: 'skew:10',
    });
  }, 120_000);

  // Seen from the side, a plate's line slopes but its strokes stay vertical. Turned level, these
  // were read with their strokes slanted: WLX039, SX5K9V, CWM2245, 5NMV468 and MRM935,
  // DB8R360, 9999CC. Their columns moved level, they read right.
  it('reads frames sloping 15 degrees, seen from the side', async () => {
    const frames = frameSet(dir, 'sloped', [
      'wts-lg-000039',
      'wts-lg-000042',
      'wts-lg-000137',
      'wts-lg-000192',
    ]);
    expect(await evalSummary(frames, '--degrade', 'slope:15')).toMatchObject({
      exactTop1: 100,
      detectionRecall: 100,
    });
    const crops = cropSet(dir, 'sloped-crops', [
      ['ms1122.png', 'ms', 'WRW935'],
      ['tx1552.png', 'tx', 'DB8R369'],
      ['va459.png', 'va', '9999CF'],
    ]);
    expect(await evalSummary(crops, '--degrade', 'slope:15')).toMatchObject({ exactTop1: 100 });
  }, 120_000);

  it('reads whole-plate crops turned 15 degrees', async () => {
    const crops = cropSet(dir, 'crops', [
      ['ca574.png', 'ca', '4CVU806'],
      ['ca1629.png', 'ca', '4HFX108'],
      ['ar810.png', 'ar', 'NOX226'],
    ]);
    expect(await evalSummary(crops, '--degrade', 'skew:15')).toMatchObject({ exactTop1: 100 });
  }, 120_000);

  it('reads the state name of plates turned 12 degrees', async () => {
    // Before the state's words were turned level, none of these four states was read.
    const crops = cropSet(dir, 'states', [
      ['ar1097.png', 'ar', 'UNI'],
      ['ma880.png', 'ma', '196XJY'],
      ['nj814.png', 'nj', 'D15AEC'],
      ['pa1451.png', 'pa', 'XCG6033'],
    ]);
    expect(await evalSummary(crops, '--degrade', 'skew:12')).toMatchObject({
      state: { coverage: 100, correct: 100, wrong: 0 },
    });
  }, 120_000);

  it('reads a tilted plate in a recorded video (ffmpeg-rotated frame, daemon replay path)', async () => {
    // wts-lg-000017 turned 8 degrees: before, the replay read "ZFR971".
    const filter = 'rotate=8*PI/180:fillcolor=gray';
    expect(await platesReplayedFrom(dir, 'wts-lg-000017.jpg', filter)).toContain('7FR971');
  }, 120_000);

  it('reads a plate seen from the side in a recorded video (ffmpeg-sheared frame, replay path)', async () => {
    // wts-lg-000192 with its columns sloped 17 degrees (shy 0.3): turned level, nothing was read.
    const filter = 'shear=shy=0.3:fillcolor=gray';
    expect(await platesReplayedFrom(dir, 'wts-lg-000192.jpg', filter)).toContain('5NWV468');
  }, 120_000);
});
