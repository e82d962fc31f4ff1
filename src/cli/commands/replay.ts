import type { Command } from '../command.js';

export const replayCommand: Command = {
  name: 'replay',
  summary: 'TODO',
  usage: 'replay',
  async run() {
    throw new Error('not implemented yet');
  },
};
