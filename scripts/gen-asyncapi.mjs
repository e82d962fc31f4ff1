#!/usr/bin/env node
// Write docs/asyncapi.yaml from the zod schemas (run `npx tsc -p .` first).
/* global console */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderAsyncApi } from '../dist/sync/asyncapi.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'docs', 'asyncapi.yaml');
writeFileSync(out, renderAsyncApi());
console.log(`wrote ${path.relative(root, out)}`);
