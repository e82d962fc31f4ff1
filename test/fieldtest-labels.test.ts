import { beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { jsonLines, runCli } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';
import { NJ_SEDAN, NY_SEDAN, renderShortDrive } from './helpers/video.js';

const dir = tempDir();
const video = path.join(dir, 'drive.mp4');
// 5 fps: KDT4821 in view 0.6–2.2 s, HZN5177 3.4–5.0 s; the video ends at 5.6 s.
beforeAll(() => renderShortDrive(video, [NY_SEDAN, NJ_SEDAN]), 60_000);

let runs = 0;
/** `replay --labels` of the drive, with `csv` (or `json`) as its labels, into a fresh data dir. */
function replayWith(text: string, ext = 'csv') {
  const labels = path.join(dir, `labels-${++runs}.${ext}`);
  writeFileSync(labels, text);
  return runCli([
    ...['replay', video, '--every-frame', '--labels', labels],
    ...['--data-dir', path.join(dir, `data-${runs}`)],
  ]);
}

const metricsOf = (stderr: string) => jsonLines(stderr).find((l) => 'recall' in l);
const HEADER = 'plate,state,from_s,to_s\n';

describe('replay --labels: labels are checked before the replay, each named by its line', () => {
  it('refuses a row with a cell missing, left empty, too many or not seconds, naming the line and counting the rest', async () => {
    const r = await replayWith(
      `${HEADER}# the first car\nKDT4821,NY,,2.2\nHZN5177,NJ,3.4\nKDT4821,NY,0.6,2.2,x\nHZN5177,NJ,0:03,0:05\n`,
    );
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(
      /^lpr-edge: labels \S+labels-\d+\.csv: line 3: from_s is empty; give the seconds of video time \(and 3 more bad labels\)$/,
    );
    const each = await Promise.all([
      replayWith(`${HEADER}HZN5177,NJ,3.4\n`),
      replayWith(`${HEADER}KDT4821,NY,0.6,2.2,x\n`),
      replayWith(`${HEADER}HZN5177,NJ,0:03,0:05\n`),
      replayWith(`${HEADER}KDT4821,NN,0.6,2.2\n`),
    ]);
    expect(each.map((e) => e.code)).toEqual([2, 2, 2, 2]);
    expect(each[0]!.stderr).toMatch(
      /line 2: 3 cells, expected 4 \(plate,state,from_s,to_s; leave the state empty, not out\)/,
    );
    expect(each[1]!.stderr).toMatch(/line 2: 5 cells, expected 4/);
    expect(each[2]!.stderr).toMatch(
      /line 2: from_s must be seconds of video time \(0 or more, e\.g\. 12\.5\), got "0:03"/,
    );
    expect(each[3]!.stderr).toMatch(/line 2: state "NN" is not a USPS code/);
  });

  it('reads JSON labels by their content, whatever the file is called', async () => {
    const r = await replayWith('[{"plate":"KDT?821","state":"NY","fromS":0.6,"toS":2.2}]', 'JSON');
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(
      /^lpr-edge: labels \S+\.JSON: entry 1: plate "KDT\?821" has "\?": only A–Z and 0–9 are read/,
    );
  });

  it('refuses a file that labels no vehicle, and names JSON keys it does not know', async () => {
    const none = await replayWith(HEADER);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no vehicle labelled; give one line plate,state,from_s,to_s per vehicle/);
    const snake = await replayWith('[{"plate":"KDT4821","state":"NY","from_s":0.6,"to_s":2.2}]', 'json');
    expect(snake.code).toBe(2);
    expect(snake.stderr).toMatch(
      /entry 1: fromS is missing or not a number of seconds; toS is missing or not a number of seconds; unknown keys "from_s", "to_s" \(the keys are plate, state, fromS, toS\)/,
    );
  });

  it(
    'measures a vehicle labelled twice once, and takes plates written as eval takes them',
    { timeout: 120_000 },
    async () => {
      const r = await replayWith(`${HEADER}KDT4821,NY,0.6,2.2\nkdt-4821,ny,0.6,2.2\nHZN 5177,NJ,3.4,5.0\n`);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(
        /lpr-edge: warning: labels \S+: line 3: KDT4821 0\.6–2\.2 s is labelled already \(line 2\); measured once/,
      );
      expect(metricsOf(r.stderr)).toEqual({ vehicles: 2, recall: 1, misreads: 0, missed: 0, falseReads: 0 });
    },
  );
});

describe('replay --labels with labels the video never reaches', () => {
  it('names each label after the last frame, counted as missed', { timeout: 120_000 }, async () => {
    const r = await replayWith(`${HEADER}KDT4821,NY,0.6,2.2\nHZN5177,NJ,3.4,5.0\nBXR3926,VT,20,22\n`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /lpr-edge: warning: labels \S+: line 4: BXR3926 20–22 s starts after the video's last frame \(5\.4 s\): counted as missed; check its times are seconds of this video/,
    );
    expect(r.stderr.match(/starts after the video's last frame/g)).toHaveLength(1);
    expect(metricsOf(r.stderr)).toEqual({
      vehicles: 3,
      recall: 0.6667,
      misreads: 0,
      missed: 1,
      falseReads: 0,
    });
  });

  it(
    'fails when no labelled vehicle falls within the video (milliseconds given for seconds)',
    { timeout: 120_000 },
    async () => {
      const r = await replayWith(
        '[{"plate":"KDT4821","state":"NY","fromS":600,"toS":2200},{"plate":"HZN5177","fromS":3400,"toS":5000}]',
        'json',
      );
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(
        /warning: labels \S+: entry 2: HZN5177 3400–5000 s starts after the video's last frame/,
      );
      expect(r.stderr.trim().split('\n').at(-1)).toMatch(
        /^lpr-edge: replay: none of the 2 labelled vehicle\(s\) in \S+\.json falls within the video \(its last frame at 5\.4 s\): the recall measures nothing; check the labels are of this video, in seconds$/,
      );
    },
  );
});

describe('replay --labels with vehicles in view together', () => {
  it('counts one read as one vehicle read or misread, never two', { timeout: 120_000 }, async () => {
    // KDT4821 labelled twice with different spans, and two other cars in view while HZN5177 passes:
    // two reads can make at most two vehicles read or misread.
    const r = await replayWith(
      `${HEADER}KDT4821,NY,0.6,2.2\nKDT4821,NY,1.0,2.0\nAAA1111,,3.4,5.0\nBBB2222,,3.6,4.8\n`,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(metricsOf(r.stderr)).toEqual({ vehicles: 4, recall: 0.25, misreads: 1, missed: 2, falseReads: 0 });
  });
});
