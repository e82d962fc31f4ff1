import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { DatabaseError, openDatabase } from '../store/database.js';
import { makeDataDir } from '../store/data-dir-owner.js';
import { allMigrations } from '../store/all-migrations.js';
import { databasePath } from '../unit.js';
import { Vision } from '../vision/vision.js';
import { openLiveCamera, type OpenLiveOptions } from '../capture/live.js';
import type { LiveCameraConfig } from '../capture/config.js';
import { createPositionSource } from '../gps/index.js';
import type { GpsFix } from '../store/types.js';
import { describeOffset, type ClockHealth } from '../gps/clock-check.js';
import { HotlistStore } from '../hotlist/store.js';
import { Equivalence } from '../hotlist/normalise.js';
import { canFallBehind, isStale, listAgeHours } from '../hotlist/currency.js';
import { monotonicMs } from '../util/clock.js';
import { isBelowAny, serviceSandbox, UNIT_FILE } from './service-unit.js';

export type CheckStatus = 'pass' | 'fail' | 'skip';
export interface CheckResult {
  check: string;
  status: CheckStatus;
  detail: string;
  /** What to do about a failure. */
  fix?: string;
}

export interface SelftestOptions {
  config: Config;
  /** The file the config was read from, named in the config check. */
  configSource?: string;
  log: Logger;
  /** Seconds each camera is sampled. */
  cameraSeconds: number;
  /** Seconds to wait for a GPS fix. */
  gpsSeconds: number;
  /** Minimum free space on the data directory's filesystem. */
  minFreeMb: number;
  live?: Omit<OpenLiveOptions, 'log'>;
  now?: () => number;
}

const pass = (check: string, detail: string): CheckResult => ({ check, status: 'pass', detail });
const fail = (check: string, detail: string, fix: string): CheckResult => ({
  check,
  status: 'fail',
  detail,
  fix,
});
const skip = (check: string, detail: string): CheckResult => ({ check, status: 'skip', detail });

/** The text of the known plate the models must read. */
export const KNOWN_PLATE = 'LPR2468';

/** A plate-like image (dark text on a white plate on grey) rendered on the unit: no file to lose. */
export async function knownPlateImage(): Promise<{ data: Buffer; width: number; height: number }> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="640" height="360">
    <rect width="640" height="360" fill="#6b6f73"/>
    <rect x="170" y="120" width="300" height="120" rx="10" fill="#f4f4f0" stroke="#222" stroke-width="4"/>
    <text x="320" y="212" font-family="DejaVu Sans Mono, monospace" font-weight="bold" font-size="70" text-anchor="middle" fill="#111">${KNOWN_PLATE}</text>
  </svg>`;
  const { data, info } = await sharp(Buffer.from(svg))
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

export async function checkModels(config: Config): Promise<CheckResult> {
  const name = 'models';
  for (const m of [config.vision.detector.model, config.vision.recogniser.model]) {
    if (!fs.existsSync(m))
      return fail(
        name,
        `${m} is missing`,
        'reinstall lpr-edge (scripts/install.sh) or fix vision.*.model in the config',
      );
  }
  let vision: Vision;
  try {
    vision = await Vision.open(config.vision);
  } catch (err) {
    return fail(
      name,
      `cannot load: ${(err as Error).message}`,
      'reinstall lpr-edge; the model files may be damaged',
    );
  }
  try {
    const img = await knownPlateImage();
    const t0 = performance.now();
    const plates = await vision.findPlatesInStill({ rgb: img.data, width: img.width, height: img.height });
    const ms = Math.round(performance.now() - t0);
    const texts = plates.map((p) => p.plate);
    if (texts.includes(KNOWN_PLATE)) return pass(name, `read the known plate ${KNOWN_PLATE} in ${ms} ms`);
    return fail(
      name,
      `known plate ${KNOWN_PLATE} read as ${texts.length ? texts.join(', ') : 'nothing'}`,
      'the models do not match this version of lpr-edge: reinstall it',
    );
  } finally {
    await vision.close();
  }
}

export async function checkCamera(cfg: LiveCameraConfig, opts: SelftestOptions): Promise<CheckResult> {
  const name = `camera ${cfg.id}`;
  const cam = openLiveCamera(
    { ...cfg, reconnect: { ...cfg.reconnect, initialMs: 60_000 } },
    { log: opts.log, ...opts.live },
  );
  let frames = 0;
  let first: number | null = null;
  let last = 0;
  const run = (async () => {
    for await (const f of cam.frames()) {
      if (f.width !== cfg.width || f.height !== cfg.height) continue;
      frames++;
      // Arrival on the monotonic clock: the clock is often stepped (NTP) while a new unit is checked.
      first ??= f.mono;
      last = f.mono;
    }
  })();
  // Connecting (RTSP handshake, GigE negotiation) is not part of the rate: wait up to 10 s for the
  // first frame, then sample for cameraSeconds.
  const connectUntil = monotonicMs() + 10_000;
  while (first === null && monotonicMs() < connectUntil && cam.health().errors === 0)
    await new Promise((r) => setTimeout(r, 50));
  if (first !== null) await new Promise((r) => setTimeout(r, opts.cameraSeconds * 1000));
  const health = cam.health();
  await cam.stop();
  await run;
  if (frames === 0) {
    const fixes: Record<string, string> = {
      v4l2: 'check the USB cable and that the device exists (lpr-edge provision lists cameras)',
      rtsp: 'check the camera is powered, its URL and credentials, and the network cable',
      gige: 'check the camera is powered and on the camera network, and its name (arv-tool-0.8 lists cameras)',
    };
    return fail(name, `no frames${health.lastError ? `: ${health.lastError}` : ''}`, fixes[cfg.kind]!);
  }
  // Rate over the span between the first and last frame (connection time excluded).
  const fps = frames > 1 ? ((frames - 1) * 1000) / Math.max(1, last - first!) : 0;
  const detail = `${frames} frames, ${fps.toFixed(1)} frames/s (configured ${cfg.fps})`;
  if (fps < cfg.fps * 0.8)
    return fail(
      name,
      detail,
      'lower fps or resolution in the config, or check the camera link (USB 2 hub, switch port)',
    );
  return pass(name, detail);
}

/** The GPS check's result, and the receiver's measure of the unit's clock (the daemon's ClockCheck). */
type GpsCheck = { result: CheckResult; fix: GpsFix | null; clock: ClockHealth | null };

export async function checkGps(opts: SelftestOptions): Promise<GpsCheck> {
  const gpsCfg = opts.config.gps;
  if (gpsCfg.source === 'none')
    return {
      result: skip('gps', 'no GPS configured (reads are stored without a position)'),
      fix: null,
      clock: null,
    };
  const src = createPositionSource(gpsCfg, opts.log);
  await src.start?.();
  const until = monotonicMs() + opts.gpsSeconds * 1000;
  let got: { fix: GpsFix; ageMs: number } | null = null;
  while (monotonicMs() < until && !(got = src.fixAt(Date.now())))
    await new Promise((r) => setTimeout(r, 100));
  const health = src.health?.() as
    { connected?: boolean; lastError?: string | null; clock?: ClockHealth } | undefined;
  const clock = health?.clock ?? null;
  await src.stop?.();
  const where = gpsCfg.source === 'gpsd' ? `gpsd at ${gpsCfg.host}:${gpsCfg.port}` : `serial ${gpsCfg.path}`;
  if (!got) {
    if (!health?.connected) {
      return {
        result: fail(
          'gps',
          `cannot reach ${where}${health?.lastError ? `: ${health.lastError}` : ''}`,
          gpsCfg.source === 'gpsd'
            ? 'start gpsd (systemctl start gpsd) and check its device'
            : 'check the receiver cable and the serial path and baud rate',
        ),
        fix: null,
        clock,
      };
    }
    return {
      result: fail(
        'gps',
        `${where} connected but no fix in ${opts.gpsSeconds} s${health?.lastError ? `: ${health.lastError}` : ''}`,
        'move the car into open sky and check the antenna; reads are stored without position until then',
      ),
      fix: null,
      clock,
    };
  }
  const f = got.fix;
  return {
    result: pass(
      'gps',
      `${f.mode}D fix ${f.lat.toFixed(5)}, ${f.lon.toFixed(5)}${f.satellites !== undefined ? `, ${f.satellites} satellites` : ''}${f.hdop !== undefined ? `, HDOP ${f.hdop}` : ''}`,
    ),
    fix: f,
    clock,
  };
}

/**
 * The system clock: a sane year, and against the GPS receiver's time as the daemon measures it
 * (src/gps/clock-check.ts: only times the receiver sent, none before 2020, within
 * gps.maxClockOffsetMs), so selftest and /healthz agree on the same unit.
 */
export function checkClock(now: number, clock: ClockHealth | null): CheckResult {
  const at = new Date(now).toISOString();
  const year = new Date(now).getUTCFullYear();
  if (year < 2024 || year > 2100)
    return fail(
      'clock',
      `system clock says ${at}`,
      'set the time (timedatectl) or let the GPS/NTP set it; reads would carry wrong times',
    );
  if (clock?.offsetMs != null) {
    const offset = `${describeOffset(clock.offsetMs)} (gps.maxClockOffsetMs ${clock.maxOffsetMs} ms)`;
    if (clock.status === 'off')
      return fail(
        'clock',
        `system clock is ${offset}: reads are stamped with a wrong time`,
        'enable time sync (chrony with gpsd as a source, or NTP), or set the time (timedatectl)',
      );
    return pass('clock', `${at}, ${offset}`);
  }
  if (clock?.refusedGpsTime != null)
    return fail(
      'clock',
      `the GPS receiver's own time is wrong: it says ${new Date(clock.refusedGpsTime).toISOString()} (GPS week-number rollover), so the system clock could not be checked against it`,
      "update the GPS receiver's firmware or replace it; until then keep the system clock set by NTP (timedatectl)",
    );
  return pass('clock', `${at} (no GPS time to compare${clock ? ': the receiver sent none' : ''})`);
}

/**
 * The data folder against the installed service's sandbox, when `configSource` (the config file
 * checked) is the one the service runs with: under ProtectSystem=strict everything but its
 * ReadWritePaths= is read-only to it, so a data folder elsewhere (a data disk mounted on /data)
 * passed the disk check, as root, and the daemon then failed on its first write ("read-only
 * filesystem", on a disk mounted rw). A failed disk check, or null when there is nothing to say.
 */
export function checkServiceDataDir(
  config: Pick<Config, 'dataDir'>,
  configSource?: string,
): CheckResult | null {
  const sandbox = configSource ? serviceSandbox() : null;
  if (
    !sandbox ||
    path.resolve(configSource!) !== path.resolve(sandbox.configFile) ||
    isBelowAny(config.dataDir, sandbox.writable)
  )
    return null;
  return fail(
    'disk',
    `the lpr-edge service may not write ${config.dataDir}: its unit (${UNIT_FILE}, ProtectSystem=strict) lets it write only ${sandbox.writable.join(', ') || 'nothing'}`,
    `put dataDir below ${sandbox.writable[0] ?? '/var/lib/lpr-edge'} (mount the data disk there), or let the service write it: "sudo systemctl edit lpr-edge", add the lines [Service] and ReadWritePaths=${config.dataDir}, create it for the service (sudo install -d -m 0750 -o ${sandbox.user} -g ${sandbox.group} ${config.dataDir}), then "sudo systemctl restart lpr-edge"`,
  );
}

export function checkDisk(config: Config, minFreeMb: number): CheckResult {
  let st: fs.StatsFs;
  try {
    makeDataDir(config.dataDir);
    st = fs.statfsSync(config.dataDir);
  } catch (err) {
    return fail(
      'disk',
      `cannot use ${config.dataDir}: ${(err as NodeJS.ErrnoException).code ?? err}`,
      'create the data directory and give the lpr-edge user write access (scripts/install.sh does)',
    );
  }
  const freeMb = Math.floor((st.bavail * st.bsize) / 1024 / 1024);
  if (freeMb < minFreeMb)
    return fail(
      'disk',
      `${freeMb} MB free on ${config.dataDir}, need ${minFreeMb} MB`,
      'free space, or make sure HQ acknowledges reads so retention can purge them',
    );
  return pass('disk', `${freeMb} MB free on ${config.dataDir}`);
}

export function checkDatabase(config: Config): CheckResult {
  const file = databasePath(config);
  try {
    const db = openDatabase(file, allMigrations);
    try {
      const rows = db.prepare('PRAGMA integrity_check').all() as { integrity_check: string }[];
      const msg = rows.map((r) => r.integrity_check).join('; ');
      if (msg !== 'ok')
        return fail(
          'database',
          `integrity check: ${msg.slice(0, 200)}`,
          'stop lpr-edge, copy the data directory aside, and call support: do not delete unsent reads',
        );
      return pass('database', `${file}: integrity ok`);
    } finally {
      db.close();
    }
  } catch (err) {
    const callSupport =
      'stop lpr-edge, copy the data directory aside, and call support: do not delete unsent reads';
    // A DatabaseError already names the file; one with a fix of its own (a database this user
    // cannot write: chown it) is not a case for support.
    if (err instanceof DatabaseError) return fail('database', err.problem, err.fix ?? callSupport);
    return fail('database', `${file}: ${(err as Error).message}`, callSupport);
  }
}

/** Hotlist currency (policy IV.C.1): every list younger than hotlists.maxAgeHours. */
export function checkHotlists(config: Config, now: number): CheckResult {
  const file = databasePath(config);
  try {
    const db = openDatabase(file, allMigrations);
    try {
      const lists = new HotlistStore(db, new Equivalence(config.hotlists.equivalence)).lists();
      // The unit's own entries (a watched plate, "hotlist add") are no agency list: /healthz does
      // not count them either, and passing on them passed a unit that checks reads against nothing.
      const own = lists.filter((l) => !canFallBehind(l)).map((l) => l.id);
      if (own.length === lists.length) {
        return fail(
          'hotlists',
          `no hotlist loaded${own.length ? ` (only the unit's own entries, which policy IV.C.1 does not count: ${own.join(', ')})` : ''}`,
          'connect to headquarters (sync) or import a list with "lpr-edge hotlist import"',
        );
      }
      const maxH = config.hotlists.maxAgeHours;
      const ages = lists.map((l) => ({
        id: l.id,
        hours: listAgeHours(l, now),
        stale: isStale(l, now, maxH),
      }));
      const old = ages.filter((a) => a.stale);
      const text = ages.map((a) => `${a.id} ${a.hours.toFixed(1)} h`).join(', ');
      if (old.length)
        return fail(
          'hotlists',
          `older than ${maxH} h: ${old.map((a) => `${a.id} ${a.hours.toFixed(1)} h`).join(', ')}`,
          'connect to headquarters so the lists sync, or import current lists',
        );
      return pass('hotlists', text);
    } finally {
      db.close();
    }
  } catch (err) {
    return fail('hotlists', `cannot read hotlists: ${(err as Error).message}`, 'see the database check');
  }
}
