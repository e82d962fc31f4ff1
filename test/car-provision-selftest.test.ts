import { describe, it, expect, afterAll, afterEach } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn as spawnChild, spawnSync, type ChildProcess } from 'node:child_process';
import { parse as parseYaml, stringify } from 'yaml';
import { freePort, waitFor, killChild, spawn } from './helpers/proc.js';
import { nmeaLog, straightDrive } from './helpers/nmea-track.js';
import { openDatabase } from '../src/store/database.js';
import { allMigrations } from '../src/store/all-migrations.js';
import { HotlistStore } from '../src/hotlist/store.js';
import { Equivalence } from '../src/hotlist/normalise.js';
import { importHotlist } from '../src/hotlist/import.js';
import {
  asServiceUser,
  canActAsServiceUser,
  letServiceUserThrough,
  serviceUser,
} from './helpers/service-user.js';

const root = path.resolve(import.meta.dirname, '..');
const bin = path.join(root, 'bin/lpr-edge.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lpr-prov-'));
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) await killChild(c);
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function cli(args: string[], input?: string) {
  return spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', input, timeout: 60_000 });
}

/** Run the CLI asynchronously (so test-owned servers keep serving meanwhile). */
function cliAsync(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawnChild(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d) => (stdout += String(d)));
    c.stderr.on('data', (d) => (stderr += String(d)));
    c.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('lpr-edge provision', () => {
  it('writes a validated config from flags, atomically, keeping the previous one', () => {
    const cfg = path.join(tmp, 'a', 'config.yaml');
    const r1 = cli([
      'provision',
      '--config',
      cfg,
      '--unit-id',
      'car-12',
      '--agency',
      'nyspd',
      '--home-state',
      'NY',
      '--camera',
      'v4l2:usb-046d_C920-video-index0,id=front,width=1280,height=720,fps=15',
      '--camera',
      'rtsp:rtsp://127.0.0.1:8554/s1,id=rear,position=rear,width=1280,height=720',
      '--gps',
      'gpsd',
    ]);
    expect(r1.stderr).toBe('');
    expect(r1.status).toBe(0);
    const c1 = parseYaml(fs.readFileSync(cfg, 'utf8'));
    expect(c1).toMatchObject({
      unitId: 'car-12',
      agency: 'nyspd',
      homeState: 'NY',
      dataDir: '/var/lib/lpr-edge',
      gps: { source: 'gpsd' },
    });
    expect(c1.cameras).toMatchObject([
      { kind: 'v4l2', id: 'front', device: 'usb-046d_C920-video-index0', width: 1280, height: 720, fps: 15 },
      {
        kind: 'rtsp',
        id: 'rear',
        url: 'rtsp://127.0.0.1:8554/s1',
        width: 1280,
        height: 720,
        position: 'rear',
      },
    ]);
    expect(fs.statSync(cfg).mode & 0o777).toBe(0o640);

    // Second run changes the GPS: the first file is kept as .prev; vision settings survive.
    const r2 = cli([
      'provision',
      '--config',
      cfg,
      '--unit-id',
      'car-12',
      '--agency',
      'nyspd',
      '--gps',
      'serial:/dev/ttyUSB0:4800',
    ]);
    expect(r2.status).toBe(0);
    expect(r2.stdout).toContain('previous kept as');
    // A running daemon reads its config only at start: the technician is told to restart it.
    expect(r2.stdout).toMatch(/then "sudo systemctl restart lpr-edge"/);
    expect(parseYaml(fs.readFileSync(`${cfg}.prev`, 'utf8')).gps).toMatchObject({ source: 'gpsd' });
    const c2 = parseYaml(fs.readFileSync(cfg, 'utf8'));
    expect(c2.gps).toMatchObject({ source: 'serial', path: '/dev/ttyUSB0', baud: 4800 });
    expect(c2.vision).toEqual(c1.vision);
    expect(fs.readdirSync(path.dirname(cfg)).sort()).toEqual(['config.yaml', 'config.yaml.prev']);
  });

  it.skipIf(!canActAsServiceUser)(
    "run as root, gives the config (and the previous one) the folder's group, so the daemon's user can read it",
    () => {
      // /etc/lpr-edge on a unit: root:lpr-edge 0750, the daemon running as lpr-edge.
      letServiceUserThrough(tmp);
      const dir = path.join(tmp, 'etc-lpr-edge');
      fs.mkdirSync(dir, { mode: 0o750 });
      fs.chownSync(dir, 0, serviceUser.gid);
      const cfg = path.join(dir, 'config.yaml');
      const provision = () =>
        cli([
          'provision',
          '--config',
          cfg,
          '--unit-id',
          'car-12',
          '--agency',
          'nyspd',
          '--gps',
          'none',
          '--no-cameras',
        ]);
      expect(provision().status).toBe(0);
      expect(provision().status).toBe(0);
      for (const file of [cfg, `${cfg}.prev`]) {
        const st = fs.statSync(file);
        expect({ uid: st.uid, gid: st.gid, mode: st.mode & 0o777 }, file).toEqual({
          uid: 0,
          gid: serviceUser.gid,
          mode: 0o640,
        });
      }
      const read = asServiceUser('cat', [cfg]);
      expect(read.stderr).toBe('');
      expect(read.stdout).toContain('unitId: car-12');
    },
  );

  it('writes nothing when the answers are invalid, naming the key and the fix', () => {
    const cfg = path.join(tmp, 'b', 'config.yaml');
    fs.mkdirSync(path.dirname(cfg));
    fs.writeFileSync(cfg, 'previous: true\n');
    const answers = path.join(tmp, 'bad.yaml');
    fs.writeFileSync(
      answers,
      stringify({
        unitId: 'car 12',
        agency: 'nyspd',
        cameras: [
          { kind: 'v4l2', id: 'f', device: '/dev/video0', width: 1280, height: 720, inputFormat: 'h264' },
        ],
      }),
    );
    const r = cli(['provision', '--config', cfg, '--answers', answers]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/unitId: got "car 12"; use letters, digits/);
    expect(r.stderr).toMatch(/cameras\[0\]\.inputFormat: got "h264"; allowed: "mjpeg", "yuyv"/);
    expect(fs.readFileSync(cfg, 'utf8')).toBe('previous: true\n');
    expect(fs.readdirSync(path.dirname(cfg))).toEqual(['config.yaml']);
  });

  it('refuses to create users (policy: technicians cannot)', () => {
    const answers = path.join(tmp, 'users.yaml');
    fs.writeFileSync(
      answers,
      stringify({ unitId: 'car-1', agency: 'x', users: [{ name: 'tech2', role: 'admin' }] }),
    );
    const r = cli(['provision', '--config', path.join(tmp, 'c.yaml'), '--answers', answers]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/provisioning cannot create users or grant roles \(policy VI\.A\)/);
    expect(fs.existsSync(path.join(tmp, 'c.yaml'))).toBe(false);
  });

  it('asks interactively, offering the cameras it discovered', () => {
    const fake = path.join(tmp, 'fakeroot');
    fs.mkdirSync(path.join(fake, 'sys/class/video4linux/video0'), { recursive: true });
    fs.writeFileSync(path.join(fake, 'sys/class/video4linux/video0/name'), 'HD Pro Webcam C920\n');
    fs.writeFileSync(path.join(fake, 'sys/class/video4linux/video0/index'), '0\n');
    fs.mkdirSync(path.join(fake, 'dev/v4l/by-id'), { recursive: true });
    fs.writeFileSync(path.join(fake, 'dev/video0'), '');
    fs.symlinkSync('../../video0', path.join(fake, 'dev/v4l/by-id/usb-C920-video-index0'));
    const cfg = path.join(tmp, 'i', 'config.yaml');
    const input =
      [
        'car-7',
        'nyspd',
        'ny',
        '',
        '1',
        'front',
        'front',
        '1920x1080',
        'rtsp://127.0.0.1:8554/rear',
        'rear',
        'rear',
        // Nothing serves this stream: its size cannot be asked, so it is asked of the technician.
        '1280x720',
        '',
        'gpsd',
      ].join('\n') + '\n';
    const r = cli(['provision', '--config', cfg, '--interactive', '--discovery-root', fake], input);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('1. USB HD Pro Webcam C920 (/dev/v4l/by-id/usb-C920-video-index0)');
    // The USB camera (a fake one, no device to ask) is not offered a guessed size.
    expect(r.stdout).toMatch(
      /position \(front, rear, left, right\) \[front\]: +cannot ask the camera its frame size \(no such device\)\n\s+resolution WIDTHxHEIGHT: /,
    );
    expect(r.stdout).not.toContain('[1280x720]');
    expect(r.stdout).toMatch(/cannot ask the stream its frame size \(.*\)\n\s+resolution WIDTHxHEIGHT: /);
    const c = parseYaml(fs.readFileSync(cfg, 'utf8'));
    expect(c).toMatchObject({ unitId: 'car-7', homeState: 'NY', gps: { source: 'gpsd' } });
    expect(c.cameras).toMatchObject([
      {
        kind: 'v4l2',
        device: '/dev/v4l/by-id/usb-C920-video-index0',
        id: 'front',
        position: 'front',
        width: 1920,
        height: 1080,
      },
      {
        kind: 'rtsp',
        url: 'rtsp://127.0.0.1:8554/rear',
        id: 'rear',
        position: 'rear',
        width: 1280,
        height: 720,
      },
    ]);
  });

  it("offers an RTSP stream's own frame size when asking interactively, and writes it when taken", async () => {
    const port = await freePort();
    const server = spawn(
      '/usr/bin/python3',
      [path.join(import.meta.dirname, 'fixtures/rtsp-server.py'), String(port), '640', '480', '10'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    children.push(server);
    let out = '';
    server.stdout!.on('data', (d) => (out += String(d)));
    await waitFor(() => out.includes('READY'), 10_000, 'RTSP server');
    const url = `rtsp://127.0.0.1:${port}/cam`;
    const cfg = path.join(tmp, 'i-rtsp', 'config.yaml');
    // No cameras discovered (an empty root): one RTSP camera, its size taken as offered (Enter).
    const fake = path.join(tmp, 'emptyroot');
    fs.mkdirSync(fake, { recursive: true });
    const input = ['car-8', 'nyspd', 'ny', '', '', url, 'rear', 'rear', '', '', 'gpsd'].join('\n') + '\n';
    // Asynchronously: the RTSP server, a child of this process, must answer the probe meanwhile.
    const r = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const c = spawnChild(
        process.execPath,
        [bin, 'provision', '--config', cfg, '--interactive', '--discovery-root', fake],
        { stdio: ['pipe', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let stderr = '';
      c.stdout!.on('data', (d) => (stdout += String(d)));
      c.stderr!.on('data', (d) => (stderr += String(d)));
      c.on('close', (status) => resolve({ status, stdout, stderr }));
      c.stdin!.end(input);
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    // The stream's size is the answer offered, not a guess.
    expect(r.stdout).toMatch(/resolution WIDTHxHEIGHT \[640x480\]/);
    expect(r.stdout).not.toContain('cannot ask the stream');
    const c = parseYaml(fs.readFileSync(cfg, 'utf8'));
    expect(c.cameras).toEqual([
      expect.objectContaining({ kind: 'rtsp', url, id: 'rear', position: 'rear', width: 640, height: 480 }),
    ]);
  }, 60_000);
});

interface Check {
  check: string;
  status: string;
  detail: string;
  fix?: string;
}

/** Import a one-entry hotlist generated at `generatedAt` into a data directory's database. */
async function importList(dataDir: string, generatedAt: number): Promise<void> {
  const db = openDatabase(path.join(dataDir, 'lpr-edge.db'), allMigrations);
  try {
    const file = path.join(dataDir, 'stolen.csv');
    fs.writeFileSync(file, 'plate,state,list_type\nABC1234,NY,stolen-vehicle\n');
    await importHotlist(new HotlistStore(db, new Equivalence([])), {
      file,
      generatedAt,
      actor: 'test',
      audit: { append: () => undefined },
    });
  } finally {
    db.close();
  }
}

describe('lpr-edge selftest', () => {
  it('fails when a hotlist is older than hotlists.maxAgeHours (policy IV.C.1)', async () => {
    const file = writeConfig('st-old', { hotlists: { maxAgeHours: 24 } });
    await importList(path.join(tmp, 'st-old/data'), Date.now() - 50 * 3_600_000);
    const r = await cliAsync(['selftest', '--json', '--config', file, '--min-free-mb', '1']);
    expect(r.status).toBe(1);
    const h = (JSON.parse(r.stdout) as Check[]).find((c) => c.check === 'hotlists')!;
    expect(h).toMatchObject({ status: 'fail' });
    expect(h.detail).toMatch(/older than 24 h: stolen 50\.0 h/);
    expect(h.fix).toMatch(/connect to headquarters/);
  });

  function writeConfig(name: string, extra: Record<string, unknown>): string {
    const dir = path.join(tmp, name);
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'config.yaml');
    const base = parseYaml(
      cli(['provision', '--config', file, '--unit-id', 'car-1', '--agency', 'a', '--no-cameras', '--print'])
        .stdout,
    );
    fs.writeFileSync(file, stringify({ ...base, dataDir: path.join(dir, 'data'), ...extra }));
    return file;
  }

  it('fails a broken config with the key named', () => {
    const file = path.join(tmp, 'broken.yaml');
    fs.writeFileSync(file, 'unitId: car-1\nagency: a\ndataDir: /tmp\ncameras: [{id: x, kind: usb}]\n');
    const r = cli(['selftest', '--json', '--config', file]);
    expect(r.status).toBe(1);
    const checks = JSON.parse(r.stdout) as Check[];
    expect(checks[0]).toMatchObject({ check: 'config', status: 'fail' });
    expect(checks[0]!.detail).toMatch(/cameras\[0\]\.kind/);
  });

  it('passes with a live camera and gpsd, then fails on each broken component with its fix', async () => {
    const rtspPort = await freePort();
    const gpsPort = await freePort();
    const server = spawn(
      '/usr/bin/python3',
      [path.join(import.meta.dirname, 'fixtures/rtsp-server.py'), String(rtspPort), '160', '120', '10'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    children.push(server);
    let out = '';
    server.stdout!.on('data', (d) => (out += String(d)));
    await waitFor(() => out.includes('READY'), 10_000, 'RTSP server');
    // gpsfake replays a drive whose timestamps are now, so the clock check can compare: one burst
    // (6 sentences) a second, as a receiver sends it, so GPS time keeps pace with the clock (at a
    // faster pace it runs ahead, and the clock check fails once the run takes a few seconds longer).
    const log = path.join(tmp, 'now.nmea');
    fs.writeFileSync(log, nmeaLog(straightDrive(Math.floor(Date.now() / 1000) * 1000 + 2000, 60)));
    const fake = spawn('gpsfake', ['-P', String(gpsPort), '-n', '-c', '0.166', '-q', log], {
      stdio: 'ignore',
    });
    children.push(fake);

    const good = writeConfig('st-good', {
      cameras: [
        {
          kind: 'rtsp',
          id: 'rear',
          url: `rtsp://127.0.0.1:${rtspPort}/cam`,
          width: 160,
          height: 120,
          fps: 10,
        },
      ],
      gps: { source: 'gpsd', port: gpsPort },
    });
    await importList(path.join(tmp, 'st-good/data'), Date.now() - 3_600_000);
    const r = await cliAsync([
      'selftest',
      '--json',
      '--config',
      good,
      '--camera-seconds',
      '2',
      '--gps-seconds',
      '15',
      '--min-free-mb',
      '1',
    ]);
    const checks = JSON.parse(r.stdout) as Check[];
    const by = (n: string) => checks.find((c) => c.check === n)!;
    expect(by('camera rear'), JSON.stringify(checks)).toMatchObject({ status: 'pass' });
    expect(by('camera rear').detail).toMatch(/frames\/s \(configured 10\)/);
    expect(by('gps')).toMatchObject({ status: 'pass' });
    expect(by('gps').detail).toMatch(/3D fix 42\.65/);
    expect(by('disk').status).toBe('pass');
    expect(by('database')).toMatchObject({ status: 'pass' });
    expect(by('clock').status, by('clock').detail).toBe('pass');
    expect(by('hotlists')).toMatchObject({ status: 'pass' });
    expect(by('hotlists').detail).toMatch(/^stolen 1\.\d h$/);

    // Now break things: a camera nobody serves, gpsd gone, a corrupt database, a full disk, a missing model.
    await killChild(fake);
    const dead = await freePort();
    const bad = writeConfig('st-bad', {
      cameras: [
        { kind: 'rtsp', id: 'left', url: `rtsp://127.0.0.1:${dead}/cam`, width: 160, height: 120, fps: 10 },
      ],
      gps: { source: 'gpsd', port: gpsPort },
    });
    const cfg = parseYaml(fs.readFileSync(bad, 'utf8'));
    cfg.vision.recogniser.model = path.join(tmp, 'missing.onnx');
    fs.writeFileSync(bad, stringify(cfg));
    fs.mkdirSync(path.join(tmp, 'st-bad/data'), { recursive: true });
    fs.writeFileSync(path.join(tmp, 'st-bad/data/lpr-edge.db'), Buffer.alloc(8192, 0x5a));
    const b = await cliAsync([
      'selftest',
      '--json',
      '--config',
      bad,
      '--camera-seconds',
      '1',
      '--gps-seconds',
      '1',
      '--min-free-mb',
      '999999999',
    ]);
    expect(b.status).toBe(1);
    const bc = JSON.parse(b.stdout) as Check[];
    const bb = (n: string) => bc.find((c) => c.check === n)!;
    expect(bb('camera left')).toMatchObject({ status: 'fail' });
    expect(bb('camera left').detail).toMatch(/no frames: .*Connection refused/);
    expect(bb('camera left').fix).toMatch(/URL and credentials/);
    expect(bb('gps')).toMatchObject({ status: 'fail' });
    expect(bb('gps').detail).toMatch(/cannot reach gpsd at 127\.0\.0\.1/);
    expect(bb('gps').fix).toMatch(/start gpsd/);
    expect(bb('models')).toMatchObject({ status: 'fail' });
    expect(bb('models').detail).toContain('missing.onnx is missing');
    expect(bb('disk')).toMatchObject({ status: 'fail' });
    expect(bb('disk').detail).toMatch(/need 999999999 MB/);
    expect(bb('database')).toMatchObject({ status: 'fail' });
    expect(bb('database').fix).toMatch(/do not delete unsent reads/);
    // The human-readable table says the same.
    const t = await cliAsync(['selftest', '--config', bad, '--camera-seconds', '1', '--gps-seconds', '1']);
    expect(t.stdout).toMatch(/camera left\s+FAIL/);
    expect(t.stdout).toMatch(/check\(s\) failed/);
  });
});
