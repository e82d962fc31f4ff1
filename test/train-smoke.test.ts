import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PY = '/usr/bin/python3';
const CROPS = resolve(ROOT, '..', 'shared', 'datasets', 'openalpr-dev', 'crops-us');

interface Sidecar {
  name: string;
  version: string;
  input: {
    name: string;
    height: number;
    width: number;
    channels: number;
    mean: number;
    std: number;
    resize: string;
  };
  output: { name: string; layout: string; blank: number; alphabet: string; softmax: boolean };
}

const tmpDirs: string[] = [];
function tmp(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  tmpDirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
});

/** Grey, stretch to W x H, /255, (x-mean)/std -> NCHW float32 (as plate-rec.json describes). */
async function preprocess(file: string, meta: Sidecar): Promise<Float32Array> {
  const { width: W, height: H, mean, std } = meta.input;
  const raw = await sharp(file).greyscale().resize(W, H, { fit: 'fill', kernel: 'linear' }).raw().toBuffer();
  const out = new Float32Array(W * H);
  for (let i = 0; i < W * H; i++) out[i] = ((raw[i] ?? 0) / 255 - mean) / std;
  return out;
}

/** Greedy CTC decode of [N, T, C] logits; returns text and the minimum per-character probability. */
function decode(
  data: Float32Array,
  n: number,
  T: number,
  C: number,
  meta: Sidecar,
): { text: string; minConf: number }[] {
  const res: { text: string; minConf: number }[] = [];
  for (let b = 0; b < n; b++) {
    let text = '';
    let minConf = 1;
    let prev = meta.output.blank;
    for (let t = 0; t < T; t++) {
      const o = (b * T + t) * C;
      let best = 0;
      let mx = -Infinity;
      for (let c = 0; c < C; c++) {
        const v = data[o + c] ?? -Infinity;
        if (v > mx) {
          mx = v;
          best = c;
        }
      }
      let sum = 0;
      for (let c = 0; c < C; c++) sum += Math.exp((data[o + c] ?? 0) - mx);
      if (best !== meta.output.blank && best !== prev) {
        text += meta.output.alphabet[best - 1] ?? '?';
        minConf = Math.min(minConf, 1 / sum);
      }
      prev = best;
    }
    res.push({ text, minConf });
  }
  return res;
}

async function readPlates(
  onnx: string,
  meta: Sidecar,
  files: string[],
): Promise<{ text: string; minConf: number }[]> {
  const session = await ort.InferenceSession.create(onnx);
  const { width: W, height: H } = meta.input;
  const buf = new Float32Array(files.length * W * H);
  for (let i = 0; i < files.length; i++) buf.set(await preprocess(files[i] as string, meta), i * W * H);
  const out = await session.run({
    [meta.input.name]: new ort.Tensor('float32', buf, [files.length, 1, H, W]),
  });
  const logits = out[meta.output.name];
  if (!logits) throw new Error('missing output ' + meta.output.name);
  const [n, T, C] = logits.dims as number[];
  return decode(logits.data as Float32Array, n as number, T as number, C as number, meta);
}

describe('plate recogniser training pipeline', () => {
  it('--smoke trains briefly and exports a loadable ONNX with the sidecar shape', async () => {
    const out = tmp('plate-rec-smoke-');
    const r = spawnSync(PY, ['scripts/train/train.py', '--smoke', '--out', out], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 50_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const meta = JSON.parse(readFileSync(join(out, 'plate-rec.json'), 'utf8')) as Sidecar;
    expect(meta.name).toBe('plate-rec');
    expect(meta.output.alphabet).toBe('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ');
    expect(meta.output.blank).toBe(0);
    expect(meta.input.channels).toBe(1);
    const session = await ort.InferenceSession.create(join(out, 'plate-rec.onnx'));
    expect(session.inputNames).toContain(meta.input.name);
    expect(session.outputNames).toContain(meta.output.name);
    const { height: H, width: W } = meta.input;
    const x = new ort.Tensor('float32', new Float32Array(2 * H * W), [2, 1, H, W]);
    const res = await session.run({ [meta.input.name]: x });
    const dims = res[meta.output.name]?.dims ?? [];
    expect(dims.length).toBe(3);
    expect(dims[0]).toBe(2);
    expect(dims[1]).toBeGreaterThanOrEqual(16);
    expect(dims[2]).toBe(37);
  }, 60_000);

  const committedOnnx = join(ROOT, 'models', 'plate-rec.onnx');
  const committedMeta = join(ROOT, 'models', 'plate-rec.json');

  const haveModel = existsSync(committedOnnx) && existsSync(committedMeta);

  it.skipIf(!haveModel)(
    'committed model reads synthetic plates rendered by synth.py',
    async () => {
      const meta = JSON.parse(readFileSync(committedMeta, 'utf8')) as Sidecar;
      const dir = tmp('plate-rec-synth-');
      const texts = ['ABC1234', '7KQX52', 'MN40H8'];
      const r = spawnSync(
        PY,
        ['scripts/train/synth.py', '--out', dir, '--seed', '7', ...texts.flatMap((t) => ['--text', t])],
        {
          cwd: ROOT,
          encoding: 'utf8',
          timeout: 30_000,
        },
      );
      expect(r.status, r.stderr).toBe(0);
      const files = texts.map((t, i) => join(dir, `text${String(i).padStart(2, '0')}_${t}.png`));
      const got = await readPlates(committedOnnx, meta, files);
      expect(got.map((g) => g.text)).toEqual(texts);
    },
    30_000,
  );

  // Validation-split crops (md5(name) % 100 < 30, never trained on).
  // TODO: not yet verified against a trained model; replace with crops measured to read with a high margin.
  const realCases: [string, string][] = [
    ['ca1218.png', '5NNY092'],
    ['ca1592.png', '5PPP064'],
    ['ct1475.png', '725SLV'],
  ];
  it.skipIf(!haveModel || !existsSync(CROPS))(
    'committed model reads held-out real crops from crops-us',
    async () => {
      const meta = JSON.parse(readFileSync(committedMeta, 'utf8')) as Sidecar;
      const got = await readPlates(
        committedOnnx,
        meta,
        realCases.map(([f]) => join(CROPS, f)),
      );
      expect(got.map((g) => g.text)).toEqual(realCases.map(([, t]) => t));
    },
    30_000,
  );
});
