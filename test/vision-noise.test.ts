import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { detectionSmoothing, noiseLevel, NOISY } from '../src/vision/noise.js';
import { lowLight } from '../src/evaluation/degrade.js';
import { seededRandom } from '../src/util/random.js';
import type { RgbImage } from '../src/vision/image.js';
import { DATASET } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';
import { platesReplayedFrom } from './helpers/replay-still.js';
import { evalSummary, frameSet } from './helpers/crop-set.js';
import { whiteBoxOnBlack } from './helpers/vision.js';

function flatGrey(width: number, height: number, level: number): RgbImage {
  return { width, height, rgb: Buffer.alloc(width * height * 3, level) };
}

describe('noise in a picture', () => {
  it('measures sensor noise in grey levels, and not a clean picture’s edges', () => {
    // Mid grey with Gaussian noise of 8 grey levels.
    const random = seededRandom(7);
    const noisy = flatGrey(400, 300, 128);
    for (let i = 0; i < noisy.rgb.length; i += 3) {
      const gaussian = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
      noisy.rgb.fill(Math.round(128 + 8 * gaussian), i, i + 3);
    }
    expect(noiseLevel(noisy)).toBeGreaterThan(7.2);
    expect(noiseLevel(noisy)).toBeLessThan(8.8);
    // Sharp white edges on black are a clean picture's structure, not noise.
    expect(noiseLevel(whiteBoxOnBlack(400, 300, [100, 100, 150, 60]))).toBeLessThan(0.5);
    expect(noiseLevel(flatGrey(2, 2, 128))).toBe(0);
  });

  it('has the detector smooth only a noisy picture', () => {
    expect(detectionSmoothing(whiteBoxOnBlack(200, 100, [50, 30, 100, 40]))).toBe(0);
    const noisy = lowLight(flatGrey(200, 100, 128), 0.1, seededRandom(3));
    expect(noiseLevel(noisy)).toBeGreaterThan(NOISY);
    expect(detectionSmoothing(noisy)).toBeGreaterThan(0);
  });
});

// Real frames (never trained on) with a tenth of the light, gained back up (`eval --degrade
// dark:0.1`). Before the detector searched a smoothed copy of noisy frames, these read 0 of 5.
describe.skipIf(!existsSync(DATASET))('reading noisy frames (real pictures)', () => {
  const dir = tempDir();

  it('reads frames taken with a tenth of the light', async () => {
    const frames = frameSet(dir, 'dark', [
      '12c6cb72-3ea3-49e7-b381-e0cdfc5e8960',
      '7fbfbe28-aecb-45be-bd05-7cf26acb3c5c',
      'car8',
      'wts-lg-000020',
      'wts-lg-000039',
    ]);
    expect(await evalSummary(frames, '--degrade', 'dark:0.1')).toMatchObject({
      exactTop1: 100,
      detectionRecall: 100,
    });
  }, 120_000);

  it('reads a plate in a noisy recorded video (ffmpeg noise, daemon replay path)', async () => {
    // Frame 7fbfbe28 with ffmpeg's temporal noise (strength 45, seed 1): before, nothing was read.
    const frame = '7fbfbe28-aecb-45be-bd05-7cf26acb3c5c.jpg';
    expect(await platesReplayedFrom(dir, frame, 'noise=alls=45:allf=t:all_seed=1')).toContain('KC4Z3X');
  }, 120_000);
});
