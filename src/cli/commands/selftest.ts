import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { DEFAULT_CONFIG_PATH, EMBEDDED_SOURCE, loadConfig } from '../../config/load.js';
import { silentLogger } from '../../log.js';
import { runSelftest, formatTable } from '../../selftest/selftest.js';
import type { CheckResult } from '../../selftest/checks.js';

export const selftestCommand: Command = {
  name: 'selftest',
  summary: 'check the unit before it leaves the garage: config, models, cameras, GPS, clock, disk, database',
  usage: `selftest [--json] [--camera-seconds S] [--gps-seconds S] [--min-free-mb MB]
  --json              an array of {"check","status":"pass"|"fail"|"skip","detail","fix"} on stdout
  --camera-seconds S  how long each camera is sampled (default 3)
  --gps-seconds S     how long to wait for a GPS fix (default 10)
  --min-free-mb MB    free space the data directory needs (default 1024)
The config checked is --config, else ${DEFAULT_CONFIG_PATH}; without either the unit is not
provisioned and selftest fails (it does not check the built-in demo config).
Exit code 0 when every check passed or was skipped, 1 when any failed.`,
  options: {
    json: { type: 'boolean' },
    'camera-seconds': { type: 'string' },
    'gps-seconds': { type: 'string' },
    'min-free-mb': { type: 'string' },
  },
  async run(ctx, positionals, values) {
    if (positionals.length) throw new UsageError(`selftest: unexpected argument "${positionals[0]}"`);
    const num = (name: string, def: number) => {
      const v = values[name] as string | undefined;
      if (v === undefined) return def;
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0)
        throw new UsageError(`selftest: --${name} must be a non-negative number, got "${v}"`);
      return n;
    };
    const opts = {
      cameraSeconds: num('camera-seconds', 3),
      gpsSeconds: num('gps-seconds', 10),
      minFreeMb: num('min-free-mb', 1024),
    };
    let results: CheckResult[];
    try {
      const { config, source } = loadConfig({ configPath: ctx.configPath, dataDir: ctx.dataDir });
      // The built-in demo config says nothing about this unit (and its data folder is inside the
      // install): checking it would pass a unit nobody provisioned.
      results =
        source === EMBEDDED_SOURCE
          ? [
              {
                check: 'config',
                status: 'fail',
                detail: `${DEFAULT_CONFIG_PATH} does not exist: this unit is not provisioned, and only the built-in demo config could be checked`,
                fix: 'run "sudo lpr-edge provision" (or give --config FILE for another config)',
              },
            ]
          : await runSelftest({ config, configSource: source, log: silentLogger(), ...opts });
    } catch (err) {
      if ((err as Error).name !== 'ConfigError') throw err;
      results = [
        {
          check: 'config',
          status: 'fail',
          detail: (err as Error).message,
          fix: 'correct the config (the message names the key), or run "lpr-edge provision"',
        },
      ];
    }
    ctx.stdout.write(values.json ? JSON.stringify(results, null, 2) + '\n' : formatTable(results));
    return results.some((r) => r.status === 'fail') ? 1 : 0;
  },
};
