import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from './load.js';
import type { Config } from './schema.js';

/** The project root (this file is dist/config/defaults.js once built). */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export const DEMO_VIDEO = path.join(PROJECT_ROOT, 'data', 'demo', 'demo.mp4');

/** Paths of the models that ship with the project (the model cards in models/ describe them). */
export const BUNDLED_MODELS = {
  /** PP-OCRv4's text detector with its per-pixel operations folded in (models/ppocr-det.md). */
  detector: path.join(PROJECT_ROOT, 'models/ppocr-det.onnx'),
  /** The project's plate-character recogniser (models/plate-rec.md). */
  recogniser: path.join(PROJECT_ROOT, 'models/plate-rec.onnx'),
  /**
   * The same network trained further, better on European plates but worse on US frames: for units
   * with `region: eu` (models/plate-rec.md, "plate-rec-eu").
   */
  recogniserEu: path.join(PROJECT_ROOT, 'models/plate-rec-eu.onnx'),
  /**
   * PP-OCRv4's recogniser fine-tuned on plates: the second opinion asked once per plate
   * (models/plate-rec-pp.md).
   */
  secondOpinion: path.join(PROJECT_ROOT, 'models/plate-rec-pp.onnx'),
  /** The generic PP-OCR recogniser: reads the state names and slogans printed on plates. */
  words: path.join(PROJECT_ROOT, 'models/ppocr-rec.json'),
};

/**
 * The embedded configuration: a demo unit that replays the bundled recording into ./data, with
 * no broker. It is what `lpr-edge run` uses when no config file exists.
 */
export function embeddedDefaults(): Config {
  return parseConfig({
    unitId: 'demo-unit',
    agency: 'demo-agency',
    homeState: 'NY',
    dataDir: path.join(PROJECT_ROOT, 'data'),
    cameras: [{ id: 'demo', kind: 'file', position: 'front', path: DEMO_VIDEO, realtime: true }],
    // The demo shows its reads as they are stored; a unit's log carries no plates.
    log: { plates: true },
    vision: {
      detector: { model: BUNDLED_MODELS.detector },
      recogniser: { model: BUNDLED_MODELS.recogniser },
    },
  });
}
