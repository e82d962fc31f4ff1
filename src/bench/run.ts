import os from 'node:os';
import { benchPipeline } from './pipeline.js';
import { benchCar } from './car.js';
import { benchHotlist } from './hotlist.js';
import { benchConsoleLatency } from './console-latency.js';
import { benchSyncReport } from './sync.js';
import { benchPolicy } from './policy.js';
import { benchRecognise } from './recognise.js';

/**
 * `npm run bench [-- NAME...]`: the performance figures the README reports, measured on this
 * machine. With no names, every benchmark runs.
 */
const benches: Record<string, () => Promise<unknown>> = {
  pipeline: benchPipeline,
  recognise: benchRecognise,
  car: benchCar,
  hotlist: benchHotlist,
  'console-latency': benchConsoleLatency,
  sync: benchSyncReport,
  policy: benchPolicy,
};

const names = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(benches);
// Every name checked before any benchmark runs: a typo in the last one would otherwise be told
// only after the others had taken their minutes.
const unknown = names.filter((name) => !benches[name]);
if (unknown.length) {
  console.error(
    `unknown benchmark${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `"${n}"`).join(', ')}; known: ${Object.keys(benches).join(', ')}`,
  );
  process.exit(2);
}
console.log(
  JSON.stringify({
    machine: `${os.cpus().length} cores, ${os.cpus()[0]?.model ?? 'unknown CPU'}`,
    node: process.version,
  }),
);
for (const name of names) {
  console.log(`# ${name}`);
  await benches[name]!();
}
