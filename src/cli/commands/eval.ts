import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { syntaxOptions } from '../../state/syntax.js';
import path from 'node:path';
import type { Command } from '../command.js';
import { checkOutFile } from './policy-common.js';
import { UsageError } from '../command.js';
import { loadConfig } from '../../config/load.js';
import { Vision } from '../../vision/vision.js';
import { loadDataset } from '../../evaluation/dataset.js';
import { evaluate, formatReport } from '../../evaluation/evaluate.js';
import { createStateReader } from '../../state/reader.js';
import { isHeldOut } from '../../state/calibrate.js';
import { Equivalence } from '../../hotlist/normalise.js';
import { DEGRADATION_HELP, parseDegradations, type Degradation } from '../../evaluation/degrade.js';
import { parseVideoShow, VIDEO_FRAMES, type VideoShow } from '../../evaluation/video.js';
import { dataDirFiles, openUnit } from '../../unit.js';
import { createLogger } from '../../log.js';
import { noPosition } from '../../gps/types.js';

export const evalCommand: Command = {
  name: 'eval',
  summary: 'measure recognition accuracy on a labelled dataset',
  usage: `eval <dataset-dir> [--json] [--out FILE] [--limit N] [--errors] [--split S] [--degrade D] [--video WxH]
  <dataset-dir>  full frames with NAME.txt labels (file, x, y, w, h, plate; tab-separated),
                 or plate crops with DIR.csv / DIR/labels.csv (file,state,plate); a bad label (empty, a
                 character other than A-Z 0-9, over 10 characters, an unknown state, an impossible box,
                 a crop labelled twice differently) stops eval naming its file and line
  --json         print the report as JSON instead of a table
  --out FILE     also write the JSON report (with every item) to FILE
  --limit N      only the first N images
  --errors       list each misread image, marking those wrong only by look-alikes (and each wrong state,
                 and each picture that could not be read)
  --split S      only part of a set: "held-out" (30 %, md5 of the file name; never trained on)
                 or "calibration" (the other 70 %, on which the state reader was tuned)
  --degrade D    damage every picture before reading it, to measure robustness: KIND[:N], several
                 comma-separated, applied in order. Kinds: ${DEGRADATION_HELP}
  --video WxH    full frames only: read each frame as the daemon reads video from a WxH camera
                 (e.g. 1920x1080): the frame at its own size in a grey picture of that size, shown
                 for ${VIDEO_FRAMES} frames to the whole pipeline (whole-frame and tracked-plate
                 searches, tracking, voting); the read stored on the labelled plate counts`,
  options: {
    json: { type: 'boolean' },
    out: { type: 'string' },
    limit: { type: 'string' },
    errors: { type: 'boolean' },
    split: { type: 'string' },
    degrade: { type: 'string' },
    video: { type: 'string' },
  },
  async run(ctx, positionals, values) {
    const dir = positionals[0];
    if (!dir || positionals.length > 1) throw new UsageError('eval: name exactly one dataset folder');
    const dataset = loadDataset(dir);
    if (values.limit !== undefined) {
      const limit = Number(values.limit);
      if (!Number.isInteger(limit) || limit < 1)
        throw new UsageError(`eval: --limit must be a whole number >= 1, got "${values.limit}"`);
      dataset.items = dataset.items.slice(0, limit);
    }
    if (values.split !== undefined) {
      if (values.split !== 'held-out' && values.split !== 'calibration') {
        throw new UsageError(`eval: --split must be "held-out" or "calibration", got "${values.split}"`);
      }
      const heldOut = values.split === 'held-out';
      dataset.items = dataset.items.filter((i) => isHeldOut(i.file) === heldOut);
    }
    // Only about the pictures measured: the rest of the set is not read, so its labels do not count.
    const measured = new Set(dataset.items.map((i) => i.file));
    for (const w of dataset.warnings.filter((w) => measured.has(w.file)))
      ctx.stderr.write(`lpr-edge: warning: ${w.message}\n`);
    // Read as labels, a README.txt stopped the evaluation at its first line; passed over, named.
    for (const file of dataset.skipped)
      ctx.stderr.write(
        `lpr-edge: warning: ${file}: not a label file (no picture named as it beside it, no line starting with a picture's file name); skipped\n`,
      );
    // A picture added to the folder without its label would be left out without a word.
    const { unlabelled } = dataset;
    if (unlabelled.length) {
      const names = unlabelled.slice(0, 5).map((f) => path.basename(f));
      const more = unlabelled.length > names.length ? `, and ${unlabelled.length - names.length} more` : '';
      ctx.stderr.write(
        `lpr-edge: warning: ${unlabelled.length} picture(s) in ${dir} have no label and are not measured: ${names.join(', ')}${more}\n`,
      );
    }
    if (values.out !== undefined)
      checkOutFile(String(values.out), 'out', 'eval.json', [
        ...dataset.labelFiles.map((file) => ({ file, what: "the dataset's labels" })),
        ...dataset.items.map((i) => ({ file: i.file, what: 'a picture of the dataset' })),
        ...(ctx.configPath ? [{ file: ctx.configPath, what: 'the config (--config)' }] : []),
        // eval does not open the unit's database, but a report written over it would destroy it.
        ...dataDirFiles(loadConfig({ configPath: ctx.configPath, dataDir: ctx.dataDir }).config.dataDir),
      ]);
    const degradations =
      values.degrade === undefined ? undefined : parseDegradeOption(String(values.degrade));
    const show = values.video === undefined ? undefined : parseVideoOption(String(values.video));
    if (show && dataset.kind !== 'frames')
      throw new UsageError('eval: --video needs a set of full frames (plate crops are not camera pictures)');
    // Video reads are stored as the daemon stores them: in a database of their own, removed after.
    const videoDir = show ? mkdtempSync(path.join(os.tmpdir(), 'lpr-eval-video-')) : undefined;
    const unit = videoDir
      ? openUnit({ configPath: ctx.configPath, dataDir: videoDir, log: createLogger('warn', 'stderr') })
      : undefined;
    const config = unit?.config ?? loadConfig({ configPath: ctx.configPath, dataDir: ctx.dataDir }).config;
    const vision = await Vision.open(config.vision, syntaxOptions(config));
    const state = config.state.enabled ? await createStateReader(config, vision) : undefined;
    try {
      const report = await evaluate(vision, dataset, path.basename(path.resolve(dir)), {
        stateReader: state,
        equivalence: new Equivalence(config.hotlists.equivalence),
        degradations,
        video:
          show && unit
            ? {
                show,
                pipeline: { config, vision, reads: unit.reads, position: noPosition, log: unit.log, state },
              }
            : undefined,
      });
      if (values.out) writeFileSync(String(values.out), JSON.stringify(report, null, 2));
      const { items, ...summary } = report;
      if (values.json) ctx.stdout.write(JSON.stringify(summary) + '\n');
      else ctx.stdout.write(formatReport(report));
      if (values.errors) {
        for (const r of items.filter((i) => i.error !== undefined))
          ctx.stdout.write(`  not read: ${r.error}\n`);
        for (const r of items.filter((i) => !i.correct && i.error === undefined)) {
          const alike = r.lookAlike ? ' (look-alikes only)' : '';
          ctx.stdout.write(
            `  ${path.basename(r.file)}: expected ${r.expected}, read ${r.read ?? '-'}${alike}\n`,
          );
        }
        for (const r of items.filter((i) => i.state && i.expectedState && i.state !== i.expectedState)) {
          ctx.stdout.write(
            `  ${path.basename(r.file)}: state ${r.expectedState}, read ${r.state} (${r.stateConfidence})\n`,
          );
        }
      }
      return 0;
    } finally {
      await state?.close();
      await vision.close();
      unit?.close();
      if (videoDir) rmSync(videoDir, { recursive: true, force: true });
    }
  },
};

function parseVideoOption(spec: string): VideoShow {
  try {
    return parseVideoShow(spec);
  } catch (err) {
    throw new UsageError(`eval: --video: ${(err as Error).message}`);
  }
}

function parseDegradeOption(spec: string): Degradation[] {
  try {
    return parseDegradations(spec);
  } catch (err) {
    throw new UsageError(`eval: --degrade: ${(err as Error).message}`);
  }
}
