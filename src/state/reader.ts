import type { Config } from '../config/schema.js';
import type { StateReader } from '../pipeline/read-gate.js';
import type { Vision } from '../vision/vision.js';
import type { TextDetector } from '../vision/text-detector.js';
import path from 'node:path';
import { Recogniser } from '../vision/recogniser.js';
import { loadRecogniserSpec } from '../vision/model-spec.js';
import { BUNDLED_MODELS } from '../config/defaults.js';
import { clampBox, cropRgb, type Box, type RgbImage, type TiltedBox } from '../vision/image.js';
import { editDistance } from '../util/edit-distance.js';
import { readWordLines, type PlateWordLine } from './words.js';
import { estimateState, type StateEstimate, type StateParams } from './posterior.js';
import { mergeFormats } from './formats.js';
import { normaliseWords } from './match.js';
import { fitStateFormats, misfitsStateFormats, type PlateReading } from './syntax.js';
import type { StateConfig } from './config.js';

export interface StateReading {
  state: string | null;
  confidence: number | null;
}

/**
 * The plate around a main character line found in a full frame: the state name above and the
 * slogan below are each about half a character height away, and a plate is about twice as wide
 * as it is tall.
 */
export function plateRegion(line: Box): Box {
  const [x, y, w, h] = line;
  return [x - 0.35 * h, y - 0.95 * h, w + 0.7 * h, h * 2.9];
}

/**
 * The state of a plate found in a frame, read on the plate around its character line (the state
 * name and slogan are above and below the characters); the characters are not read again.
 */
export async function stateAroundLine(
  reader: StateReader,
  frame: RgbImage,
  plate: string,
  line: Box,
): Promise<StateReading> {
  const region = clampBox(plateRegion(line), frame);
  if (!region) return { state: null, confidence: null };
  const characters: Box = [line[0] - region[0], line[1] - region[1], line[2], line[3]];
  return reader.stateOf({ plate, crop: await cropRgb(frame, region), characters });
}

/**
 * One plate's final reading and its state, once per plate (a still's plates, a finished track):
 * the second opinion on a reading that fits no format (`Vision.reconsider`), then the state, then
 * that state's formats (`fitStateFormats`), which choose among the candidates and, when the
 * reading fits none of them, the second recogniser's reading too (`Vision.secondReading`).
 * `box`: the crop that was read, level if it was tilted (`readingCrop`; null: no second opinion); `line`: where the characters are in
 * `image` (a frame), null when `image` is the plate crop. Without a reader the state is null.
 */
export async function settlePlate<T extends PlateReading>(
  vision: Vision,
  reader: StateReader | null | undefined,
  image: RgbImage,
  first: T,
  box: Box | TiltedBox | null,
  line: Box | null,
): Promise<{ reading: T; state: StateReading }> {
  const syntax = vision.syntax ?? undefined;
  const reading = box ? await vision.reconsider(image, box, first) : first;
  const state = !reader
    ? { state: null, confidence: null }
    : line
      ? await stateAroundLine(reader, image, reading.plate, line)
      : await reader.stateOf({ plate: reading.plate, crop: image });
  const second =
    box && misfitsStateFormats(reading.plate, state.state, syntax)
      ? await vision.secondReading(image, box)
      : null;
  const withSecond = second ? { ...reading, candidates: [...reading.candidates, second] } : reading;
  const fitted = fitStateFormats(withSecond, state.state, syntax);
  return { reading: fitted === withSecond ? reading : fitted, state };
}

/**
 * Reads the state of registration from a plate crop: the printed words (state name, slogan)
 * matched against every state, the plate's character format, and the unit's home state,
 * combined into one posterior probability; below the threshold the answer is "not read".
 */
export class PlateStateReader implements StateReader {
  private readonly params: StateParams;

  constructor(
    private readonly detector: TextDetector,
    readonly words: Recogniser,
    private readonly cfg: StateConfig,
    homeState?: string,
    /** A recogniser session this reader opened itself (closed by close()). */
    private readonly owned?: Recogniser,
  ) {
    this.params = {
      homeState,
      homePrior: cfg.homePrior,
      textWeight: cfg.textWeight,
      formatWeight: cfg.formatWeight,
      minSimilarity: cfg.minSimilarity,
      formats: mergeFormats(cfg.formats),
    };
  }

  /** Full detail: the estimate and the lines it was based on (for `read --json` and tuning). */
  async estimate(input: {
    plate: string;
    crop: RgbImage;
    characters?: Box;
  }): Promise<{ estimate: StateEstimate; lines: PlateWordLine[] }> {
    const lines = await readWordLines(this.detector, this.words, input.crop, input.characters);
    const words = lines.filter((l) => !isPlateLine(l.text, input.plate)).map((l) => l.text);
    return { estimate: estimateState(words, input.plate, this.params), lines };
  }

  async close(): Promise<void> {
    await this.owned?.close();
  }

  async stateOf(input: { plate: string; crop: RgbImage; characters?: Box }): Promise<StateReading> {
    if (!this.cfg.enabled) return { state: null, confidence: null };
    const { estimate } = await this.estimate(input);
    const confidence = Math.round(estimate.confidence * 1000) / 1000;
    return estimate.confidence >= this.cfg.threshold
      ? { state: estimate.best, confidence }
      : { state: null, confidence };
  }
}

/** The main characters read again as words: not evidence of a state (a vanity "OHIO" plate). */
function isPlateLine(text: string, plate: string): boolean {
  const t = normaliseWords(text);
  if (!plate || !t) return false;
  return editDistance(t, plate) <= Math.max(1, Math.floor(plate.length / 3));
}

/**
 * The state reader a unit uses. It shares the vision stage's detector, and its recogniser session
 * when that is the word model (the generic PP-OCR recogniser); a plate-only model cannot read
 * words, so then the word model gets its own session. Call `close()` when done.
 */
export async function createStateReader(config: Config, vision: Vision): Promise<PlateStateReader> {
  // Off, or European plates (no US state): every read gets state null, and no word model is
  // opened, since nothing will be read.
  if (!config.state.enabled || config.region !== 'us') {
    const off = { ...config.state, enabled: false };
    return new PlateStateReader(vision.detector, vision.recogniser, off, config.homeState);
  }
  const wordModel = path.resolve(config.state.wordModel ?? BUNDLED_MODELS.words);
  const spec = loadRecogniserSpec(wordModel, 'state.wordModel');
  if (spec.onnxFile === vision.recogniser.spec.onnxFile) {
    return new PlateStateReader(
      vision.detector,
      vision.recogniser.withAlphabet('full'),
      config.state,
      config.homeState,
    );
  }
  const own = await Recogniser.open(wordModel, config.vision.threads, 1, 'state.wordModel');
  return new PlateStateReader(vision.detector, own.withAlphabet('full'), config.state, config.homeState, own);
}
