import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATASET, runCli } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';

// A text file of a full-frame folder is a label file when one of its lines starts with a
// picture's file name. One written with commas ("car13.jpg,692,470,...", as a spreadsheet saves
// it) does, but only a first field cut at tabs or blanks was looked at: the file was passed over
// as "no line starting with a picture's file name", its pictures left unmeasured, and eval ended
// 0 on the rest of the set instead of naming the line to fix.
const dir = tempDir('eval-label-commas-');
const FRAME = '12c6cb72-3ea3-49e7-b381-e0cdfc5e8960';

describe(
  'lpr-edge eval of a full-frame folder with a label file written with commas',
  { timeout: 120_000 },
  () => {
    it('refuses it, naming the file and line, as any malformed label file', async () => {
      const frames = path.join(dir, 'commas');
      mkdirSync(frames);
      for (const ext of ['jpg', 'txt'])
        symlinkSync(
          path.join(DATASET, 'endtoend-us', `${FRAME}.${ext}`),
          path.join(frames, `${FRAME}.${ext}`),
        );
      symlinkSync(path.join(DATASET, 'endtoend-us', 'car13.jpg'), path.join(frames, 'car13.jpg'));
      writeFileSync(path.join(frames, 'more-labels.txt'), 'car13.jpg,692,470,128,64,EMR7094\n');
      const r = await runCli(['eval', frames, '--json']);
      expect(r.stderr.trim()).toMatch(
        /^lpr-edge: \S+\/commas\/more-labels\.txt: line 1: expected file, x, y, w, h, plate separated by tabs/,
      );
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
    });
  },
);
