import * as ort from 'onnxruntime-node';
import { existsSync } from 'node:fs';
import { inputFileProblem } from '../util/input-file.js';

export { ort };

export class ModelError extends Error {
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(message);
    this.name = 'ModelError';
  }
}

/**
 * Refuse a model's file that is a named pipe, device or socket: onnxruntime, or the read of a
 * sidecar, would wait on it for ever, and the daemon's start with them. `key` is the config key
 * that named the model (`model` when none did) and `model` the path it gave, so the one-line
 * error says what to change even when `file` is one beside it (the sidecar, the .onnx it names).
 */
export function refuseSpecialModelFile(file: string, key: string, model = file): void {
  const problem = inputFileProblem(file);
  if (problem?.kind !== 'special') return;
  const beside = file === model ? '' : ` ${file}:`;
  throw new ModelError(`${key} ${model}:${beside} ${problem.message}`, file);
}

/**
 * `key` (the config key, `model` when none named it) gave `model`, and `file` is not there: the
 * model itself (relative paths in a config are taken from its folder, the usual surprise), or a
 * file its sidecar names (the .onnx, the alphabet).
 */
export function modelNotFound(key: string, model: string, file = model): ModelError {
  if (file !== model)
    return new ModelError(
      `${key} ${model}: ${file}, which its sidecar names, is not there; put it there, or correct the sidecar`,
      file,
    );
  const fix =
    key === 'model' ? 'check the path' : `check ${key} (a relative path is taken from the config's folder)`;
  return new ModelError(`${key} ${model}: file not found; ${fix}`, file);
}

/**
 * One onnxruntime session on the CPU. Spinning is off: with two sessions (detector and
 * recogniser) on two cores, spinning threads starve each other and both get slower.
 * Memory patterns are off: onnxruntime plans one block per input shape it sees, and the
 * detector sees a new shape with every region search, so the memory arena kept growing (peak
 * RSS of a long 1080p replay about 625 MB with them, about 540 MB without, at the same speed;
 * README, Performance).
 */
export async function openSession(
  file: string,
  threads: number,
  key = 'model',
  model = file,
): Promise<ort.InferenceSession> {
  refuseSpecialModelFile(file, key, model);
  if (!existsSync(file)) throw modelNotFound(key, model, file);
  try {
    return await ort.InferenceSession.create(file, {
      executionProviders: ['cpu'],
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      enableMemPattern: false,
      extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
    });
  } catch (err) {
    const reason = (err as Error).message.split('\n')[0];
    const beside = file === model ? '' : ` ${file}`;
    const fix = key === 'model' ? 'check the path' : `check ${key}`;
    throw new ModelError(
      `${key} ${model}:${beside} does not load (${reason}); not an ONNX model this version runs: ${fix}, or reinstall the model`,
      file,
    );
  }
}

/** Check that a session takes one 4-D float input with the channel count we will feed it. */
export function checkInput(
  session: ort.InferenceSession,
  file: string,
  channels: number,
  height?: number,
): void {
  const meta = session.inputMetadata[0];
  if (!meta || !meta.isTensor) throw new ModelError(`model ${file}: has no tensor input`, file);
  const shape = meta.shape;
  const bad = (why: string) =>
    new ModelError(`model ${file}: wrong input shape [${shape.join(',')}] (${why})`, file);
  if (shape.length !== 4) throw bad('expected 4 dimensions N,C,H,W');
  if (typeof shape[1] === 'number' && shape[1] !== channels) throw bad(`expected ${channels} channel(s)`);
  if (height !== undefined && typeof shape[2] === 'number' && shape[2] !== height)
    throw bad(`expected height ${height}`);
}
