import { openSession, checkInput, ort, ModelError } from './onnx.js';
import { loadRecogniserSpec, type RecogniserSpec } from './model-spec.js';
import {
  ctcDecode,
  sequenceLogProb,
  softmaxRows,
  topCandidates,
  PLATE_CHARS,
  type TextCandidate,
} from './ctc.js';
import { cropResized, levelled, unsloped, type Box, type RgbImage, type TiltedBox } from './image.js';
import { cropGreyResized } from './resize.js';
import { cropSource } from './colour-contrast.js';
import { deslanted } from './deslant.js';

/** 'plate': only A-Z 0-9 may be emitted; 'full': every symbol of the model's alphabet. */
export type RecogniserAlphabet = 'plate' | 'full';

export interface Recognition {
  text: string;
  /** Product of the per-character confidences: the probability the whole reading is right. */
  confidence: number;
  charConfidences: number[];
  candidates: TextCandidate[];
  /**
   * Log probability of any text under this crop's model output, over every alignment
   * (`sequenceLogProb`): how well another reading fits what this model saw.
   */
  logProbOf?: (text: string) => number;
}

/**
 * Reads the characters of plate crops with a CTC model described by its sidecar. Several crops of
 * one frame go through the model in one call.
 */
export class Recogniser {
  private readonly allowed: number[];
  private readonly classIndex: Map<string, number>;

  private constructor(
    private readonly session: ort.InferenceSession,
    readonly spec: RecogniserSpec,
    private readonly candidates: number,
    readonly alphabet: RecogniserAlphabet = 'plate',
  ) {
    this.classIndex = new Map(spec.classes.map((s, i) => [s, i]));
    this.allowed = spec.classes.flatMap((s, i) => (s.length === 1 && PLATE_CHARS.includes(s) ? [i] : []));
    if (this.allowed.length < 30) {
      throw new ModelError(
        `model ${spec.onnxFile}: its alphabet lacks plate characters A-Z 0-9`,
        spec.onnxFile,
      );
    }
    if (alphabet === 'full') this.allowed = spec.classes.flatMap((s, i) => (i === spec.blank ? [] : [i]));
  }

  /**
   * The same model and session decoding with another alphabet: 'full' reads words (state names,
   * slogans: lower case, spaces, punctuation) that the plate-character restriction would garble.
   * Shares the onnxruntime session, so it costs no memory; close only the original.
   */
  withAlphabet(alphabet: RecogniserAlphabet): Recogniser {
    return new Recogniser(this.session, this.spec, this.candidates, alphabet);
  }

  /** `key`: the config key that named `modelPath`, for errors (see refuseSpecialModelFile). */
  static async open(modelPath: string, threads: number, candidates = 5, key = 'model'): Promise<Recogniser> {
    const spec = loadRecogniserSpec(modelPath, key);
    const session = await openSession(spec.onnxFile, threads, key, modelPath);
    checkInput(session, spec.onnxFile, spec.input.channels, spec.input.height);
    return new Recogniser(session, spec, candidates);
  }

  /**
   * `width` overrides the model's input width for this call (models with a dynamic width axis,
   * such as PP-OCR's, read long lines of words better at their own aspect ratio).
   *
   * A tilted line is read levelled two ways, in the same model call, and the surer reading is
   * kept: turned level (right when the camera or the plate is rolled) and with its columns moved
   * level (right when the plate is seen from the side, its strokes still vertical). Which of the
   * two tilted it cannot be told from the line's box.
   */
  async recognise(
    image: RgbImage,
    boxes: (Box | TiltedBox)[],
    opts: { width?: number } = {},
  ): Promise<Recognition[]> {
    if (boxes.length === 0) return [];
    const { height, channels, mean, std, order } = this.spec.input;
    const width = opts.width ?? this.spec.input.width;
    const plane = width * height;
    const views = await Promise.all(
      boxes.map(async (b) =>
        Array.isArray(b) ? [{ image, box: b }] : [await levelled(image, b), unsloped(image, b)],
      ),
    );
    const cuts = views.flat();
    // Grey crops (our plate model) are cut in TypeScript: sharp's fixed cost per call was twice the
    // model's. The resampler reproduces sharp's pixels (src/vision/resize.ts), which the model was
    // trained and evaluated on; strokes that lean clearly are then sheared upright (deslant.ts).
    // Colour crops (PP-OCR) still go through sharp.
    const crops =
      channels === 1
        ? cuts.map((l) => {
            const source = cropSource(l.image, l.box);
            return deslanted(cropGreyResized(source.image, source.box, width, height), width, height);
          })
        : await Promise.all(cuts.map((l) => cropResized(l.image, l.box, width, height, channels)));
    const input = new Float32Array(cuts.length * channels * plane);
    crops.forEach((pixels, n) => {
      const base = n * channels * plane;
      for (let c = 0; c < channels; c++) {
        const src = channels === 3 && order === 'bgr' ? 2 - c : c;
        const dst = base + c * plane;
        for (let i = 0; i < plane; i++) input[dst + i] = (pixels[i * channels + src]! / 255 - mean) / std;
      }
    });
    const inputName = this.spec.input.name ?? this.session.inputNames[0]!;
    const outputName = this.spec.outputName ?? this.session.outputNames[0]!;
    const feeds = { [inputName]: new ort.Tensor('float32', input, [cuts.length, channels, height, width]) };
    const result = await this.session.run(feeds);
    const output = result[outputName]!;
    const [, steps, classes] = output.dims as [number, number, number];
    const data = output.data as Float32Array;
    const readings = cuts.map((_, n) => {
      const offset = n * steps * classes;
      if (!this.spec.softmax) softmaxRows(data, steps, classes, offset);
      const chars = ctcDecode(data, steps, classes, offset, this.spec.blank, this.allowed, this.spec.classes);
      const charConfidences = chars.map((c) => c.confidence);
      return {
        text: chars.map((c) => c.char).join(''),
        confidence: charConfidences.reduce((p, c) => p * c, chars.length ? 1 : 0),
        charConfidences,
        candidates: topCandidates(chars, this.candidates),
        logProbOf: (text: string) => {
          const labels = [...text].map((ch) => this.classIndex.get(ch) ?? -1);
          if (labels.includes(-1)) return -Infinity;
          return sequenceLogProb(data, steps, classes, offset, this.spec.blank, labels);
        },
      };
    });
    let next = 0;
    return views.map((v) => {
      const ofBox = readings.slice(next, (next += v.length));
      return ofBox.reduce((best, r) => (r.confidence > best.confidence ? r : best));
    });
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
