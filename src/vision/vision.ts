import type { Config } from '../config/schema.js';
import { BUNDLED_MODELS } from '../config/defaults.js';
import { TextDetector, type TextBox } from './text-detector.js';
import { Recogniser } from './recogniser.js';
import { detectionSmoothing } from './noise.js';
import { searchTiles } from './tiles.js';
import { clampBox, tiltedBounds, type Box, type RgbImage, type TiltedBox } from './image.js';
import {
  lineShapeScore,
  padBox,
  platePrior,
  textPlateScore,
  overlapOfSmaller,
  framePositionScore,
  joinSplitLines,
  plateSurroundScore,
  type ShapeLimits,
} from './plate-shape.js';
import type { TextCandidate } from './ctc.js';
import type { Recognition } from './recogniser.js';
import { withWiderReading, WIDER_PAD_X } from './edge-characters.js';
import { fixReading, rankCandidates, type PlateReading, type SyntaxOptions } from '../state/syntax.js';

/** One plate seen in one frame. */
export interface PlateObservation {
  plate: string;
  /** Confidence of the reading (per-character product) times the plate-likeness prior. */
  confidence: number;
  charConfidences: number[];
  candidates: TextCandidate[];
  /** The crop that was read, in frame pixels (for a tilted line, the upright box around it). */
  box: Box;
  /** The text line the detector found. */
  lineBox: Box;
  /** A tilted line's crop as it was read, turned level; read it again with `readingCrop`. */
  tilted?: TiltedBox;
}

/** The crop to read a plate again from: as it was first read, level even when it is tilted. */
export function readingCrop(o: PlateObservation): Box | TiltedBox {
  return o.tilted ?? o.box;
}

/**
 * Part of a video frame to search around a plate already being tracked. The region is shrunk so
 * that plate's crop is about ROI_PLATE_HEIGHT px tall (its characters about 15 px): the detector
 * needs no more detail than that to find the line, and its cost grows with the pixels it is given.
 * Crops for recognition still come from the full frame. On the 184 openalpr-dev frames, region
 * searches read the same plates at 32 px as at 48 px or unshrunk (125, 123, 126 right).
 */
export interface SearchRegion {
  box: Box;
  /** Absent: no plate is known there, and the region is searched at the frame's own size. */
  plateHeight?: number;
  /** Search again closer if the shrunk region shows no line of characters (REGION_MIN_LINE). */
  closerIfEmpty?: boolean;
}

const ROI_PLATE_HEIGHT = 32;

/**
 * That shrinking takes the tracked crop's height for the plate's character line. When the line
 * the detector found was the whole plate (characters, border and state name as one box), the
 * characters come out too small to be found, and the region yields nothing. A region searched
 * without a line at least REGION_MIN_LINE of that height is searched again at REGION_RETRY_SCALE
 * times the scale, if its plate was seen in the last frame (`closerIfEmpty`): around a plate not
 * seen since, the vehicle has most likely gone, and a second search would only cost time.
 * Through `eval --video 1920x1080` on endtoend-us: 74.4 -> 78.2 % (21A1BX, VLX039, FE5R2D read,
 * none lost); retrying only when nothing at all was found, or below 0.3 or 0.4, 76.9 %; at three
 * times the scale, 75.6 %.
 */
const REGION_MIN_LINE = 0.2;
const REGION_RETRY_SCALE = 2;

/**
 * A still larger than `stillInputSize` is shrunk for its search, and its small plates with it;
 * it is also searched in tiles at up to TILE_CLOSER times that scale (at most its own size), each
 * tile as large as one search, neighbours overlapping by TILE_OVERLAP of a tile. The endtoend-us
 * frames, each put in a 2,560 × 1,440 picture: 62.8 -> 80.8 % (at their own size, 87.2 %), at 1.9
 * instead of 0.26 s a picture; overlapping by 0.15, the same.
 */
const TILE_CLOSER = 2;
const TILE_OVERLAP = 0.25;

/** How much a small still is enlarged for its second search, at most; and at least, to be worth it. */
const STILL_ENLARGE = 2;
const MIN_ENLARGE = 1.2;

export interface StageTimes {
  detectMs: number;
  recogniseMs: number;
}

/**
 * The vision stage: text detection, plate-shaped candidates, crop with margin, character
 * recognition restricted to plate characters, plate-likeness scoring, best first.
 */
export class Vision {
  readonly times: StageTimes = { detectMs: 0, recogniseMs: 0 };
  private lastSecond: { image: RgbImage; crop: string; reading: Recognition | undefined } | null = null;

  private constructor(
    readonly detector: TextDetector,
    readonly recogniser: Recogniser,
    private readonly cfg: Config['vision'],
    /** Plate formats the readings are fixed with (null: syntax fixing off). */
    readonly syntax: SyntaxOptions | null,
    /** A recogniser built differently, asked per plate (`reconsider`, `secondReading`); null: none. */
    readonly second: Recogniser | null = null,
  ) {}

  /**
   * `syntax`: plate formats for position-dependent fixing of look-alike characters
   * (src/state/syntax.ts); omitted, readings are reported as the model made them, and no second
   * opinion is opened.
   */
  static async open(cfg: Config['vision'], syntax?: SyntaxOptions): Promise<Vision> {
    // The second opinion judges by plate formats: without them it would never be asked.
    const second = !syntax
      ? null
      : cfg.recogniser.secondOpinion === undefined
        ? BUNDLED_MODELS.secondOpinion
        : cfg.recogniser.secondOpinion;
    const [detector, recogniser, secondRecogniser] = await Promise.all([
      TextDetector.open(
        cfg.detector.model,
        { inputSize: cfg.detector.inputSize, boxThreshold: cfg.detector.boxThreshold, threads: cfg.threads },
        'vision.detector.model',
      ),
      Recogniser.open(
        cfg.recogniser.model,
        cfg.threads,
        cfg.recogniser.candidates,
        'vision.recogniser.model',
      ),
      second
        ? Recogniser.open(second, cfg.threads, cfg.recogniser.candidates, 'vision.recogniser.secondOpinion')
        : null,
    ]);
    return new Vision(detector, recogniser, cfg, syntax ?? null, secondRecogniser);
  }

  /**
   * Plates in a video frame, best first, overlapping readings of one plate merged. With `regions`,
   * only those parts of the frame are searched (around plates already being tracked): far cheaper
   * than the whole frame, so the pipeline searches whole frames only every few frames.
   */
  async findPlates(image: RgbImage, regions?: SearchRegion[]): Promise<PlateObservation[]> {
    const t0 = performance.now();
    const smoothing = detectionSmoothing(image);
    const found = regions
      ? await this.detectInRegions(image, regions, smoothing)
      : await this.detector.detect(image, { smoothing });
    return this.readLines(image, found, t0);
  }

  /**
   * Plates in a still image (`read`, `eval`): one look only, so searched at `stillInputSize`.
   * A still smaller than that is searched a second time enlarged (up to STILL_ENLARGE times), and
   * the lines of both searches are read: in small pictures the detector can miss part of a plate's
   * line at its own size ("627 WWI" found as "627" alone in a 600 × 600 frame), or find it only
   * there. Overlapping readings of one plate are merged as usual. A still larger than that is
   * also searched in tiles, closer (`detectInTiles`).
   */
  async findPlatesInStill(image: RgbImage): Promise<PlateObservation[]> {
    const t0 = performance.now();
    const maxSide = this.cfg.detector.stillInputSize;
    const smoothing = detectionSmoothing(image);
    const found = await this.detector.detect(image, { maxSide, smoothing });
    const enlarge = Math.min(STILL_ENLARGE, maxSide / Math.max(image.width, image.height));
    if (enlarge >= MIN_ENLARGE)
      found.push(...(await this.detector.detect(image, { maxSide, maxScale: enlarge, smoothing })));
    found.push(...(await this.detectInTiles(image, maxSide, smoothing)));
    return this.readLines(image, found, t0);
  }

  /** A still larger than `maxSide` searched tile by tile, closer than as a whole (TILE_CLOSER). */
  private async detectInTiles(image: RgbImage, maxSide: number, smoothing: number): Promise<TextBox[]> {
    const longSide = Math.max(image.width, image.height);
    if (longSide <= maxSide) return [];
    const scale = Math.min(1, (TILE_CLOSER * maxSide) / longSide);
    const lines: TextBox[] = [];
    for (const tile of searchTiles(image.width, image.height, maxSide, scale, TILE_OVERLAP)) {
      const region = clampBox(tile, image);
      if (!region) continue;
      const tileSide = Math.round(Math.max(region[2], region[3]) * scale);
      lines.push(...(await this.detector.detect(image, { maxSide: tileSide, region, smoothing })));
    }
    return lines;
  }

  private async readLines(image: RgbImage, found: TextBox[], t0: number): Promise<PlateObservation[]> {
    const everyLine = found.map((l) => l.box);
    const tiltOf = new Map(found.flatMap((l) => (l.tilted ? [[l.box, l.tilted] as const] : [])));
    const lines = [...everyLine, ...joinSplitLines(everyLine)].filter((l) => {
      const own = tiltOf.get(l)?.box ?? l;
      return lineShapeScore(own) > 0 && own[3] >= 6;
    });
    const t1 = performance.now();
    this.times.detectMs = t1 - t0;
    const crops: LineCrop[] = [];
    for (const line of lines) {
      const tilted = tiltOf.get(line);
      const read = this.cropOfLine(image, line, tilted, this.recogniser.spec.crop.padX);
      if (read)
        crops.push({
          line,
          tilted,
          read,
          shape:
            lineShapeScore(tilted?.box ?? line) *
            framePositionScore(line, image) *
            plateSurroundScore(line, everyLine),
        });
    }
    const firstReadings = await this.recogniser.recognise(
      image,
      crops.map((c) => c.read),
    );
    const asRead = await this.readEdgesAgain(image, crops, firstReadings);
    const readings = asRead.map((r) => this.applySyntax(r));
    this.times.recogniseMs = performance.now() - t1;
    const observations = readings
      .map((r, i): PlateObservation | null => {
        const prior = platePrior(asRead[i]!.text, r.text, this.plateLimits);
        if (prior === 0) return null;
        return {
          plate: r.text,
          confidence: r.confidence * prior * crops[i]!.shape,
          charConfidences: r.charConfidences,
          candidates: r.candidates,
          box: uprightCrop(crops[i]!.read, image),
          lineBox: crops[i]!.line,
          ...tiltedOnly(crops[i]!.read),
        };
      })
      .filter((o): o is PlateObservation => o !== null)
      .sort((a, b) => b.confidence - a.confidence);
    // A plate's text line and its state-name line can both yield readings of one plate region.
    const kept: PlateObservation[] = [];
    for (const o of observations) {
      if (!kept.some((k) => overlapOfSmaller(k.box, o.box) > 0.5)) kept.push(o);
    }
    return kept;
  }

  /**
   * Plate-like readings read again from a crop about one character wider on each side, all in one
   * model call, in case the detector's line left out a character at an end, or the tight crop lost
   * one (src/vision/edge-characters.ts). A reading replaced takes the wider crop as its box.
   */
  private async readEdgesAgain(
    image: RgbImage,
    crops: LineCrop[],
    readings: Recognition[],
  ): Promise<Recognition[]> {
    if (this.recogniser.spec.crop.padX >= WIDER_PAD_X) return readings; // a model whose own crop is already that wide
    const again = readings.flatMap((r, i) => {
      if (textPlateScore(r.text, this.plateLimits) === 0) return [];
      const wider = this.cropOfLine(image, crops[i]!.line, crops[i]!.tilted, WIDER_PAD_X);
      return wider ? [{ i, wider }] : [];
    });
    if (again.length === 0) return readings;
    const widerReadings = await this.recogniser.recognise(
      image,
      again.map((a) => a.wider),
    );
    const fitsFormat = this.syntax
      ? (r: Recognition) => this.fitsFormat(r.text, r.charConfidences) === true
      : null;
    const result = [...readings];
    again.forEach(({ i, wider }, n) => {
      result[i] = withWiderReading(readings[i]!, widerReadings[n]!, this.plateLimits, fitsFormat);
      if (result[i] !== readings[i]) crops[i]!.read = wider;
    });
    return result;
  }

  /**
   * What the recogniser reads for a text line: the line grown by `padX` of its height on each
   * side (and the model's padY above and below), along the line itself when it is tilted.
   */
  private cropOfLine(
    image: RgbImage,
    line: Box,
    tilted: TiltedBox | undefined,
    padX: number,
  ): Box | TiltedBox | null {
    const { padY } = this.recogniser.spec.crop;
    if (tilted) {
      const crop = { box: padBox(tilted.box, padX, padY), tilt: tilted.tilt };
      return clampBox(tiltedBounds(crop), image) ? crop : null;
    }
    return clampBox(padBox(line, padX, padY), image);
  }

  /** How many characters a plate reading may have. */
  private get plateLimits(): ShapeLimits {
    return { minChars: this.cfg.minPlateChars, maxChars: this.cfg.maxPlateChars };
  }

  private async detectInRegions(
    image: RgbImage,
    regions: SearchRegion[],
    smoothing: number,
  ): Promise<TextBox[]> {
    const lines: TextBox[] = [];
    for (const region of regions) {
      const box = clampBox(region.box, image);
      if (!box) continue;
      const plateHeight = region.plateHeight ?? ROI_PLATE_HEIGHT;
      const shrink = Math.min(1, ROI_PLATE_HEIGHT / Math.max(1, plateHeight));
      const maxSide = Math.max(32, Math.round(Math.max(box[2], box[3]) * shrink));
      let found = await this.detector.detect(image, { maxSide, region: box, smoothing });
      const characters = (l: TextBox) => l.box[3] >= REGION_MIN_LINE * plateHeight;
      if (region.closerIfEmpty && shrink < 1 && !found.some(characters)) {
        const closer = Math.round(Math.max(box[2], box[3]) * Math.min(1, shrink * REGION_RETRY_SCALE));
        found = await this.detector.detect(image, { maxSide: closer, region: box, smoothing });
      }
      lines.push(...found);
    }
    return lines;
  }

  /**
   * Read an image that is already one plate's crop: its text lines are found only to know where
   * the characters are (and whether they are tilted), not to search for plates.
   */
  async readCrop(image: RgbImage): Promise<PlateObservation[]> {
    const whole: Box = [0, 0, image.width, image.height];
    const lines = (await this.detector.detect(image, { smoothing: detectionSmoothing(image) })).filter(
      (l) => lineShapeScore(l.tilted?.box ?? l.box) > 0,
    );
    // The plate's characters are the crop's tallest plate-shaped line.
    const characters = lines.sort((a, b) => b.box[3] - a.box[3])[0];
    if (this.recogniser.spec.crop.kind === 'line') {
      // A text-line model reads that line alone.
      const box = characters ? clampBox(padBox(characters.box, 0.1, 0.15), image) : whole;
      return this.readBoxes(image, [box ?? whole]);
    }
    // A plate tilted in its crop is turned level by its characters' line.
    return this.readBoxes(image, [characters?.tilted ? { box: whole, tilt: characters.tilted.tilt } : whole]);
  }

  private async readBoxes(image: RgbImage, boxes: (Box | TiltedBox)[]): Promise<PlateObservation[]> {
    const t0 = performance.now();
    const readings = (await this.recogniser.recognise(image, boxes)).map((r) => this.applySyntax(r));
    this.times.recogniseMs = performance.now() - t0;
    return readings
      .map((r, i) => ({
        plate: r.text,
        confidence: r.confidence,
        charConfidences: r.charConfidences,
        candidates: r.candidates,
        box: uprightCrop(boxes[i]!, image),
        lineBox: uprightCrop(boxes[i]!, image),
        ...tiltedOnly(boxes[i]!),
      }))
      .filter((o) => o.plate.length > 0);
  }

  /**
   * A second opinion on a plate whose reading fits no plate format, from the second recogniser
   * (a network built differently, whose errors are mostly not the first one's): both read the
   * plate's crop, and the second's reading is taken if it fits a format and the two models
   * together find it more probable (the sum of its log probabilities under each, over every
   * alignment). A reading that fits a format is left alone, as in the second look at a wider crop:
   * on a plate both read plausibly, the second model is no more often right than the first.
   * Asked once per plate (a still's plates, a finished track), not per frame. The reading's
   * confidence, which chose the plate, is kept. Needs plate formats (syntax fixing on).
   */
  async reconsider<T extends PlateReading>(image: RgbImage, box: Box | TiltedBox, reading: T): Promise<T> {
    if (!this.second || !reading.plate || this.fitsFormat(reading.plate, reading.charConfidences) !== false)
      return reading;
    const [own] = await this.recogniser.recognise(image, [box]);
    const other = await this.readSecond(image, box);
    if (!own?.logProbOf || !other?.logProbOf || !this.fitsFormat(other.text, other.charConfidences))
      return reading;
    const both = (text: string) => own.logProbOf!(text) + other.logProbOf!(text);
    if (both(other.text) <= Math.max(both(reading.plate), both(own.text))) return reading;
    const fixed = this.applySyntax(other);
    if (textPlateScore(fixed.text, this.plateLimits) === 0) return reading;
    // The first reading stays second in line: hotlists are checked against the candidates too.
    const first = reading.candidates.find((c) => c.text === reading.plate) ?? {
      text: reading.plate,
      confidence: reading.charConfidences.reduce((p, c) => p * c, 1),
    };
    const candidates = uniqueTexts([
      ...fixed.candidates.slice(0, 1),
      first,
      ...fixed.candidates,
      ...reading.candidates,
    ]).slice(0, this.cfg.recogniser.candidates);
    return { ...reading, plate: fixed.text, charConfidences: fixed.charConfidences, candidates };
  }

  /**
   * The second recogniser's own reading of a plate's crop, for the read state's formats to choose
   * from (`settlePlate`); null without a second recogniser.
   */
  async secondReading(image: RgbImage, box: Box | TiltedBox): Promise<TextCandidate | null> {
    const reading = this.second && (await this.readSecond(image, box));
    return reading?.text ? { text: reading.text, confidence: reading.confidence } : null;
  }

  /**
   * The second recogniser's reading of one crop. Both rules can ask for the same plate (its
   * reading fits no format, then none of its state's either), so the last reading is kept.
   */
  private async readSecond(image: RgbImage, box: Box | TiltedBox): Promise<Recognition | undefined> {
    const crop = JSON.stringify(box);
    const last = this.lastSecond;
    if (last && last.image === image && last.crop === crop) return last.reading;
    const [reading] = await this.second!.recognise(image, [box]);
    this.lastSecond = { image, crop, reading };
    return reading;
  }

  /**
   * Whether a reading fits a plate format as read or with the look-alike fixes syntax fixing
   * would make; null with syntax fixing off (no formats to judge by).
   */
  private fitsFormat(text: string, charConfidences: number[]): boolean | null {
    if (!this.syntax) return null;
    return fixReading(text, charConfidences, this.syntax, this.plateLimits.minChars).format !== null;
  }

  /**
   * Fix look-alikes the image left ambiguous (or, failing that, drop a mark read as a character:
   * a separator, a bolt) and rank candidates by plate format.
   */
  private applySyntax(r: Recognition): Recognition {
    if (!this.syntax || !r.text) return r;
    const fixed = fixReading(r.text, r.charConfidences, this.syntax, this.plateLimits.minChars);
    const candidates = uniqueTexts(
      rankCandidates([{ text: fixed.plate, confidence: r.confidence }, ...r.candidates], this.syntax),
    );
    return { ...r, text: fixed.plate, charConfidences: fixed.charConfidences, candidates };
  }

  async close(): Promise<void> {
    await Promise.all([this.detector.close(), this.recogniser.close(), this.second?.close()]);
  }
}

/** A text line of a frame and the crop of it the recogniser reads. */
interface LineCrop {
  line: Box;
  tilted: TiltedBox | undefined;
  read: Box | TiltedBox;
  shape: number;
}

function tiltedOnly(crop: Box | TiltedBox): { tilted?: TiltedBox } {
  return Array.isArray(crop) ? {} : { tilted: crop };
}

/** A crop as an upright box in the frame: a tilted line's bounds, within the frame. */
function uprightCrop(crop: Box | TiltedBox, image: RgbImage): Box {
  if (Array.isArray(crop)) return crop;
  return (
    clampBox(tiltedBounds(crop), image) ?? clampBox(crop.box, image) ?? [0, 0, image.width, image.height]
  );
}

/** Candidates with each text once, the first (best ranked) kept. */
function uniqueTexts(candidates: TextCandidate[]): TextCandidate[] {
  const seen = new Set<string>();
  return candidates.filter((c) => (seen.has(c.text) ? false : (seen.add(c.text), true)));
}
