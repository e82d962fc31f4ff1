#!/usr/bin/env node
// Reference headquarters consumer (logic in src/hq/; run `npx tsc -p .` first).
/* global console, process */
import { main } from '../dist/hq/cli.js';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(`hq-sink: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
