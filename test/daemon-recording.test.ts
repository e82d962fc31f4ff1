import { afterAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { Daemon } from '../src/daemon.js';
import { NY_SEDAN, renderShortDrive } from './helpers/video.js';
import { embeddedDefaults } from '../src/config/defaults.js';
import { silentLogger } from '../src/log.js';
import { tempDir } from './helpers/tmp.js';
import { freePort, waitFor } from './helpers/proc.js';
import { importCurrentHotlist } from './helpers/hotlist-fixtures.js';

const dir = tempDir('daemon-recording-');
let daemon: Daemon | undefined;
afterAll(async () => {
  await daemon?.stop();
});

describe('the daemon on a recording (field-test replay, the demo)', () => {
  it('reads the drive, then shows the camera as a recording that ended, not as a fault, and GPS and sync as not in use', async () => {
    const video = path.join(dir, 'drive.mp4');
    await renderShortDrive(video, [NY_SEDAN]);
    const healthPort = await freePort();
    const config = path.join(dir, 'config.yaml');
    writeFileSync(
      config,
      stringify({
        unitId: 'car-7',
        agency: 'nyspd',
        dataDir: path.join(dir, 'data'),
        vision: embeddedDefaults().vision,
        // At the recording's own pace, as a camera: a loaded machine drops frames, not the vehicle.
        cameras: [{ id: 'front', kind: 'file', path: video }],
        console: { port: await freePort() },
        health: { port: healthPort },
      }),
    );
    // A unit without a hotlist is degraded (nothing to alert on): this one has the agency's list.
    await importCurrentHotlist(path.join(dir, 'data'));
    daemon = await Daemon.start({ configPath: config, log: silentLogger() });
    // The camera appears once its pipeline has opened the file.
    const front = () => daemon!.consoleStatus().cameras?.[0];
    await waitFor(() => front()?.detail === 'recording ended', 120_000, 'the recording to end');
    expect(front()).toEqual({ id: 'front', ok: true, detail: 'recording ended' });
    expect(daemon.status().reads).toBe(1);
    // /healthz lists the recording too, and a recording that ended leaves the unit healthy.
    const res = await fetch(`http://127.0.0.1:${healthPort}/healthz`);
    const body = (await res.json()) as { cameras: { id: string; state: string }[]; problems: string[] };
    expect({ status: res.status, problems: body.problems }).toEqual({ status: 200, problems: [] });
    expect(body.cameras).toMatchObject([{ id: 'front', kind: 'file', state: 'ended' }]);
    // No GPS receiver or broker in this config: the console says so rather than "unknown".
    expect(daemon.consoleStatus()).toMatchObject({
      gps: { ok: null, detail: 'not configured' },
      sync: { ok: null, detail: 'off (no broker configured)' },
    });
  }, 180_000);
});
