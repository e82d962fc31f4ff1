#!/usr/bin/env node
// Fleet simulation: N units -> one local Mosquitto -> two shared-subscription HQ consumers.
// Usage: npx tsc -p . && node scripts/fleet-sim.mjs [--units 200] [--duration 120] [--interval-ms 3000]
/* global console, process */
import { parseArgs } from 'node:util';
import { runFleetSim } from '../dist/hq/fleet-sim.js';

const { values } = parseArgs({
  options: {
    units: { type: 'string', default: '200' },
    duration: { type: 'string', default: '120' },
    'interval-ms': { type: 'string', default: '3000' },
    consumers: { type: 'string', default: '2' },
  },
});
const result = await runFleetSim({
  units: Number(values.units),
  durationS: Number(values.duration),
  readIntervalMs: Number(values['interval-ms']),
  consumers: Number(values.consumers),
  log: (line) => console.error(line),
});
console.log(JSON.stringify(result, null, 2));
process.exit(result.lost === 0 ? 0 : 1);
