import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import Database from 'better-sqlite3';
import { DATASET, jsonLines, runCli } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';
import { makeTestVideo } from './helpers/video.js';

const dir = tempDir();
/** A real 1600x1200 frame whose plate (EMR7094, 256 px wide) every replay here reads. */
const FRAME = path.join(DATASET, 'endtoend-us', 'car13.jpg');

function replay(input: string, data: string) {
  return runCli(['replay', input, '--every-frame', '--json', '--data-dir', path.join(dir, data)]);
}

function summaryOf(stderr: string): Record<string, unknown> {
  return jsonLines(stderr).find((l) => 'summary' in l)!;
}

describe('replay of an image folder with bad images', { timeout: 180_000 }, () => {
  it('names and skips each image it cannot read, a too-large one undecoded, and replays the rest', async () => {
    const folder = path.join(dir, 'mixed');
    mkdirSync(folder);
    copyFileSync(FRAME, path.join(folder, 'a-car.jpg'));
    writeFileSync(path.join(folder, 'b-text.jpg'), 'not a picture');
    // 64 megapixels, over read's 60: a few hundred kB of PNG, 190 MB once decoded.
    await sharp({ create: { width: 8000, height: 8000, channels: 3, background: '#777' } })
      .png()
      .toFile(path.join(folder, 'c-huge.png'));
    const r = await replay(folder, 'd-mixed');
    expect(r.code, r.stderr).toBe(0);
    expect(jsonLines(r.stdout).map((l) => l.plate)).toEqual(['EMR7094']);
    expect(r.stderr).toMatch(/lpr-edge: warning: \S*b-text\.jpg: not an image\b.*; skipped/);
    expect(r.stderr).toMatch(
      /lpr-edge: warning: \S*c-huge\.png: image too large \(.*over 60 megapixels\); skipped/,
    );
    expect(summaryOf(r.stderr)).toMatchObject({ frames: 1, framesCorrupt: 2, reads: 1 });
  });

  it('fails with a summary when no image of the folder can be read', async () => {
    const folder = path.join(dir, 'all-bad');
    mkdirSync(folder);
    writeFileSync(path.join(folder, 'a.jpg'), 'not a picture');
    writeFileSync(path.join(folder, 'b.png'), Buffer.alloc(64));
    const r = await replay(folder, 'd-bad');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/warning: \S*a\.jpg: not an image\b.*; skipped/);
    expect(r.stderr).toMatch(/warning: \S*b\.png: .*; skipped/);
    expect(summaryOf(r.stderr)).toMatchObject({ frames: 0, framesCorrupt: 2, reads: 0 });
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(
      /^lpr-edge: replay: none of the 2 images in \S*all-bad could be read \(each named above\); nothing was replayed$/,
    );
  });
});

describe('replay refuses what would lose or falsify its run', { timeout: 180_000 }, () => {
  it('fails when a read cannot be stored, naming the error', async () => {
    const folder = path.join(dir, 'one-car');
    mkdirSync(folder);
    copyFileSync(FRAME, path.join(folder, 'a-car.jpg'));
    // A file where the images folder goes: the read's crop cannot be saved.
    mkdirSync(path.join(dir, 'd-full'));
    writeFileSync(path.join(dir, 'd-full', 'images'), '');
    const r = await replay(folder, 'd-full');
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(
      /^lpr-edge: replay: 1 read\(s\) could not be stored \(last error: .+\)$/,
    );
  });

  it('checks --report, --gps-offset and exclusion zones before replaying anything', async () => {
    const folder = path.join(dir, 'one-car');
    const report = await runCli(['replay', folder, '--report', path.join(dir, 'nowhere', 'r.html')]);
    expect(report.code).toBe(2);
    expect(report.stderr).toMatch(/--report: folder \S*nowhere does not exist/);
    // Labels are spans of video time, which a folder of images does not have.
    mkdirSync(folder, { recursive: true });
    copyFileSync(FRAME, path.join(folder, 'a-car.jpg'));
    const labels = path.join(dir, 'folder-labels.csv');
    writeFileSync(labels, 'plate,state,from_s,to_s\nEMR7094,,0,1\n');
    const labelled = await runCli([
      'replay',
      folder,
      '--labels',
      labels,
      '--data-dir',
      path.join(dir, 'd-lab'),
    ]);
    expect(labelled.code).toBe(2);
    expect(labelled.stderr).toMatch(
      /^lpr-edge: replay: --labels needs a video file \(its labels are spans of video time; an image folder has none\): measure a labelled image folder with "lpr-edge eval"\n/,
    );
    const track = path.join(dir, 'track.nmea');
    writeFileSync(track, '');
    const offset = await runCli(['replay', 'drive.mp4', '--gps', track, '--gps-offset', '1e300']);
    expect(offset.code).toBe(2);
    expect(offset.stderr).toMatch(/--gps-offset must be a number of seconds within ±86400 \(a day\)/);
    // An empty value (an unset shell variable) is no offset of 0 and no camera id.
    const emptyOffset = await runCli(['replay', 'drive.mp4', '--gps', track, '--gps-offset', '']);
    expect(emptyOffset.code).toBe(2);
    expect(emptyOffset.stderr).toMatch(
      /^lpr-edge: replay: --gps-offset is empty: give the seconds, e\.g\. --gps-offset 12\.5, or leave it out\n/,
    );
    const emptyCamera = await runCli([
      'replay',
      folder,
      '--camera',
      '',
      '--data-dir',
      path.join(dir, 'd-nocam'),
    ]);
    expect(emptyCamera.code).toBe(2);
    expect(emptyCamera.stderr).toMatch(
      /^lpr-edge: replay: --camera is empty: give the camera id the reads are recorded under, e\.g\. --camera front, or leave it out \(default "replay"\)\n/,
    );
    const config = path.join(dir, 'zones.json');
    writeFileSync(
      config,
      JSON.stringify({
        unitId: 'car-12',
        agency: 'nyspd',
        dataDir: path.join(dir, 'd-zones'),
        vision: { detector: { model: 'det.onnx' }, recogniser: { model: 'rec.onnx' } },
        policy: { exclusionZones: [{ id: 'clinic', kind: 'circle', lat: 40.75, lon: -73.99, radiusM: 150 }] },
      }),
    );
    const zones = await runCli(['replay', folder, '--config', config]);
    expect(zones.code).toBe(2);
    expect(zones.stderr).toMatch(
      /1 exclusion zone\(s\) \(policy\.exclusionZones\); give the drive's track with --gps/,
    );
  });
});

describe('replay --report never overwrites a file the replay reads', { timeout: 180_000 }, () => {
  it('refuses the recording, the labels or an image of the folder as the report, leaving them whole', async () => {
    const video = path.join(dir, 'drive-kept.mp4');
    makeTestVideo(video, { frames: 5 });
    const labels = path.join(dir, 'labels-kept.csv');
    writeFileSync(labels, 'plate,state,from_s,to_s\nKDT4821,NY,0.1,0.4\n');
    const before = { video: readFileSync(video), labels: readFileSync(labels) };
    const data = path.join(dir, 'd-kept');
    for (const [report, what] of [
      [video, 'the recording replayed'],
      [labels, 'the labels \\(--labels\\)'],
    ] as const) {
      const r = await runCli([
        'replay',
        video,
        '--every-frame',
        '--labels',
        labels,
        '--report',
        report,
        '--data-dir',
        data,
      ]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(
        new RegExp(
          `--report: "\\S+" is ${what} \\(\\S+\\), which writing the report would overwrite; give another file name, such as \\S+report\\.html`,
        ),
      );
    }
    expect(readFileSync(video).equals(before.video)).toBe(true);
    expect(readFileSync(labels).equals(before.labels)).toBe(true);

    const folder = path.join(dir, 'one-photo');
    mkdirSync(folder);
    copyFileSync(FRAME, path.join(folder, 'a-car.jpg'));
    const image = await runCli([
      'replay',
      folder,
      '--every-frame',
      '--report',
      path.join(folder, 'a-car.jpg'),
      '--data-dir',
      data,
    ]);
    expect(image.code).toBe(2);
    expect(image.stderr).toMatch(/is an image of the folder replayed/);
    expect(readFileSync(path.join(folder, 'a-car.jpg')).equals(readFileSync(FRAME))).toBe(true);
  });
});

describe("replay --report never overwrites the unit's database or lock", { timeout: 180_000 }, () => {
  it('refuses <dataDir>/lpr-edge.db, its -wal and -shm, and the lock file, keeping the reads', async () => {
    const folder = path.join(dir, 'own-db-car');
    mkdirSync(folder);
    copyFileSync(FRAME, path.join(folder, 'a-car.jpg'));
    const data = path.join(dir, 'd-own-db');
    const first = await replay(folder, 'd-own-db');
    expect(first.code, first.stderr).toBe(0);
    const readCount = () => {
      const db = new Database(path.join(data, 'lpr-edge.db'), { readonly: true });
      try {
        return (db.prepare('SELECT count(*) AS n FROM reads').get() as { n: number }).n;
      } finally {
        db.close();
      }
    };
    expect(readCount()).toBe(1);
    // The -wal, -shm and lock files are gone between runs (SQLite and the lock remove them): they
    // are refused by name, since the replay creates them before the report is written.
    for (const [name, what] of [
      ['lpr-edge.db', "the unit's database"],
      ['lpr-edge.db-wal', "the unit's database \\(its write-ahead log\\)"],
      ['lpr-edge.db-shm', "the unit's database \\(its shared-memory index\\)"],
      ['lpr-edge.lock', "the data directory's lock"],
    ] as const) {
      // Relative to the working directory, as a person types it.
      const r = await runCli(['replay', folder, '--every-frame', '--report', name, '--data-dir', data], {
        cwd: data,
      });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(
        new RegExp(
          `--report: "${name.replace('.', '\\.')}" is ${what} \\(\\S+\\), which writing the report would overwrite; give another file name, such as report\\.html`,
        ),
      );
    }
    expect(readCount()).toBe(1);
  });
});

describe('replay of a folder of phone photos', { timeout: 180_000 }, () => {
  it('turns each photo upright by its EXIF orientation, as read does', async () => {
    // Phones store a photo as the sensor saw it and mark "turn 90 degrees clockwise to show"
    // (EXIF orientation 6): here the 1600x1200 frame stored sideways, 1200x1600.
    const folder = path.join(dir, 'photos');
    mkdirSync(folder);
    await sharp(FRAME)
      .rotate(-90)
      .jpeg({ quality: 95 })
      .withMetadata({ orientation: 6 })
      .toFile(path.join(folder, 'photo.jpg'));
    const stored = await sharp(path.join(folder, 'photo.jpg')).metadata();
    expect([stored.width, stored.height, stored.orientation]).toEqual([1200, 1600, 6]);

    const data = path.join(dir, 'd-photos');
    const r = await runCli(['replay', folder, '--every-frame', '--json', '--data-dir', data]);
    expect(r.code, r.stderr).toBe(0);
    expect(jsonLines(r.stdout).map((l) => l.plate)).toEqual(['EMR7094']);
    expect(await overviewSize(data)).toEqual([1600, 1200]);
  });
});

describe('replay of a phone video recorded upright (rotation metadata)', { timeout: 180_000 }, () => {
  it('replays the frames upright at their shown size, not squashed into the coded size', async () => {
    // The phone records 1200x676 frames turned on their side and marks them "turn 90 degrees";
    // shown, the video is 676x1200, upright. ffmpeg 6 and later set that mark with the input
    // option -display_rotation, older ones with the stream's rotate tag.
    const coded = path.join(dir, 'coded.mp4');
    const phone = path.join(dir, 'phone.mp4');
    execFileSync('ffmpeg', [
      ...['-loglevel', 'error', '-y', '-loop', '1', '-framerate', '5', '-t', '2', '-i', FRAME],
      ...[
        '-vf',
        'crop=676:1200:482:0,transpose=clock,format=yuv420p',
        '-c:v',
        'libx264',
        '-crf',
        '12',
        coded,
      ],
    ]);
    const help = spawnSync('ffmpeg', ['-hide_banner', '-h', 'full']).stdout.toString();
    const rotate = help.includes('display_rotation')
      ? ['-display_rotation', '90', '-i', coded]
      : ['-i', coded, '-metadata:s:v:0', 'rotate=90'];
    execFileSync('ffmpeg', ['-loglevel', 'error', '-y', ...rotate, '-c', 'copy', phone]);
    const probe = execFileSync('ffprobe', [
      ...['-v', 'error', '-select_streams', 'v:0', '-of', 'json'],
      ...['-show_entries', 'stream=width,height:stream_side_data=rotation', phone],
    ]).toString();
    expect(probe).toMatch(/"width": 1200,\s+"height": 676/);
    expect(probe).toMatch(/"rotation": -?90/);

    const data = path.join(dir, 'd-phone');
    const r = await runCli(['replay', phone, '--every-frame', '--json', '--data-dir', data]);
    expect(r.code, r.stderr).toBe(0);
    expect(jsonLines(r.stdout).map((l) => l.plate)).toEqual(['EMR7094']);
    // The overview the officer is shown is the whole frame: portrait, as the phone showed it.
    expect(await overviewSize(data)).toEqual([676, 1200]);
  });
});

/** Width and height of the one overview picture a replay stored in its data dir. */
async function overviewSize(data: string): Promise<[number, number]> {
  const day = readdirSync(path.join(data, 'images'))[0]!;
  const overview = readdirSync(path.join(data, 'images', day)).find((f) => f.endsWith('-overview.jpg'))!;
  const { width, height } = await sharp(path.join(data, 'images', day, overview)).metadata();
  return [width!, height!];
}
