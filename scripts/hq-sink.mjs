#!/usr/bin/env node
// Reference headquarters consumer (logic in src/hq/; run `npx tsc -p .` first).
/* global console, process */
import { main } from '../dist/hq/cli.js';

main(process.argv.slice(2)).then(
  // Exit once stdout is written: process.exit drops what a pipe has not taken yet (a reader slower
  // than the 64 KiB pipe buffer), and `pull` prints answers of hundreds of KB.
  (code) => process.stdout.write('', () => process.exit(code)),
  (err) => {
    console.error(`hq-sink: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
