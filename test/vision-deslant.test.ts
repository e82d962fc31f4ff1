import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { deslanted, measuredSlant, sheared } from '../src/vision/deslant.js';
import { DATASET } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';
import { evalSummary, frameSet } from './helpers/crop-set.js';

const [W, H] = [128, 32];

/** A crop like the recogniser's input: dark upright strokes, 3 px wide, on a light plate. */
function strokes(): Uint8Array {
  const grey = new Uint8Array(W * H).fill(220);
  for (let y = 4; y < H - 4; y++)
    for (const x0 of [10, 22, 31, 47, 60, 66, 81, 95, 108])
      for (let x = x0; x < x0 + 3; x++) grey[y * W + x] = 30;
  return grey;
}

const tan = (degrees: number) => Math.tan((degrees * Math.PI) / 180);

describe('slanted characters', () => {
  it('finds no lean in upright strokes and leaves them as they are', () => {
    const upright = strokes();
    expect(measuredSlant(upright, W, H)).toBe(0);
    expect(deslanted(upright, W, H)).toBe(upright);
  });

  it('measures a lean either way and shears the strokes upright again', () => {
    for (const degrees of [15, -15, 25]) {
      const leaning = sheared(strokes(), W, H, tan(degrees));
      // The shear that undoes the lean: within one 2.5-degree step of it.
      const undo = (Math.atan(measuredSlant(leaning, W, H)) * 180) / Math.PI;
      expect(Math.abs(undo + degrees), `lean ${degrees}`).toBeLessThanOrEqual(2.5);
      const upright = deslanted(leaning, W, H);
      // Row 8 and row 23 cross the same strokes at the same columns once upright, not before.
      const differ = (g: Uint8Array) =>
        g.subarray(8 * W, 9 * W).filter((v, x) => Math.abs(v - g[23 * W + x]!) > 100).length;
      expect(differ(leaning)).toBeGreaterThan(10);
      expect(differ(upright)).toBeLessThanOrEqual(4);
    }
  });

  it('leaves a lean of a few degrees, which the model reads as well as upright', () => {
    expect(measuredSlant(sheared(strokes(), W, H, tan(2)), W, H)).toBe(0);
  });
});

// Real frames (never trained on) slanted 10 degrees (`eval --degrade shear:10`): a rolling
// shutter or an oblique view. Before crops were sheared upright, both were misread
// (`4YEL32`, `SX5K9V`).
describe.skipIf(!existsSync(DATASET))('reading slanted frames (real pictures)', () => {
  it('reads plates whose strokes lean 10 degrees', async () => {
    const frames = frameSet(tempDir(), 'slanted', ['wts-lg-000029', 'wts-lg-000042']);
    expect(await evalSummary(frames, '--degrade', 'shear:10')).toMatchObject({ exactTop1: 100 });
  }, 120_000);
});
