import path from 'node:path';
import { InputError, loadImage } from '../vision/load-image.js';
import { readingCrop, type Vision, type PlateObservation } from '../vision/vision.js';
import type { Dataset, LabelledImage } from './dataset.js';
import { pct, substitutions, wilsonInterval } from './metrics.js';
import { editDistance } from '../util/edit-distance.js';
import { overlapOfSmaller } from '../vision/plate-shape.js';
import { settlePlate } from '../state/reader.js';
import type { StateReader } from '../pipeline/read-gate.js';
import type { Equivalence } from '../hotlist/normalise.js';
import { round } from '../util/format.js';
import { degrade, formatDegradations, type Degradation } from './degrade.js';
import { onCamera, readAsVideo, type VideoShow } from './video.js';
import type { PipelineDeps } from '../pipeline/camera-pipeline.js';
import type { Box, RgbImage } from '../vision/image.js';

export interface ItemResult {
  file: string;
  expected: string;
  read: string | null;
  correct: boolean;
  /**
   * Right but for look-alike characters (0/O/D/Q, 1/I, ...: the unit's hotlist equivalence
   * classes): a hotlist entry of the labelled plate would match the read without a difference.
   */
  lookAlike: boolean;
  /** Ground truth plate found among the detections (frames only). */
  detected: boolean;
  inTopN: boolean;
  expectedState: string | null;
  state: string | null;
  stateConfidence: number | null;
  plateHeight: number | null;
  ms: number;
  /** Read as video (`--video`): reads stored away from the labelled plate (other text taken for a plate). */
  otherReads?: number;
  /** Why the picture could not be read at all (missing, not an image): counted as a miss. */
  error?: string;
}

export interface EvalReport {
  dataset: string;
  /** The damage done to every picture before reading (`--degrade`); absent when none. */
  degraded?: string;
  /** Read through the daemon's video path, as a camera of this size (`--video`); absent: as stills. */
  video?: string;
  kind: Dataset['kind'];
  images: number;
  /** Pictures that could not be read at all (`ItemResult.error`), counted as misses. */
  unreadable: number;
  exactTop1: number;
  /** Where the exact rate lies with 95 % confidence, given how few images the set has (%). */
  exactTop1Interval: [number, number];
  /** Right but for look-alikes, as hotlists compare plates (`lookAlike`). */
  lookAlikeTop1: number;
  topN: number;
  detectionRecall: number | null;
  /** Read as video: reads stored away from the labelled plate, per frame (false reads in the car). */
  otherReadsPerImage?: number;
  charAccuracy: number;
  medianMs: number;
  confusions: { pair: string; count: number }[];
  byState: Record<string, { n: number; exact: number }>;
  byHeight: { range: string; n: number; exact: number }[];
  /**
   * How often a state was read (coverage), and how often rightly or wrongly, in % of the images.
   * On a set without state labels (full frames) only the coverage is known: correct and wrong are
   * null. Null when there are no labels and no state was read (the reader off, `region: eu`).
   */
  state: { coverage: number; correct: number | null; wrong: number | null } | null;
  items: ItemResult[];
}

const HEIGHT_BUCKETS = [0, 20, 30, 45, 70, Infinity];

export interface EvaluateOptions {
  /** Reads the state of each plate; without it every state is null. */
  stateReader?: StateReader;
  /** The look-alike classes hotlists compare plates by (`hotlists.equivalence`). */
  equivalence: Equivalence;
  /** Damage done to every picture before it is read, in order (robustness figures). */
  degradations?: Degradation[];
  /** Frames shown to the daemon's video pipeline instead of searched as stills (`--video`). */
  video?: { show: VideoShow; pipeline: PipelineDeps };
}

/** What reading one picture gave: the plate and state taken, and every plate found. */
interface Outcome {
  plate: string | null;
  state: { state: string | null; confidence: number | null };
  found: { box: Box; texts: string[] }[];
}

export async function evaluate(
  vision: Vision,
  dataset: Dataset,
  name: string,
  opts: EvaluateOptions,
): Promise<EvalReport> {
  const items: ItemResult[] = [];
  for (const item of dataset.items) items.push(await evaluateOne(vision, dataset.kind, item, opts));
  const report = summarise(name, dataset.kind, items);
  return {
    ...report,
    ...(opts.degradations?.length && { degraded: formatDegradations(opts.degradations) }),
    ...(opts.video && {
      video: `${opts.video.show.width}x${opts.video.show.height}`,
      otherReadsPerImage: round(
        items.reduce((sum, r) => sum + (r.otherReads ?? 0), 0) / Math.max(1, items.length),
        2,
      ),
    }),
  };
}

async function evaluateOne(
  vision: Vision,
  kind: Dataset['kind'],
  item: LabelledImage,
  { stateReader, equivalence, degradations, video }: EvaluateOptions,
): Promise<ItemResult> {
  const t0 = performance.now();
  let loaded: RgbImage;
  try {
    loaded = await loadImage(item.file);
  } catch (err) {
    // One bad file in a set of hundreds is reported with the results, not instead of them.
    if (!(err instanceof InputError)) throw err;
    return unreadItem(item, err.message, performance.now() - t0);
  }
  const labelHeight = item.box ? item.box[3] : loaded.height;
  let { image, plateBox } = degradations?.length
    ? await degrade(loaded, degradations, labelHeight, path.basename(item.file), item.box)
    : { image: loaded, plateBox: item.box };
  const onPlate = (f: { box: Box }) => plateBox !== null && overlapOfSmaller(f.box, plateBox) > 0.5;
  let outcome: Outcome;
  if (video) {
    ({ image, plateBox } = await onCamera(image, plateBox, video.show.width, video.show.height));
    outcome = await readVideo(image, video, onPlate);
  } else {
    outcome = await readStill(vision, kind, image, stateReader);
  }
  const ms = performance.now() - t0;
  const { plate, state, found } = outcome;
  const detected = plateBox ? found.some(onPlate) : found.length > 0;
  return {
    file: item.file,
    expected: item.plate,
    read: plate,
    correct: plate === item.plate,
    lookAlike: plate !== null && equivalence.key(plate) === equivalence.key(item.plate),
    detected,
    inTopN: found.some((f) => f.texts.includes(item.plate)),
    expectedState: item.state,
    state: state.state,
    stateConfidence: state.confidence,
    // As the camera sees it: a frame shrunk to fit the camera (--video) has a smaller plate.
    plateHeight: video && plateBox ? Math.round(plateBox[3]) : labelHeight,
    ms,
    ...(video && plateBox && { otherReads: found.filter((f) => !onPlate(f)).length }),
  };
}

/** A picture that could not be loaded: a miss, with the reason. */
function unreadItem(item: LabelledImage, error: string, ms: number): ItemResult {
  return {
    file: item.file,
    expected: item.plate,
    read: null,
    correct: false,
    lookAlike: false,
    detected: false,
    inTopN: false,
    expectedState: item.state,
    state: null,
    stateConfidence: null,
    plateHeight: item.box ? item.box[3] : null,
    ms,
    error,
  };
}

/** A still: searched once (a crop read as a plate), the best plate settled as the daemon does. */
async function readStill(
  vision: Vision,
  kind: Dataset['kind'],
  image: RgbImage,
  stateReader: StateReader | undefined,
): Promise<Outcome> {
  const plates: PlateObservation[] =
    kind === 'crops' ? await vision.readCrop(image) : await vision.findPlatesInStill(image);
  const first = plates[0];
  // A crop is the plate; in a frame the plate is the region around the character line.
  const { reading, state } = first
    ? await settlePlate(
        vision,
        stateReader,
        image,
        first,
        readingCrop(first),
        kind === 'crops' ? null : first.lineBox,
      )
    : { reading: null, state: { state: null, confidence: null } };
  return {
    plate: reading?.plate ?? null,
    state,
    found: plates.map((p) => ({ box: p.lineBox, texts: [p.plate, ...p.candidates.map((c) => c.text)] })),
  };
}

/**
 * A frame shown to the video path: every vehicle in view makes a read of its own, so the reading
 * is the read stored on the labelled plate (or, if none is, the one stored from the most frames).
 */
async function readVideo(
  image: RgbImage,
  video: NonNullable<EvaluateOptions['video']>,
  onPlate: (read: { box: Box }) => boolean,
): Promise<Outcome> {
  const reads = await readAsVideo(video.pipeline, image, video.show.frames);
  const first = reads.find(onPlate) ?? reads[0];
  return {
    plate: first?.plate ?? null,
    state: { state: first?.state ?? null, confidence: first?.stateConfidence ?? null },
    found: reads.map((r) => ({ box: r.box, texts: [r.plate, ...r.candidates.map((c) => c.plate)] })),
  };
}

export function summarise(name: string, kind: Dataset['kind'], items: ItemResult[]): EvalReport {
  const n = items.length;
  const right = items.filter((r) => r.correct).length;
  const confusionCounts = new Map<string, number>();
  let charErrors = 0;
  let chars = 0;
  const byState: EvalReport['byState'] = {};
  for (const r of items) {
    chars += r.expected.length;
    charErrors += Math.min(r.expected.length, editDistance(r.expected, r.read ?? ''));
    for (const s of substitutions(r.expected, r.read ?? ''))
      confusionCounts.set(s, (confusionCounts.get(s) ?? 0) + 1);
    if (r.expectedState) {
      const s = (byState[r.expectedState] ??= { n: 0, exact: 0 });
      s.n++;
      if (r.correct) s.exact++;
    }
  }
  const times = items
    .filter((r) => r.error === undefined)
    .map((r) => r.ms)
    .sort((a, b) => a - b);
  return {
    dataset: name,
    kind,
    images: n,
    unreadable: items.filter((r) => r.error !== undefined).length,
    exactTop1: pct(right, n),
    exactTop1Interval: wilsonInterval(right, n),
    lookAlikeTop1: pct(items.filter((r) => r.lookAlike).length, n),
    topN: pct(items.filter((r) => r.inTopN).length, n),
    detectionRecall: kind === 'frames' ? pct(items.filter((r) => r.detected).length, n) : null,
    charAccuracy: pct(chars - charErrors, chars),
    medianMs: Math.round((times[Math.floor(times.length / 2)] ?? 0) * 10) / 10,
    confusions: [...confusionCounts.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 10)
      .map(([pair, count]) => ({ pair, count })),
    byState,
    byHeight: HEIGHT_BUCKETS.slice(0, -1).map((lo, i) => {
      const hi = HEIGHT_BUCKETS[i + 1]!;
      const inBucket = items.filter(
        (r) => r.plateHeight !== null && r.plateHeight >= lo && r.plateHeight < hi,
      );
      return {
        range: hi === Infinity ? `>=${lo}px` : `${lo}-${hi - 1}px`,
        n: inBucket.length,
        exact: pct(inBucket.filter((r) => r.correct).length, inBucket.length),
      };
    }),
    state: stateSummary(items),
    items,
  };
}

function stateSummary(items: ItemResult[]): EvalReport['state'] {
  const withState = items.filter((r) => r.expectedState);
  if (withState.length === 0) {
    const read = items.filter((r) => r.state).length;
    return read ? { coverage: pct(read, items.length), correct: null, wrong: null } : null;
  }
  const stated = withState.filter((r) => r.state);
  return {
    coverage: pct(stated.length, withState.length),
    correct: pct(stated.filter((r) => r.state === r.expectedState).length, withState.length),
    wrong: pct(stated.filter((r) => r.state !== r.expectedState).length, withState.length),
  };
}

/** The human-readable table `lpr-edge eval` prints. */
export function formatReport(r: EvalReport): string {
  const lines = [
    `dataset            ${r.dataset} (${r.images} ${r.kind === 'crops' ? 'plate crops' : 'full frames'})`,
    `exact plate top-1  ${r.exactTop1} %   (95 % interval ${r.exactTop1Interval[0]}–${r.exactTop1Interval[1]} %)`,
    `look-alike exact   ${r.lookAlikeTop1} %   (0/O, 1/I, ... as one: as hotlists compare plates)`,
    `in top-N           ${r.topN} %`,
  ];
  if (r.unreadable)
    lines.splice(
      1,
      0,
      `unreadable         ${r.unreadable} ${r.unreadable === 1 ? 'picture' : 'pictures'}   (counted as misses; --errors names them)`,
    );
  if (r.degraded) lines.splice(1, 0, `degraded           ${r.degraded}   (every picture, before reading)`);
  if (r.video)
    lines.splice(1, 0, `read as video      ${r.video} camera   (the daemon's path: tracking and voting)`);
  if (r.detectionRecall !== null) lines.push(`detection recall   ${r.detectionRecall} %`);
  if (r.otherReadsPerImage !== undefined)
    lines.push(
      `other reads        ${r.otherReadsPerImage} per frame   (stored away from the labelled plate)`,
    );
  lines.push(`per-character      ${r.charAccuracy} %`, `median time        ${r.medianMs} ms/image`);
  if (r.state) {
    lines.push(
      r.state.correct === null
        ? `state coverage     ${r.state.coverage} %   (no state labels: right or wrong not known)`
        : `state coverage     ${r.state.coverage} %   correct ${r.state.correct} %   wrong ${r.state.wrong} %`,
    );
  }
  lines.push('', 'by plate height    n     exact');
  for (const b of r.byHeight)
    if (b.n) lines.push(`  ${b.range.padEnd(16)} ${String(b.n).padEnd(5)} ${b.exact} %`);
  const states = Object.entries(r.byState).sort((a, b) => b[1].n - a[1].n);
  if (states.length) {
    lines.push('', 'by state           n     exact');
    for (const [s, v] of states)
      lines.push(`  ${s.padEnd(16)} ${String(v.n).padEnd(5)} ${pct(v.exact, v.n)} %`);
  }
  lines.push('', 'most frequent confusions (expected→read)');
  lines.push(
    r.confusions.length ? '  ' + r.confusions.map((c) => `${c.pair} ×${c.count}`).join(', ') : '  none',
  );
  return lines.join('\n') + '\n';
}
