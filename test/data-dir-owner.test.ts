import { describe, it, expect, afterAll, afterEach, beforeAll } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { stringify } from 'yaml';
import { embeddedDefaults } from '../src/config/defaults.js';
import { freePort, waitFor, killChild, spawn } from './helpers/proc.js';
import { tempDir } from './helpers/tmp.js';
import { makeRead, openStore, plateCrop } from './helpers/unit.js';
import {
  asServiceUser,
  canActAsServiceUser,
  letServiceUserReach,
  letServiceUserThrough,
  serviceUser,
} from './helpers/service-user.js';

// Root (a technician's sudo) working in the data folder of the service user the daemon runs as:
// what root creates there must stay the daemon's to write (src/store/data-dir-owner.ts), and a
// database the daemon cannot write is one line naming the file and the fix, not a stack trace.
const root = path.resolve(import.meta.dirname, '..');
const bin = path.join(root, 'bin/lpr-edge.js');
const dir = tempDir('lpr-owner-');
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) await killChild(c);
});
// The service user runs the project's own CLI, wherever the clone is.
let closeProject = () => {};
beforeAll(() => {
  if (canActAsServiceUser) closeProject = letServiceUserReach(bin);
});
afterAll(() => closeProject());

/** /var/lib/lpr-edge as install.sh leaves it: the service user's, 0750, empty. */
function serviceUsersDataDir(name: string): string {
  letServiceUserThrough(dir);
  const dataDir = path.join(dir, name);
  fs.mkdirSync(dataDir, { mode: 0o750 });
  fs.chownSync(dataDir, serviceUser.uid, serviceUser.gid);
  return dataDir;
}

/** A unit config the service user can read: no cameras, no GPS, ports of its own. */
async function unitConfig(name: string, dataDir: string): Promise<string> {
  const file = path.join(dir, `${name}.yaml`);
  fs.writeFileSync(
    file,
    stringify({
      unitId: 'car-12',
      agency: 'nyspd',
      dataDir,
      cameras: [],
      vision: embeddedDefaults().vision,
      gps: { source: 'none' },
      console: { port: await freePort() },
      health: { port: await freePort() },
      log: { level: 'info' },
    }),
    { mode: 0o644 },
  );
  return file;
}

/** Each entry below `dataDir` whose owner is not the service user. */
function notServiceUsers(dataDir: string): string[] {
  return (fs.readdirSync(dataDir, { recursive: true }) as string[]).filter((rel) => {
    const st = fs.statSync(path.join(dataDir, rel));
    return st.uid !== serviceUser.uid || st.gid !== serviceUser.gid;
  });
}

describe.skipIf(!canActAsServiceUser)("root in the service user's data folder", () => {
  it('"sudo lpr-edge selftest" on a fresh data folder leaves a database the daemon, as the service user, starts on', async () => {
    const dataDir = serviceUsersDataDir('fresh');
    const config = await unitConfig('fresh', dataDir);
    const selftest = spawn(process.execPath, [bin, 'selftest', '--config', config], { stdio: 'pipe' });
    const done = new Promise<number | null>((r) => selftest.once('exit', r));
    let out = '';
    selftest.stdout!.on('data', (d) => (out += String(d)));
    await done;
    expect(out).toMatch(/database\s+PASS/);
    expect(fs.existsSync(path.join(dataDir, 'lpr-edge.db'))).toBe(true);
    expect(notServiceUsers(dataDir)).toEqual([]);

    // The daemon as systemd starts it (User=): setuid/setgid, no supplementary groups.
    const daemon = spawn(process.execPath, [bin, 'run', '--config', config], {
      uid: serviceUser.uid,
      gid: serviceUser.gid,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(daemon);
    let log = '';
    let err = '';
    daemon.stdout!.on('data', (d) => (log += String(d)));
    daemon.stderr!.on('data', (d) => (err += String(d)));
    const exited = new Promise<number | null>((r) => daemon.once('exit', r));
    await waitFor(() => log.includes('lpr-edge running') || err.includes('lpr-edge: '), 60_000, 'daemon up');
    expect(err).not.toContain('lpr-edge: ');
    daemon.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(err).not.toContain('readonly');
  }, 120_000);

  it('the database, its -wal and -shm, and the image folders and files root creates belong to the folder owner', async () => {
    const dataDir = serviceUsersDataDir('store');
    const { db, reads } = openStore(dataDir);
    try {
      // While root holds it open, as the daemon may start meanwhile: -wal and -shm exist.
      for (const f of ['lpr-edge.db', 'lpr-edge.db-wal', 'lpr-edge.db-shm'])
        expect(fs.existsSync(path.join(dataDir, f)), f).toBe(true);
      const crop = await plateCrop();
      reads.save(makeRead(1), { crop, overview: crop });
      expect(notServiceUsers(dataDir)).toEqual([]);
    } finally {
      db.close();
    }

    // The service user adds a read of the same day to root's folders, and to root's database.
    const script = `
      const { openDatabase } = await import(${JSON.stringify(path.join(root, 'dist/store/database.js'))});
      const { allMigrations } = await import(${JSON.stringify(path.join(root, 'dist/store/all-migrations.js'))});
      const { ReadStore } = await import(${JSON.stringify(path.join(root, 'dist/store/reads.js'))});
      const db = openDatabase(${JSON.stringify(path.join(dataDir, 'lpr-edge.db'))}, allMigrations);
      const read = ${JSON.stringify(makeRead(2))};
      new ReadStore(db, ${JSON.stringify(dataDir)}).save(read, { crop: Buffer.from('jpeg') });
      db.close();
      console.log('saved');`;
    const r = asServiceUser(process.execPath, ['--input-type=module', '-e', script]);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('saved');
  });

  it("leaves root's files root's in a data folder that is root's", () => {
    const dataDir = path.join(dir, 'roots');
    fs.mkdirSync(dataDir);
    openStore(dataDir).db.close();
    expect(fs.statSync(path.join(dataDir, 'lpr-edge.db')).uid).toBe(0);
  });

  it('a database the service user cannot write (left by root before this fix) is one line naming it and the fix, not a stack trace', async () => {
    const dataDir = serviceUsersDataDir('left-by-root');
    const config = await unitConfig('left-by-root', dataDir);
    openStore(dataDir).db.close();
    const file = path.join(dataDir, 'lpr-edge.db');
    fs.chownSync(file, 0, 0);
    for (const command of [['run'], ['audit', 'verify']]) {
      const r = asServiceUser(process.execPath, [bin, ...command, '--config', config]);
      expect(r.stderr, command.join(' ')).toBe(
        `lpr-edge: cannot write the database ${file}: ${file} belongs to root, so user ${serviceUser.name} cannot write it; give the data folder to ${serviceUser.name}: sudo chown -R ${serviceUser.name}: ${dataDir}\n`,
      );
      expect(r.status).toBe(2);
    }
    // selftest, as the service user, fails its database check with that fix (not "call support").
    const selftest = asServiceUser(process.execPath, [bin, 'selftest', '--json', '--config', config]);
    const checks = JSON.parse(selftest.stdout) as {
      check: string;
      status: string;
      detail: string;
      fix?: string;
    }[];
    expect(checks.find((c) => c.check === 'database')).toEqual({
      check: 'database',
      status: 'fail',
      detail: `cannot write the database ${file}: ${file} belongs to root, so user ${serviceUser.name} cannot write it`,
      fix: `give the data folder to ${serviceUser.name}: sudo chown -R ${serviceUser.name}: ${dataDir}`,
    });
  }, 120_000);
});

describe.skipIf(!canActAsServiceUser)('a data folder the service user cannot create', () => {
  const serviceGroup = spawnSync('id', ['-gn', serviceUser.name], { encoding: 'utf8' }).stdout.trim();
  it('selftest fails the database check with the ownership fix for the account it runs as (install.sh --user), not "call support"', () => {
    // /var/lib as root leaves it (0755 root): the service user cannot make lpr-edge in it.
    letServiceUserThrough(dir);
    const parent = path.join(dir, 'var-lib');
    fs.mkdirSync(parent, { mode: 0o755 });
    const dataDir = path.join(parent, 'lpr-edge');
    const file = path.join(dir, 'no-folder.yaml');
    fs.writeFileSync(
      file,
      stringify({
        unitId: 'car-12',
        agency: 'nyspd',
        dataDir,
        cameras: [],
        vision: { detector: { model: 'none.onnx' }, recogniser: { model: 'none.onnx' } },
      }),
      { mode: 0o644 },
    );
    const r = asServiceUser(process.execPath, [
      bin,
      'selftest',
      '--json',
      '--config',
      file,
      '--min-free-mb',
      '1',
    ]);
    const checks = JSON.parse(r.stdout) as { check: string; status: string; detail: string; fix?: string }[];
    expect(checks.find((c) => c.check === 'database')).toEqual({
      check: 'database',
      status: 'fail',
      detail: `cannot create the data directory ${dataDir} (EACCES)`,
      // The service user here is nobody (as install.sh --user nobody would run it), not lpr-edge.
      fix: `create it for the service user (sudo install -d -m 0750 -o ${serviceUser.name} -g ${serviceGroup} ${dataDir}), or point --data-dir (or dataDir in the config) at a folder ${serviceUser.name} can write`,
    });
  }, 120_000);
});

describe.skipIf(!canActAsServiceUser)('a data folder the service user cannot write in', () => {
  it('names the account the command runs as (install.sh --user), not "lpr-edge", in the fix', async () => {
    // The folder is there but root's, 0755: the service user may look in it but not create the
    // database, so SQLite cannot open it.
    letServiceUserThrough(dir);
    const dataDir = path.join(dir, 'roots-folder');
    fs.mkdirSync(dataDir, { mode: 0o755 });
    const config = await unitConfig('roots-folder', dataDir);
    const file = path.join(dataDir, 'lpr-edge.db');
    const r = asServiceUser(process.execPath, [bin, 'audit', 'verify', '--config', config]);
    expect(r.stderr).toBe(
      `lpr-edge: cannot open the database ${file} (unable to open database file); point --data-dir (or dataDir in the config) at a folder ${serviceUser.name} can write\n`,
    );
    expect(r.status).toBe(2);
  }, 120_000);
});
