import type { Db } from '../store/database.js';
import type { Logger } from '../log.js';
import type { Service } from '../service.js';
import { monotonicMs } from '../util/clock.js';
import { AuditLog } from './audit.js';
import { relieveDiskPressure, type DiskPressureResult } from './disk.js';
import { runRetention, type RetentionResult } from './retention.js';

const DAY_MS = 86_400_000;

/**
 * The daemon's housekeeping: disk pressure checked every `intervalMs` (default 10 min), retention
 * run once a day against the admin-approved window (nothing without one). Both are audited by the
 * functions they call; warnings go to the log.
 */
export class PolicyMaintenance implements Service {
  readonly name = 'policy-maintenance';
  private timer: NodeJS.Timeout | null = null;
  /**
   * When retention last ran, on the monotonic clock: on the wall clock, a clock set back after
   * boot (a unit that started with its clock ahead) held retention off until it had caught up.
   */
  private lastRetentionMono: number | null = null;
  private lastDisk: DiskPressureResult | null = null;
  private lastRetention: RetentionResult | null = null;

  constructor(
    private readonly deps: { db: Db; dataDir: string; maxDiskMb: number; log: Logger; audit?: AuditLog },
    private readonly intervalMs = 10 * 60_000,
    /** The wall clock, which retention compares with the reads' times. */
    private readonly now: () => number = Date.now,
    private readonly monotonic: () => number = monotonicMs,
  ) {}

  /** False once the disk is nearly full: the pipeline should stop keeping overview images. */
  get keepOverview(): boolean {
    return this.lastDisk?.keepOverview ?? true;
  }

  async start(): Promise<void> {
    this.tick();
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  tick(): void {
    const { log } = this.deps;
    try {
      this.lastDisk = relieveDiskPressure(this.deps);
      if (this.lastDisk.warning) log.warn({ disk: this.lastDisk }, this.lastDisk.warning);
      if (this.lastRetentionMono === null || this.monotonic() - this.lastRetentionMono >= DAY_MS) {
        this.lastRetentionMono = this.monotonic();
        this.lastRetention = runRetention({ ...this.deps, now: this.now() });
        log.info({ retention: this.lastRetention }, 'retention run');
      }
    } catch (err) {
      log.error({ err: (err as Error).message }, 'policy maintenance failed');
    }
  }

  health(): Record<string, unknown> {
    return {
      keepOverview: this.keepOverview,
      diskUsedBytes: this.lastDisk?.usedBytes ?? null,
      diskWarning: this.lastDisk?.warning ?? null,
      lastRetention: this.lastRetention,
    };
  }
}
