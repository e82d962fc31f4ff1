import { afterEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import Database from 'better-sqlite3';
import { stringify } from 'yaml';
import { embeddedDefaults } from '../src/config/defaults.js';
import { jsonLines, ROOT, runCli } from './helpers/cli.js';
import { freePort, killChild, spawn, waitFor } from './helpers/proc.js';
import { tempDir } from './helpers/tmp.js';
import { makeTestVideo, NY_SEDAN, renderShortDrive } from './helpers/video.js';

/**
 * An engineer's replay on a unit's own data directory (the field test of docs/in-car.md): the
 * reads go where the daemon puts them, but the replay's --hotlist and its hits are no part of the
 * unit, and a replay never runs beside the daemon.
 */
const dir = tempDir('replay-unit-data-');
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) await killChild(c);
});

const ADMIN_PW = 'admin secret 1';
const OFFICER_PW = 'officer secret 2';

/** A unit's config file: its data directory on disk, the console on a free port, no cameras. */
async function unit(name: string) {
  const config = path.join(dir, `${name}.yaml`);
  const dataDir = path.join(dir, name);
  const consolePort = await freePort();
  fs.writeFileSync(
    config,
    stringify({
      unitId: 'car-7',
      agency: 'nyspd',
      dataDir,
      vision: embeddedDefaults().vision,
      cameras: [],
      gps: { source: 'gpsd', port: await freePort() },
      console: { port: consolePort },
      health: { port: await freePort() },
      policy: { passwordCostLog2: 14 },
      log: { level: 'info' },
    }),
  );
  return { config, dataDir, consolePort, lock: path.join(dataDir, 'lpr-edge.lock') };
}

/** SQLite files anywhere under `folder` (a database, its WAL or shared-memory file). */
function databasesIn(folder: string): string[] {
  return fs
    .readdirSync(folder, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.db(-wal|-shm)?$/.test(f));
}

/** The lock file's content ("<pid> <boot id> <holder> <start time>"), or "" while there is none. */
function lockText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** `lpr-edge run` on the unit, as systemd starts it. */
function startDaemon(config: string) {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/lpr-edge.js'), 'run', '--config', config], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += String(d)));
  child.stderr!.on('data', (d) => (err += String(d)));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const running = () =>
    waitFor(() => out.includes('lpr-edge running'), 90_000, `daemon up: ${out}${err}`).then(() => {});
  return { child, exited, running, err: () => err };
}

/** What the officer's console shows an officer who signs in (its JSON API, as the page reads it). */
async function consoleState(port: number): Promise<Record<string, unknown>> {
  const base = `http://127.0.0.1:${port}`;
  const signIn = await fetch(`${base}/api/signin`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'ofc.diaz', secret: OFFICER_PW }),
  });
  expect(signIn.status, await signIn.clone().text()).toBe(200);
  const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
  const state = await fetch(`${base}/api/state`, { headers: { cookie } });
  expect(state.status).toBe(200);
  return (await state.json()) as Record<string, unknown>;
}

describe('lpr-edge replay on a unit’s data directory', () => {
  it('stores the reads but leaves no trace of its --hotlist: no list in hotlist status, no hit on the console', async () => {
    const u = await unit('car');
    const env = { LPR_EDGE_PASSWORD: ADMIN_PW, LPR_EDGE_NEW_PASSWORD: ADMIN_PW };
    const admin = await runCli(
      ['users', 'bootstrap-admin', 'admin.ray', '--trained', '2026-01-05', '--config', u.config],
      { env },
    );
    expect(admin.code, admin.stderr).toBe(0);
    const officer = await runCli(
      [
        ...['users', 'add', 'ofc.diaz', '--role', 'officer', '--trained', '2026-02-01'],
        ...['--as', 'admin.ray', '--config', u.config],
      ],
      { env: { ...env, LPR_EDGE_NEW_PASSWORD: OFFICER_PW } },
    );
    expect(officer.code, officer.stderr).toBe(0);

    const video = path.join(dir, 'drive.mp4');
    await renderShortDrive(video, [NY_SEDAN]);
    const list = path.join(dir, 'bench-stolen.csv');
    fs.writeFileSync(list, 'plate,state,list_type,reference\nKDT4821,NY,stolen-vehicle,TEST-1\n');
    // The replay's temporary files go here (with other libraries' logs), to be seen cleaned up.
    const tmp = path.join(dir, 'tmp');
    fs.mkdirSync(tmp);
    const r = await runCli(
      ['replay', video, '--every-frame', '--json', '--hotlist', list, '--config', u.config],
      { timeoutMs: 180_000, env: { TMPDIR: tmp } },
    );
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    // The replay itself still matches and reports the hit, as the daemon would raise it.
    expect(jsonLines(r.stdout).map((read) => read.plate)).toEqual(['KDT4821']);
    expect(r.stderr).toContain('hotlist bench-stolen: 1 entries');
    const summary = jsonLines(r.stderr).find((l) => 'summary' in l)!;
    expect(summary).toMatchObject({ reads: 1, hits: 1 });

    // The read is the unit's, stored as the daemon stores it; the list and the hit are not.
    const db = new Database(path.join(u.dataDir, 'lpr-edge.db'), { readonly: true });
    try {
      expect(db.prepare('SELECT plate FROM reads').pluck().all()).toEqual(['KDT4821']);
      expect(db.prepare('SELECT COUNT(*) FROM hits').pluck().get()).toBe(0);
    } finally {
      db.close();
    }
    const status = await runCli(['hotlist', 'status', '--json', '--config', u.config]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).not.toContain('bench-stolen');
    // Nor is anything of the list left elsewhere.
    expect(databasesIn(tmp)).toEqual([]);
    expect(fs.readdirSync(u.dataDir).filter((f) => /hotlist|replay/.test(f))).toEqual([]);
    // A list refused halfway through (a bad row) leaves nothing either, and the directory unlocked.
    const bad = path.join(dir, 'bad.csv');
    fs.writeFileSync(bad, 'plate,state,list_type\nKDT4821,NY,stolen-vehicle\nHZN5177,NJ,stolen-bicycle\n');
    // --again: the same recording, replayed above, would be refused as a repeat before its list is read.
    const refused = await runCli(['replay', video, '--again', '--hotlist', bad, '--config', u.config], {
      env: { TMPDIR: tmp },
    });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/bad\.csv: 1 bad row; nothing imported/);
    expect(databasesIn(tmp)).toEqual([]);
    expect(fs.existsSync(u.lock)).toBe(false);

    // The officer who starts the shift on this unit is shown no alert from the engineer's test.
    const daemon = startDaemon(u.config);
    await daemon.running();
    const state = await consoleState(u.consolePort);
    expect(state.current).toBeNull();
    expect(state.queue).toEqual([]);
    // Nor later as a missed alert (an unanswered hit expires onto the console as missed).
    expect(state.missed).toMatchObject({ total: 0, expiredEver: 0, hits: [] });
    expect(JSON.stringify(state.lists)).not.toContain('bench-stolen');
  }, 360_000);

  it('holds the data-directory lock: refused beside a running daemon, and a daemon refused while it runs', async () => {
    const u = await unit('shared');
    // 12 s of test pattern at real time: the replay holds the directory long enough to be met.
    const video = path.join(dir, 'pattern.mp4');
    makeTestVideo(video, { frames: 120, fps: 10 });

    const daemon = startDaemon(u.config);
    await daemon.running();
    const beside = await runCli(['replay', video, '--config', u.config]);
    expect(beside.code).toBe(2);
    expect(beside.stdout).toBe('');
    expect(beside.stderr).toMatch(
      new RegExp(
        `^lpr-edge: data directory .*shared is in use by another lpr-edge daemon \\(pid ${daemon.child.pid}\\); stop it first, or replay into another --data-dir\\n$`,
      ),
    );
    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);

    const replay = spawn(
      process.execPath,
      [path.join(ROOT, 'bin/lpr-edge.js'), 'replay', video, '--config', u.config],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(replay);
    let replayErr = '';
    replay.stderr!.on('data', (d) => (replayErr += String(d)));
    const replayExited = new Promise<number | null>((r) => replay.once('exit', (code) => r(code)));
    await waitFor(
      () => lockText(u.lock).startsWith(`${replay.pid} `),
      60_000,
      `the replay's lock: ${replayErr}`,
    );
    const during = startDaemon(u.config);
    expect(await during.exited).toBe(2);
    expect(during.err()).toMatch(
      new RegExp(
        `^lpr-edge: data directory .*shared is in use by an lpr-edge replay \\(pid ${replay.pid}\\); wait for it to finish or stop it\\n$`,
      ),
    );
    expect(await replayExited, replayErr).toBe(0);
    // Released at the end.
    expect(fs.existsSync(u.lock)).toBe(false);

    // Released on a failure too (the recording is found missing only after the lock is taken).
    const missing = await runCli(['replay', path.join(dir, 'missing.mp4'), '--config', u.config]);
    expect(missing.stderr.trim()).toBe(`lpr-edge: ${path.join(dir, 'missing.mp4')}: no such file`);
    expect(fs.existsSync(u.lock)).toBe(false);
  }, 360_000);
});
