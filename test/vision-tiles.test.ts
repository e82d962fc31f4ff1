import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { embeddedDefaults } from '../src/config/defaults.js';
import { onCamera } from '../src/evaluation/video.js';
import { loadImage } from '../src/vision/load-image.js';
import { tileGrid } from '../src/vision/tiles.js';
import { Vision } from '../src/vision/vision.js';
import { DATASET } from './helpers/cli.js';

describe('tiles of a large still', () => {
  it('cover the whole picture, neighbours overlapping by at least the given part of a tile', () => {
    const tiles = tileGrid(2560, 1440, 1280, 720, 0.25);
    expect(tiles).toHaveLength(9);
    for (const [x, y, w, h] of tiles) {
      expect([w, h]).toEqual([1280, 720]);
      expect(x >= 0 && y >= 0 && x + w <= 2560 && y + h <= 1440).toBe(true);
    }
    const xs = [...new Set(tiles.map((t) => t[0]))];
    expect(xs).toEqual([0, 640, 1280]);
    expect(xs[1]! + 1280 - xs[2]!).toBeGreaterThanOrEqual(0.25 * 1280);
    expect([...new Set(tiles.map((t) => t[1]))]).toEqual([0, 360, 720]);
  });

  it('is one tile across an axis no larger than a tile', () => {
    expect(tileGrid(3000, 500, 1280, 720, 0.25).map((t) => [t[1], t[3]])).toEqual([
      [0, 500],
      [0, 500],
      [0, 500],
    ]);
    expect(tileGrid(1000, 600, 1280, 720, 0.25)).toEqual([[0, 0, 1000, 600]]);
  });
});

describe.skipIf(!existsSync(DATASET))('reading a small plate in a large still', () => {
  it('finds it in a tile searched closer than the shrunk whole picture', async () => {
    const vision = await Vision.open(embeddedDefaults().vision);
    try {
      // Real frames (plates 27-30 px tall) each in a 2,560 × 1,440 picture: searched whole at
      // 1,280 px, their plates are 14-15 px tall, and 08E6CK was not found, CCV020 read BCV020.
      for (const [file, plate] of [
        ['a03ced3f-5a97-4e75-8106-fabfd2b8b76e', '08E6CK'],
        ['wts-lg-000088', 'CCV020'],
      ]) {
        const frame = await loadImage(path.join(DATASET, 'endtoend-us', `${file}.jpg`));
        const { image } = await onCamera(frame, null, 2560, 1440);
        const [found] = await vision.findPlatesInStill(image);
        expect(found?.plate).toBe(plate);
      }
    } finally {
      await vision.close();
    }
  }, 60_000);
});
