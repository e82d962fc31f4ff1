import { describe, it, expect, afterEach } from 'vitest';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { stringify } from 'yaml';
import { embeddedDefaults } from '../src/config/defaults.js';
import { freePort, waitFor, killChild, spawn } from './helpers/proc.js';
import { tempDir } from './helpers/tmp.js';

const root = path.resolve(import.meta.dirname, '..');
const dir = tempDir('daemon-lifecycle-');
const children: ChildProcess[] = [];
const servers: net.Server[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) await killChild(c);
  for (const s of servers.splice(0)) s.close();
});

/** `lpr-edge run` as systemd runs it, with GPS from a gpsd that is not there (it keeps retrying). */
async function run(name: string, extra: Record<string, unknown>) {
  const cfgFile = path.join(dir, `${name}.yaml`);
  fs.writeFileSync(
    cfgFile,
    stringify({
      unitId: 'car-3',
      agency: 'nyspd',
      dataDir: path.join(dir, name),
      vision: embeddedDefaults().vision,
      gps: { source: 'gpsd', port: await freePort() },
      console: { port: await freePort() },
      health: { port: await freePort() },
      log: { level: 'info' },
      ...extra,
    }),
  );
  const child = spawn(process.execPath, [path.join(root, 'bin/lpr-edge.js'), 'run', '--config', cfgFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += String(d)));
  child.stderr!.on('data', (d) => (err += String(d)));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, exited, out: () => out, err: () => err };
}

describe('lpr-edge run: starting and stopping', () => {
  it('exits at once, non-zero, naming the port and its config key, when the health port is taken', async () => {
    const port = await freePort();
    const taken = net.createServer();
    servers.push(taken);
    await new Promise<void>((r) => taken.listen(port, '127.0.0.1', () => r()));
    const d = await run('port-taken', { health: { port } });
    const t0 = Date.now();
    const code = await Promise.race([
      d.exited,
      new Promise((r) => setTimeout(() => r('still running'), 60_000)),
    ]);
    expect(code).toBe(1);
    expect(Date.now() - t0).toBeLessThan(60_000);
    expect(d.err()).toBe(
      `lpr-edge: health port 127.0.0.1:${port} is already in use (config key health.port)\n`,
    );
  }, 90_000);

  it('does not wait for ever on a sync file that is a named pipe: it reads plates without sync and says why', async () => {
    const fifo = path.join(dir, 'password.fifo');
    spawnSync('mkfifo', [fifo]);
    const d = await run('fifo-password', {
      sync: {
        enabled: true,
        brokerUrl: `mqtt://127.0.0.1:${await freePort()}`,
        username: 'car-3',
        passwordFile: fifo,
      },
    });
    // A sync file it cannot use stops sync alone (docs/sync.md), not the reader.
    await waitFor(() => d.out().includes('lpr-edge running'), 60_000, `daemon up: ${d.out()}${d.err()}`);
    const said = d
      .out()
      .split('\n')
      .filter((l) => l.includes('"msg":"sync disabled'))
      .map((l) => (JSON.parse(l) as { problem: string }).problem);
    expect(said).toEqual([
      `sync.passwordFile ${fifo}: a named pipe (FIFO), not a regular file; save what comes down the pipe to a file and give that`,
    ]);
  }, 90_000);

  it('on SIGHUP logs it, stops and exits non-zero so that systemd (Restart=on-failure) starts it again', async () => {
    const d = await run('hup', {});
    await waitFor(() => d.out().includes('lpr-edge running'), 60_000, `daemon up: ${d.out()}${d.err()}`);
    d.child.kill('SIGHUP');
    expect(await d.exited).toBe(75);
    expect(d.out()).toMatch(/SIGHUP: stopping so that systemd restarts/);
    expect(d.out()).toContain('"msg":"stopped"');
    const unit = fs.readFileSync(path.join(root, 'systemd/lpr-edge.service'), 'utf8');
    expect(unit).toMatch(/^Restart=on-failure$/m);
    expect(unit).not.toMatch(/RestartPreventExitStatus=.*75/);
  }, 90_000);

  it('on SIGHUP while still starting (models loading) stops once up, with the same exit status', async () => {
    const d = await run('hup-early', {});
    await waitFor(
      () => d.out().includes('starting lpr-edge'),
      60_000,
      `daemon starting: ${d.out()}${d.err()}`,
    );
    expect(d.out()).not.toContain('lpr-edge running');
    d.child.kill('SIGHUP');
    expect(await d.exited).toBe(75);
    expect(d.out()).toContain('"msg":"stopped"');
  }, 90_000);

  it('refuses a second daemon on the same data directory, naming the first; CLI commands still work', async () => {
    const first = await run('shared', {});
    await waitFor(() => first.out().includes('lpr-edge running'), 60_000, `first daemon up: ${first.err()}`);
    const second = await run('shared', {});
    expect(await second.exited).toBe(2);
    expect(second.err()).toMatch(
      new RegExp(
        `^lpr-edge: data directory .*shared is in use by another lpr-edge daemon \\(pid ${first.child.pid}\\); stop it first`,
      ),
    );
    const status = spawnSync(
      process.execPath,
      [path.join(root, 'bin/lpr-edge.js'), 'hotlist', 'status', '--config', path.join(dir, 'shared.yaml')],
      { encoding: 'utf8' },
    );
    expect(status.status).toBe(0);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(fs.existsSync(path.join(dir, 'shared', 'lpr-edge.lock'))).toBe(false);
  }, 120_000);

  it('stops on SIGTERM well within TimeoutStopSec while a failed camera waits to be retried', async () => {
    const d = await run('retry', {
      cameras: [{ id: 'rear', kind: 'file', path: path.join(dir, 'missing.mp4') }],
    });
    // Retries after 1, 2 and 4 s: the fourth failure waits 8 s before the next try.
    await waitFor(() => d.out().includes('"retryInMs":8000'), 60_000, `8 s retry wait: ${d.out()}`);
    const t0 = Date.now();
    d.child.kill('SIGTERM');
    expect(await d.exited).toBe(0);
    // Well short of the 8 s wait (which began just before t0, as its log line was seen), with room
    // for a loaded machine's slow shutdown.
    expect(Date.now() - t0).toBeLessThan(6000);
  }, 90_000);
});
