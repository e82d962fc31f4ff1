import fs from 'node:fs';
import { z } from 'zod';
import { InputError } from '../gps/track.js';
import { inputFileProblem } from '../util/input-file.js';

/**
 * Ground truth for a recorded drive: one entry per vehicle, with its plate and the span of
 * video time (seconds from the first frame) in which its plate is readable.
 *
 * CSV (header required): `plate,state,from_s,to_s` — e.g. `ABC1234,NY,12.5,16.0` (state may be empty).
 * JSON: `[{"plate":"ABC1234","state":"NY","fromS":12.5,"toS":16.0}]`.
 */
export const labelSchema = z
  .strictObject({
    plate: z.string().regex(/^[A-Z0-9]{1,10}$/, 'upper-case letters and digits only, e.g. ABC1234'),
    state: z
      .string()
      .regex(/^[A-Z]{2}$/, 'a two-letter USPS code')
      .nullable()
      .default(null),
    fromS: z.number().min(0),
    toS: z.number().min(0),
  })
  .refine((l) => l.toS >= l.fromS, { message: 'toS must not be before fromS', path: ['toS'] });
export type Label = z.infer<typeof labelSchema>;

export function parseLabels(text: string, file: string): Label[] {
  let raw: unknown[];
  if (file.endsWith('.json')) {
    try {
      raw = JSON.parse(text) as unknown[];
    } catch (err) {
      throw new InputError(`labels ${file}: not valid JSON (${(err as Error).message})`);
    }
    if (!Array.isArray(raw))
      throw new InputError(`labels ${file}: expected an array of {plate, state, fromS, toS}`);
  } else {
    const lines = text.split(/\r?\n/).filter((l) => l.trim() && !l.startsWith('#'));
    const header = lines
      .shift()
      ?.split(',')
      .map((h) => h.trim());
    if (!header || header.join(',') !== 'plate,state,from_s,to_s') {
      throw new InputError(`labels ${file}: the first line must be the header "plate,state,from_s,to_s"`);
    }
    raw = lines.map((l) => {
      const [plate, state, from, to] = l.split(',').map((c) => c.trim());
      return { plate, state: state || null, fromS: Number(from), toS: Number(to) };
    });
  }
  return raw.map((r, i) => {
    const p = labelSchema.safeParse(r);
    if (!p.success) {
      const issue = p.error.issues[0]!;
      throw new InputError(
        `labels ${file}: vehicle ${i + 1} ${issue.path.join('.')}: got ${JSON.stringify((r as Record<string, unknown>)[String(issue.path[0])])}; ${issue.message}`,
      );
    }
    return p.data;
  });
}

export function loadLabels(file: string): Label[] {
  // A named pipe would block the read forever.
  const problem = inputFileProblem(file);
  if (problem?.kind === 'special') throw new InputError(`labels ${file}: ${problem.message}`);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new InputError(`labels ${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? err})`);
  }
  return parseLabels(text, file);
}
