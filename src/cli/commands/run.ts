import type { Command } from '../command.js';
import { Daemon } from '../../daemon.js';

/**
 * Exit status after SIGHUP: non-zero so that systemd (Restart=on-failure) starts the daemon again
 * and the new process reads the config afresh; 75 is EX_TEMPFAIL, "try again".
 */
export const RESTART_EXIT_CODE = 75;

export const runCommand: Command = {
  name: 'run',
  summary: 'run the daemon (cameras, recognition, storage and every configured service)',
  usage: `run
  Runs until SIGINT or SIGTERM (exit 0). SIGHUP stops it too, with exit status ${RESTART_EXIT_CODE}, so that
  systemd restarts it and the config is read again. Without --config and without
  /etc/lpr-edge/config.yaml it runs the embedded demo: the bundled recording (data/demo/demo.mp4),
  reads stored in ./data, no broker.`,
  async run(ctx) {
    // Listening before the start, so a signal during it (models load for seconds) stops the daemon
    // as soon as it is up instead of killing it half-started.
    const stopped = new Promise<NodeJS.Signals>((resolve) => {
      for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(s, () => resolve(s));
    });
    const daemon = await Daemon.start({ configPath: ctx.configPath, dataDir: ctx.dataDir });
    const signal = await stopped;
    if (signal === 'SIGHUP')
      daemon.unit.log.info('SIGHUP: stopping so that systemd restarts lpr-edge with the config read again');
    await daemon.stop();
    return signal === 'SIGHUP' ? RESTART_EXIT_CODE : 0;
  },
};
