import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATASET, runCli } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';

// A folder of full frames is labelled by NAME.txt files beside the pictures. A README.txt or
// notes.txt an engineer leaves in it used to be read as labels and stop `lpr-edge eval` with an
// error about its first line; it is now named as skipped and the frames are measured. A label
// file that is malformed is still an error naming its file and line.
const dir = tempDir('eval-stray-text-');
const FRAME = '12c6cb72-3ea3-49e7-b381-e0cdfc5e8960';

/** A folder with one real labelled frame of the dataset (linked, not copied) and `extra` text files. */
function frameSet(name: string, extra: Record<string, string>): string {
  const frames = path.join(dir, name);
  mkdirSync(frames);
  for (const ext of ['jpg', 'txt'])
    symlinkSync(path.join(DATASET, 'endtoend-us', `${FRAME}.${ext}`), path.join(frames, `${FRAME}.${ext}`));
  for (const [file, text] of Object.entries(extra)) writeFileSync(path.join(frames, file), text);
  return frames;
}

describe('lpr-edge eval of a full-frame folder with other text files in it', { timeout: 120_000 }, () => {
  it('names a README.txt and a notes.txt as skipped and measures the frames', async () => {
    const frames = frameSet('notes', {
      'README.txt': 'Frames from the Tuesday run on Route 9.\nAsk Sam before sharing.\n',
      'notes.txt': 'two frames were blurry, left out\n',
    });
    const r = await runCli(['eval', frames, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ kind: 'frames', detectionRecall: 100 });
    for (const name of ['README.txt', 'notes.txt'])
      expect(r.stderr).toMatch(
        new RegExp(
          `^lpr-edge: warning: \\S+/notes/${name.replace('.', '\\.')}: not a label file \\(no picture named as it beside it, no line starting with a picture's file name\\); skipped$`,
          'm',
        ),
      );
  });

  it('still refuses a malformed label file beside its picture, naming the file and line', async () => {
    const frames = frameSet('bad-label', { 'README.txt': 'Frames from the Tuesday run.\n' });
    symlinkSync(path.join(DATASET, 'endtoend-us', 'car13.jpg'), path.join(frames, 'car13.jpg'));
    writeFileSync(path.join(frames, 'car13.txt'), 'car13.jpg\t692\t470\twide\t128\tEMR7094\n');
    const r = await runCli(['eval', frames, '--json']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(
      /^lpr-edge: \S+\/bad-label\/car13\.txt: line 1: w must be a number above 0, got "wide" \(expected file, x, y, w, h, plate/,
    );
    expect(r.stdout).toBe('');
  });
});
