import { describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync, copyFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { runCli, DATASET } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';
import { wilsonInterval } from '../src/evaluation/metrics.js';
import { loadDataset } from '../src/evaluation/dataset.js';

const dir = tempDir();

/**
 * A crop set named `name`: the real crop ak399.png (an Alaska plate, FGJ235), also as copy.png
 * (a crop may be labelled only once), and `csv` as its labels.
 */
function cropSet(name: string, csv: string): string {
  const crops = path.join(dir, name);
  mkdirSync(crops);
  for (const copy of ['ak399.png', 'copy.png'])
    copyFileSync(path.join(DATASET, 'crops-us', 'ak399.png'), path.join(crops, copy));
  writeFileSync(path.join(dir, `${name}.csv`), csv);
  return crops;
}

describe('lpr-edge eval', () => {
  it("names the mistake when given the labels file instead of the dataset's folder", async () => {
    const crops = cropSet('asfile', 'file,state,plate\nak399.png,AK,FGJ235\n');
    const r = await runCli(['eval', `${crops}.csv`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/asfile\.csv: not a folder; give the dataset's folder/);
    expect(r.stderr).not.toMatch(/unexpected error|ENOTDIR/);
  });

  it('refuses an --out it cannot write before measuring anything', async () => {
    const crops = cropSet('badout', 'file,state,plate\nak399.png,AK,FGJ235\n');
    const intoFolder = await runCli(['eval', crops, '--out', dir]);
    expect(intoFolder.code).toBe(2);
    expect(intoFolder.stderr).toMatch(/--out: ".*" is a folder; give a file name, such as .*eval\.json/);
    const missingFolder = await runCli(['eval', crops, '--out', path.join(dir, 'nowhere', 'x.json')]);
    expect(missingFolder.code).toBe(2);
    expect(missingFolder.stderr).toMatch(/--out: folder .*nowhere does not exist/);
    expect(missingFolder.stdout).not.toMatch(/exact plate/);
  });

  it('names the pictures of the folder that have no label, which it does not measure', async () => {
    // copy.png is in the folder but not in the labels.
    const crops = cropSet('unlabelled', 'file,state,plate\nak399.png,AK,FGJ235\n');
    const r = await runCli(['eval', crops]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /^lpr-edge: warning: 1 picture\(s\) in \S+unlabelled have no label and are not measured: copy\.png$/m,
    );
    expect(r.stdout).toMatch(/unlabelled \(1 plate crops?\)/);
  });

  it('refuses an --out that is its own labels or pictures, leaving them whole', async () => {
    const labels = 'file,state,plate\nak399.png,AK,FGJ235\n';
    const crops = cropSet('outonlabels', labels);
    const r = await runCli(['eval', crops, '--out', `${crops}.csv`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /--out: ".*outonlabels\.csv" is the dataset's labels \(.*\), which writing the out would overwrite; give another file name, such as .*eval\.json/,
    );
    expect(readFileSync(`${crops}.csv`, 'utf8')).toBe(labels);
    const picture = readFileSync(path.join(crops, 'ak399.png'));
    const onPicture = await runCli(['eval', crops, '--out', path.join(crops, 'ak399.png')]);
    expect(onPicture.code).toBe(2);
    expect(onPicture.stderr).toMatch(/is a picture of the dataset/);
    expect(readFileSync(path.join(crops, 'ak399.png')).equals(picture)).toBe(true);
    const config = path.join(dir, 'outonconfig.json');
    const settings = JSON.stringify({
      unitId: 'car-1',
      agency: 'nyspd',
      dataDir: path.join(dir, 'd-outonconfig'),
      vision: { detector: { model: 'unused.onnx' }, recogniser: { model: 'unused.onnx' } },
    });
    writeFileSync(config, settings);
    const onConfig = await runCli(['eval', crops, '--config', config, '--out', config]);
    expect(onConfig.code, onConfig.stderr).toBe(2);
    expect(onConfig.stderr).toMatch(/--out: ".*outonconfig\.json" is the config \(--config\)/);
    expect(readFileSync(config, 'utf8')).toBe(settings);
  });

  it("refuses an --out that is the unit's database, its -wal or its lock, leaving the database whole", async () => {
    const crops = cropSet('outondb', 'file,state,plate\nak399.png,AK,FGJ235\n');
    const data = path.join(dir, 'd-outondb');
    mkdirSync(data);
    const dbFile = path.join(data, 'lpr-edge.db');
    const db = new Database(dbFile);
    db.exec('CREATE TABLE reads (id TEXT)');
    db.close();
    const before = readFileSync(dbFile);
    for (const [name, what] of [
      ['lpr-edge.db', "the unit's database"],
      ['lpr-edge.db-wal', "the unit's database \\(its write-ahead log\\)"],
      ['lpr-edge.lock', "the data directory's lock"],
    ] as const) {
      const r = await runCli(['eval', crops, '--data-dir', data, '--out', path.join(data, name)]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(
        new RegExp(
          `--out: "\\S+/${name.replace('.', '\\.')}" is ${what} \\(\\S+\\), which writing the out would overwrite`,
        ),
      );
    }
    expect(readFileSync(dbFile).equals(before)).toBe(true);
  });

  it('reports accuracy, per-state and per-height tables and confusions on a labelled crop set', async () => {
    const rows = [
      ['ak399.png', 'ak', 'FGJ235'],
      ['copy.png', 'ak', 'FGJ285'], // a deliberately wrong label: one 3→8 style confusion
    ];
    const crops = cropSet('crops', 'file,state,plate\n' + rows.map((r) => r.join(',')).join('\n') + '\n');
    const table = await runCli(['eval', crops]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/exact plate top-1\s+50 %\s+\(95 % interval [\d.]+–[\d.]+ %\)/);
    expect(table.stdout).toMatch(/by state\s+n\s+exact\n\s+AK\s+2\s+50 %/);
    expect(table.stdout).toMatch(/8→3 ×1/);

    const json = await runCli(['eval', crops, '--json']);
    const report = JSON.parse(json.stdout);
    expect(report).toMatchObject({
      images: 2,
      exactTop1: 50,
      lookAlikeTop1: 50, // 8 and 3 are not look-alikes: still a misread
      kind: 'crops',
      detectionRecall: null,
    });
    expect(report.confusions).toEqual([{ pair: '8→3', count: 1 }]);
    expect(report.exactTop1Interval).toEqual(wilsonInterval(1, 2));
  });

  it('counts a read that differs from its label only by look-alikes separately, as hotlists compare', async () => {
    // The same crop (read FGJ235) labelled as read, and with Z for its 2: the label convention of
    // another data set, or a plate whose 2 and Z the state prints alike.
    const crops = cropSet('look-alike', 'file,state,plate\nak399.png,ak,FGJ235\ncopy.png,ak,FGJZ35\n');
    const table = await runCli(['eval', crops]);
    expect(table.stdout).toMatch(/exact plate top-1\s+50 %.*\nlook-alike exact\s+100 %/);
    const errors = await runCli(['eval', crops, '--errors']);
    expect(errors.stdout).toMatch(/copy\.png: expected FGJZ35, read FGJ235 \(look-alikes only\)/);
    const out = path.join(dir, 'look-alike.json');
    await runCli(['eval', crops, '--out', out]);
    const report = JSON.parse(readFileSync(out, 'utf8'));
    expect(
      report.items.map((i: { correct: boolean; lookAlike: boolean }) => [i.correct, i.lookAlike]),
    ).toEqual([
      [true, true],
      [false, true],
    ]);
  });

  it('measures detection recall on labelled full frames', async () => {
    const frames = path.join(dir, 'frames');
    mkdirSync(frames);
    const label = '12c6cb72-3ea3-49e7-b381-e0cdfc5e8960';
    copyFileSync(path.join(DATASET, 'endtoend-us', `${label}.jpg`), path.join(frames, `${label}.jpg`));
    copyFileSync(path.join(DATASET, 'endtoend-us', `${label}.txt`), path.join(frames, `${label}.txt`));
    const result = await runCli(['eval', frames, '--json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.kind).toBe('frames');
    expect(report.detectionRecall).toBe(100);
  });

  it('reports how often a state was read on frames without state labels', async () => {
    const frames = path.join(dir, 'texas');
    mkdirSync(frames);
    const label = 'wts-lg-000021'; // a small Texas plate; frame labels carry no state
    copyFileSync(path.join(DATASET, 'endtoend-us', `${label}.jpg`), path.join(frames, `${label}.jpg`));
    copyFileSync(path.join(DATASET, 'endtoend-us', `${label}.txt`), path.join(frames, `${label}.txt`));
    const out = path.join(dir, 'texas.json');
    await runCli(['eval', frames, '--out', out]);
    const report = JSON.parse(readFileSync(out, 'utf8'));
    expect(report.items[0]).toMatchObject({ read: 'BGB3282', state: 'TX', expectedState: null });
    expect(report.state).toEqual({ coverage: 100, correct: null, wrong: null });
    const table = await runCli(['eval', frames]);
    expect(table.stdout).toMatch(/state coverage\s+100 %\s+\(no state labels: right or wrong not known\)/);
  });

  it('gives the 95 % interval of the exact rate, which small sets leave wide', () => {
    expect(wilsonInterval(67, 78)).toEqual([76.5, 91.9]); // endtoend-us: 85.9 %
    expect(wilsonInterval(90, 101)).toEqual([81.5, 93.8]); // crops-us held-out: 89.1 %
    expect(wilsonInterval(5, 5)).toEqual([56.6, 100]); // all right, yet far from proof
    expect(wilsonInterval(0, 0)).toEqual([0, 100]);
  });

  it('counts a picture it cannot read as a miss and names it, and still reports the rest', async () => {
    const crops = cropSet(
      'damaged',
      'file,state,plate\nak399.png,ak,FGJ235\nbroken.png,ny,ABC1234\ngone.png,ny,XYZ7890\n',
    );
    writeFileSync(path.join(crops, 'broken.png'), 'not a picture');
    const table = await runCli(['eval', crops, '--errors']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/unreadable\s+2 pictures\s+\(counted as misses/);
    expect(table.stdout).toMatch(/exact plate top-1\s+33\.3 %/);
    expect(table.stdout).toMatch(/not read: .*broken\.png: not an image/);
    expect(table.stdout).toMatch(/not read: .*gone\.png: no such file/);
    const report = JSON.parse((await runCli(['eval', crops, '--json'])).stdout);
    expect(report).toMatchObject({ images: 3, unreadable: 2, exactTop1: 33.3 });
  });

  it('reads a labels CSV as spreadsheets export it: a byte-order mark, quoted cells', async () => {
    const crops = cropSet('exported', '\uFEFF"file","state","plate"\r\n"ak399.png","ak","FGJ235"\r\n');
    const report = JSON.parse((await runCli(['eval', crops, '--json'])).stdout);
    expect(report).toMatchObject({ images: 1, unreadable: 0, exactTop1: 100 });
    expect(report.byState).toEqual({ AK: { n: 1, exact: 1 } });
  });

  it('reads frame labels written with spaces as well as tabs, and names a bad line', () => {
    const frames = path.join(dir, 'spaced');
    mkdirSync(frames);
    writeFileSync(path.join(frames, 'a.txt'), 'a.jpg\t10\t20\t90\t45\t7ABC123\n');
    writeFileSync(path.join(frames, 'b.txt'), 'b.jpg  11 21  91 46 ABC 123\r\n');
    expect(loadDataset(frames).items).toEqual([
      { file: path.join(frames, 'a.jpg'), plate: '7ABC123', state: null, box: [10, 20, 90, 45] },
      { file: path.join(frames, 'b.jpg'), plate: 'ABC123', state: null, box: [11, 21, 91, 46] },
    ]);
    writeFileSync(path.join(frames, 'c.txt'), 'c.jpg 12 22 wide 47 XYZ789\n');
    expect(() => loadDataset(frames)).toThrow(
      /c\.txt: line 1: w must be a number above 0, got "wide" \(expected file, x, y, w, h, plate/,
    );
  });

  it('refuses an impossible label, naming its file and line, before measuring anything', async () => {
    const cases: [label: string, error: RegExp][] = [
      ['ak399.png,ak,-', /the plate is empty/],
      ['ak399.png,ak,FGJ?35', /plate "FGJ\?35" has "\?": only A–Z and 0–9 are read/],
      ['ak399.png,ak,FGJ_235', /plate "FGJ_235" has "_"/],
      ['ak399.png,ak,ÖFGJ235', /plate "ÖFGJ235" has "Ö"/],
      [
        'ak399.png,ak,FGJ235FGJ235FGJ235',
        /plate "FGJ235FGJ235FGJ235" has 18 characters; no plate has more than 10/,
      ],
      ['ak399.png,alaska,FGJ235', /state "alaska" is not a USPS code \(e\.g\. NY\); leave it empty/],
      ['ak399.png,ak', /missing file or plate/],
    ];
    for (const [i, [label, error]] of cases.entries()) {
      // A blank line before the label: line numbers are the file's own.
      const crops = cropSet(`bad-${i}`, `file,state,plate\ncopy.png,ak,FGJ235\n\n${label}\n`);
      const r = await runCli(['eval', crops, '--json']);
      expect(r.code, label).toBe(2);
      expect(r.stderr.trim(), label).toMatch(
        new RegExp(`^lpr-edge: \\S*bad-${i}\\.csv: line 4: ${error.source}`),
      );
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stdout).toBe('');
    }
    // Every bad label is counted, so one round of edits fixes them all.
    const many = cropSet('bad-many', 'file,state,plate\nak399.png,ak,-\ncopy.png,zz,FGJ235\nx.png,,A?\n');
    expect((await runCli(['eval', many])).stderr).toMatch(
      /line 2: the plate is empty \(and 2 more bad labels\)/,
    );
  });

  it('refuses a crop labelled twice with different plates, naming both lines', async () => {
    const crops = cropSet(
      'conflict',
      'file,state,plate\nak399.png,ak,FGJ235\ncopy.png,ak,FGJ235\nak399.png,ak,FGJ285\n',
    );
    const r = await runCli(['eval', crops]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /conflict\.csv: line 4: ak399\.png is labelled FGJ285 \(AK\) here but FGJ235 \(AK\) at \S*conflict\.csv: line 2/,
    );
  });

  it('measures a label given twice once, and names a missing picture, with warnings naming the lines', async () => {
    const crops = cropSet(
      'twice',
      'file,state,plate\nak399.png,ak,FGJ235\nak399.png,AK,fgj-235\ngone.png,ny,ABC1234\n',
    );
    const r = await runCli(['eval', crops, '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /lpr-edge: warning: \S*twice\.csv: line 3: ak399\.png FGJ235 is labelled already \(\S*twice\.csv: line 2\); measured once/,
    );
    expect(r.stderr).toMatch(
      /lpr-edge: warning: \S*twice\.csv: line 4: gone\.png: no such file; measured as a miss/,
    );
    expect(JSON.parse(r.stdout)).toMatchObject({ images: 2, unreadable: 1, exactTop1: 50 });
  });

  it('warns only about the pictures measured: those in the --split, or within --limit', async () => {
    // ak399.png and lost.png are in the calibration part, copy.png and gone.png held out.
    const crops = cropSet(
      'split-warnings',
      'file,state,plate\nak399.png,ak,FGJ235\nak399.png,ak,FGJ235\ncopy.png,ak,FGJ235\ncopy.png,ak,FGJ235\n' +
        'lost.png,ny,ABC1234\ngone.png,ny,XYZ7890\n',
    );
    const heldOut = await runCli(['eval', crops, '--json', '--split', 'held-out']);
    expect(heldOut.code, heldOut.stderr).toBe(0);
    const warnings = heldOut.stderr.trim().split('\n');
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(
      /line 5: copy\.png FGJ235 is labelled already \(\S*: line 4\); measured once$/,
    );
    expect(warnings[1]).toMatch(/line 7: gone\.png: no such file; measured as a miss$/);
    expect(JSON.parse(heldOut.stdout)).toMatchObject({ images: 2, unreadable: 1, exactTop1: 50 });

    const first = await runCli(['eval', crops, '--json', '--limit', '1']);
    expect(first.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/line 3: ak399\.png FGJ235 is labelled already/),
    ]);
  });

  it('refuses a frame label whose box is impossible', async () => {
    const frames = path.join(dir, 'boxes');
    mkdirSync(frames);
    writeFileSync(path.join(frames, 'a.txt'), 'a.jpg\t10\t20\t90\t45\t7ABC123\n');
    writeFileSync(path.join(frames, 'b.txt'), '\nb.jpg\t-4\t20\t0\t45\tABC123\n');
    const r = await runCli(['eval', frames]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(
      /b\.txt: line 2: x must be a number of at least 0, got "-4"; w must be a number above 0, got "0" \(expected file, x, y, w, h, plate/,
    );
  });

  it('explains a folder without labels', async () => {
    const empty = path.join(dir, 'empty');
    mkdirSync(empty);
    const result = await runCli(['eval', empty]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/no labels \(expected NAME\.txt beside each image/);
  });
});
