import { describe, it, expect, afterAll } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { ROOT } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';
import { makeCerts } from './helpers/mosquitto.js';
import { freePort, killChild, waitFor } from './helpers/proc.js';
import { createLoopbackNetns } from './helpers/netns.js';

/**
 * `lpr-edge provision` with bad or awkward input from the technician: one clear line, a non-zero
 * exit, no stack trace and nothing written.
 */
const tmp = tempDir('lpr-prov-input-');
/** A CA and client certificates made with openssl, as headquarters issues them. */
const pki = makeCerts(path.join(tmp, 'pki'));

/** Run the built CLI from `cwd` (the technician's current directory). */
function cli(args: string[], opts: { input?: string; cwd?: string } = {}) {
  return spawnSync(process.execPath, [path.join(ROOT, 'bin/lpr-edge.js'), ...args], {
    cwd: opts.cwd ?? tmp,
    encoding: 'utf8',
    input: opts.input ?? '',
    timeout: 60_000,
  });
}

/** Headquarters' public signing key, as `hq-sink keygen` writes it. */
function writeHqPublicKey(file: string): void {
  const { publicKey } = generateKeyPairSync('ed25519');
  fs.writeFileSync(file, publicKey.export({ type: 'spki', format: 'pem' }));
}

/** The user saw one message line, no stack trace. */
function expectOneLine(stderr: string): void {
  expect(stderr).not.toMatch(/\n\s+at |unexpected error/);
  expect(stderr.trim().split('\n')).toHaveLength(1);
}

describe('provision --answers with a syntax error', () => {
  it('names the YAML file and the line, exits 2, writes nothing', () => {
    fs.writeFileSync(path.join(tmp, 'bad.yaml'), 'unitId: car-1\nagency: [unclosed\n');
    const r = cli(['provision', '--config', 'y/config.yaml', '--answers', 'bad.yaml']);
    expect(r.status).toBe(2);
    expectOneLine(r.stderr);
    expect(r.stderr).toMatch(/^lpr-edge: answers bad\.yaml: not valid YAML: .* at line \d+, column \d+$/m);
    expect(fs.existsSync(path.join(tmp, 'y'))).toBe(false);
  });

  it('names the JSON file and the line of the error', () => {
    fs.writeFileSync(path.join(tmp, 'bad.json'), '{\n  "unitId": "car-1",\n  "agency": }\n');
    const r = cli(['provision', '--config', 'j/config.yaml', '--answers', 'bad.json']);
    expect(r.status).toBe(2);
    expectOneLine(r.stderr);
    expect(r.stderr).toMatch(/^lpr-edge: answers bad\.json: not valid JSON at line 3, column 13: /);
    fs.writeFileSync(path.join(tmp, 'comma.json'), '{\n  "unitId": "car-1",\n  "agency": "a",\n}\n');
    const c = cli(['provision', '--config', 'j/config.yaml', '--answers', 'comma.json']);
    expect(c.status).toBe(2);
    expect(c.stderr).toMatch(/^lpr-edge: answers comma\.json: not valid JSON at line 4, column 1: /);
    expect(fs.existsSync(path.join(tmp, 'j'))).toBe(false);
  });
});

describe('provision answers that are wrong', () => {
  /** Provision from an answers file with `text`; the run, with nothing written. */
  function fromAnswers(name: string, text: string) {
    fs.writeFileSync(path.join(tmp, name), text);
    const r = cli(['provision', '--config', `wrong/${name}.config.yaml`, '--answers', name]);
    expect(r.status, r.stderr).toBe(2);
    expectOneLine(r.stderr);
    expect(fs.existsSync(path.join(tmp, 'wrong'))).toBe(false);
    return r.stderr.trim();
  }

  it("name the field and the fix, as the config loader does, never zod's own words", () => {
    const cases: [string, string, string][] = [
      ['number-id.yaml', 'unitId: 17\nagency: nyspd\n', 'unitId: got 17; give text: put it in quotes'],
      [
        'empty-dir.yaml',
        'unitId: car-1\nagency: nyspd\ndataDir: ""\n',
        'dataDir: got ""; empty: give a value',
      ],
      [
        'serial-no-path.yaml',
        'unitId: car-1\nagency: nyspd\ngps: {source: serial}\n',
        'gps.path: missing; add it: text',
      ],
      [
        'quoted-baud.yaml',
        'unitId: car-1\nagency: nyspd\ngps: {source: serial, path: ttyUSB0, baud: "4800"}\n',
        'gps.baud: got "4800"; give a number, without quotes',
      ],
      [
        'cameras-text.yaml',
        'unitId: car-1\nagency: nyspd\ncameras: front\n',
        'cameras: got "front"; give a list',
      ],
      [
        'gps-kind.yaml',
        'unitId: car-1\nagency: nyspd\ngps: {source: usb}\n',
        'gps.source: got "usb"; source must be one of gpsd, serial, none',
      ],
      [
        'broker-list.yaml',
        'unitId: car-1\nagency: nyspd\nbroker: [mqtts://hq:8883]\n',
        'broker: got ["mqtts://hq:8883"]; give a mapping of keys to values',
      ],
    ];
    for (const [name, text, problem] of cases) {
      const stderr = fromAnswers(name, text);
      expect(stderr).toBe(`lpr-edge: answers ${name}: ${problem}`);
      expect(stderr).not.toMatch(/Invalid input|expected \w+, received|Too (small|big)/);
    }
  });

  it('name the field and the fix for a camera flag, too', () => {
    const r = cli([
      'provision',
      ...['--unit-id', 'car-1', '--agency', 'nyspd', '--config', 'wrong/flag.yaml'],
      ...['--camera', 'rtsp:rtsp://10.0.0.5/s1,id=front,width=1280,height=720,fps=fast'],
    ]);
    expect(r.status).toBe(2);
    expectOneLine(r.stderr);
    expect(r.stderr.trim()).toBe('lpr-edge: provision: cameras[0].fps: got "fast"; give a number');
    expect(fs.existsSync(path.join(tmp, 'wrong'))).toBe(false);
  });
});

describe('provision --interactive', () => {
  const empty = path.join(tmp, 'no-cameras');
  fs.mkdirSync(empty, { recursive: true });
  const interactive = (cfg: string, answers: string[]) =>
    cli(['provision', '--config', cfg, '--interactive', '--discovery-root', empty], {
      input: answers.join('\n') + '\n',
    });

  it('asks again when a camera number is not in the list', () => {
    // No camera at all is taken only when confirmed.
    const r = interactive('ask-again.yaml', ['car-1', 'nyspd', '', '', '3', '', '', 'yes', 'none']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('"3" is not in the list: no cameras were found, leave it empty');
    expect(fs.readFileSync(path.join(tmp, 'ask-again.yaml'), 'utf8')).toMatch(/cameras: \[\]/);
  });

  it('stops with an error and writes nothing when the input ends mid-session', () => {
    fs.writeFileSync(path.join(tmp, 'kept.yaml'), 'previous: true\n');
    // The bad camera number is asked again; then the input ends.
    const r = interactive('kept.yaml', ['car-1', 'nyspd', '', '', '3']);
    expect(r.status).toBe(2);
    expectOneLine(r.stderr);
    expect(r.stderr).toMatch(
      /the input ended at "Cameras to use .*" before every question was answered; nothing was written/,
    );
    // Ending right after the agency no longer writes a config of defaults either.
    const s = interactive('kept.yaml', ['car-1', 'nyspd']);
    expect(s.status).toBe(2);
    expect(s.stderr).toMatch(/the input ended at "Home state/);
    expect(fs.readFileSync(path.join(tmp, 'kept.yaml'), 'utf8')).toBe('previous: true\n');
    expect(fs.existsSync(path.join(tmp, 'kept.yaml.prev'))).toBe(false);
  });

  it('asks again for the CA of an mqtts broker left empty', () => {
    fs.writeFileSync(path.join(tmp, 'ca.pem'), fs.readFileSync(pki.ca));
    writeHqPublicKey(path.join(tmp, 'hq.pub'));
    const r = interactive('ca.yaml', [
      'car-1',
      'nyspd',
      '',
      'mqtts://hq.example.org:8883',
      '',
      'ca.pem',
      '',
      '',
      'hq.pub',
      '', // no separate ack key
      '',
      '',
      'yes',
      'none',
    ]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(
      'an mqtts broker needs the CA certificate that signed its certificate: give its PEM path',
    );
    // HQ's signing key too is asked for again rather than left out.
    expect(r.stdout).toContain(
      'the unit checks everything HQ sends against this key: give the path of hq-signing.pub',
    );
    const c = parseYaml(fs.readFileSync(path.join(tmp, 'ca.yaml'), 'utf8'));
    expect(c.sync.hqPublicKey).toBe(path.join(fs.realpathSync(tmp), 'hq.pub'));
  });
});

describe('provision with relative paths', () => {
  it('stores them absolute, as meant from where the technician ran it, so selftest finds them', () => {
    const here = fs.realpathSync(tmp);
    fs.mkdirSync(path.join(tmp, 'certs'), { recursive: true });
    fs.writeFileSync(path.join(tmp, 'certs/ca.pem'), fs.readFileSync(pki.ca));
    writeHqPublicKey(path.join(tmp, 'certs/hq.pub'));
    fs.mkdirSync(path.join(tmp, 'clips'), { recursive: true });
    fs.writeFileSync(path.join(tmp, 'clips/a.mp4'), '');
    const cfg = 'rel/conf/config.yaml';
    const r = cli([
      'provision',
      '--config',
      cfg,
      '--data-dir',
      'reldata',
      '--unit-id',
      'car-1',
      '--agency',
      'nyspd',
      '--broker-url',
      'mqtts://127.0.0.1:1',
      '--ca',
      'certs/ca.pem',
      '--hq-key',
      'certs/hq.pub',
      '--camera',
      'file:clips/a.mp4,id=clip',
      '--gps',
      'serial:./gps0:4800',
    ]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const c = parseYaml(fs.readFileSync(path.join(tmp, cfg), 'utf8'));
    expect(c).toMatchObject({
      dataDir: path.join(here, 'reldata'),
      sync: { ca: path.join(here, 'certs/ca.pem'), hqPublicKey: path.join(here, 'certs/hq.pub') },
      cameras: [{ path: path.join(here, 'clips/a.mp4') }],
      gps: { source: 'serial', path: path.join(here, 'gps0'), baud: 4800 },
    });
    // Later commands find the same files, from any folder.
    const s = cli(
      ['selftest', '--json', '--config', path.join(tmp, cfg), '--gps-seconds', '1', '--min-free-mb', '1'],
      {
        cwd: '/',
      },
    );
    const checks = JSON.parse(s.stdout) as { check: string; status: string; detail: string }[];
    const by = (n: string) => checks.find((x) => x.check === n)!;
    expect(by('database').detail).toContain(path.join(here, 'reldata', 'lpr-edge.db'));
    expect(by('camera clip').detail).toContain(path.join(here, 'clips/a.mp4'));
    // The CA is read; only the (closed) broker port fails.
    expect(by('broker').detail).toMatch(/cannot connect to mqtts:\/\/127\.0\.0\.1:1/);
  });
});

describe('provision --config FILE.json', () => {
  it('writes JSON, which later commands (and a second provision) read', () => {
    const args = [
      'provision',
      '--config',
      'cj.json',
      '--data-dir',
      'jdata',
      '--unit-id',
      'car-1',
      '--agency',
      'nyspd',
      '--no-cameras',
    ];
    expect(cli(args).status).toBe(0);
    const c = JSON.parse(fs.readFileSync(path.join(tmp, 'cj.json'), 'utf8')) as Record<string, unknown>;
    expect(c).toMatchObject({ unitId: 'car-1', agency: 'nyspd' });
    const s = cli(['hotlist', 'status', '--json', '--config', 'cj.json']);
    expect(s.stderr).toBe('');
    expect(s.status).toBe(0);
    expect(JSON.parse(s.stdout)).toMatchObject({ lists: [] });
    // Provisioning again keeps the JSON previous file and the sections it does not ask about.
    const again = cli([...args, '--home-state', 'NY']);
    expect(again.status).toBe(0);
    const c2 = JSON.parse(fs.readFileSync(path.join(tmp, 'cj.json'), 'utf8')) as Record<string, unknown>;
    expect(c2).toMatchObject({ homeState: 'NY', vision: c.vision });
    expect(JSON.parse(fs.readFileSync(path.join(tmp, 'cj.json.prev'), 'utf8'))).toEqual(c);
  });
});

describe('provision flags', () => {
  const base = ['provision', '--unit-id', 'car-1', '--agency', 'nyspd'];
  /** Provision into a fresh file; returns the run and the config written (or null). */
  function provision(name: string, extra: string[]) {
    const file = path.join(tmp, 'flags', `${name}.yaml`);
    const cameras = extra.includes('--camera') ? [] : ['--no-cameras'];
    const r = cli([...base, '--config', file, ...cameras, ...extra]);
    return { ...r, config: fs.existsSync(file) ? parseYaml(fs.readFileSync(file, 'utf8')) : null };
  }
  function refused(name: string, extra: string[], message: RegExp): void {
    const r = provision(name, extra);
    expect(r.status, r.stderr).toBe(2);
    expectOneLine(r.stderr);
    expect(r.stderr).toMatch(message);
    expect(r.config).toBeNull();
  }

  it('refuses certificates without a broker instead of dropping them', () => {
    refused('ca', ['--ca', 'x.pem'], /--ca is for the headquarters broker: give --broker-url too/);
    refused('key', ['--cert', 'c.pem', '--key', 'k.pem'], /--cert is for the headquarters broker/);
  });

  it('names the field and the fix for an empty CA path', () => {
    refused(
      'empty-ca',
      ['--broker-url', 'mqtts://hq.example.org:8883', '--ca', ''],
      /broker\.ca: got ""; empty: give the path of the CA certificate \(PEM\)/,
    );
    fs.writeFileSync(
      path.join(tmp, 'empty-ca.yaml'),
      'unitId: c\nagency: a\nbroker: {url: "mqtts://h:8883", ca: ""}\n',
    );
    const r = cli(['provision', '--config', 'flags/x.yaml', '--answers', 'empty-ca.yaml']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/answers empty-ca\.yaml: broker\.ca: got ""; empty: give the path/);
    expect(r.stderr).not.toMatch(/Too small/);
  });

  it('refuses two cameras with the same id, naming it', () => {
    refused(
      'dup',
      [
        '--camera',
        'rtsp:rtsp://10.0.0.5/s1,id=front,width=1280,height=720',
        '--camera',
        'rtsp:rtsp://10.0.0.6/s1,id=front,width=1280,height=720',
      ],
      /cameras\[1\]\.id: got "front"; cameras\[0\] has this id too: give each camera its own id/,
    );
  });

  it('keeps camera ids that look like numbers as text', () => {
    const r = provision('id007', ['--camera', 'rtsp:rtsp://10.0.0.5/s1,id=007,width=1280,height=720,fps=10']);
    expect(r.stderr).toBe('');
    expect(r.config.cameras).toMatchObject([{ id: '007', fps: 10 }]);
  });

  it('says a gpsd port must be a number', () => {
    refused('port', ['--gps', 'gpsd:localhost:abc'], /the gpsd port must be a number from 1 to 65535/);
  });

  it('takes serial device paths with colons, and a baud rate only from an all-digit last part', () => {
    const dev = '/dev/serial/by-path/pci-0000:00:14.0-usb-0:2:1.0';
    expect(provision('by-path', ['--gps', `serial:${dev}`]).config.gps).toEqual({
      source: 'serial',
      path: dev,
      baud: 9600,
      maxFixAgeMs: 5000,
      maxClockOffsetMs: 5000,
    });
    expect(provision('by-path-baud', ['--gps', `serial:${dev}:4800`]).config.gps).toMatchObject({
      path: dev,
      baud: 4800,
    });
    expect(provision('tty', ['--gps', 'serial:/dev/ttyUSB0:38400']).config.gps).toMatchObject({
      path: '/dev/ttyUSB0',
      baud: 38400,
    });
    // A bare device name means it under /dev, as it does in a config file.
    expect(provision('bare', ['--gps', 'serial:ttyUSB1']).config.gps).toMatchObject({ path: '/dev/ttyUSB1' });
    expect(provision('gpsd', ['--gps', 'gpsd:10.0.0.2:2948']).config.gps).toMatchObject({
      host: '10.0.0.2',
      port: 2948,
    });
  });

  it('refuses a home state that is not a US state, DC or territory', () => {
    refused('xx', ['--home-state', 'XX'], /homeState: got "XX"; not a US state, DC or territory/);
    expect(provision('pr', ['--home-state', 'PR']).config).toMatchObject({ homeState: 'PR' });
  });
});

describe("provision with a broker but no headquarters' signing key", () => {
  const base = [
    'provision',
    '--unit-id',
    'car-1',
    '--agency',
    'nyspd',
    '--broker-url',
    'mqtt://127.0.0.1:1883',
    '--no-cameras',
  ];

  it('refuses: the unit would refuse every hotlist and ack from HQ', () => {
    const r = cli([...base, '--config', 'nokey/config.yaml']);
    expect(r.status).toBe(2);
    expectOneLine(r.stderr);
    expect(r.stderr).toMatch(
      /broker\.hqKey: a unit that syncs needs headquarters' public signing key, .*give --hq-key PATH \(hq-signing\.pub/,
    );
    expect(fs.existsSync(path.join(tmp, 'nokey'))).toBe(false);
  });

  it('refuses a file that is not an Ed25519 public key, naming it', () => {
    fs.writeFileSync(path.join(tmp, 'not-a-key.pem'), 'hello\n');
    const r = cli([...base, '--config', 'badkey/config.yaml', '--hq-key', 'not-a-key.pem']);
    expect(r.status).toBe(2);
    expectOneLine(r.stderr);
    expect(r.stderr).toMatch(/broker\.hqKey: .*give hq-signing\.pub from "hq-sink keygen"/);
    expect(fs.existsSync(path.join(tmp, 'badkey'))).toBe(false);
  });

  it('keeps the key of the previous config when provisioned again', () => {
    writeHqPublicKey(path.join(tmp, 'again.pub'));
    const first = cli([...base, '--config', 'again/config.yaml', '--hq-key', 'again.pub']);
    expect(first.stderr).toBe('');
    const second = cli([...base, '--config', 'again/config.yaml']);
    expect(second.stderr).toBe('');
    expect(second.status).toBe(0);
    const c = parseYaml(fs.readFileSync(path.join(tmp, 'again/config.yaml'), 'utf8'));
    expect(c.sync.hqPublicKey).toBe(path.join(fs.realpathSync(tmp), 'again.pub'));
  });
});

describe('provision again, with only some of the settings', () => {
  const first = [
    '--unit-id',
    'car-7',
    '--agency',
    'pd',
    '--home-state',
    'NY',
    '--camera',
    'rtsp:rtsp://127.0.0.1:18554/cam,id=rear,width=1280,height=720',
    '--camera',
    'v4l2:/dev/video0,id=front,width=1280,height=720',
    '--gps',
    'serial:ttyUSB0:4800',
  ];
  const read = (cfg: string) => parseYaml(fs.readFileSync(path.join(tmp, cfg), 'utf8'));

  it('keeps the GPS, data folder, home state and cameras it was not given', () => {
    const cfg = 'again2/config.yaml';
    expect(cli(['provision', '--config', cfg, '--data-dir', 'again2/data', ...first]).status).toBe(0);
    const before = read(cfg);
    const r = cli(['provision', '--config', cfg, '--unit-id', 'car-7', '--agency', 'pd']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(read(cfg)).toEqual(before);
    expect(before).toMatchObject({
      dataDir: path.join(fs.realpathSync(tmp), 'again2/data'),
      homeState: 'NY',
      gps: { source: 'serial', path: '/dev/ttyUSB0', baud: 4800 },
    });
    // What is given replaces what was: here the cameras, then the home state taken away.
    cli([
      'provision',
      '--config',
      cfg,
      '--camera',
      'rtsp:rtsp://127.0.0.1:18554/cam,id=rear,width=1280,height=720',
    ]);
    expect(read(cfg).cameras.map((c: { id: string }) => c.id)).toEqual(['rear']);
    expect(cli(['provision', '--config', cfg, '--unit-id', 'car-7', '--home-state', 'none']).status).toBe(0);
    expect(read(cfg).homeState).toBeUndefined();
    expect(read(cfg).gps).toMatchObject({ source: 'serial', baud: 4800 });
  });

  it('offers the previous answers when asked again: Enter everywhere changes nothing', () => {
    const cfg = 'again3/config.yaml';
    writeHqPublicKey(path.join(tmp, 'again3.pub'));
    fs.writeFileSync(path.join(tmp, 'again3-ca.pem'), fs.readFileSync(pki.ca));
    const broker = [
      '--broker-url',
      'mqtts://127.0.0.1:8883',
      '--ca',
      'again3-ca.pem',
      '--hq-key',
      'again3.pub',
    ];
    expect(cli(['provision', '--config', cfg, ...first, ...broker]).stderr).toBe('');
    const before = read(cfg);
    const r = cli(['provision', '--config', cfg, '--interactive', '--discovery-root', tmp], {
      input: '\n'.repeat(20),
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(
      'Headquarters broker URL (mqtts://…, "none" to stop syncing) [mqtts://127.0.0.1:8883]',
    );
    expect(r.stdout).toMatch(
      /1\. rear \(rtsp rtsp:\/\/127\.0\.0\.1:18554\/cam\)\n\s+2\. front \(v4l2 \/dev\/video0\)/,
    );
    expect(r.stdout).toContain('[serial:/dev/ttyUSB0:4800]');
    expect(read(cfg)).toEqual(before);
  });

  it('refuses a unit without cameras unless --no-cameras says so', () => {
    const r = cli(['provision', '--config', 'nocam/config.yaml', '--unit-id', 'car-1', '--agency', 'pd']);
    expect(r.status).toBe(2);
    expectOneLine(r.stderr);
    expect(r.stderr).toMatch(/no camera given: .*add --camera KIND:TARGET .*or give --no-cameras/);
    expect(fs.existsSync(path.join(tmp, 'nocam'))).toBe(false);
    const ok = cli([
      'provision',
      '--config',
      'nocam/config.yaml',
      '--unit-id',
      'car-1',
      '--agency',
      'pd',
      '--no-cameras',
    ]);
    expect(ok.status).toBe(0);
    expect(read('nocam/config.yaml').cameras).toEqual([]);
  });
});

describe('provision with client certificate files that do not go together', () => {
  const car = pki.client('car-1');
  const other = pki.client('car-2');
  const base = ['provision', '--unit-id', 'car-1', '--agency', 'pd', '--no-cameras'];
  const broker = ['--broker-url', 'mqtts://127.0.0.1:8883', '--ca', pki.ca, '--hq-key', 'tls-hq.pub'];
  writeHqPublicKey(path.join(tmp, 'tls-hq.pub'));
  const run = (name: string, tlsFiles: string[]) =>
    cli([...base, '--config', `${name}/config.yaml`, ...broker, ...tlsFiles]);

  it("refuses a key that is not the certificate's, naming --key and the fix", () => {
    const r = run('tls-mismatch', ['--cert', car.cert, '--key', other.key]);
    expect(r.status).toBe(2);
    expectOneLine(r.stderr);
    expect(r.stderr).toMatch(
      /broker\.key \(--key\): .*client-car-2\.key does not belong to the client certificate .*client-car-1\.crt: give --key the private key made with that certificate/,
    );
    expect(fs.existsSync(path.join(tmp, 'tls-mismatch'))).toBe(false);
  });

  it('refuses a certificate given as the key, and a key given as the CA', () => {
    const r = run('tls-ca-key', ['--cert', car.cert, '--key', pki.ca]);
    expect(r.status).toBe(2);
    expectOneLine(r.stderr);
    expect(r.stderr).toMatch(
      /broker\.key \(--key\): .*ca\.crt is not a private key .*give --key the private key/,
    );
    const c = cli([
      ...base,
      '--config',
      'tls-key-ca/config.yaml',
      '--broker-url',
      'mqtts://127.0.0.1:8883',
      '--ca',
      car.key,
      '--hq-key',
      'tls-hq.pub',
    ]);
    expect(c.status).toBe(2);
    expect(c.stderr).toMatch(
      /broker\.ca \(--ca\): .*client-car-1\.key is not a certificate: give --ca the CA certificate/,
    );
    // The right pair is taken.
    const ok = run('tls-ok', ['--cert', car.cert, '--key', car.key]);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
  });
});

describe('provision on a unit whose config folder belongs to the service group', () => {
  it.skipIf(process.getuid?.() !== 0)(
    "warns when the daemon could not read a key it names (openssl's 0600 root), with the fix",
    () => {
      const gid = Number(spawnSync('id', ['-g', 'nobody'], { encoding: 'utf8' }).stdout.trim());
      const dir = path.join(tmp, 'unit-etc');
      fs.mkdirSync(dir, { mode: 0o750 });
      fs.chownSync(dir, 0, gid);
      const car = pki.client('car-3');
      writeHqPublicKey(path.join(tmp, 'unit-hq.pub'));
      const args = [
        'provision',
        '--config',
        path.join(dir, 'config.yaml'),
        '--unit-id',
        'car-3',
        '--agency',
        'pd',
      ];
      const tls = [
        '--broker-url',
        'mqtts://127.0.0.1:8883',
        '--ca',
        pki.ca,
        '--cert',
        car.cert,
        '--key',
        car.key,
      ];
      const r = cli([...args, '--no-cameras', ...tls, '--hq-key', 'unit-hq.pub']);
      expect(r.status).toBe(0);
      expect(fs.statSync(car.key).mode & 0o777).toBe(0o600);
      expect(r.stderr.trim().split('\n')).toEqual([
        expect.stringMatching(
          new RegExp(
            `^lpr-edge: warning: broker\\.key ${car.key} is mode 0600, group root: the daemon \\(group \\w+\\) cannot read it and would stop with EACCES; fix: sudo chgrp \\w+ ${car.key} && sudo chmod 0640 ${car.key}$`,
          ),
        ),
      ]);
    },
  );
});

describe('the next step printed after provision', () => {
  it('names the config written when it is not the default one', () => {
    const r = cli([
      'provision',
      '--config',
      'hint/config.yaml',
      '--unit-id',
      'car-1',
      '--agency',
      'pd',
      '--no-cameras',
    ]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(
      `next: "lpr-edge selftest --config ${path.join(tmp, 'hint/config.yaml')}" to check the unit`,
    );
  });
});

describe('provision with a separate ack key (sync.hqKeys)', () => {
  const base = [
    'provision',
    '--unit-id',
    'car-1',
    '--agency',
    'nyspd',
    '--broker-url',
    'mqtt://127.0.0.1:1883',
    '--hq-key',
    'main.pub',
    '--no-cameras',
  ];
  const config = (dir: string) => parseYaml(fs.readFileSync(path.join(tmp, dir, 'config.yaml'), 'utf8'));

  it('writes the ack key as an entry of sync.hqKeys signing acks only; a new one of the same keyId replaces it', () => {
    writeHqPublicKey(path.join(tmp, 'main.pub'));
    writeHqPublicKey(path.join(tmp, 'ack.pub'));
    writeHqPublicKey(path.join(tmp, 'ack2.pub'));
    const ack = ['--hq-ack-key', 'ack.pub', '--hq-ack-key-id', 'hq-ack'];
    const r = cli([...base, '--config', 'acked/config.yaml', ...ack]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const here = fs.realpathSync(tmp);
    expect(config('acked').sync).toMatchObject({
      hqPublicKey: path.join(here, 'main.pub'),
      hqKeys: [{ keyId: 'hq-ack', publicKey: path.join(here, 'ack.pub'), signs: ['ack'] }],
    });
    // Provisioned again without it: kept. With a renewed key under the same id: replaced.
    expect(cli([...base, '--config', 'acked/config.yaml']).status).toBe(0);
    expect(config('acked').sync.hqKeys).toHaveLength(1);
    const renewed = ['--hq-ack-key', 'ack2.pub', '--hq-ack-key-id', 'hq-ack'];
    expect(cli([...base, '--config', 'acked/config.yaml', ...renewed]).status).toBe(0);
    expect(config('acked').sync.hqKeys).toEqual([
      { keyId: 'hq-ack', publicKey: path.join(here, 'ack2.pub'), signs: ['ack'] },
    ]);
  });

  it('refuses an ack key without its keyId, and a private key, naming them', () => {
    const noId = cli([...base, '--config', 'noid/config.yaml', '--hq-ack-key', 'ack.pub']);
    expect(noId.status).toBe(2);
    expectOneLine(noId.stderr);
    expect(noId.stderr).toMatch(/broker\.hqAckKeyId: .*give both hqAckKey and hqAckKeyId/);
    const { privateKey } = generateKeyPairSync('ed25519');
    fs.writeFileSync(path.join(tmp, 'ack.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const secret = cli([
      ...base,
      '--config',
      'secret/config.yaml',
      '--hq-ack-key',
      'ack.key',
      '--hq-ack-key-id',
      'hq-ack',
    ]);
    expect(secret.status).toBe(2);
    expectOneLine(secret.stderr);
    expect(secret.stderr).toMatch(/broker\.hqAckKey: this is a private key; give the public one/);
    expect(fs.existsSync(path.join(tmp, 'noid'))).toBe(false);
    expect(fs.existsSync(path.join(tmp, 'secret'))).toBe(false);
  });
});

describe('provision again over a config with relative paths', () => {
  it("takes them as the config did, from the config's folder, not from where provision runs", () => {
    // Written by hand (or copied from another unit): paths relative to the config's folder, as the
    // config loader reads them.
    const etc = path.join(fs.realpathSync(tmp), 'relprev/etc');
    fs.mkdirSync(path.join(etc, 'certs'), { recursive: true });
    fs.mkdirSync(path.join(etc, 'clips'), { recursive: true });
    fs.copyFileSync(pki.ca, path.join(etc, 'certs/ca.pem'));
    const client = pki.client('car-1');
    fs.copyFileSync(client.cert, path.join(etc, 'certs/car.crt'));
    fs.copyFileSync(client.key, path.join(etc, 'certs/car.key'));
    writeHqPublicKey(path.join(etc, 'certs/hq.pub'));
    fs.writeFileSync(path.join(etc, 'clips/a.mp4'), '');
    const cfg = path.join(etc, 'config.yaml');
    const made = cli(['provision', '--config', cfg, '--unit-id', 'car-1', '--agency', 'pd', '--no-cameras']);
    expect(made.stderr).toBe('');
    const written = parseYaml(fs.readFileSync(cfg, 'utf8'));
    fs.writeFileSync(
      cfg,
      stringifyYaml({
        ...written,
        dataDir: 'data',
        cameras: [{ kind: 'file', id: 'clip', path: 'clips/a.mp4' }],
        gps: { source: 'serial', path: './gps0', baud: 4800 },
        sync: {
          enabled: true,
          brokerUrl: 'mqtts://127.0.0.1:1',
          ca: 'certs/ca.pem',
          cert: 'certs/car.crt',
          key: 'certs/car.key',
          hqPublicKey: 'certs/hq.pub',
        },
      }),
    );
    // Run from another folder, changing only the unit id.
    const r = cli(['provision', '--config', cfg, '--unit-id', 'car-2']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const c = parseYaml(fs.readFileSync(cfg, 'utf8'));
    expect(c).toMatchObject({
      unitId: 'car-2',
      dataDir: path.join(etc, 'data'),
      cameras: [{ id: 'clip', path: path.join(etc, 'clips/a.mp4') }],
      gps: { source: 'serial', path: path.join(etc, 'gps0'), baud: 4800 },
      sync: {
        ca: path.join(etc, 'certs/ca.pem'),
        cert: path.join(etc, 'certs/car.crt'),
        key: path.join(etc, 'certs/car.key'),
      },
    });
  });
});

describe('provision --interactive and the broker', () => {
  const interactive = (cfg: string, answers: string[]) =>
    cli(['provision', '--config', cfg, '--interactive', '--discovery-root', path.join(tmp, 'no-cameras')], {
      input: answers.join('\n') + '\n',
    });
  const config = (cfg: string) => parseYaml(fs.readFileSync(path.join(tmp, cfg), 'utf8'));

  it('takes "none" at the broker URL to stop syncing with headquarters', () => {
    writeHqPublicKey(path.join(tmp, 'unsync.pub'));
    const cfg = 'unsync/config.yaml';
    const first = cli([
      'provision',
      '--config',
      cfg,
      '--unit-id',
      'car-1',
      '--agency',
      'pd',
      '--broker-url',
      'mqtt://127.0.0.1:1883',
      '--hq-key',
      'unsync.pub',
      '--no-cameras',
    ]);
    expect(first.stderr).toBe('');
    expect(config(cfg).sync.enabled).toBe(true);
    // Unit id, agency, home state kept; no broker; still no cameras (confirmed); GPS kept.
    const r = interactive(cfg, ['', '', '', 'none', '', '', 'yes', '']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(
      'Headquarters broker URL (mqtts://…, "none" to stop syncing) [mqtt://127.0.0.1:1883]',
    );
    expect(config(cfg).sync.enabled).toBe(false);
    // Asked again, no broker is offered and Enter keeps it off.
    const again = interactive(cfg, ['', '', '', '', '', '', 'yes', '']);
    expect(again.stderr).toBe('');
    expect(again.stdout).toContain('Headquarters broker URL (mqtts://…, empty for none):');
    expect(config(cfg).sync.enabled).toBe(false);
  });

  it('takes --broker-url none to stop syncing without asking, keeping the rest of the sync section', () => {
    writeHqPublicKey(path.join(tmp, 'flag-unsync.pub'));
    const cfg = 'flag-unsync/config.yaml';
    const first = cli([
      ...['provision', '--config', cfg, '--unit-id', 'car-1', '--agency', 'pd'],
      ...['--broker-url', 'mqtt://127.0.0.1:1883', '--hq-key', 'flag-unsync.pub', '--no-cameras'],
    ]);
    expect(first.stderr).toBe('');
    expect(config(cfg).sync.enabled).toBe(true);
    // Certificates for no broker are a slip: refused, nothing written.
    const withCa = cli([
      'provision',
      '--config',
      cfg,
      '--broker-url',
      'none',
      '--ca',
      'x.pem',
      '--no-cameras',
    ]);
    expect(withCa.status).toBe(2);
    expect(withCa.stderr).toBe(
      'lpr-edge: provision: --ca is for the headquarters broker, and --broker-url none stops syncing: leave --ca out\n',
    );
    expect(config(cfg).sync.enabled).toBe(true);
    // Unit id and agency kept from the config; "NONE" as a technician may type it.
    const r = cli(['provision', '--config', cfg, '--broker-url', 'NONE', '--no-cameras']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const after = config(cfg);
    expect(after.sync.enabled).toBe(false);
    // Kept (turned off) for when it comes back.
    expect(after.sync.brokerUrl).toBe('mqtt://127.0.0.1:1883');
    expect(after.sync.hqPublicKey).toBe(path.join(tmp, 'flag-unsync.pub'));
    // The help says so.
    expect(cli(['provision', '--help']).stdout).toMatch(/--broker-url none\s+stop syncing with headquarters/);
  });

  it("asks for headquarters' ack key and its keyId, as --hq-ack-key and --hq-ack-key-id give them", () => {
    writeHqPublicKey(path.join(tmp, 'ia-hq.pub'));
    writeHqPublicKey(path.join(tmp, 'ia-ack.pub'));
    const cfg = 'ia-ack/config.yaml';
    const r = interactive(cfg, [
      'car-1',
      'pd',
      '',
      'mqtt://127.0.0.1:1883',
      'ia-hq.pub',
      'ia-ack.pub',
      'bad key id!',
      'hq-ack-1',
      '',
      '',
      'yes',
      'none',
    ]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("headquarters' ack key (hq-ack.pub path, empty for none)");
    expect(r.stdout).toContain('letters, digits, ".", "_", ":" or "-", as HQ signs with (--key-id)');
    expect(config(cfg).sync.hqKeys).toEqual([
      { keyId: 'hq-ack-1', publicKey: path.join(fs.realpathSync(tmp), 'ia-ack.pub'), signs: ['ack'] },
    ]);
    // Asked again, Enter keeps the ack key the config has.
    const again = interactive(cfg, ['', '', '', '', '', '', '', '', 'yes', '']);
    expect(again.stderr).toBe('');
    expect(again.stdout).toContain("headquarters' ack key (hq-ack.pub path, empty to keep hq-ack-1)");
    expect(config(cfg).sync.hqKeys).toHaveLength(1);
  });
});

describe('provision with paths the service cannot see (ProtectHome=yes)', () => {
  it('warns naming each setting and the fix: /home, /root and /run/user are empty to the daemon', () => {
    // The unit really has the setting the warning names.
    const unit = fs.readFileSync(path.join(ROOT, 'systemd/lpr-edge.service'), 'utf8');
    expect(unit).toMatch(/^ProtectHome=yes$/m);
    const r = cli([
      'provision',
      '--config',
      'protect-home/config.yaml',
      '--unit-id',
      'car-1',
      '--agency',
      'pd',
      '--data-dir',
      '/home/tech/lpr-data',
      '--camera',
      'file:/run/user/1000/clip.mp4,id=clip',
    ]);
    expect(r.status).toBe(0);
    expect(r.stderr.trim().split('\n')).toEqual([
      'lpr-edge: warning: dataDir /home/tech/lpr-data is under /home, which the lpr-edge service cannot see (ProtectHome=yes in lpr-edge.service): use a folder such as /var/lib/lpr-edge (--data-dir)',
      'lpr-edge: warning: cameras[0].path /run/user/1000/clip.mp4 is under /run/user, which the lpr-edge service cannot see (ProtectHome=yes in lpr-edge.service): copy it to a folder such as /var/lib/lpr-edge and give that path',
    ]);
    // A model a previous config names under /root (a technician's copy) is named too.
    const c = parseYaml(fs.readFileSync(path.join(tmp, 'protect-home/config.yaml'), 'utf8'));
    c.vision.detector.model = '/root/models/det.onnx';
    fs.writeFileSync(path.join(tmp, 'protect-home/config.yaml'), stringifyYaml(c));
    const again = cli([
      'provision',
      '--config',
      'protect-home/config.yaml',
      '--data-dir',
      '/var/lib/lpr-edge',
      '--camera',
      'rtsp:rtsp://127.0.0.1:8554/cam,id=rear,width=1280,height=720',
    ]);
    expect(again.status).toBe(0);
    expect(again.stderr.trim().split('\n')).toEqual([
      'lpr-edge: warning: vision.detector.model /root/models/det.onnx is under /root, which the lpr-edge service cannot see (ProtectHome=yes in lpr-edge.service): copy it to a folder such as /etc/lpr-edge/models and give that path',
    ]);
  });
});

describe('provision of an RTSP camera without a size', () => {
  let server: ChildProcess | undefined;
  afterAll(() => {
    server?.kill();
  });

  it("takes the stream's own size (ffprobe) instead of stretching it to 1280x720", async () => {
    const port = await freePort();
    server = spawn(
      '/usr/bin/python3',
      [path.join(ROOT, 'test/fixtures/rtsp-server.py'), String(port), '640', '480', '10'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    server.stdout!.on('data', (d) => (out += String(d)));
    await waitFor(() => out.includes('READY'), 10_000, 'RTSP server');
    const url = `rtsp://127.0.0.1:${port}/cam`;
    // The CLI runs with spawnSync: the RTSP server is a process of its own, so it still answers.
    const r = cli([
      'provision',
      '--config',
      'rtsp-size/config.yaml',
      '--unit-id',
      'car-1',
      '--agency',
      'pd',
      '--camera',
      `rtsp:${url},id=rear`,
    ]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const c = parseYaml(fs.readFileSync(path.join(tmp, 'rtsp-size/config.yaml'), 'utf8'));
    expect(c.cameras).toMatchObject([{ kind: 'rtsp', id: 'rear', url, width: 640, height: 480 }]);
    // A size given is taken as given, without asking the stream.
    const given = cli([
      'provision',
      '--config',
      'rtsp-size/config.yaml',
      '--camera',
      `rtsp:${url},id=rear,width=320,height=240`,
    ]);
    expect(given.status).toBe(0);
    expect(
      parseYaml(fs.readFileSync(path.join(tmp, 'rtsp-size/config.yaml'), 'utf8')).cameras[0],
    ).toMatchObject({
      width: 320,
      height: 240,
    });
  }, 60_000);

  it('refuses when the stream cannot be asked, naming the camera and the fix, rather than guessing a size', async () => {
    const dead = await freePort();
    const r = cli([
      'provision',
      '--config',
      'rtsp-dead/config.yaml',
      '--unit-id',
      'car-1',
      '--agency',
      'pd',
      '--camera',
      `rtsp:rtsp://127.0.0.1:${dead}/cam,id=rear`,
    ]);
    expect(r.status).toBe(2);
    expectOneLine(r.stderr);
    expect(r.stderr).toMatch(
      new RegExp(
        `cameras\\[0\\] \\(rear\\): cannot ask rtsp://127\\.0\\.0\\.1:${dead}/cam its frame size \\(.*\\): give it, e\\.g\\. --camera rtsp:rtsp://127\\.0\\.0\\.1:${dead}/cam,id=rear,width=1280,height=720`,
      ),
    );
    expect(fs.existsSync(path.join(tmp, 'rtsp-dead'))).toBe(false);
  }, 60_000);
});

describe('provision of a USB or GigE camera without a size', () => {
  it('asks a GigE camera its Width and Height (aravis, in a loopback-only namespace) instead of assuming 1280x720', async (ctx) => {
    const ns = createLoopbackNetns(`lpr-prov-${process.pid}`);
    if ('error' in ns) {
      ctx.skip(`GigE test skipped: ${ns.error}`);
      return;
    }
    let fake: ChildProcess | undefined;
    // Every aravis client runs inside the namespace, the provisioning CLI included.
    const inNs = (cmd: string, args: string[]) =>
      spawnSync('ip', ['netns', 'exec', ns.name, cmd, ...args], {
        cwd: tmp,
        encoding: 'utf8',
        timeout: 60_000,
      });
    try {
      fake = spawn(
        'ip',
        ['netns', 'exec', ns.name, 'arv-fake-gv-camera-0.8', '-i', '127.0.0.1', '-s', 'LPR01'],
        {
          stdio: 'ignore',
        },
      );
      await waitFor(
        () => /Width = \d+/.test(inNs('arv-tool-0.8', ['-a', '127.0.0.1', 'control', 'Width']).stdout),
        10_000,
        'the fake GigE camera',
      );
      // The camera is set up for 640x480 (it keeps the setting), as a vendor's tool leaves it.
      expect(inNs('arv-tool-0.8', ['-a', '127.0.0.1', 'control', 'Width=640', 'Height=480']).status).toBe(0);
      const provision = (camera: string, cfg: string) =>
        inNs(process.execPath, [
          path.join(ROOT, 'bin/lpr-edge.js'),
          'provision',
          '--config',
          cfg,
          '--unit-id',
          'car-1',
          '--agency',
          'pd',
          '--camera',
          camera,
        ]);
      const r = provision('gige:127.0.0.1,id=left', 'gige-size/config.yaml');
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const c = parseYaml(fs.readFileSync(path.join(tmp, 'gige-size/config.yaml'), 'utf8'));
      expect(c.cameras).toMatchObject([
        { kind: 'gige', id: 'left', camera: '127.0.0.1', width: 640, height: 480 },
      ]);

      // A camera that is not there is refused, naming it and the fix; nothing is written.
      const missing = provision('gige:LPR-missing,id=left', 'gige-missing/config.yaml');
      expect(missing.status).toBe(2);
      expectOneLine(missing.stderr);
      expect(missing.stderr).toMatch(
        /cameras\[0\] \(left\): cannot ask GigE camera LPR-missing its frame size \(.*not found.*\): give it, e\.g\. --camera gige:LPR-missing,id=left,width=1280,height=720/,
      );
      expect(fs.existsSync(path.join(tmp, 'gige-missing/config.yaml'))).toBe(false);
    } finally {
      if (fake) await killChild(fake);
      ns.remove();
    }
  }, 120_000);

  it('refuses a USB camera whose size cannot be asked (no such device), naming the fix, rather than assuming one', () => {
    const r = cli([
      'provision',
      '--config',
      'v4l2-none/config.yaml',
      '--unit-id',
      'car-1',
      '--agency',
      'pd',
      '--camera',
      'v4l2:/dev/video-lpr-none,id=front',
    ]);
    expect(r.status).toBe(2);
    expectOneLine(r.stderr);
    expect(r.stderr).toMatch(
      /cameras\[0\] \(front\): cannot ask \/dev\/video-lpr-none its frame size \(.*no such device.*\): give it, e\.g\. --camera v4l2:\/dev\/video-lpr-none,id=front,width=1280,height=720/,
    );
    expect(fs.existsSync(path.join(tmp, 'v4l2-none/config.yaml'))).toBe(false);
  });
});
