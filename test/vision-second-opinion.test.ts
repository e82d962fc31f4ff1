import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { embeddedDefaults } from '../src/config/defaults.js';
import { parseConfig } from '../src/config/load.js';
import { syntaxOptions } from '../src/state/syntax.js';
import { Vision } from '../src/vision/vision.js';
import { loadImage } from '../src/vision/load-image.js';
import type { RgbImage } from '../src/vision/image.js';
import { DATASET, jsonLines, runCli } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';

const FRAMES = path.join(DATASET, 'endtoend-us');
const dir = tempDir();
const defaults = embeddedDefaults();
/** The embedded demo config with the second opinion turned off. */
const withoutSecond = {
  ...defaults,
  vision: { ...defaults.vision, recogniser: { ...defaults.vision.recogniser, secondOpinion: null } },
};
const OFF_CONFIG = path.join(dir, 'second-opinion-off.json');
writeFileSync(OFF_CONFIG, JSON.stringify(withoutSecond));

/** The plate a still's top observation settles on once the second opinion has been asked. */
async function settled(vision: Vision, image: RgbImage): Promise<string | undefined> {
  const [top] = await vision.findPlatesInStill(image);
  return top && (await vision.reconsider(image, top.box, top)).plate;
}

// Real endtoend-us frames (never trained on), through the bundled models.
describe.skipIf(!existsSync(FRAMES))('second opinion (plate-rec-pp)', () => {
  let withSecond: Vision;
  let without: Vision;
  beforeAll(async () => {
    withSecond = await Vision.open(defaults.vision, syntaxOptions(defaults));
    const off = parseConfig(withoutSecond);
    without = await Vision.open(off.vision, syntaxOptions(off));
  });
  afterAll(async () => {
    await withSecond.close();
    await without.close();
  });

  it('is on by default', () => {
    expect(withSecond.second?.spec.onnxFile).toMatch(/plate-rec-pp\.onnx$/);
    expect(without.second).toBeNull();
  });

  it('corrects a reading that fits no plate format', async () => {
    // A small Californian plate: plate-rec reads "4FEU3B7", which fits no format (B where
    // California's DLLLDDD wants a digit, read too surely for a look-alike swap).
    const image = await loadImage(path.join(FRAMES, 'wts-lg-000146.jpg'));
    expect(await settled(without, image)).toBe('4FEU3B7');
    expect(await settled(withSecond, image)).toBe('4EEU387');
    // The first reading stays among the candidates (hotlists are checked against them), and the
    // confidence that chose this plate among the frame's lines is kept.
    const [top] = await withSecond.findPlatesInStill(image);
    const second = await withSecond.reconsider(image, top!.box, top!);
    expect(second.candidates.map((c) => c.text)).toContain('4FEU3B7');
    expect(second.confidence).toBe(top!.confidence);
    expect(second.charConfidences).toHaveLength(7);
  });

  it('leaves alone a reading that fits a format, even where the second model reads otherwise', async () => {
    const image = await loadImage(path.join(FRAMES, 'wts-lg-000029.jpg'));
    const [top] = await withSecond.findPlatesInStill(image);
    expect(top?.plate).toBe('AYE132');
    const [secondReading] = await withSecond.second!.recognise(image, [top!.box]);
    expect(secondReading?.text).not.toBe('AYE132');
    expect((await withSecond.reconsider(image, top!.box, top!)).plate).toBe('AYE132');
  });

  it('is what `lpr-edge read` reports, and `secondOpinion: null` turns it off', async () => {
    const frame = path.join(FRAMES, 'wts-lg-000146.jpg');
    const plateOf = (stdout: string) => (jsonLines(stdout)[0]!.plates as { plate: string }[])[0]?.plate;
    const on = await runCli(['read', frame, '--json']);
    expect(on.code).toBe(0);
    expect(plateOf(on.stdout)).toBe('4EEU387');
    const off = await runCli(['read', frame, '--json', '--config', OFF_CONFIG]);
    expect(off.code, off.stderr).toBe(0);
    expect(plateOf(off.stdout)).toBe('4FEU3B7');
  });

  it("joins the candidates a read state's formats choose from", async () => {
    // A held-out Rhode Island crop: plate-rec reads "X0706", its 0 at 0.995, and none of its
    // candidates fits Rhode Island's formats; the second model reads "XO706", which does.
    const crop = path.join(DATASET, 'crops-us', 'ri1558.png');
    const first = (stdout: string) => (jsonLines(stdout)[0]!.plates as { plate: string; state: string }[])[0];
    const on = await runCli(['read', '--crop', '--json', crop]);
    expect(first(on.stdout)).toMatchObject({ plate: 'XO706', state: 'RI' });
    const off = await runCli(['read', '--crop', '--json', crop, '--config', OFF_CONFIG]);
    expect(first(off.stdout)).toMatchObject({ plate: 'X0706', state: 'RI' });
  });

  it('rejects a bad model path naming the key', () => {
    expect(() =>
      parseConfig({
        ...defaults,
        vision: { ...defaults.vision, recogniser: { ...defaults.vision.recogniser, secondOpinion: '' } },
      }),
    ).toThrow(/vision\.recogniser\.secondOpinion/);
  });
});
