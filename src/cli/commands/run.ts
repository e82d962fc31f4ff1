import type { Command } from '../command.js';
import { Daemon } from '../../daemon.js';

export const runCommand: Command = {
  name: 'run',
  summary: 'run the daemon (cameras, recognition, storage and every configured service)',
  usage: `run
  Runs until SIGINT or SIGTERM. Without --config and without /etc/lpr-edge/config.yaml it runs the
  embedded demo: the bundled recording (data/demo/demo.mp4), reads stored in ./data, no broker.`,
  async run(ctx) {
    const daemon = await Daemon.start({ configPath: ctx.configPath, dataDir: ctx.dataDir });
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await daemon.stop();
    return 0;
  },
};
