import { writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { DATASET, jsonLines, runCli } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';
import { BUNDLED_MODELS } from '../src/config/defaults.js';

// Held-out crops (md5 split: never trained on, not used to tune the state reader) that it reads
// with a wide margin.
const CROPS: [file: string, state: string][] = [
  ['al1259.png', 'AL'],
  ['az758.png', 'AZ'],
  ['dc1575.png', 'DC'],
  ['fl227.png', 'FL'],
];

describe('state of registration through lpr-edge read', () => {
  it('reports state and stateConfidence for real plate crops', async () => {
    const files = CROPS.map(([f]) => path.join(DATASET, 'crops-us', f));
    const result = await runCli(['read', '--crop', '--json', ...files], { timeoutMs: 240_000 });
    expect(result.code, result.stderr).toBe(0);
    const lines = jsonLines(result.stdout);
    expect(lines).toHaveLength(CROPS.length);
    lines.forEach((line, i) => {
      const plate = (line.plates as { state: string | null; stateConfidence: number | null }[])[0]!;
      expect(plate.state, String(line.file)).toBe(CROPS[i]![1]);
      expect(plate.stateConfidence).toBeGreaterThanOrEqual(0.8);
    });
  }, 300_000);
});

describe('plate formats on full frames', () => {
  // The model alone reads "EMR7D94" here, the D with low confidence; every plate format wants a
  // digit in that place, so the look-alike is fixed, as it is for crops.
  it('fixes an ambiguous look-alike in a full frame by plate format', async () => {
    const frame = path.join(DATASET, 'endtoend-us', 'car13.jpg');
    const result = await runCli(['read', '--json', frame]);
    expect(result.code, result.stderr).toBe(0);
    const [line] = jsonLines(result.stdout);
    const best = (line!.plates as { plate: string; candidates: { plate: string }[] }[])[0]!;
    expect(best.plate).toBe('EMR7094');
    expect(best.candidates.map((c) => c.plate)).toContain('EMR7D94');
  }, 120_000);
});

describe("the state's own plate formats", () => {
  // A held-out Arkansas crop, 094NKC. The model prefers "O94NKC" (0.55 against 0.44), which fits
  // New Jersey's format; Arkansas's formats only fit the digit.
  it('settle a look-alike once the state is read', async () => {
    const crop = path.join(DATASET, 'crops-us', 'ar480.png');
    const result = await runCli(['read', '--crop', '--json', crop]);
    expect(result.code, result.stderr).toBe(0);
    const [line] = jsonLines(result.stdout);
    const best = (line!.plates as { plate: string; state: string; candidates: { plate: string }[] }[])[0]!;
    expect(best.state).toBe('AR');
    expect(best.plate).toBe('094NKC');
    expect(best.candidates.map((c) => c.plate)).toContain('O94NKC');
  }, 120_000);
});

describe('European plates (region eu)', () => {
  // A Slovak plate, RK 019AF; the model alone reads "RKO19AF", the O with low confidence.
  it('fixes look-alikes by the configured country formats and reports no US state', async () => {
    const dir = tempDir('lpr-edge-eu-');
    const config = path.join(dir, 'eu.json');
    writeFileSync(
      config,
      JSON.stringify({
        unitId: 'eu',
        agency: 'a',
        dataDir: path.join(dir, 'data'),
        region: 'eu',
        plateCountries: ['SK'],
        vision: {
          detector: { model: BUNDLED_MODELS.detector },
          recogniser: { model: BUNDLED_MODELS.recogniser },
        },
      }),
    );
    const frame = path.join(DATASET, 'endtoend-eu', 'test_015.jpg');
    const plates = async (args: string[]) => {
      const result = await runCli(['read', '--json', frame, ...args]);
      expect(result.code, result.stderr).toBe(0);
      return jsonLines(result.stdout)[0]!.plates as { plate: string; state: string | null }[];
    };
    const [asUs] = await plates([]);
    expect(asUs!.plate).toBe('RKO19AF');
    const [asSlovak] = await plates(['--config', config]);
    expect(asSlovak).toMatchObject({ plate: 'RK019AF', state: null });
  }, 120_000);
});

describe('the home state on full frames', () => {
  // A Californian plate, 7EAV033, about 34 px tall in a dealer's lot: its "California" script is
  // too small for the word detector, so only its format (one only California issues) and the
  // unit's home state say where it is from.
  it('names the home state of a plate in its format when homePrior says most plates are local', async () => {
    const dir = tempDir('lpr-edge-home-');
    const config = (homePrior: number) => {
      const file = path.join(dir, `ca-${homePrior}.json`);
      writeFileSync(
        file,
        JSON.stringify({
          unitId: 'ca',
          agency: 'a',
          dataDir: path.join(dir, 'data'),
          homeState: 'CA',
          state: { homePrior },
          vision: {
            detector: { model: BUNDLED_MODELS.detector },
            recogniser: { model: BUNDLED_MODELS.recogniser },
          },
        }),
      );
      return file;
    };
    const frame = path.join(DATASET, 'endtoend-us', 'wts-lg-000157.jpg');
    const best = async (file: string) => {
      const result = await runCli(['read', '--json', frame, '--config', file]);
      expect(result.code, result.stderr).toBe(0);
      return (jsonLines(result.stdout)[0]!.plates as { plate: string; state: string | null }[])[0];
    };
    expect(await best(config(0.5))).toMatchObject({ plate: '7EAV033', state: null });
    expect(await best(config(0.7))).toMatchObject({ plate: '7EAV033', state: 'CA' });
  }, 120_000);
});

describe('bad input', () => {
  it('gives an empty result or one clear error, never a crash or hang', async () => {
    const dir = tempDir('lpr-edge-state-bad-');
    const one = path.join(dir, 'one-pixel.png');
    const black = path.join(dir, 'black.png');
    const white = path.join(dir, 'white.png');
    const wide = path.join(dir, 'wide.png');
    const text = path.join(dir, 'not-an-image.jpg');
    await sharp({ create: { width: 1, height: 1, channels: 3, background: 'grey' } })
      .png()
      .toFile(one);
    await sharp({ create: { width: 240, height: 120, channels: 3, background: 'black' } })
      .png()
      .toFile(black);
    await sharp({ create: { width: 240, height: 120, channels: 3, background: 'white' } })
      .png()
      .toFile(white);
    await sharp({ create: { width: 20_000, height: 60, channels: 3, background: 'white' } })
      .png()
      .toFile(wide);
    writeFileSync(text, 'this is a text file, not a picture\n');
    const images = [one, black, white, wide];
    for (const mode of [['--crop'], []]) {
      const result = await runCli(['read', ...mode, '--json', ...images, text], { timeoutMs: 240_000 });
      // Exit 1 because one file was not an image; no stack trace.
      expect(result.code).toBe(1);
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(result.stderr).toContain(`${text}: not an image`);
      const lines = jsonLines(result.stdout);
      expect(lines.map((l) => l.file)).toEqual([...images, text]);
      for (const l of lines.slice(0, 4)) expect(l.plates).toEqual([]);
      expect(lines[4]!.error).toMatch(/not an image/);
    }
  }, 300_000);
});
