import type { Command } from '../command.js';

export const readCommand: Command = {
  name: 'read',
  summary: 'TODO',
  usage: 'read',
  async run() {
    throw new Error('not implemented yet');
  },
};
