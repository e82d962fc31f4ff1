import { afterEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { SerialNmeaSource } from '../src/gps/serial.js';
import { Backoff } from '../src/capture/backoff.js';
import { silentLogger } from '../src/log.js';
import { nmeaBurst, straightDrive } from './helpers/nmea-track.js';
import { killChild, ptyPair, waitFor } from './helpers/proc.js';
import { tempDir } from './helpers/tmp.js';

// A USB receiver unplugged mid-sentence and plugged back in: the half line it left was joined to
// its first sentence after the port reopened, and that sentence was rejected, putting a misleading
// "NMEA sentence(s) rejected" in health (and selftest) for a receiver with nothing wrong with it.
const dir = tempDir('gps-replug-');
const T0 = Date.UTC(2026, 11, 2, 12, 0, 0);
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) await killChild(c);
});

describe('a serial receiver unplugged mid-sentence and plugged back in (socat pty pair)', () => {
  it('reads its first sentence after the port reopens, rejecting nothing', async () => {
    const receiver = path.join(dir, 'receiver');
    const tty = path.join(dir, 'ttyGPS');
    let pair = await ptyPair(receiver, tty);
    children.push(pair);
    const gps = new SerialNmeaSource({
      path: tty,
      baud: 9600,
      maxFixAgeMs: 3000,
      log: silentLogger(),
      backoff: new Backoff(100, 400),
    });
    await gps.start();
    const [first, second] = straightDrive(T0, 2).map((p) => nmeaBurst(p));
    try {
      await waitFor(() => gps.health().connected, 5000, 'port open');
      // A burst, then the first half of the next one's GGA: the cable is pulled as it is sent.
      const half = second![0]!.slice(0, 30);
      await fs.promises.appendFile(receiver, first!.join('\r\n') + '\r\n' + half);
      await waitFor(() => gps.fixAt(Date.now())?.fix.time === T0, 5000, 'the first fix');

      await killChild(pair);
      await waitFor(() => !gps.health().connected, 5000, 'port closed');
      pair = await ptyPair(receiver, tty);
      children.push(pair);
      await waitFor(() => gps.health().connected, 10_000, 'port reopened');
      await fs.promises.appendFile(receiver, second!.join('\r\n') + '\r\n');

      await waitFor(
        () => gps.fixAt(Date.now()) || gps.health().rejectedSentences > 0,
        5000,
        'a fix or a rejected sentence after the replug',
      );
      expect(gps.health()).toMatchObject({ rejectedSentences: 0, lastError: null });
      expect(gps.fixAt(Date.now())?.fix).toMatchObject({ time: T0 + 1000, satellites: 9 });
    } finally {
      await gps.stop();
    }
  });
});
