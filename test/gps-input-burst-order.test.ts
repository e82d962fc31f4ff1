import { afterEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { GpsFix } from '../src/store/types.js';
import { NmeaFixBuilder } from '../src/gps/nmea.js';
import { SerialNmeaSource } from '../src/gps/serial.js';
import { silentLogger } from '../src/log.js';
import { killChild, ptyPair, waitFor } from './helpers/proc.js';
import { tempDir } from './helpers/tmp.js';

// A receiver sends RMC (speed, heading) and GGA (satellites, altitude) once a second, in an order
// of its own: SiRF chips send GGA first. The fix was emitted on GGA with the previous second's
// speed and heading, and that second's RMC dropped as a duplicate, so every read carried a speed
// and heading a second old. Two seconds of a drive, the car speeding up and turning between them.
const T0 = Date.UTC(2026, 11, 2, 12, 0, 0);
const GGA = [
  '$GPGGA,120000.00,4239.1560,N,07345.3720,W,1,08,0.9,85.0,M,-34.0,M,,*66',
  '$GPGGA,120001.00,4239.1620,N,07345.3720,W,1,05,1.8,86.0,M,-34.0,M,,*6E',
];
const RMC = [
  '$GPRMC,120000.00,A,4239.1560,N,07345.3720,W,10.0,90.0,021226,,,A*4F',
  '$GPRMC,120001.00,A,4239.1620,N,07345.3720,W,20.0,180.0,021226,,,A*7A',
];
/** What each second's fix must carry: that second's RMC and GGA. */
const SECONDS = [
  { time: T0, speedMps: expect.closeTo(5.144, 3), headingDeg: 90, satellites: 8, altM: 85 },
  { time: T0 + 1000, speedMps: expect.closeTo(10.289, 3), headingDeg: 180, satellites: 5, altM: 86 },
];
const lines = (burst: string[]) => burst.join('\r\n') + '\r\n';

describe('a fix carries its own second’s RMC and GGA, whatever their order in the burst', () => {
  for (const order of ['GGA first (SiRF)', 'RMC first'] as const) {
    it(`${order}: one fix per burst, as soon as the burst has both`, () => {
      const b = new NmeaFixBuilder();
      for (const s of [0, 1]) {
        const burst = order === 'RMC first' ? [RMC[s]!, GGA[s]!] : [GGA[s]!, RMC[s]!];
        // The first RMC is not known to have a GGA after it (a receiver may send none): its fix
        // comes at once, without satellites or altitude.
        const { time, speedMps, headingDeg } = SECONDS[s]!;
        const want = order === 'RMC first' && s === 0 ? { time, speedMps, headingDeg } : SECONDS[s];
        // Emitted within its own burst, not a second later, and once.
        expect(b.feed(lines(burst))).toEqual([expect.objectContaining(want)]);
      }
      expect(b.rejected).toBe(0);
    });
  }
});

const dir = tempDir('gps-burst-');
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) await killChild(c);
});

describe('a SiRF-order receiver through a socat pty pair', () => {
  it("gives the unit each second's speed and heading, not the second before's", async () => {
    const receiver = path.join(dir, 'receiver');
    const tty = path.join(dir, 'ttyGPS');
    children.push(await ptyPair(receiver, tty));
    const gps = new SerialNmeaSource({ path: tty, baud: 9600, maxFixAgeMs: 3000, log: silentLogger() });
    const fixes: GpsFix[] = [];
    gps.onFix((f) => fixes.push(f));
    await gps.start();
    try {
      await waitFor(() => gps.health().connected, 5000, 'port open');
      await fs.promises.appendFile(receiver, lines([GGA[0]!, RMC[0]!, GGA[1]!, RMC[1]!]));
      await waitFor(() => fixes.some((f) => f.time === T0 + 1000), 5000, 'the second fix');
      expect(fixes).toEqual(SECONDS.map((s) => expect.objectContaining(s)));
      // What a read at that moment is tagged with.
      expect(gps.fixAt(Date.now())?.fix).toMatchObject(SECONDS[1]!);
    } finally {
      await gps.stop();
    }
  });
});
