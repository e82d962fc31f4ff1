import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ModelError, modelNotFound, refuseSpecialModelFile } from './onnx.js';

/**
 * The JSON sidecar beside every recognition model: how to feed it and how to read its output.
 * Swapping a model is a config change (point at another .onnx/.json pair), never a code change.
 */
const sidecarSchema = z.object({
  name: z.string(),
  version: z.string().optional(),
  /** The .onnx file, relative to the sidecar; default: the sidecar's name with .onnx. */
  file: z.string().optional(),
  input: z.object({
    name: z.string().optional(),
    height: z.number().int().positive(),
    width: z.number().int().positive(),
    channels: z.union([z.literal(1), z.literal(3)]),
    mean: z.number(),
    std: z.number().positive(),
    resize: z.literal('stretch').default('stretch'),
    /** Channel order for 3-channel models (PaddleOCR models were trained on BGR). */
    order: z.enum(['rgb', 'bgr']).default('rgb'),
  }),
  /**
   * What crop the model was trained on: a whole plate ('plate': the text line found by the
   * detector is grown to the plate around it) or one line of text ('line'). pad* are fractions of
   * the text line's height added on each side.
   */
  crop: z
    .object({
      kind: z.enum(['plate', 'line']),
      padX: z.number().min(0).max(3),
      padY: z.number().min(0).max(3),
    })
    .default({ kind: 'plate', padX: 0.3, padY: 0.6 }),
  output: z.object({
    name: z.string().optional(),
    layout: z.literal('NTC'),
    blank: z.number().int().min(0),
    alphabet: z.string().optional(),
    /** A file with one symbol per line, relative to the sidecar (for large alphabets). */
    alphabetFile: z.string().optional(),
    softmax: z.boolean(),
  }),
});

export interface RecogniserSpec {
  name: string;
  onnxFile: string;
  input: z.infer<typeof sidecarSchema>['input'];
  crop: z.infer<typeof sidecarSchema>['crop'];
  outputName?: string;
  blank: number;
  /** Symbol for each output class (the blank's entry is ''). */
  classes: string[];
  softmax: boolean;
}

/** `key`: the config key that named `modelPath`, for errors (see refuseSpecialModelFile). */
export function loadRecogniserSpec(modelPath: string, key = 'model'): RecogniserSpec {
  const sidecar = modelPath.endsWith('.json') ? modelPath : modelPath.replace(/\.onnx$/, '.json');
  if (!existsSync(sidecar)) {
    // Neither there: the path is wrong, which "missing sidecar" would hide.
    if (!existsSync(modelPath)) throw modelNotFound(key, modelPath);
    throw new ModelError(
      `${key} ${modelPath}: missing sidecar ${sidecar} describing the model's input and alphabet; put the .json that came with the model beside it`,
      modelPath,
    );
  }
  refuseSpecialModelFile(sidecar, key, modelPath);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(sidecar, 'utf8'));
  } catch (err) {
    throw new ModelError(`model sidecar ${sidecar}: not valid JSON (${(err as Error).message})`, sidecar);
  }
  const parsed = sidecarSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ModelError(`model sidecar ${sidecar}: ${issue.path.join('.')}: ${issue.message}`, sidecar);
  }
  const spec = parsed.data;
  const dir = path.dirname(sidecar);
  let symbols: string[];
  if (spec.output.alphabet !== undefined) symbols = [...spec.output.alphabet];
  else if (spec.output.alphabetFile) {
    // PaddleOCR key files: one symbol per line, and the model has one extra class for a space.
    const alphabetFile = path.resolve(dir, spec.output.alphabetFile);
    if (!existsSync(alphabetFile)) throw modelNotFound(key, modelPath, alphabetFile);
    refuseSpecialModelFile(alphabetFile, key, modelPath);
    symbols = readFileSync(alphabetFile, 'utf8')
      .split('\n')
      .filter((l, i, a) => l !== '' || i < a.length - 1);
    symbols.push(' ');
  } else throw new ModelError(`model sidecar ${sidecar}: output needs alphabet or alphabetFile`, sidecar);
  const classes = [...symbols];
  classes.splice(spec.output.blank, 0, '');
  return {
    name: spec.name,
    onnxFile: path.resolve(dir, spec.file ?? path.basename(sidecar).replace(/\.json$/, '.onnx')),
    input: spec.input,
    crop: spec.crop,
    outputName: spec.output.name,
    blank: spec.output.blank,
    classes,
    softmax: spec.output.softmax,
  };
}
