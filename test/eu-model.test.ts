import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUNDLED_MODELS, embeddedDefaults } from '../src/config/defaults.js';
import { parseConfig } from '../src/config/load.js';
import { syntaxOptions } from '../src/state/syntax.js';
import { Vision } from '../src/vision/vision.js';
import { loadImage } from '../src/vision/load-image.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const EU_FRAMES = resolve(ROOT, '..', 'shared', 'datasets', 'openalpr-dev', 'endtoend-eu');

// The European recogniser a unit with `region: eu` is configured with (models/plate-rec.md).
describe('plate-rec-eu', () => {
  const config = parseConfig({
    ...embeddedDefaults(),
    region: 'eu',
    plateCountries: ['SK'],
    vision: { ...embeddedDefaults().vision, recogniser: { model: BUNDLED_MODELS.recogniserEu } },
  });
  let vision: Vision;
  beforeAll(async () => {
    vision = await Vision.open(config.vision, syntaxOptions(config));
  });
  afterAll(() => vision.close());

  it('is the plate network with its own sidecar', () => {
    expect(vision.recogniser.spec.onnxFile).toBe(BUNDLED_MODELS.recogniserEu);
    expect(vision.recogniser.spec.input).toMatchObject({ height: 32, width: 128, channels: 1 });
    expect(vision.recogniser.spec.classes).toHaveLength(37);
  });

  // Held-out frames (never trained on) that the US model misreads: `LM298A`, `WOBVMMK4`.
  it.skipIf(!existsSync(EU_FRAMES))('reads held-out European frames', async () => {
    for (const [file, plate] of [
      ['test_008.jpg', 'LM298AI'],
      ['eu6.jpg', 'WOBVWMK4'],
    ]) {
      const found = await vision.findPlatesInStill(await loadImage(resolve(EU_FRAMES, file!)));
      expect(found[0]?.plate, file).toBe(plate);
    }
  });
});
