import { afterEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { stringify } from 'yaml';
import { embeddedDefaults } from '../src/config/defaults.js';
import { nmeaBurst } from './helpers/nmea-track.js';
import { runCli } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';
import { freePort, killChild, portOpen, ptyPair, spawn, waitFor } from './helpers/proc.js';

/**
 * selftest's clock check measures the unit's clock as the daemon does (src/gps/clock-check.ts):
 * against times the receiver sent, none before 2020, within the config's gps.maxClockOffsetMs.
 * Receivers are NMEA written into a socat pty, read directly (serial) or through a real gpsd.
 */
const dir = tempDir('selftest-clock-');
const children: ChildProcess[] = [];
let timer: NodeJS.Timeout | undefined;
afterEach(async () => {
  clearInterval(timer);
  for (const c of children.splice(0)) await killChild(c);
});

type Check = { check: string; status: string; detail: string; fix?: string };

/** A receiver on a pty sending a burst a second dated `skewMs` from now (or at `fixed` time). */
async function receiver(name: string, opts: { skewMs?: number; fixed?: number; ggaOnly?: boolean }) {
  const rx = path.join(dir, `${name}-rx`);
  const tty = path.join(dir, `${name}-tty`);
  children.push(await ptyPair(rx, tty));
  let i = 0;
  const send = () => {
    const time = opts.fixed !== undefined ? opts.fixed + i * 1000 : Date.now() + (opts.skewMs ?? 0);
    const burst = nmeaBurst({ time, lat: 42.6526 + i++ * 1e-4, lon: -73.7562, speedMps: 10, headingDeg: 0 });
    fs.appendFileSync(rx, (opts.ggaOnly ? burst.slice(0, 1) : burst).join('\r\n') + '\r\n');
  };
  timer = setInterval(send, 1000);
  return tty;
}

/** Run selftest on a unit whose GPS is `gps`; returns its clock check. */
async function clockCheck(name: string, gps: Record<string, unknown>): Promise<Check> {
  const file = path.join(dir, `${name}.yaml`);
  const vision = embeddedDefaults().vision;
  fs.writeFileSync(
    file,
    stringify({
      unitId: 'car-1',
      agency: 'pd',
      dataDir: path.join(dir, `${name}-data`),
      cameras: [],
      gps,
      // Models that are not there: their check fails at once, the clock check is what is looked at.
      vision: { ...vision, detector: { ...vision.detector, model: path.join(dir, 'none.onnx') } },
    }),
  );
  const r = await runCli([
    'selftest',
    '--json',
    '--config',
    file,
    '--gps-seconds',
    '8',
    '--min-free-mb',
    '1',
  ]);
  expect(r.stderr).toBe('');
  return (JSON.parse(r.stdout) as Check[]).find((c) => c.check === 'clock')!;
}

describe('selftest clock check against a live receiver', () => {
  it("uses the config's gps.maxClockOffsetMs and says which way the clock is off", async () => {
    const tty = await receiver('lenient', { skewMs: 9000 });
    const ok = await clockCheck('lenient', { source: 'serial', path: tty, maxClockOffsetMs: 20_000 });
    expect(ok.status, ok.detail).toBe('pass');
    expect(ok.detail).toMatch(/, (8|9|10)\.\d s behind GPS time \(gps\.maxClockOffsetMs 20000 ms\)$/);
    clearInterval(timer);
    const tty2 = await receiver('strict', { skewMs: -60_000 });
    const off = await clockCheck('strict', { source: 'serial', path: tty2, maxClockOffsetMs: 5000 });
    expect(off.status).toBe('fail');
    expect(off.detail).toMatch(
      /^system clock is (59|60|61)\.\d s ahead of GPS time \(gps\.maxClockOffsetMs 5000 ms\)/,
    );
    expect(off.fix).toMatch(/enable time sync/);
  }, 120_000);

  it('says the receiver is wrong when it reports a week-rollover date, and does not blame the clock', async () => {
    const tty = await receiver('rollover', { fixed: Date.UTC(2007, 2, 20, 12, 0, 0) });
    const c = await clockCheck('rollover', { source: 'serial', path: tty });
    expect(c.status).toBe('fail');
    expect(c.detail).toMatch(
      /^the GPS receiver's own time is wrong: it says 2007-03-20T12:00:\d\d\.000Z \(GPS week-number rollover\)/,
    );
    expect(c.fix).toMatch(/update the GPS receiver's firmware or replace it/);
    expect(c.fix).not.toMatch(/enable time sync/);
  }, 60_000);

  it('does not compare the clock with itself when gpsd sends fixes without a time', async () => {
    const tty = await receiver('notime', { ggaOnly: true });
    const port = await freePort();
    children.push(
      spawn(
        'gpsd',
        [
          '-N',
          '-n',
          '-b',
          '-S',
          String(port),
          '-P',
          path.join(dir, 'gpsd.pid'),
          '-F',
          path.join(dir, 'gpsd.sock'),
          fs.realpathSync(tty),
        ],
        { stdio: 'ignore' },
      ),
    );
    await waitFor(() => portOpen(port), 10_000, 'gpsd listening');
    const c = await clockCheck('notime', { source: 'gpsd', port });
    expect(c.status).toBe('pass');
    expect(c.detail).toMatch(/\(no GPS time to compare: the receiver sent none\)$/);
    expect(c.detail).not.toMatch(/within/);
  }, 60_000);
});
