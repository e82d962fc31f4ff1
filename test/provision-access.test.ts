import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { ROOT } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';
import { embeddedDefaults } from '../src/config/defaults.js';
import {
  asServiceUser,
  canActAsServiceUser,
  letServiceUserReach,
  letServiceUserThrough,
  serviceUser,
} from './helpers/service-user.js';

/**
 * `lpr-edge provision` typed without sudo on an installed unit, where /etc/lpr-edge is
 * root:lpr-edge 0750: the technician's own account may not read the config there, or (in the
 * service group) read but not write it. `nobody` stands in for that account.
 */
const bin = path.join(ROOT, 'bin/lpr-edge.js');
const dir = tempDir('lpr-prov-access-');
let closeProject = () => {};
beforeAll(() => {
  if (canActAsServiceUser) closeProject = letServiceUserReach(bin);
  letServiceUserThrough(dir);
});
afterAll(() => closeProject());

/** A provisioned unit's config folder, root's, with group `gid` and mode 0750; the config in it. */
function unitEtc(name: string, gid: number): { file: string; text: string } {
  const etc = path.join(dir, name);
  fs.mkdirSync(etc);
  const file = path.join(etc, 'config.yaml');
  const text = stringify({
    unitId: 'car-12',
    agency: 'nyspd',
    dataDir: path.join(dir, `${name}-data`),
    cameras: [{ id: 'front', kind: 'v4l2', device: 'usb-cam', width: 1280, height: 720, fps: 15 }],
    vision: embeddedDefaults().vision,
  });
  fs.writeFileSync(file, text, { mode: 0o640 });
  fs.chownSync(file, 0, gid);
  fs.chownSync(etc, 0, gid);
  fs.chmodSync(etc, 0o750);
  return { file, text };
}

describe.skipIf(!canActAsServiceUser)('lpr-edge provision without sudo', () => {
  it('a user who may not read the config is told so and how, not to give --unit-id and --agency (the config has them: it was passed over)', () => {
    const { file, text } = unitEtc('closed', 0);
    const r = asServiceUser(process.execPath, [
      bin,
      'provision',
      '--config',
      file,
      '--gps',
      'gpsd',
      '--print',
    ]);
    expect(r.stderr).toBe(
      `lpr-edge: config ${file}: cannot read (EACCES): run provision as root (sudo lpr-edge provision …)\n`,
    );
    expect(r.status).toBe(2);
    expect(fs.readFileSync(file, 'utf8')).toBe(text);
  });

  it('a user who may read but not write it gets one line with the fix before anything is asked, not a stack trace', () => {
    const { file, text } = unitEtc('group', serviceUser.gid);
    const r = asServiceUser(process.execPath, [bin, 'provision', '--config', file, '--gps', 'gpsd']);
    expect(r.stderr).toBe(
      `lpr-edge: config ${file}: cannot write (EACCES: user ${serviceUser.name} may not write in ${path.dirname(file)}): run provision as root (sudo lpr-edge provision …)\n`,
    );
    expect(r.status).toBe(2);
    expect(fs.readFileSync(file, 'utf8')).toBe(text);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['config.yaml']);
  });
});
