import type { Command } from '../command.js';
import { syntaxOptions } from '../../state/syntax.js';
import { UsageError } from '../command.js';
import { loadConfig } from '../../config/load.js';
import { Vision, readingCrop } from '../../vision/vision.js';
import { loadImage } from '../../vision/load-image.js';
import { round } from '../../util/format.js';
import { createStateReader, settlePlate, type StateReading } from '../../state/reader.js';

export const readCommand: Command = {
  name: 'read',
  summary: 'recognise plates in still images',
  usage: `read <image>... [--crop] [--json]
  --crop   each image is already a plate crop: skip detection
  --json   one JSON line per image, plates best first:
           {"file","plates":[{"plate","state","stateConfidence","confidence","box":[x,y,w,h],"candidates":[{"plate","confidence"}]}],"ms"}
           state is a USPS code, or null when the unit is not sure (stateConfidence below state.threshold);
           candidates are the alternative readings kept for the plate (vision.recogniser.candidates)`,
  options: { crop: { type: 'boolean' }, json: { type: 'boolean' } },
  async run(ctx, files, values) {
    if (files.length === 0) throw new UsageError('read: name at least one image file');
    const { config } = loadConfig({ configPath: ctx.configPath, dataDir: ctx.dataDir });
    const syntax = syntaxOptions(config);
    const vision = await Vision.open(config.vision, syntax);
    const stateReader = config.state.enabled ? await createStateReader(config, vision) : null;
    let failures = 0;
    try {
      for (const file of files) {
        const t0 = performance.now();
        let plates;
        const states: StateReading[] = [];
        try {
          const image = await loadImage(file);
          plates = values.crop ? await vision.readCrop(image) : await vision.findPlatesInStill(image);
          for (const [i, p] of plates.entries()) {
            // A crop is the plate itself; in a frame, read the plate region around the characters.
            const line = values.crop ? null : p.lineBox;
            const { reading, state } = await settlePlate(vision, stateReader, image, p, readingCrop(p), line);
            states.push(state);
            plates[i] = reading;
          }
        } catch (err) {
          if ((err as Error).name !== 'InputError') throw err;
          failures++;
          ctx.stderr.write(`lpr-edge: ${(err as Error).message}\n`);
          if (values.json)
            ctx.stdout.write(JSON.stringify({ file, error: (err as Error).message, plates: [] }) + '\n');
          continue;
        }
        const ms = round(performance.now() - t0, 1);
        const out = plates.map((p, i) => ({
          plate: p.plate,
          state: states[i]?.state ?? null,
          stateConfidence: states[i]?.confidence ?? null,
          confidence: round(p.confidence, 4),
          box: p.box.map(Math.round),
          candidates: p.candidates.map((c) => ({ plate: c.text, confidence: round(c.confidence, 4) })),
        }));
        if (values.json) ctx.stdout.write(JSON.stringify({ file, plates: out, ms }) + '\n');
        else {
          const text = out.length
            ? out.map((p) => `${p.plate} ${p.state ?? '--'} (${p.confidence.toFixed(2)})`).join(', ')
            : 'no plate';
          ctx.stdout.write(`${file}: ${text}  [${ms} ms]\n`);
        }
      }
    } finally {
      await stateReader?.close();
      await vision.close();
    }
    return failures ? 1 : 0;
  },
};
