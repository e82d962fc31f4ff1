import { describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseConfig, loadConfig, loadConfigFile } from '../src/config/load.js';
import { embeddedDefaults } from '../src/config/defaults.js';
import { DATASET, ROOT, runCli } from './helpers/cli.js';
import { killChild, ptyPair } from './helpers/proc.js';
import { tempDir } from './helpers/tmp.js';

const dir = tempDir();
const valid = {
  unitId: 'car-17',
  agency: 'springfield-pd',
  dataDir: '/var/lib/lpr-edge',
  vision: { detector: { model: 'det.onnx' }, recogniser: { model: 'rec.onnx' } },
};

describe('configuration', () => {
  it('accepts a minimal config and fills in defaults', () => {
    const config = parseConfig(valid);
    expect(config.tracker.idleMs).toBe(1500);
    expect(config.vision.threads).toBe(2);
    expect(config.cameras).toEqual([]);
  });

  it('names an unknown key and says to remove it', () => {
    expect(() => parseConfig({ ...valid, unitid: 'x' })).toThrow(
      /unknown key "unitid": remove it or check its spelling/,
    );
    expect(() => parseConfig({ ...valid, vision: { ...valid.vision, treads: 2 } })).toThrow(
      /unknown key "vision.treads"/,
    );
  });

  it('names the key, the bad value and what is allowed', () => {
    expect(() => parseConfig({ ...valid, log: { level: 'loud' } })).toThrow(
      /log\.level: got "loud"; allowed: "trace", "debug", "info", "warn", "error", "fatal", "silent"/,
    );
    expect(() => parseConfig({ ...valid, vision: { ...valid.vision, threads: 0 } })).toThrow(
      /vision\.threads: got 0; give at least 1$/,
    );
    expect(() => parseConfig({ ...valid, unitId: undefined })).toThrow(/unitId: missing/);
    expect(() => parseConfig({ ...valid, unitId: 'fleet' })).toThrow(/unitId: .*"fleet" is reserved/);
    expect(() => parseConfig({ ...valid, region: 'eu', plateCountries: ['SK', 'AT'] })).toThrow(
      /plateCountries\[1\]: got "AT"; one of SK, CZ, PL/,
    );
    expect(() => parseConfig({ ...valid, homeState: 'New York' })).toThrow(
      /homeState: got "New York"; a two-letter USPS code/,
    );
    expect(() =>
      parseConfig({ ...valid, cameras: [{ id: 'front', kind: 'file', path: 'x.mp4', position: 'roof' }] }),
    ).toThrow(/cameras\[0\]\.position: got "roof"; allowed: "front", "rear", "left", "right"/);
  });

  it('loads YAML and JSON files, resolving relative paths against the file', () => {
    const yamlFile = path.join(dir, 'unit.yaml');
    writeFileSync(
      yamlFile,
      'unitId: car-17\nagency: spd\ndataDir: ./data\nvision:\n  detector: { model: m/det.onnx }\n  recogniser: { model: m/rec.onnx }\n',
    );
    const fromYaml = loadConfigFile(yamlFile);
    expect(fromYaml.dataDir).toBe(path.join(dir, 'data'));
    expect(fromYaml.vision.detector.model).toBe(path.join(dir, 'm/det.onnx'));
    const jsonFile = path.join(dir, 'unit.json');
    writeFileSync(jsonFile, JSON.stringify(valid));
    expect(loadConfigFile(jsonFile).unitId).toBe('car-17');
  });

  it('reports a file that is not valid YAML with the file name', () => {
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(bad, 'unitId: [unclosed\n');
    expect(() => loadConfigFile(bad)).toThrow(new RegExp(`config ${bad}: not valid YAML`));
  });

  it('lets --data-dir override the configured data directory', () => {
    const { config } = loadConfig({ dataDir: path.join(dir, 'elsewhere') });
    expect(config.dataDir).toBe(path.join(dir, 'elsewhere'));
  });

  it('has embedded defaults that run the demo recording', () => {
    const config = embeddedDefaults();
    const camera = config.cameras[0]!;
    expect(camera).toMatchObject({ kind: 'file', id: 'demo' });
    expect(camera.kind === 'file' && camera.path).toMatch(/demo\.mp4$/);
  });

  it('makes the CLI exit non-zero with a one-line error for a bad config', async () => {
    const bad = path.join(dir, 'typo.yaml');
    writeFileSync(
      bad,
      'unitId: car-1\nagency: spd\ndataDir: /tmp/x\ncamras: []\nvision: { detector: { model: a }, recogniser: { model: b } }\n',
    );
    const result = await runCli(['read', '--config', bad, 'x.jpg']);
    expect(result.code).not.toBe(0);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/unknown key "camras"/);
  });

  it('names the data directory and the fix when it is a file, or holds a file that is not a database', async () => {
    const file = path.join(dir, 'not-a-folder');
    writeFileSync(file, 'x');
    const notFolder = await runCli(['audit', 'verify', '--data-dir', file]);
    expect(notFolder.code).toBe(2);
    expect(notFolder.stderr).toBe(
      `lpr-edge: data directory ${file} is not a folder (a file is in the way); point --data-dir (or dataDir in the config) at a folder\n`,
    );
    const junk = path.join(dir, 'junk-data');
    mkdirSync(junk);
    writeFileSync(path.join(junk, 'lpr-edge.db'), 'these are not the reads you are looking for\n'.repeat(20));
    const notDb = await runCli(['audit', 'verify', '--data-dir', junk]);
    expect(notDb.code).toBe(2);
    expect(notDb.stderr.trim().split('\n')).toHaveLength(1);
    expect(notDb.stderr).toMatch(
      `lpr-edge: ${path.join(junk, 'lpr-edge.db')} is not a usable database (file is not a database); check that --data-dir`,
    );
    expect(notDb.stderr).toMatch(/do not delete it/);
  });
});

/** `valid` with `patch` merged one level into each section it names. */
function withSections(patch: Record<string, Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...valid };
  for (const [k, v] of Object.entries(patch)) out[k] = { ...(out[k] as object), ...v };
  return out;
}

function problem(input: unknown): string {
  try {
    parseConfig(input);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('the config was accepted');
}

describe('paths in a config file', () => {
  it("are all taken from the file's folder, models and the word model and GPS device included", () => {
    const folder = path.join(dir, 'paths', 'etc');
    mkdirSync(folder, { recursive: true });
    const file = path.join(folder, 'unit.yaml');
    writeFileSync(
      file,
      [
        'unitId: car-17',
        'agency: spd',
        'dataDir: ../data',
        'cameras: [{ id: clip, kind: file, path: clips/a.mp4 }]',
        'vision:',
        '  detector: { model: ../models/det.onnx }',
        '  recogniser: { model: ../models/rec.onnx, secondOpinion: ../models/rec-pp.onnx }',
        'state: { wordModel: ../models/words.json }',
        'gps: { source: serial, path: ./gps0 }',
        'sync: { ca: certs/ca.pem, cert: certs/c.pem, key: certs/c.key, passwordFile: pw, hqPublicKey: hq.pem }',
      ].join('\n'),
    );
    const at = (p: string) => path.resolve(folder, p);
    expect(loadConfigFile(file)).toMatchObject({
      dataDir: at('../data'),
      cameras: [{ path: at('clips/a.mp4') }],
      vision: {
        detector: { model: at('../models/det.onnx') },
        recogniser: { model: at('../models/rec.onnx'), secondOpinion: at('../models/rec-pp.onnx') },
      },
      state: { wordModel: at('../models/words.json') },
      gps: { path: at('gps0') },
      sync: {
        ca: at('certs/ca.pem'),
        cert: at('certs/c.pem'),
        key: at('certs/c.key'),
        passwordFile: at('pw'),
        hqPublicKey: at('hq.pem'),
      },
    });
  });

  it('take a bare serial device name as the device under /dev, and leave unset models unset', () => {
    const load = (gpsPath: string, recogniser = '{ model: rec.onnx }') => {
      const file = path.join(dir, 'serial.yaml');
      writeFileSync(
        file,
        `unitId: u\nagency: a\ndataDir: d\nvision:\n  detector: { model: det.onnx }\n  recogniser: ${recogniser}\ngps: { source: serial, path: "${gpsPath}" }\n`,
      );
      return loadConfigFile(file);
    };
    const gpsPath = (p: string) => (load(p).gps as { path: string }).path;
    expect(gpsPath('gps0')).toBe('/dev/gps0');
    expect(gpsPath('ttyUSB0')).toBe('/dev/ttyUSB0');
    expect(gpsPath('serial/by-id/usb-u-blox_GNSS-if00')).toBe('/dev/serial/by-id/usb-u-blox_GNSS-if00');
    expect(gpsPath('/dev/ttyACM0')).toBe('/dev/ttyACM0');
    expect(gpsPath('../gps0')).toBe(path.resolve(dir, '..', 'gps0'));
    const unset = load('gps0');
    expect(unset.vision.recogniser.secondOpinion).toBeUndefined();
    expect(unset.state.wordModel).toBeUndefined();
    expect(
      load('gps0', '{ model: rec.onnx, secondOpinion: null }').vision.recogniser.secondOpinion,
    ).toBeNull();
  });
});

describe('settings that cannot work together', () => {
  it('refuses two cameras with one id, naming the second and the fix', () => {
    const cam = (id: string, p: string) => ({ id, kind: 'file', path: p });
    expect(
      problem({ ...valid, cameras: [cam('front', 'a.mp4'), cam('rear', 'b.mp4'), cam('front', 'c.mp4')] }),
    ).toBe(
      'config (embedded): cameras[2].id: got "front"; cameras[0] has this id too: give each camera its own id',
    );
  });

  it('refuses crossed limits, naming both keys', () => {
    expect(problem(withSections({ vision: { minPlateChars: 9, maxPlateChars: 5 } }))).toBe(
      'config (embedded): vision.minPlateChars: got 9; must not be above vision.maxPlateChars (5), or no plate is ever read: lower vision.minPlateChars or raise vision.maxPlateChars',
    );
    const camera = { id: 'c1', kind: 'v4l2', device: '/dev/video0', width: 640, height: 480 };
    expect(
      problem({ ...valid, cameras: [{ ...camera, reconnect: { initialMs: 60_000, maxMs: 100 } }] }),
    ).toBe(
      'config (embedded): cameras[0].reconnect.initialMs: got 60000; must not be above reconnect.maxMs (100), where the delay that starts at initialMs stops doubling: lower initialMs or raise maxMs',
    );
    expect(problem(withSections({ sync: { reconnectInitialMs: 5000, reconnectMaxMs: 1000 } }))).toMatch(
      /sync\.reconnectInitialMs: got 5000; must not be above sync\.reconnectMaxMs: lower reconnectInitialMs or raise reconnectMaxMs$/,
    );
  });

  it('refuses a sweep that could never run, and turns it off when left unset', () => {
    const detector = (d: Record<string, unknown>) =>
      withSections({ vision: { detector: { model: 'det.onnx', ...d } } });
    expect(problem(detector({ fullFrameEvery: 1, sweepEvery: 2 }))).toBe(
      'config (embedded): vision.detector.sweepEvery: got 2; needs vision.detector.fullFrameEvery above 1 (at 1 every frame is searched whole, leaving no frame to sweep in): set sweepEvery: 0, or fullFrameEvery: 2 or more',
    );
    expect(parseConfig(detector({ fullFrameEvery: 1 })).vision.detector.sweepEvery).toBe(0);
    expect(parseConfig(detector({ fullFrameEvery: 1, sweepEvery: 0 })).vision.detector.sweepEvery).toBe(0);
    expect(parseConfig(detector({})).vision.detector).toMatchObject({ fullFrameEvery: 3, sweepEvery: 2 });
  });
});

describe('delays', () => {
  it('are bounded (below 2^31-1 ms where they feed a timer), the message giving the range', () => {
    const camera = { id: 'c1', kind: 'v4l2', device: '/dev/video0', width: 640, height: 480 };
    const reconnect = (r: Record<string, number>) => ({ ...valid, cameras: [{ ...camera, reconnect: r }] });
    // The reviewer's 3000000000 ms was cut to 1 ms by setTimeout: a tight reconnect loop.
    expect(problem(reconnect({ initialMs: 3_000_000_000, maxMs: 3_000_000_000 }))).toBe(
      'config (embedded): cameras[0].reconnect.initialMs: got 3000000000; allowed: 50 to 60000 (milliseconds: 50 ms to 1 min); ' +
        'cameras[0].reconnect.maxMs: got 3000000000; allowed: 100 to 600000 (milliseconds: 100 ms to 10 min)',
    );
    const ranges: [Record<string, unknown>, string, string][] = [
      [
        reconnect({ stallMs: 100 }),
        'cameras[0].reconnect.stallMs: got 100',
        '500 to 60000 (milliseconds: 500 ms to 1 min)',
      ],
      [
        reconnect({ steadyMs: 1e9 }),
        'cameras[0].reconnect.steadyMs: got 1000000000',
        '500 to 600000 (milliseconds: 500 ms to 10 min)',
      ],
      [
        reconnect({ connectTimeoutMs: 1e9 }),
        'cameras[0].reconnect.connectTimeoutMs: got 1000000000',
        '1000 to 120000 (milliseconds: 1 s to 2 min)',
      ],
      [
        withSections({ tracker: { idleMs: 1e12 } }),
        'tracker.idleMs: got 1000000000000',
        '1 to 60000 (milliseconds: 1 ms to 1 min)',
      ],
      [
        withSections({ tracker: { maxTrackMs: 1e9 } }),
        'tracker.maxTrackMs: got 1000000000',
        '1 to 600000 (milliseconds: 1 ms to 10 min)',
      ],
      [
        withSections({ sync: { reconnectMaxMs: 3e9 } }),
        'sync.reconnectMaxMs: got 3000000000',
        '100 to 600000 (milliseconds: 100 ms to 10 min)',
      ],
      [
        withSections({ sync: { statusIntervalMs: 3e9 } }),
        'sync.statusIntervalMs: got 3000000000',
        '1000 to 3600000 (milliseconds: 1 s to 1 h)',
      ],
      // Not timers, but unbounded: a fix a day old given to reads, a clock a day off called ok, a
      // record whose ack was lost never sent again.
      [
        withSections({ gps: { source: 'gpsd', maxFixAgeMs: 86_400_000 } }),
        'gps.maxFixAgeMs: got 86400000',
        '1000 to 60000 (milliseconds: 1 s to 1 min)',
      ],
      [
        withSections({ gps: { source: 'serial', path: '/dev/ttyUSB0', maxFixAgeMs: 0 } }),
        'gps.maxFixAgeMs: got 0',
        '1000 to 60000 (milliseconds: 1 s to 1 min): a receiver sends a fix about once a second, so below 1 s most reads would find it stale and be stored without a position',
      ],
      [
        withSections({ gps: { source: 'serial', path: '/dev/ttyUSB0', maxClockOffsetMs: 86_400_000 } }),
        'gps.maxClockOffsetMs: got 86400000',
        '2000 to 600000 (milliseconds: 2 s to 10 min)',
      ],
      [
        withSections({ gps: { source: 'gpsd', maxClockOffsetMs: 3e9 } }),
        'gps.maxClockOffsetMs: got 3000000000',
        '2000 to 600000 (milliseconds: 2 s to 10 min)',
      ],
      [
        withSections({ sync: { ackTimeoutMs: 3e9 } }),
        'sync.ackTimeoutMs: got 3000000000',
        '1000 to 3600000 (milliseconds: 1 s to 1 h)',
      ],
      [
        withSections({ sync: { ackTimeoutMs: 50 } }),
        'sync.ackTimeoutMs: got 50',
        "1000 to 3600000 (milliseconds: 1 s to 1 h): an ack takes a round trip to HQ over the car's mobile link, so below 1 s records would be sent again before it could come",
      ],
    ];
    for (const [input, got, range] of ranges)
      expect(problem(input)).toBe(`config (embedded): ${got}; allowed: ${range}`);
    // The largest of each is accepted.
    const largest = parseConfig({
      ...withSections({
        tracker: { idleMs: 60_000, maxTrackMs: 600_000 },
        sync: {
          reconnectInitialMs: 60_000,
          reconnectMaxMs: 600_000,
          statusIntervalMs: 3_600_000,
          ackTimeoutMs: 3_600_000,
        },
        gps: { source: 'gpsd', maxFixAgeMs: 60_000, maxClockOffsetMs: 600_000 },
      }),
      cameras: [
        {
          ...camera,
          reconnect: {
            initialMs: 60_000,
            maxMs: 600_000,
            stallMs: 60_000,
            steadyMs: 600_000,
            connectTimeoutMs: 120_000,
          },
        },
      ],
    });
    expect(largest.sync.statusIntervalMs).toBe(3_600_000);
    expect(largest.sync.ackTimeoutMs).toBe(3_600_000);
    expect(largest.gps).toMatchObject({ maxFixAgeMs: 60_000, maxClockOffsetMs: 600_000 });
  });
});

describe('lower bounds that keep the unit usable', () => {
  // A tolerance below what the hardware and the link can give makes the unit useless while every
  // check passes: each fix stale (reads stored without a position), a correct clock reported off,
  // each record sent again before HQ could acknowledge it.
  const gps = (g: Record<string, unknown>) =>
    withSections({ gps: { source: 'serial', path: '/dev/ttyUSB0', ...g } });

  it('refuse a fix age, clock tolerance or ack timeout too short to work, naming the key and why', () => {
    expect(problem(gps({ maxFixAgeMs: 1 }))).toBe(
      'config (embedded): gps.maxFixAgeMs: got 1; allowed: 1000 to 60000 (milliseconds: 1 s to 1 min): ' +
        'a receiver sends a fix about once a second, so below 1 s most reads would find it stale and be stored without a position',
    );
    expect(problem(gps({ maxClockOffsetMs: 1 }))).toBe(
      'config (embedded): gps.maxClockOffsetMs: got 1; allowed: 2000 to 600000 (milliseconds: 2 s to 10 min): ' +
        "a receiver's time arrives up to a second late, so below 2 s a correct clock would be reported off",
    );
    expect(problem(withSections({ sync: { ackTimeoutMs: 100 } }))).toBe(
      'config (embedded): sync.ackTimeoutMs: got 100; allowed: 1000 to 3600000 (milliseconds: 1 s to 1 h): ' +
        "an ack takes a round trip to HQ over the car's mobile link, so below 1 s records would be sent again before it could come",
    );
    // The least of each is taken.
    const least = parseConfig({
      ...gps({ maxFixAgeMs: 1000, maxClockOffsetMs: 2000 }),
      sync: { ackTimeoutMs: 1000 },
    });
    expect(least.gps).toMatchObject({ maxFixAgeMs: 1000, maxClockOffsetMs: 2000 });
    expect(least.sync.ackTimeoutMs).toBe(1000);
  });

  it('the CLI refuses such a config file in one line naming every key', async () => {
    const file = path.join(dir, 'too-short.yaml');
    writeFileSync(
      file,
      'unitId: car-1\nagency: spd\ndataDir: /tmp/x\nvision: { detector: { model: a }, recogniser: { model: b } }\n' +
        'gps: { source: gpsd, maxFixAgeMs: 0, maxClockOffsetMs: 1 }\nsync: { ackTimeoutMs: 1 }\n',
    );
    const result = await runCli(['read', '--config', file, 'x.jpg']);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    for (const key of ['gps.maxFixAgeMs: got 0', 'gps.maxClockOffsetMs: got 1', 'sync.ackTimeoutMs: got 1'])
      expect(result.stderr).toContain(key);
    expect(result.stderr).toMatch(
      /gps\.maxFixAgeMs: got 0; allowed: 1000 to 60000 .*stored without a position/,
    );
  }, 60_000);
});

describe('messages', () => {
  it('say what to write instead, where zod only said what was wrong', () => {
    const cases: [unknown, string][] = [
      // YAML's .nan: JSON.stringify made it "got null".
      [withSections({ tracker: { idleMs: NaN } }), 'tracker.idleMs: got NaN; give a number'],
      [
        withSections({ tracker: { idleMs: '100' } }),
        'tracker.idleMs: got "100"; give a number, without quotes',
      ],
      [withSections({ tracker: { idleMs: 1.5 } }), 'tracker.idleMs: got 1.5; give a whole number'],
      [withSections({ tracker: { minSimilarity: 1.5 } }), 'tracker.minSimilarity: got 1.5; give at most 1'],
      [
        withSections({ log: { plates: 'true' } }),
        'log.plates: got "true"; give true or false, without quotes',
      ],
      [{ ...valid, unitId: 17 }, 'unitId: got 17; give text: put it in quotes'],
      // An empty id fails its pattern too: one problem per key.
      [{ ...valid, unitId: '' }, 'unitId: got ""; empty: give a value'],
      [{ ...valid, vision: undefined }, 'vision: missing; add it: a mapping of keys to values'],
      [{ ...valid, cameras: 'front' }, 'cameras: got "front"; give a list'],
      [
        { ...valid, cameras: [{ id: 'c1', kind: 'usb' }] },
        'cameras[0].kind: got "usb"; kind must be one of file, v4l2, gige, rtsp',
      ],
      [{ ...valid, gps: {} }, 'gps.source: missing; source must be one of gpsd, serial, none'],
      [withSections({ sync: { protocolVersion: 3 } }), 'sync.protocolVersion: got 3; allowed: 5, 4'],
      [
        withSections({ state: { formats: { ny: ['LLLDDDD'] } } }),
        'state.formats: key "ny": a USPS code such as NY (upper case)',
      ],
    ];
    for (const [input, message] of cases) expect(problem(input)).toBe(`config (embedded): ${message}`);
  });

  it('say that a config file is empty', () => {
    for (const [name, text] of [
      ['blank.yaml', ''],
      ['comments.yaml', '# unit 17: to be provisioned\n\n'],
      ['blank.json', '\n'],
    ]) {
      const file = path.join(dir, name!);
      writeFileSync(file, text!);
      expect(() => loadConfigFile(file)).toThrow(
        `config ${file}: the file is empty (no settings in it): write the unit's settings (README, Configuration), or run "lpr-edge provision"`,
      );
    }
  });
});

describe('the config through the CLI', { timeout: 120_000 }, () => {
  const CROP = path.join(DATASET, 'crops-us', 'ak399.png');

  /** A unit folder laid out as on a car: etc/config.yaml naming ../models/… and ../data. */
  function unitFolder(name: string, config: string): { folder: string; file: string } {
    const folder = path.join(dir, name);
    mkdirSync(path.join(folder, 'etc'), { recursive: true });
    mkdirSync(path.join(folder, 'models'));
    for (const m of [
      'ppocr-det.onnx',
      'plate-rec.onnx',
      'plate-rec.json',
      'plate-rec-pp.onnx',
      'plate-rec-pp.json',
    ])
      symlinkSync(path.join(ROOT, 'models', m), path.join(folder, 'models', m));
    const file = path.join(folder, 'etc', 'config.yaml');
    writeFileSync(
      file,
      'unitId: u1\nagency: a1\ndataDir: ../data\nvision:\n  detector: { model: ../models/ppocr-det.onnx }\n' +
        config,
    );
    return { folder, file };
  }

  it('finds the second-opinion and word models a config names relatively, from any folder', async () => {
    const { folder, file } = unitFolder(
      'rel-models',
      '  recogniser: { model: ../models/plate-rec.onnx, secondOpinion: ../models/plate-rec-pp.onnx }\n' +
        'state: { wordModel: ../models/words.json }\n',
    );
    // The word model's sidecar as a unit might carry it: naming the bundled PP-OCR files absolutely.
    const words = JSON.parse(readFileSync(path.join(ROOT, 'models', 'ppocr-rec.json'), 'utf8')) as {
      file: string;
      output: { alphabetFile: string };
    };
    words.file = path.resolve(ROOT, 'models', words.file);
    words.output.alphabetFile = path.resolve(ROOT, 'models', words.output.alphabetFile);
    writeFileSync(path.join(folder, 'models', 'words.json'), JSON.stringify(words));
    const r = await runCli(['read', '--config', file, CROP], { cwd: '/' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ak399\.png: FGJ235 AK/);
  });

  it('finds a serial GPS receiver the config names relatively, from any folder (selftest)', async () => {
    const { folder, file } = unitFolder(
      'rel-gps',
      '  recogniser: { model: ../models/plate-rec.onnx }\ngps: { source: serial, path: ./gps0 }\n',
    );
    const receiver = await ptyPair(path.join(folder, 'receiver'), path.join(folder, 'etc', 'gps0'));
    let r;
    try {
      r = await runCli(['selftest', '--json', '--config', file, '--gps-seconds', '1', '--min-free-mb', '1'], {
        cwd: '/',
      });
    } finally {
      await killChild(receiver);
    }
    const gps = (JSON.parse(r.stdout) as { check: string; detail: string }[]).find((c) => c.check === 'gps')!;
    // Opened (it only has no fix: nothing is sent on it), where it used to be looked for in "/".
    expect(gps.detail).toBe(`serial ${path.join(folder, 'etc', 'gps0')} connected but no fix in 1 s`);
  });

  it('fails selftest on the config, naming the keys, where it blamed the models', async () => {
    const { file } = unitFolder(
      'contradictions',
      '  recogniser: { model: ../models/plate-rec.onnx }\n  minPlateChars: 9\n  maxPlateChars: 5\n' +
        'cameras:\n  - { id: front, kind: file, path: a.mp4 }\n  - { id: front, kind: file, path: b.mp4 }\n' +
        '  - { id: usb, kind: v4l2, device: video0, width: 640, height: 480, reconnect: { initialMs: 3000000000 } }\n',
    );
    const r = await runCli(['selftest', '--json', '--config', file]);
    expect(r.code).toBe(1);
    const checks = JSON.parse(r.stdout) as { check: string; status: string; detail: string }[];
    expect(checks.map((c) => c.check)).toEqual(['config']);
    expect(checks[0]!.detail).toBe(
      `config ${file}: ` +
        'cameras[2].reconnect.initialMs: got 3000000000; allowed: 50 to 60000 (milliseconds: 50 ms to 1 min); ' +
        'cameras[1].id: got "front"; cameras[0] has this id too: give each camera its own id; ' +
        'vision.minPlateChars: got 9; must not be above vision.maxPlateChars (5), or no plate is ever read: lower vision.minPlateChars or raise vision.maxPlateChars',
    );
  });

  it('names the config key and the fix for a model that is not there', async () => {
    const detector = unitFolder('no-detector', '  recogniser: { model: ../models/plate-rec.onnx }\n');
    writeFileSync(
      detector.file,
      readFileSync(detector.file, 'utf8').replace('ppocr-det.onnx', 'nothere.onnx'),
    );
    const det = await runCli(['read', '--config', detector.file, CROP]);
    expect(det.code).not.toBe(0);
    expect(det.stderr).toBe(
      `lpr-edge: vision.detector.model ${path.join(detector.folder, 'models', 'nothere.onnx')}: file not found; check vision.detector.model (a relative path is taken from the config's folder)\n`,
    );
    const recogniser = unitFolder(
      'no-recogniser',
      '  recogniser: { model: ../models/plate-rec-typo.onnx }\n',
    );
    const rec = await runCli(['read', '--config', recogniser.file, CROP]);
    expect(rec.code).not.toBe(0);
    expect(rec.stderr).toBe(
      `lpr-edge: vision.recogniser.model ${path.join(recogniser.folder, 'models', 'plate-rec-typo.onnx')}: file not found; check vision.recogniser.model (a relative path is taken from the config's folder)\n`,
    );
  });

  it('says an empty config file is empty', async () => {
    const file = path.join(dir, 'empty.yaml');
    writeFileSync(file, '');
    const r = await runCli(['read', '--config', file, CROP]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toBe(
      `lpr-edge: config ${file}: the file is empty (no settings in it): write the unit's settings (README, Configuration), or run "lpr-edge provision"\n`,
    );
  });
});
