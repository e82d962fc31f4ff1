import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { embeddedDefaults } from '../src/config/defaults.js';
import { runCli } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';

// A `file` camera (a recorded video as input) whose file is not there: the daemon fails that
// camera, so selftest must not wave it through as "skip" before the car leaves the garage.
const dir = tempDir('selftest-recording-');

async function cameraCheck(recording: string) {
  const config = path.join(dir, `${path.basename(recording)}.yaml`);
  fs.writeFileSync(
    config,
    stringify({
      unitId: 'car-1',
      agency: 'pd',
      dataDir: path.join(dir, 'data'),
      cameras: [{ kind: 'file', id: 'rec', path: recording }],
      vision: embeddedDefaults().vision,
    }),
  );
  const r = await runCli(['selftest', '--json', '--gps-seconds', '0', '--config', config]);
  const checks = JSON.parse(r.stdout) as { check: string }[];
  return { check: checks.find((c) => c.check === 'camera rec'), code: r.code };
}

describe('selftest on a recording camera', () => {
  it('fails a recording that is missing, naming the file and the fix', async () => {
    const recording = path.join(dir, 'drive.mp4');
    const { check, code } = await cameraCheck(recording);
    expect(check).toEqual({
      check: 'camera rec',
      status: 'fail',
      detail: `recording ${recording}: no such file`,
      fix: `put the recording at ${recording}, or set cameras[0].path in the config to where it is ("lpr-edge provision")`,
    });
    expect(code).not.toBe(0);
  });

  it('fails a recording that cannot be read as one (a folder), as the daemon would', async () => {
    const recording = path.join(dir, 'a-folder.mp4');
    fs.mkdirSync(recording);
    const { check } = await cameraCheck(recording);
    expect(check).toMatchObject({
      status: 'fail',
      detail: `recording ${recording}: a folder, not a file; give a file`,
    });
  });
});
