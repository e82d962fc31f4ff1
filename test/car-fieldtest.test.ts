import { describe, it, expect, afterAll } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { renderShortDrive } from './helpers/video.js';
import { parseLabels } from '../src/fieldtest/labels.js';
import { embeddedDefaults } from '../src/config/defaults.js';
import { stringify } from 'yaml';
import { nmeaLog, straightDrive } from './helpers/nmea-track.js';

const root = path.resolve(import.meta.dirname, '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lpr-field-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [path.join(root, 'bin/lpr-edge.js'), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d) => (stdout += String(d)));
    c.stderr.on('data', (d) => (stderr += String(d)));
    c.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const T0 = Date.UTC(2026, 10, 28, 14, 0, 0);

describe('labels', () => {
  it('parses the documented CSV and rejects a bad row naming it', () => {
    expect(parseLabels('plate,state,from_s,to_s\nKDT4821,NY,0.5,2.1\nHZN5177,,3,4\n', 'l.csv')).toEqual([
      { plate: 'KDT4821', state: 'NY', fromS: 0.5, toS: 2.1, where: 'line 2' },
      { plate: 'HZN5177', state: null, fromS: 3, toS: 4, where: 'line 3' },
    ]);
    expect(() => parseLabels('plate,state,from_s,to_s\nKDT?821,NY,0,1\n', 'l.csv')).toThrow(
      /line 2: plate "KDT\?821" has "\?": only A–Z and 0–9 are read/,
    );
    expect(() => parseLabels('plate,from,to\n', 'l.csv')).toThrow(/header "plate,state,from_s,to_s"/);
  });
});

describe('lpr-edge replay as a field test (video + NMEA track + labels → HTML report)', () => {
  it('tags reads with the recorded positions and reports recall, misreads, false reads and time to first read', async () => {
    const video = path.join(tmp, 'drive.mp4');
    const vehicles = [
      { plate: 'KDT4821', stateName: 'NEW YORK', bodyColour: '#2b4c7e' },
      { plate: 'HZN5177', stateName: 'NEW JERSEY', bodyColour: '#8c2f2f' },
    ];
    // fps 5, 1.6 s in view, 1.2 s gap: vehicle 1 in view 0.6–2.2 s, vehicle 2 3.4–5.0 s.
    await renderShortDrive(video, vehicles);
    const track = path.join(tmp, 'drive.nmea');
    // 0.001° a second (fast, but it spreads the two vehicles' positions 300 m apart on the map).
    fs.writeFileSync(track, nmeaLog(straightDrive(T0, 30, 42.6526, -73.7562, 0.001)));
    // An exclusion zone (mask) around where the second vehicle is passed: it applies as on the road.
    const cfg = path.join(tmp, 'config.yaml');
    const base = embeddedDefaults();
    fs.writeFileSync(
      cfg,
      stringify({
        unitId: 'car-12',
        agency: 'nyspd',
        dataDir: path.join(tmp, 'data'),
        vision: base.vision,
        policy: {
          exclusionZones: [
            { id: 'clinic', kind: 'circle', lat: 42.6666, lon: -73.7422, radiusM: 250, mode: 'mask' },
          ],
        },
      }),
    );
    const labels = path.join(tmp, 'labels.csv');
    // The second vehicle is labelled with a different plate (so its read counts as a misread),
    // and a third labelled vehicle never appears (missed).
    fs.writeFileSync(
      labels,
      'plate,state,from_s,to_s\nKDT4821,NY,0.6,2.2\nHZN5171,NJ,3.4,5.0\nBXR3926,VT,20,22\n',
    );
    const report = path.join(tmp, 'report.html');
    // A hotlist with the first vehicle on it: its read must raise a hit, as the daemon would.
    const hotlist = path.join(tmp, 'stolen.csv');
    fs.writeFileSync(
      hotlist,
      'plate,state,list_type,reference\nKDT4821,NY,stolen-vehicle,NCIC-77\nZZZ9999,,stolen-plate,NCIC-78\n',
    );
    const r = await cli([
      'replay',
      video,
      '--every-frame',
      '--json',
      '--config',
      cfg,
      '--gps',
      track,
      '--gps-offset',
      '10',
      '--hotlist',
      hotlist,
      '--labels',
      labels,
      '--report',
      report,
    ]);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    const reads = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { plate: string; firstSeen: string });
    expect(reads[0]!.plate).toBe('KDT4821');
    // The second vehicle was read inside the zone: stored masked, without images.
    const positions = () => JSON.stringify(fs.readFileSync(report, 'utf8').match(/<td>4\d\.[^<]*<\/td>/g));
    expect(reads[1]!.plate, positions()).not.toBe('HZN5177');
    expect(reads).toHaveLength(2);
    // Reads carry the drive's recorded time: track start + 10 s offset + position in the video.
    const first = Date.parse(reads[0]!.firstSeen);
    expect(first).toBeGreaterThanOrEqual(T0 + 10_000);
    expect(first).toBeLessThan(T0 + 13_000);
    const metrics = JSON.parse(
      r.stderr
        .trim()
        .split('\n')
        .find((l) => l.includes('"recall"'))!,
    );
    expect(metrics).toEqual({ vehicles: 3, recall: 0.3333, misreads: 1, missed: 1, falseReads: 0 });

    const html = fs.readFileSync(report, 'utf8');
    // Self-contained: no external resource, crops inline.
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(html.match(/<img src="data:image\/jpeg;base64,/g)?.length).toBe(1);
    expect(html).toContain('masked:clinic');
    expect(html).toContain('<td id="recall">33.3 %</td>');
    // The hit: in the summary, marked on the read and ringed on the track plot.
    expect(
      JSON.parse(
        r.stderr
          .trim()
          .split('\n')
          .find((l) => l.startsWith('{"summary"'))!,
      ),
    ).toMatchObject({ hits: 1 });
    expect(html.match(/<b>HIT<\/b>/g)?.length).toBe(1);
    // The read's row says what it hit: entry, list type, rule.
    expect(html).toMatch(/<td class="plate">KDT4821<\/td>[^\n]*<b>HIT<\/b> KDT4821, Stolen vehicle, exact</);
    // The summary is a table: the frames and the hits at a glance.
    expect(html).toMatch(/<table id="summary">.*<tr><th>hits<\/th><td>1<\/td><\/tr>/);
    expect(html.match(/class="hit"/g)?.length).toBe(1);
    expect(html, /<table id="vehicles">[^]*?<\/table>/.exec(html)?.[0]).toMatch(
      /<tr class="misread"><td class="plate">HZN5171<\/td>.*<td class="plate">\*{8}<\/td>/,
    );
    expect(html).toMatch(/<tr class="missed"><td class="plate">BXR3926/);
    // Time to first read for the vehicle that was read: a number of seconds.
    expect(html).toMatch(/<tr class="read"><td class="plate">KDT4821<\/td>.*<td>\d+\.\d s<\/td><\/tr>/);
    // The SVG plot has the track and one dot per read at the recorded position.
    expect(html).toMatch(
      /<polyline points="[\d., ]+" fill="none" stroke="#555" stroke-width="2" class="track"\/>/,
    );
    expect(html.match(/class="read exact"/g)?.length).toBe(1);
    expect(html.match(/class="read misread"/g)?.length).toBe(1);
    // Positions in the reads table come from the track: ~10–12 s in, so lat 42.6526 + 10..12 × 0.001.
    const lat = Number(/<td>(42\.\d{5}), -73\.\d{5} \(\d+ ms\)<\/td>/.exec(html)?.[1]);
    expect(lat).toBeGreaterThanOrEqual(42.6626);
    expect(lat).toBeLessThanOrEqual(42.6646);
  }, 240_000);

  it('refuses a track without fixes before loading models', async () => {
    const bad = path.join(tmp, 'bad.nmea');
    fs.writeFileSync(bad, '$GPRMC,garbage*00\n');
    const r = await cli([
      'replay',
      path.join(tmp, 'drive.mp4'),
      '--gps',
      bad,
      '--data-dir',
      path.join(tmp, 'd2'),
    ]);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim()).toMatch(/^lpr-edge: GPS track .*bad\.nmea: no valid fix found/);
  });
});
