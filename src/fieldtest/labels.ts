import fs from 'node:fs';
import { z } from 'zod';
import { InputError } from '../gps/track.js';
import { inputFileProblem } from '../util/input-file.js';
import { csvCell, LabelErrors, numberLines, plateSchema, stateSchema } from '../evaluation/dataset.js';

/**
 * Ground truth for a recorded drive: one entry per vehicle, with its plate and the span of
 * video time (seconds from the first frame) in which its plate is readable.
 *
 * CSV (header required): `plate,state,from_s,to_s` — e.g. `ABC1234,NY,12.5,16.0` (state may be empty).
 * JSON: `[{"plate":"ABC1234","state":"NY","fromS":12.5,"toS":16.0}]`.
 *
 * Plates and states are checked as `lpr-edge eval` checks its labels (the same schemas): spaces,
 * hyphens and dots between groups and lower case are fine, a state must be a USPS code.
 */
export interface Label {
  plate: string;
  state: string | null;
  fromS: number;
  toS: number;
  /** Where it is written ("line 3", "entry 2"), for messages about it. */
  where: string;
}

/** Seconds of video time, from a CSV cell (text) or a JSON value (a number). */
const seconds = (name: string) =>
  z.union([z.number(), z.string()]).transform((v, ctx) => {
    const n = typeof v === 'number' ? v : v.trim() === '' ? NaN : Number(v);
    if (!Number.isFinite(n) || n < 0)
      ctx.addIssue({
        code: 'custom',
        message:
          typeof v === 'string' && v.trim() === ''
            ? `${name} is empty; give the seconds of video time`
            : `${name} must be seconds of video time (0 or more, e.g. 12.5), got ${JSON.stringify(v)}`,
      });
    return n;
  });

const CSV_HEADER = ['plate', 'state', 'from_s', 'to_s'];

const csvRow = z
  .object({
    plate: plateSchema,
    state: stateSchema,
    fromS: seconds('from_s'),
    toS: seconds('to_s'),
  })
  .refine((l) => !(l.toS < l.fromS), { message: 'to_s must not be before from_s' });

const jsonEntry = z
  .strictObject({
    plate: plateSchema,
    state: stateSchema.nullable().transform((s) => s ?? null),
    fromS: seconds('fromS'),
    toS: seconds('toS'),
  })
  .partial({ state: true })
  .refine((l) => !(l.toS < l.fromS), { message: 'toS must not be before fromS' });

/** Every issue of one label in words, each naming its field. */
function issues(error: z.ZodError): string {
  return error.issues
    .map((i) =>
      i.code === 'unrecognized_keys'
        ? `unknown key${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')} (the keys are plate, state, fromS, toS)`
        : i.code === 'invalid_type' && i.path.length
          ? `${i.path.join('.')} is missing or not ${i.expected === 'string' ? 'text' : `a ${i.expected}`}`
          : i.code === 'invalid_union' && i.path.length
            ? `${i.path.join('.')} is missing or not a number of seconds`
            : i.message,
    )
    .join('; ');
}

/**
 * The labels of `text`, JSON or CSV (`file` names it in messages). Every bad label is
 * an error, the first named with its line and the rest counted, so one edit round fixes all; a
 * file that labels no vehicle is one too (recall would be 0 of 0). The same vehicle labelled
 * twice (the same plate, state and span) is measured once, `warn` told of it: counted twice, one
 * read would be two vehicles read.
 */
export function parseLabels(text: string, file: string, warn: (message: string) => void = () => {}): Label[] {
  const errors = new LabelErrors();
  const json = isJson(text);
  const rows = json ? jsonLabels(text, file, errors) : csvLabels(text, file, errors);
  errors.throwIfAny();
  if (rows.length === 0)
    throw new InputError(
      `labels ${file}: no vehicle labelled; give one ${json ? 'entry {plate, state, fromS, toS}' : 'line plate,state,from_s,to_s'} per vehicle`,
    );
  const labels: Label[] = [];
  const seen = new Map<string, Label>();
  for (const label of rows) {
    const key = [label.plate, label.state, label.fromS, label.toS].join('\n');
    const first = seen.get(key);
    if (first) {
      warn(
        `labels ${file}: ${label.where}: ${label.plate} ${label.fromS}–${label.toS} s is labelled already (${first.where}); measured once`,
      );
      continue;
    }
    seen.set(key, label);
    labels.push(label);
  }
  return labels;
}

/**
 * JSON or CSV by what the file holds, not its name: a CSV starts with its header, JSON with its
 * array, and "labels.JSON" or "labels.txt" are as likely names as "labels.json".
 */
function isJson(text: string): boolean {
  return /^[\uFEFF\s]*[[{]/.test(text);
}

function csvLabels(text: string, file: string, errors: LabelErrors): Label[] {
  const lines = numberLines(text).filter(({ line }) => !line.trimStart().startsWith('#'));
  const header = lines.shift()?.line.split(',').map(csvCell);
  if (header?.map((h) => h.toLowerCase()).join(',') !== CSV_HEADER.join(','))
    throw new InputError(
      `labels ${file}: the first line must be the header "${CSV_HEADER.join(',')}"${header ? `, got "${header.join(',')}"` : ''}`,
    );
  return lines.flatMap(({ line, n }): Label[] => {
    const where = `line ${n}`;
    const cells = line.split(',').map(csvCell);
    // A cell too many or too few shifts the others into the wrong columns (a time read as a state).
    if (cells.length !== CSV_HEADER.length) {
      errors.add(
        `labels ${file}: ${where}`,
        `${cells.length} cells, expected ${CSV_HEADER.length} (${CSV_HEADER.join(',')}; leave the state empty, not out)`,
      );
      return [];
    }
    const [plate, state, fromS, toS] = cells;
    const r = csvRow.safeParse({ plate, state, fromS, toS });
    if (!r.success) {
      errors.add(`labels ${file}: ${where}`, issues(r.error));
      return [];
    }
    return [{ ...r.data, where }];
  });
}

function jsonLabels(text: string, file: string, errors: LabelErrors): Label[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new InputError(`labels ${file}: not valid JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(raw))
    throw new InputError(`labels ${file}: expected an array of {plate, state, fromS, toS}`);
  return raw.flatMap((entry, i): Label[] => {
    const where = `entry ${i + 1}`;
    const r = jsonEntry.safeParse(entry);
    if (!r.success) {
      errors.add(`labels ${file}: ${where}`, issues(r.error));
      return [];
    }
    return [{ ...r.data, state: r.data.state ?? null, where }];
  });
}

export function loadLabels(file: string, warn?: (message: string) => void): Label[] {
  // A named pipe would block the read forever.
  const problem = inputFileProblem(file);
  if (problem?.kind === 'special') throw new InputError(`labels ${file}: ${problem.message}`);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new InputError(`labels ${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? err})`);
  }
  return parseLabels(text, file, warn);
}
