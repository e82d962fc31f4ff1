import { setTimeout as sleep } from 'node:timers/promises';
import { openUnit, type Unit } from './unit.js';
import { syntaxOptions } from './state/syntax.js';
import type { LoadOptions } from './config/load.js';
import { Vision } from './vision/vision.js';
import { createStateReader, type PlateStateReader } from './state/reader.js';
import { openCamera } from './capture/open-camera.js';
import { CameraPipeline, type PipelineDeps } from './pipeline/camera-pipeline.js';
import type { PositionSource } from './gps/types.js';
import type { Service } from './service.js';
import type { Logger } from './log.js';
import type { CameraConfig } from './config/schema.js';
import { policyServices, type PolicyServices } from './policy/services.js';
import { PolicyMaintenance } from './policy/maintenance.js';
import { createPositionSource } from './gps/index.js';
import { HealthServer } from './health/server.js';
import { SdNotifier } from './health/sd-notify.js';
import { LiveCamera } from './capture/live-camera.js';
import type { GpsHealth } from './gps/latest-fix.js';
import { createSyncService, type SyncService } from './sync/service.js';
import { hotlistPort } from './sync/adapters.js';
import { buildHotlist, type HotlistParts } from './hotlist/services.js';
import { canFallBehind, listAgeHours } from './hotlist/currency.js';
import type { UnitStatus } from './alerts/server.js';

/** The daemon could not start; the message names the cause and the config key to change. */
export class StartError extends Error {
  override name = 'StartError';
  exitCode = 1;
}

/** Wait before reopening a camera whose source failed, doubling up to the maximum. */
const RESTART_MIN_MS = 1000;
const RESTART_MAX_MS = 30_000;

/**
 * The composition root: builds every service from the validated config, starts them in order,
 * and stops them in reverse. Nothing here is a module-level singleton, so a test can run a whole
 * daemon against a temporary data directory.
 */
export class Daemon {
  private readonly services: Service[] = [];
  private readonly pipelines = new Map<string, CameraPipeline>();
  private readonly cameraLoops: Promise<void>[] = [];
  /** Recordings played to their end (a field-test replay, the demo): finished, not failed. */
  private readonly endedRecordings = new Set<string>();
  private stopping = false;
  /** Aborted on stop, so a camera waiting to be retried does not hold up the shutdown. */
  private readonly stopSignal = new AbortController();
  private maintenance: PolicyMaintenance | null = null;
  private hotlist: HotlistParts | null = null;
  private sync: SyncService | null = null;
  /** Reads the state of registration of each finished track (src/state). */
  private state?: PlateStateReader;
  private readonly notifier = new SdNotifier();
  private readonly startedAt = Date.now();

  private constructor(
    readonly unit: Unit,
    private readonly vision: Vision,
    private readonly position: PositionSource,
    private readonly policy: PolicyServices,
  ) {}

  static async start(opts: LoadOptions & { log?: Logger } = {}): Promise<Daemon> {
    const unit = openUnit(opts);
    const { config, log } = unit;
    log.info(
      { unit: config.unitId, agency: config.agency, config: unit.configSource, dataDir: config.dataDir },
      'starting lpr-edge',
    );
    let vision: Vision | null = null;
    let state: PlateStateReader;
    try {
      vision = await Vision.open(config.vision, syntaxOptions(config));
      state = await createStateReader(config, vision);
    } catch (err) {
      await vision?.close();
      unit.close();
      throw err;
    }
    // Audits config and exclusion-zone changes since the last start (policy II, VI.F).
    // GPS (gpsd or serial NMEA) tags every read; it reconnects by itself and is stopped last.
    const gps = createPositionSource(config.gps, log);
    const daemon = new Daemon(unit, vision, gps, policyServices(unit, { recordStartup: true }));
    daemon.state = state;
    if (gps.start && gps.stop) daemon.services.push(gps as Service);
    const maxDiskMb = config.storage.maxDiskMb;
    daemon.maintenance = new PolicyMaintenance({ db: unit.db, dataDir: config.dataDir, maxDiskMb, log });
    daemon.services.push(daemon.maintenance);
    // Hotlist matching on every committed read, the hit lifecycle and the officer console.
    const hotlist = buildHotlist(unit, {
      audit: daemon.policy.audit,
      users: daemon.policy.users,
      queries: daemon.policy.queries,
      unitStatus: () => daemon.consoleStatus(),
    });
    daemon.services.push(...hotlist.services);
    daemon.hotlist = hotlist;
    // Headquarters: reads, hits, audit and query logs up; signed hotlists, roster, pull requests down.
    if (config.sync.enabled) {
      daemon.sync = createSyncService(unit, {
        audit: daemon.policy.audit,
        roster: daemon.policy.users,
        queries: daemon.policy.queries,
        hotlists: hotlistPort(hotlist.store),
      });
      daemon.services.push(daemon.sync);
    }
    try {
      // Listed as they start, so a failed start stops only what did start.
      for (const service of daemon.services.splice(0)) {
        await service.start();
        daemon.services.push(service);
        log.info({ service: service.name }, 'service started');
      }
      if (config.health.enabled) {
        const server = new HealthServer({
          host: config.health.host,
          port: config.health.port,
          log,
          collect: () => daemon.status(),
        });
        await server.start().catch((err: NodeJS.ErrnoException) => {
          throw err.code === 'EADDRINUSE'
            ? new StartError(
                `health port ${config.health.host}:${config.health.port} is already in use (config key health.port)`,
              )
            : err;
        });
        daemon.services.push(server);
      }
    } catch (err) {
      // Without this the started services (GPS, console, sync) keep the process alive, headless,
      // until systemd's start timeout: stop what started and let the process exit non-zero.
      log.error({ err: (err as Error).message }, 'start failed');
      await daemon.stop();
      throw err instanceof StartError ? err : new StartError(`could not start: ${(err as Error).message}`);
    }
    for (const camera of config.cameras) daemon.cameraLoops.push(daemon.runCamera(camera));
    log.info({ cameras: config.cameras.map((c) => c.id) }, 'lpr-edge running');
    // Type=notify: tell systemd we are up, and ping its watchdog from the event loop.
    await daemon.notifier.ready(`${config.cameras.length} camera(s)`);
    return daemon;
  }

  /** What /healthz and /metrics report (src/health). */
  status() {
    const cameras = [...this.pipelines.values()]
      .map((p) => p.source)
      .filter((s): s is LiveCamera => s instanceof LiveCamera);
    const gps = this.services.find((s) => s.name === 'gps');
    return {
      unitId: this.unit.config.unitId,
      startedAt: this.startedAt,
      cameras: cameras.map((c) => c.health()),
      gps: (gps?.health?.() as GpsHealth | undefined) ?? null,
      reads: this.unit.reads.count(),
      hits: this.hotlist?.hits.count(),
      outboxDepth: this.sync ? (this.sync.health().queueDepth as number) : undefined,
      // Lists from a source only: the unit's own entries cannot fall behind.
      hotlistAgeS: Object.fromEntries(
        (this.hotlist?.store.lists() ?? [])
          .filter(canFallBehind)
          .map((l) => [l.id, Math.round(listAgeHours(l, Date.now()) * 3600)]),
      ),
      hotlistMaxAgeS: this.unit.config.hotlists.maxAgeHours * 3600,
      // Vision is shared by the cameras: its last frame's detect + recognise time.
      inference: {
        lastMs: Math.round((this.vision.times.detectMs + this.vision.times.recogniseMs) * 10) / 10,
        avgMs: null,
        count: 0,
      },
    };
  }

  /** The officer console's status bar: cameras, GPS and the headquarters link. */
  consoleStatus(): UnitStatus {
    const s = this.status();
    const gps = s.gps;
    return {
      cameras: [...this.pipelines.values()].map((p) => {
        const h = p.health() as { camera: string; lastFrameAgeMs: number | null; lastError?: string | null };
        if (this.endedRecordings.has(h.camera)) return { id: h.camera, ok: true, detail: 'recording ended' };
        const ok = h.lastFrameAgeMs !== null && h.lastFrameAgeMs < 5000;
        return { id: h.camera, ok, detail: ok ? 'ok' : (h.lastError ?? 'no frames') };
      }),
      gps: gps
        ? {
            ok: gps.fixAgeMs !== null && gps.fixAgeMs < 5000,
            detail: gps.fixAgeMs === null ? 'no fix' : `${gps.mode ?? '?'}D fix`,
          }
        : { ok: null, detail: 'not configured' },
      sync: this.sync
        ? {
            ok: this.sync.health().connected === true,
            detail: `${String(this.sync.health().queueDepth)} queued`,
          }
        : { ok: null, detail: 'off (no broker configured)' },
    };
  }

  /** Cameras run independently: one that fails is reopened with backoff and never stops the others. */
  private async runCamera(camera: CameraConfig): Promise<void> {
    const { log } = this.unit;
    let delay = RESTART_MIN_MS;
    while (!this.stopping) {
      const deps: PipelineDeps = {
        config: this.unit.config,
        vision: this.vision,
        reads: this.unit.reads,
        position: this.position,
        log,
        gates: [this.policy.zones],
        keepOverview: () => this.maintenance?.keepOverview ?? true,
        state: this.state,
      };
      try {
        const source = await openCamera(camera, { log });
        const pipeline = new CameraPipeline(source, deps);
        this.pipelines.set(camera.id, pipeline);
        const stats = await pipeline.run();
        if (this.stopping) return;
        if (camera.kind === 'file' && !camera.loop) {
          log.info({ camera: camera.id, frames: stats.framesDecoded, reads: stats.reads }, 'recording ended');
          this.endedRecordings.add(camera.id);
          return;
        }
        delay = RESTART_MIN_MS;
      } catch (err) {
        log.error({ camera: camera.id, err: (err as Error).message, retryInMs: delay }, 'camera failed');
      }
      await sleep(delay, undefined, { signal: this.stopSignal.signal }).catch(() => undefined);
      delay = Math.min(delay * 2, RESTART_MAX_MS);
    }
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.stopSignal.abort();
    const { log } = this.unit;
    log.info('stopping lpr-edge');
    await this.notifier.stopping();
    await Promise.all([...this.pipelines.values()].map((p) => p.source.stop()));
    await Promise.all(this.cameraLoops);
    for (const service of [...this.services].reverse()) {
      await service
        .stop()
        .catch((err: unknown) => log.error({ service: service.name, err }, 'service stop failed'));
    }
    await this.state?.close();
    await this.vision.close();
    this.unit.close();
    log.info('stopped');
  }
}
