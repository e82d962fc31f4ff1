import {
  type CheckResult,
  type SelftestOptions,
  checkCamera,
  checkClock,
  checkDatabase,
  checkDisk,
  checkServiceDataDir,
  checkGps,
  checkHotlists,
  checkModels,
} from './checks.js';
import { existsSync } from 'node:fs';
import type { LiveCameraConfig } from '../capture/config.js';
import { checkRecordingFile } from '../capture/file-source.js';
import { checkBroker, checkHqKey } from './broker.js';
import { cameraOfDaemon, daemonHealth, gpsOfDaemon, heldByDaemon, runningDaemon } from './daemon-devices.js';

/**
 * Every check a technician needs before the car leaves the garage, in order. `extra` lets other
 * modules add checks (each returns a CheckResult).
 */
export async function runSelftest(
  opts: SelftestOptions,
  extra: (() => Promise<CheckResult>)[] = [],
): Promise<CheckResult[]> {
  // Which file is checked: on a unit with several configs the technician must see it is the right one.
  const results: CheckResult[] = [
    { check: 'config', status: 'pass', detail: `${opts.configSource ?? 'the config'} is valid` },
  ];
  results.push(await checkModels(opts.config));
  const live = opts.config.cameras.filter((c): c is LiveCameraConfig => c.kind !== 'file');
  if (!opts.config.cameras.length)
    results.push({
      check: 'cameras',
      status: 'fail',
      detail: 'no camera configured',
      fix: 'add cameras with "lpr-edge provision"',
    });
  // A running daemon holds the USB cameras and a serial GPS: opening them again would fail (busy)
  // or take frames and sentences from it. Their state is its own /healthz's.
  const daemon = runningDaemon(opts.config);
  const daemonsView =
    daemon && (live.some(heldByDaemon) || heldByDaemon(opts.config.gps))
      ? await daemonHealth(opts.config)
      : null;
  // Cameras are sampled together: that is how they run in the car (shared USB bus and CPU).
  results.push(
    ...(await Promise.all(
      live.map((c) =>
        daemon && heldByDaemon(c)
          ? cameraOfDaemon(c, opts.config, daemon.pid, daemonsView)
          : checkCamera(c, opts),
      ),
    )),
  );
  opts.config.cameras.forEach((c, i) => {
    if (c.kind === 'file') results.push(checkRecording(c.id, c.path, i));
  });
  const gpsCfg = opts.config.gps;
  const gps =
    daemon && gpsCfg.source === 'serial'
      ? { result: gpsOfDaemon(gpsCfg, opts.config, daemon.pid, daemonsView), clock: null }
      : await checkGps(opts);
  results.push(gps.result);
  results.push(checkClock((opts.now ?? Date.now)(), gps.clock));
  // A data folder the service may not write is not created here, as root, by opening a database
  // in it: the daemon would find it root's once allowed to write there.
  const outside = checkServiceDataDir(opts.config, opts.configSource);
  results.push(outside ?? checkDisk(opts.config, opts.minFreeMb));
  const db: CheckResult = outside
    ? { check: 'database', status: 'skip', detail: 'not checked: see the disk check' }
    : checkDatabase(opts.config);
  results.push(db);
  if (db.status === 'pass') results.push(checkHotlists(opts.config, (opts.now ?? Date.now)()));
  results.push(checkHqKey(opts.config.sync));
  results.push(await checkBroker(opts.config.sync));
  for (const e of extra) results.push(await e());
  return results;
}

/**
 * A recording as a camera is not sampled (it is no device), but one the daemon cannot open fails
 * that camera there: the same check here (missing, a folder, a pipe, empty), or it was "skip".
 */
function checkRecording(id: string, file: string, index: number): CheckResult {
  const check = `camera ${id}`;
  try {
    checkRecordingFile(file);
  } catch (err) {
    const where = `cameras[${index}].path in the config`;
    return {
      check,
      status: 'fail',
      detail: `recording ${(err as Error).message}`,
      fix: existsSync(file)
        ? `set ${where} to a video file ("lpr-edge provision")`
        : `put the recording at ${file}, or set ${where} to where it is ("lpr-edge provision")`,
    };
  }
  return { check, status: 'skip', detail: `recording ${file} (not a live camera)` };
}

export function formatTable(results: CheckResult[]): string {
  const w = Math.max(...results.map((r) => r.check.length), 5);
  const lines = results.map((r) => {
    const mark = r.status === 'pass' ? 'PASS' : r.status === 'fail' ? 'FAIL' : 'skip';
    const fix = r.fix ? `\n${' '.repeat(w + 8)}fix: ${r.fix}` : '';
    return `${r.check.padEnd(w)}  ${mark}  ${r.detail}${fix}`;
  });
  const failed = results.filter((r) => r.status === 'fail').length;
  lines.push('', failed ? `${failed} check(s) failed` : 'all checks passed');
  return lines.join('\n') + '\n';
}
