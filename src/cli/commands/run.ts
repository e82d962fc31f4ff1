import type { Command } from '../command.js';

export const runCommand: Command = {
  name: 'run',
  summary: 'TODO',
  usage: 'run',
  async run() {
    throw new Error('not implemented yet');
  },
};
