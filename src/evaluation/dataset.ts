import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../vision/load-image.js';
import type { Box } from '../vision/image.js';

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
}

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
  try {
    const csv = [`${dir.replace(/\/+$/, '')}.csv`, path.join(dir, 'labels.csv')].find(
      (f) => existsSync(f) && statSync(f).isFile(),
    );
    if (csv) return { kind: 'crops', items: parseCropsCsv(csv, dir) };
    const labels = readdirSync(dir)
      .filter((f) => f.endsWith('.txt') && statSync(path.join(dir, f)).isFile())
      .sort();
    if (labels.length === 0)
      throw new InputError(`${dir}: no labels (expected NAME.txt beside each image, or ${dir}.csv)`);
    const items = labels.flatMap((l) => parseFrameLabel(path.join(dir, l), dir));
    return { kind: 'frames', items };
  } catch (err) {
    // Unreadable labels (permissions): one line naming the file, not a stack trace.
    const e = err as NodeJS.ErrnoException;
    if (e.code && e.path) throw new InputError(`${e.path}: cannot read the labels (${e.code})`);
    throw err;
  }
}

function parseCropsCsv(csv: string, dir: string): LabelledImage[] {
  const lines = readFileSync(csv, 'utf8')
    .replace(/^\uFEFF/, '') // a byte-order mark, as spreadsheet exports write
    .split(/\r?\n/)
    .filter((l) => l.trim());
  const header =
    lines
      .shift()
      ?.split(',')
      .map(csvCell)
      .map((h) => h.toLowerCase()) ?? [];
  const col = (name: string) => header.indexOf(name);
  if (col('file') < 0 || col('plate') < 0)
    throw new InputError(`${csv}: header must have file and plate columns`);
  return lines.map((line, i) => {
    const cells = line.split(',').map(csvCell);
    const file = cells[col('file')];
    const plate = cells[col('plate')];
    if (!file || !plate) throw new InputError(`${csv}: line ${i + 2}: missing file or plate`);
    const state = col('state') >= 0 ? cells[col('state')]?.toUpperCase() || null : null;
    return { file: path.join(dir, file), plate: normalisePlate(plate), state, box: null };
  });
}

function parseFrameLabel(labelFile: string, dir: string): LabelledImage[] {
  return readFileSync(labelFile, 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.trim())
    .map((line, i) => {
      // Tabs, as the set's README writes them. A line without tabs is split at blanks, as the
      // openalpr benchmark's own reader does, so a label retyped with spaces still loads; the
      // plate is then the rest of the line ("ABC 123").
      const tabs = line.includes('\t');
      const [file, x, y, w, h, ...rest] = tabs ? line.split('\t') : line.trim().split(/\s+/);
      const plate = tabs ? rest[0] : rest.join(' ');
      const numbers = [x, y, w, h].map((v) => (v === undefined || v.trim() === '' ? NaN : Number(v)));
      if (!file || !plate || numbers.some((v) => Number.isNaN(v))) {
        throw new InputError(
          `${labelFile}: line ${i + 1}: expected file, x, y, w, h, plate separated by tabs`,
        );
      }
      return {
        file: path.join(dir, file),
        plate: normalisePlate(plate),
        state: null,
        box: numbers as Box,
      };
    });
}

/** A CSV cell without the blanks and the quotes around it. */
function csvCell(cell: string): string {
  return cell.trim().replace(/^"(.*)"$/, '$1');
}

export function normalisePlate(text: string): string {
  return text.toUpperCase().replace(/[^A-Z0-9]/g, '');
}
