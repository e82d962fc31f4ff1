import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { InputError } from '../vision/load-image.js';
import type { Box } from '../vision/image.js';
import { STATE_CODES } from '../state/states.js';
import { inputFileProblem } from '../util/input-file.js';
import { IMAGE } from '../capture/folder-source.js';

/** One labelled picture: a full frame with the plate's box, or a plate crop. */
export interface LabelledImage {
  file: string;
  plate: string;
  /** USPS code in upper case, when the label has one. */
  state: string | null;
  /** Plate box in the full frame; null for crops. */
  box: Box | null;
}

export interface Dataset {
  kind: 'crops' | 'frames';
  items: LabelledImage[];
  /**
   * Labels kept but worth a look, each naming its file and line: a picture that is missing
   * (measured as a miss, as an unreadable picture is) or a label given twice (measured once).
   */
  warnings: DatasetWarning[];
  /** The files the labels were read from (an output must not be written over them). */
  labelFiles: string[];
  /** Pictures in the folder that no label names: not measured, so eval says so. */
  unlabelled: string[];
  /**
   * Text files of a full-frame folder that are not label files (a README.txt, notes.txt): not
   * read as labels, so eval names them as skipped.
   */
  skipped: string[];
}

export interface DatasetWarning {
  /** The picture it is about: a part of the set measured alone is warned about its own only. */
  file: string;
  message: string;
}

/** No plate has more characters (hotlists draw the same line). */
const MAX_PLATE_CHARS = 10;
/** What may stand between a plate's groups in a label ("ABC 123", "B-AB.123"); taken out. */
const SEPARATORS = /[\s.·-]/g;

/**
 * The plate as written in a label, normalised to what the recognisers read: A–Z and 0–9 only.
 * Anything else (a "?" for an unreadable character, an Ö, a stray column) is an error rather than
 * quietly dropped, which would leave a shorter plate no read could ever match.
 */
export const plateSchema = z.string().transform((raw, ctx) => {
  const plate = raw.toUpperCase().replace(SEPARATORS, '');
  const others = [...new Set(plate.replace(/[A-Z0-9]/g, ''))];
  if (plate === '') ctx.addIssue({ code: 'custom', message: 'the plate is empty' });
  else if (others.length)
    ctx.addIssue({
      code: 'custom',
      message: `plate "${raw}" has ${others.map((c) => `"${c}"`).join(', ')}: only A–Z and 0–9 are read (spaces and hyphens between groups are fine)`,
    });
  else if (plate.length > MAX_PLATE_CHARS)
    ctx.addIssue({
      code: 'custom',
      message: `plate "${raw}" has ${plate.length} characters; no plate has more than ${MAX_PLATE_CHARS} (check the columns)`,
    });
  return plate;
});

/** A USPS code in any case, or nothing. */
export const stateSchema = z
  .string()
  .refine((s) => s.trim() === '' || STATE_CODES.includes(s.trim().toUpperCase()), {
    error: (issue) =>
      `state "${String(issue.input)}" is not a USPS code (e.g. NY); leave it empty when not known`,
  })
  .transform((s) => s.trim().toUpperCase() || null);

const fileSchema = z.string().trim().min(1, 'the file name is empty');

/** A box's x or y (at least 0) or, `size`, its w or h (above 0). */
const pixels = (name: string, size: boolean) =>
  z
    .string()
    .trim()
    .transform((v, ctx) => {
      const n = v === '' ? NaN : Number(v);
      if (!Number.isFinite(n) || n < 0 || (size && n === 0))
        ctx.addIssue({
          code: 'custom',
          message: `${name} must be a number ${size ? 'above 0' : 'of at least 0'}, got "${v}"`,
        });
      return n;
    });

const cropLabel = z.object({ file: fileSchema, plate: plateSchema, state: stateSchema });
const frameLabel = z.object({
  file: fileSchema,
  x: pixels('x', false),
  y: pixels('y', false),
  w: pixels('w', true),
  h: pixels('h', true),
  plate: plateSchema,
});

/**
 * Reads the openalpr benchmark layouts: a folder of frames each with `NAME.txt`
 * (`file<TAB>x<TAB>y<TAB>w<TAB>h<TAB>PLATE`), or a folder of crops with a `file,state,plate`
 * CSV beside it (`DIR.csv`) or inside it (`labels.csv`).
 */
export function loadDataset(dir: string): Dataset {
  if (!existsSync(dir)) throw new InputError(`${dir}: no such dataset folder`);
  if (!statSync(dir).isDirectory())
    throw new InputError(
      `${dir}: not a folder; give the dataset's folder (its labels are ${path.basename(dir).endsWith('.csv') ? 'found beside or inside it' : 'NAME.txt files or DIR.csv'})`,
    );
  const errors = new LabelErrors();
  try {
    const csv = [`${dir.replace(/\/+$/, '')}.csv`, path.join(dir, 'labels.csv')].find(
      (f) => existsSync(f) && !statSync(f).isDirectory(),
    );
    if (csv) {
      // A named pipe would block the read forever: refused, not passed over.
      const problem = inputFileProblem(csv);
      if (problem) throw new InputError(`${csv}: ${problem.message}`);
      const set = checked('crops', parseCropsCsv(csv, dir, errors), errors);
      return { ...set, labelFiles: [csv], unlabelled: unlabelledIn(dir, set.items), skipped: [] };
    }
    const names = readdirSync(dir);
    const texts = names
      .filter((f) => f.endsWith('.txt') && statSync(path.join(dir, f)).isFile())
      .sort()
      .map((f) => path.join(dir, f));
    const pictureStems = new Set(names.filter((f) => IMAGE.test(f)).map((f) => f.replace(/\.[^.]+$/, '')));
    const labelFiles = texts.filter((f) => isFrameLabelFile(f, pictureStems));
    const skipped = texts.filter((f) => !labelFiles.includes(f));
    if (labelFiles.length === 0)
      throw new InputError(
        `${dir}: no labels (expected NAME.txt beside each image, or ${dir}.csv)${skipped.length ? `; ${skipped.map((f) => path.basename(f)).join(', ')}: not label files (no picture named as it beside it, no line starting with a picture's file name)` : ''}`,
      );
    const set = checked(
      'frames',
      labelFiles.flatMap((l) => parseFrameLabel(l, dir, errors)),
      errors,
    );
    return { ...set, labelFiles, unlabelled: unlabelledIn(dir, set.items), skipped };
  } catch (err) {
    // Unreadable labels (permissions): one line naming the file, not a stack trace.
    const e = err as NodeJS.ErrnoException;
    if (e.code && e.path) throw new InputError(`${e.path}: cannot read the labels (${e.code})`);
    throw err;
  }
}

/**
 * Whether a text file of a full-frame folder is a label file: a picture of its name lies beside it
 * (`car1.txt` for `car1.jpg`), or one of its lines starts with a picture's file name, as every
 * label line does (a label whose picture is missing is still measured, as a miss). Anything else
 * (a README.txt, notes.txt) is no label file: read as one, its first line stopped the evaluation.
 * A label file that is malformed still fails, naming its line.
 */
function isFrameLabelFile(file: string, pictureStems: ReadonlySet<string>): boolean {
  if (pictureStems.has(path.basename(file, '.txt'))) return true;
  // The first field as parseFrameLabel splits it: at tabs, or at blanks in a line without tabs.
  const firstField = (line: string) =>
    line.includes('\t') ? line.split('\t')[0]! : line.trim().split(/\s+/)[0]!;
  // Or a picture's name ending at a comma or semicolon: a label file a spreadsheet saved is still
  // a label file, refused naming its line rather than passed over with its pictures unmeasured.
  return numberedLines(file).some(
    ({ line }) => IMAGE.test(firstField(line).trim()) || PICTURE_THEN_DELIMITER.test(line),
  );
}

/** A line that starts with a picture's file name (IMAGE's extensions) followed by a comma or semicolon. */
const PICTURE_THEN_DELIMITER = new RegExp(`^\\s*[^,;\\t]+${IMAGE.source.replace(/\$$/, '')}\\s*[,;]`, 'i');

/** The pictures in `dir` that no label names. */
function unlabelledIn(dir: string, items: LabelledImage[]): string[] {
  const labelled = new Set(items.map((i) => path.resolve(i.file)));
  return readdirSync(dir)
    .filter((name) => IMAGE.test(name) && !labelled.has(path.resolve(dir, name)))
    .sort()
    .map((name) => path.join(dir, name));
}

/** A label and where it was written, for messages. */
interface Located {
  item: LabelledImage;
  where: string;
}

/** Lines of a text file with their 1-based numbers, blank lines left out (but counted). */
function numberedLines(file: string): { line: string; n: number }[] {
  return numberLines(readFileSync(file, 'utf8'));
}

/** Lines of a text with their 1-based numbers, blank lines left out (but counted). */
export function numberLines(text: string): { line: string; n: number }[] {
  return text
    .replace(/^\uFEFF/, '') // a byte-order mark, as spreadsheet exports write
    .split(/\r?\n/)
    .map((line, i) => ({ line, n: i + 1 }))
    .filter(({ line }) => line.trim());
}

/** Every bad label at once: the first named, the count of the rest, so one edit round fixes all. */
export class LabelErrors {
  private readonly errors: string[] = [];

  add(where: string, error: z.ZodError | string): void {
    const message = typeof error === 'string' ? error : error.issues.map((i) => i.message).join('; ');
    this.errors.push(`${where}: ${message}`);
  }

  throwIfAny(): void {
    const [first, ...rest] = this.errors;
    if (!first) return;
    const more = rest.length ? ` (and ${rest.length} more bad label${rest.length > 1 ? 's' : ''})` : '';
    throw new InputError(`${first}${more}`);
  }
}

function parseCropsCsv(csv: string, dir: string, errors: LabelErrors): Located[] {
  const lines = numberedLines(csv);
  const header =
    lines
      .shift()
      ?.line.split(',')
      .map(csvCell)
      .map((h) => h.toLowerCase()) ?? [];
  const col = (name: string) => header.indexOf(name);
  if (col('file') < 0 || col('plate') < 0)
    throw new InputError(`${csv}: header must have file and plate columns`);
  return lines.flatMap(({ line, n }) => {
    const cells = line.split(',').map(csvCell);
    const where = `${csv}: line ${n}`;
    const file = cells[col('file')];
    const plate = cells[col('plate')];
    if (!file || !plate) {
      errors.add(where, 'missing file or plate');
      return [];
    }
    const r = cropLabel.safeParse({
      file,
      plate,
      state: col('state') >= 0 ? (cells[col('state')] ?? '') : '',
    });
    if (!r.success) {
      errors.add(where, r.error);
      return [];
    }
    return [
      {
        item: { file: path.join(dir, r.data.file), plate: r.data.plate, state: r.data.state, box: null },
        where,
      },
    ];
  });
}

function parseFrameLabel(labelFile: string, dir: string, errors: LabelErrors): Located[] {
  return numberedLines(labelFile).flatMap(({ line, n }) => {
    // Tabs, as the set's README writes them. A line without tabs is split at blanks, as the
    // openalpr benchmark's own reader does, so a label retyped with spaces still loads; the
    // plate is then the rest of the line ("ABC 123").
    const tabs = line.includes('\t');
    const [file, x, y, w, h, ...rest] = tabs ? line.split('\t') : line.trim().split(/\s+/);
    const plate = tabs ? rest[0] : rest.join(' ');
    const where = `${labelFile}: line ${n}`;
    const format = 'expected file, x, y, w, h, plate separated by tabs';
    if (!file || !plate || [x, y, w, h].some((v) => v === undefined)) {
      errors.add(where, format);
      return [];
    }
    const r = frameLabel.safeParse({ file, x, y, w, h, plate });
    if (!r.success) {
      const numbers = r.error.issues.some((i) => ['x', 'y', 'w', 'h'].includes(String(i.path[0])));
      errors.add(where, numbers ? `${r.error.issues.map((i) => i.message).join('; ')} (${format})` : r.error);
      return [];
    }
    const { x: bx, y: by, w: bw, h: bh } = r.data;
    return [
      {
        item: {
          file: path.join(dir, r.data.file),
          plate: r.data.plate,
          state: null,
          box: [bx, by, bw, bh] as Box,
        },
        where,
      },
    ];
  });
}

/**
 * The checks across labels. A crop shows one plate, so a crop labelled twice with different
 * plates (or states) is an error: one of the two is wrong and either would skew the figures. The
 * same label twice is measured once, with a warning; so is the same plate twice on one frame. A
 * missing picture stays in the set, measured as a miss as an unreadable one is, with a warning
 * naming its label.
 */
function checked(
  kind: Dataset['kind'],
  labels: Located[],
  errors: LabelErrors,
): Omit<Dataset, 'labelFiles' | 'unlabelled' | 'skipped'> {
  const warnings: DatasetWarning[] = [];
  const seen = new Map<string, Located>();
  const items: LabelledImage[] = [];
  for (const label of labels) {
    const { item, where } = label;
    const key = kind === 'crops' ? item.file : `${item.file}\n${item.plate}`;
    const first = seen.get(key);
    if (first) {
      const same = first.item.plate === item.plate && first.item.state === item.state;
      const name = path.basename(item.file);
      if (same)
        warnings.push({
          file: item.file,
          message: `${where}: ${name} ${item.plate} is labelled already (${first.where}); measured once`,
        });
      else
        errors.add(
          where,
          `${name} is labelled ${item.plate}${item.state ? ` (${item.state})` : ''} here but ${first.item.plate}${first.item.state ? ` (${first.item.state})` : ''} at ${first.where}; a crop shows one plate: keep the right label`,
        );
      continue;
    }
    seen.set(key, label);
    const problem = inputFileProblem(item.file);
    if (problem)
      warnings.push({
        file: item.file,
        message: `${where}: ${path.basename(item.file)}: ${problem.message}; measured as a miss`,
      });
    items.push(item);
  }
  errors.throwIfAny();
  return { kind, items, warnings };
}

/** A CSV cell without the blanks and the quotes around it. */
export function csvCell(cell: string): string {
  return cell.trim().replace(/^"(.*)"$/, '$1');
}
