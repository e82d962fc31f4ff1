import type { Command } from '../command.js';

export const evalCommand: Command = {
  name: 'eval',
  summary: 'TODO',
  usage: 'eval',
  async run() {
    throw new Error('not implemented yet');
  },
};
