#!/usr/bin/env node
// Thin launcher: the CLI is compiled from src/ into dist/ by `npm run build`.
/* global console, process */
import('../dist/cli.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/cli.js')) {
    console.error('lpr-edge: not built yet; run `npm run build` first');
    process.exit(2);
  }
  throw err;
});
