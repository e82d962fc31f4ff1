import { spawn } from 'node:child_process';
import path from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEMO_VEHICLES } from '../src/demo/scene.js';
import { ROOT, runCli } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';
import { renderShortDrive } from './helpers/video.js';

// Ctrl-C during `lpr-edge replay`: the replay stops where it is, keeps what it read, says it was
// interrupted, and exits 130 (128 + SIGINT), so a script running it does not take a cut-short
// field test for a finished one.
const dir = tempDir();

/** The real CLI replaying `video` in real time; `signal` once its first read is printed. */
function replayInterrupted(video: string, dataDir: string, signal: NodeJS.Signals = 'SIGINT') {
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>(
    (resolve, reject) => {
      const child = spawn(
        process.execPath,
        [path.join(ROOT, 'bin', 'lpr-edge.js'), 'replay', video, '--json', '--data-dir', dataDir],
        { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let stderr = '';
      let sent = false;
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (!sent && stdout.includes('\n')) {
          sent = true;
          child.kill(signal);
        }
      });
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
      child.once('error', reject);
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout, stderr });
      });
    },
  );
}

const video = path.join(dir, 'drive.mp4');

describe('Ctrl-C during a replay', () => {
  beforeAll(async () => {
    // Six vehicles in real time: about 17 s, the first read printed about 3 s in.
    await renderShortDrive(video, [
      ...DEMO_VEHICLES,
      { plate: 'LMP2048', stateName: 'NEW YORK', bodyColour: '#4a6b3a' },
      { plate: 'RTV6613', stateName: 'NEW JERSEY', bodyColour: '#6b4a3a' },
      { plate: 'WQC7350', stateName: 'VERMONT', bodyColour: '#3a4a6b' },
    ]);
  }, 120_000);

  it('stops there, keeps the reads so far, says it was interrupted, and exits 130', async () => {
    const dataDir = path.join(dir, 'data');
    const r = await replayInterrupted(video, dataDir);
    expect(r.signal).toBeNull();
    const printed = r.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { id: string; plate: string });
    expect(printed.length).toBeGreaterThanOrEqual(1);
    expect(printed.length).toBeLessThan(6);

    const lines = r.stderr.trim().split('\n');
    const summary = JSON.parse(lines.at(-2)!) as { frames: number; reads: number; interrupted: string };
    expect(summary.interrupted).toBe(`by SIGINT after ${summary.frames} frames`);
    expect(summary.reads).toBe(printed.length);
    expect(lines.at(-1)).toBe(
      `lpr-edge: replay: interrupted (SIGINT) after ${summary.frames} frames; the ${printed.length} read(s) of those frames are stored`,
    );
    expect(r.code).toBe(130);

    // The reads printed are stored.
    const db = new Database(path.join(dataDir, 'lpr-edge.db'), { readonly: true });
    const stored = (db.prepare('SELECT id FROM reads ORDER BY seq').all() as { id: string }[]).map(
      (x) => x.id,
    );
    db.close();
    expect(stored).toEqual(printed.map((p) => p.id));
  }, 240_000);

  it('stopped by SIGTERM (kill, systemctl stop) the same way, exits 143', async () => {
    const r = await replayInterrupted(video, path.join(dir, 'data-term'), 'SIGTERM');
    expect(r.signal).toBeNull();
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(
      /^lpr-edge: replay: interrupted \(SIGTERM\) after \d+ frames; the \d+ read\(s\) of those frames are stored$/,
    );
    expect(r.code).toBe(143);
  }, 240_000);

  it('is exit code 130, as "replay --help" says', async () => {
    const r = await runCli(['replay', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /\n {2}130 {2}interrupted \(Ctrl-C, SIGINT\): before the recording started, nothing replayed; during\s+it, the replay stops there, the reads so far stored/,
    );
  });
});
