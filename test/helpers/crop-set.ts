import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DATASET, runCli } from './cli.js';

/**
 * A small labelled crop set of real crops-us pictures, in `eval`'s crop layout (a folder and
 * `NAME.csv` beside it). Rows: file, state, plate.
 */
export function cropSet(
  dir: string,
  name: string,
  rows: [file: string, state: string, plate: string][],
): string {
  const folder = path.join(dir, name);
  mkdirSync(folder);
  for (const [file] of rows) copyFileSync(path.join(DATASET, 'crops-us', file), path.join(folder, file));
  writeFileSync(`${folder}.csv`, 'file,state,plate\n' + rows.map((r) => r.join(',')).join('\n') + '\n');
  return folder;
}

/** A folder of real endtoend-us frames with their label files, in `eval`'s frame layout. */
export function frameSet(dir: string, name: string, frames: string[]): string {
  const folder = path.join(dir, name);
  mkdirSync(folder);
  for (const f of frames)
    for (const ext of ['.jpg', '.txt'])
      copyFileSync(path.join(DATASET, 'endtoend-us', f + ext), path.join(folder, f + ext));
  return folder;
}

/** `lpr-edge eval FOLDER --json` with extra arguments; the summary, after checking it exited 0. */
export async function evalSummary(folder: string, ...args: string[]): Promise<Record<string, unknown>> {
  const run = await runCli(['eval', folder, '--json', ...args]);
  if (run.code !== 0) throw new Error(`eval exited ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout) as Record<string, unknown>;
}
