import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DATASET, ROOT, runCli } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';
import { makeTestVideo } from './helpers/video.js';

const dir = tempDir();
/** A named pipe nobody writes to: reading it waits forever. */
const fifo = path.join(dir, 'pipe.jpg');
execFileSync('mkfifo', [fifo]);
/** Before the fix these hung until killed; a refusal takes only the time to start (and load the models). */
const LIMIT = { timeoutMs: 60_000 };

/**
 * The command exits non-zero at once with one line naming the pipe (`name`, after `prefix`, both
 * regular expressions), no stack trace.
 */
function expectRefused(r: { code: number | null; stderr: string }, prefix = '', name = 'pipe\\.jpg'): void {
  expect(r.code, r.stderr).not.toBeNull(); // null: killed by the timeout, i.e. it hung
  expect(r.code).not.toBe(0);
  const refused = `${name}: a named pipe \\(FIFO\\), not a regular file; save what comes down the pipe to a file`;
  expect(r.stderr).toMatch(new RegExp(`lpr-edge: ${prefix}\\S*${refused}`));
  expect(r.stderr).not.toMatch(/unexpected error|\n\s+at /);
}

describe(
  'input files that are named pipes (mkfifo) are refused, not read forever',
  { timeout: 120_000 },
  () => {
    it('read, with and without --crop; the other images are still read', async () => {
      const data = path.join(dir, 'd-read');
      expectRefused(await runCli(['read', fifo, '--data-dir', data], LIMIT));
      const crop = path.join(DATASET, 'crops-us', 'ak399.png');
      const both = await runCli(['read', '--crop', fifo, crop, '--data-dir', data], LIMIT);
      expectRefused(both);
      expect(both.stdout).toMatch(/ak399\.png: FGJ235/);
    });

    it('replay of a video, and its --labels, --gps and --hotlist files', async () => {
      const data = path.join(dir, 'd-replay');
      expectRefused(await runCli(['replay', fifo, '--data-dir', data], LIMIT));
      const video = path.join(dir, 'short.mp4');
      makeTestVideo(video, { frames: 5 });
      expectRefused(await runCli(['replay', video, '--labels', fifo, '--data-dir', data], LIMIT), 'labels ');
      expectRefused(await runCli(['replay', video, '--gps', fifo, '--data-dir', data], LIMIT), 'GPS track ');
      expectRefused(
        await runCli(['replay', video, '--hotlist', fifo, '--data-dir', data], LIMIT),
        'hotlist ',
      );
    });

    it('eval: a pipe as the labels file, and a pipe as a labelled picture (a miss, named)', async () => {
      const crops = path.join(dir, 'crops');
      mkdirSync(crops);
      copyFileSync(path.join(DATASET, 'crops-us', 'ak399.png'), path.join(crops, 'ak399.png'));
      execFileSync('mkfifo', [path.join(crops, 'pipe.jpg')]);
      writeFileSync(`${crops}.csv`, 'file,state,plate\nak399.png,ak,FGJ235\npipe.jpg,ny,ABC1234\n');
      const r = await runCli(['eval', crops, '--json'], LIMIT);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/crops\.csv: line 3: pipe\.jpg: a named pipe \(FIFO\).*; measured as a miss/);
      expect(JSON.parse(r.stdout)).toMatchObject({ images: 2, unreadable: 1, exactTop1: 50 });

      const piped = path.join(dir, 'piped');
      mkdirSync(piped);
      execFileSync('mkfifo', [`${piped}.csv`]);
      const labels = await runCli(['eval', piped], LIMIT);
      expect(labels.code).toBe(2);
      expect(labels.stderr).toMatch(/piped\.csv: a named pipe \(FIFO\), not a regular file/);
    });

    it('--config and provision --answers, --ca', async () => {
      expectRefused(await runCli(['read', 'x.jpg', '--config', fifo], LIMIT), 'config ');
      const target = path.join(dir, 'unit.yaml');
      const provision = ['provision', '--config', target, '--print'];
      expectRefused(await runCli([...provision, '--answers', fifo], LIMIT), 'answers ');
      const flags = ['--unit-id', 'car-1', '--agency', 'pd', '--broker-url', 'mqtts://127.0.0.1:8883'];
      expectRefused(await runCli([...provision, ...flags, '--ca', fifo], LIMIT), 'broker.ca ');
    });

    it('model files named in the config, and the sidecar beside a recogniser model', async () => {
      const [det, second, words] = ['det.onnx', 'second.json', 'words.json'].map((f) =>
        path.join(dir, f),
      ) as [string, string, string];
      // A recogniser given as its .onnx, whose sidecar beside it is a pipe.
      const rec = path.join(dir, 'rec.onnx');
      execFileSync('mkfifo', [det, second, words, path.join(dir, 'rec.json')]);
      const models = {
        det: path.join(ROOT, 'models/ppocr-det.onnx'),
        rec: path.join(ROOT, 'models/plate-rec.onnx'),
      };
      const read = (vision: string, state = '') => {
        const config = path.join(dir, 'models.yaml');
        writeFileSync(config, `unitId: t\nagency: a\ndataDir: ${dir}/d-models\nvision:\n${vision}${state}`);
        const crop = path.join(DATASET, 'crops-us', 'ak399.png');
        // A refusal comes before or while the other models load: seconds, where the pipe hangs.
        return runCli(['read', '--crop', crop, '--config', config], { timeoutMs: 20_000 });
      };
      const recogniser = `  recogniser: { model: ${models.rec} }\n`;
      expectRefused(
        await read(`  detector: { model: ${det} }\n${recogniser}`),
        'vision\\.detector\\.model ',
        'det\\.onnx',
      );
      const detector = `  detector: { model: ${models.det} }\n`;
      expectRefused(
        await read(`${detector}  recogniser: { model: ${rec} }\n`),
        'vision\\.recogniser\\.model \\S*rec\\.onnx: ',
        'rec\\.json',
      );
      expectRefused(
        await read(`${detector}  recogniser: { model: ${models.rec}, secondOpinion: ${second} }\n`),
        'vision\\.recogniser\\.secondOpinion ',
        'second\\.json',
      );
      expectRefused(
        await read(`${detector}${recogniser}`, `state: { wordModel: ${words} }\n`),
        'state\\.wordModel ',
        'words\\.json',
      );
    });
  },
);
