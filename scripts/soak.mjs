#!/usr/bin/env node
// Soak test: the daemon runs the demo recording in a loop, with the sample hotlist raising hits,
// for as long as a patrol shift asks of it, and its memory, open files, threads and database are
// sampled throughout. It fails when memory or open files keep growing once warmed up.
// Usage: npx tsc -p . && node scripts/soak.mjs [--minutes 60] [--every 30] [--warmup 5]
//        [--max-rss-growth 20]   (MB per hour, after the warm-up)
// Not part of CI (it takes as long as it is asked to); its figures go in the README.
/* global console, process, setTimeout */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { embeddedDefaults } = await import(path.join(root, 'dist/config/defaults.js'));

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '60' },
    every: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '5' },
    'max-rss-growth': { type: 'string', default: '20' },
  },
});
const minutes = Number(values.minutes);
const everyS = Number(values.every);
const warmupMin = Number(values.warmup);
const maxGrowth = Number(values['max-rss-growth']);
if (![minutes, everyS, warmupMin, maxGrowth].every((n) => n > 0) || warmupMin >= minutes) {
  console.error('usage: soak.mjs [--minutes N] [--every S] [--warmup M < N] [--max-rss-growth MB/h]');
  process.exit(2);
}

// A unit of its own: the embedded demo, its recording looped, in a fresh data folder.
const dir = mkdtempSync(path.join(os.tmpdir(), 'lpr-edge-soak-'));
const dataDir = path.join(dir, 'data');
const defaults = embeddedDefaults();
const config = {
  unitId: 'soak-unit',
  agency: 'soak',
  homeState: 'NY',
  dataDir,
  cameras: defaults.cameras.map((c) => ({ ...c, loop: true })),
  vision: {
    detector: { model: defaults.vision.detector.model },
    recogniser: { model: defaults.vision.recogniser.model },
  },
  console: { port: 0 },
};
const configFile = path.join(dir, 'config.json');
writeFileSync(configFile, JSON.stringify(config, null, 2));

const bin = path.join(root, 'bin', 'lpr-edge.js');
const secret = 'soak secret 1';
const env = { ...process.env, LPR_EDGE_PASSWORD: secret, LPR_EDGE_NEW_PASSWORD: secret };
const cli = (...args) => {
  const r = spawnSync(process.execPath, [bin, ...args, '--config', configFile], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`lpr-edge ${args.join(' ')}: ${r.stderr.trim()}`);
};
cli('users', 'bootstrap-admin', 'admin', '--trained', '2026-01-01');
cli('hotlist', 'import', path.join(root, 'hotlists', 'demo.csv'), '--list', 'demo', '--as', 'admin');

const daemon = spawn(process.execPath, [bin, 'run', '--config', configFile], {
  env,
  stdio: ['ignore', 'ignore', 'inherit'],
});
const exited = new Promise((resolve) => daemon.once('exit', (code, signal) => resolve({ code, signal })));

/** What /proc says about the daemon now. */
function processFigures(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return {
    rssMb: Math.round(field('VmRSS') / 102.4) / 10,
    threads: field('Threads'),
    openFiles: readdirSync(`/proc/${pid}/fd`).length,
  };
}

function databaseFigures() {
  const file = path.join(dataDir, 'lpr-edge.db');
  const size = (f) => {
    try {
      return statSync(f).size;
    } catch {
      return 0;
    }
  };
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const count = (table) => db.prepare(`SELECT count(*) AS n FROM ${table}`).get().n;
    return {
      reads: count('reads'),
      hits: count('hits'),
      dbMb: Math.round((size(file) + size(`${file}-wal`)) / 1e5) / 10,
    };
  } finally {
    db.close();
  }
}

const samples = [];
const start = Date.now();
console.error(`soak: ${minutes} min, a sample every ${everyS} s, data in ${dataDir}`);
console.log('minute\trss MB\tthreads\topen files\treads\thits\tdb MB');
while (Date.now() - start < minutes * 60_000) {
  await new Promise((r) => setTimeout(r, everyS * 1000));
  if (daemon.exitCode !== null) break;
  let sample;
  try {
    sample = { minute: (Date.now() - start) / 60_000, ...processFigures(daemon.pid), ...databaseFigures() };
  } catch (err) {
    console.error(`soak: sample skipped (${err.message})`);
    continue;
  }
  samples.push(sample);
  const s = sample;
  console.log([s.minute.toFixed(1), s.rssMb, s.threads, s.openFiles, s.reads, s.hits, s.dbMb].join('\t'));
}
const running = daemon.exitCode === null;
daemon.kill('SIGTERM');
const { code, signal } = await exited;

/** Least-squares slope of y over minutes, per hour. */
function perHour(points, y) {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((a, p) => a + p.minute, 0) / n;
  const my = points.reduce((a, p) => a + y(p), 0) / n;
  const num = points.reduce((a, p) => a + (p.minute - mx) * (y(p) - my), 0);
  const den = points.reduce((a, p) => a + (p.minute - mx) ** 2, 0);
  return den ? (60 * num) / den : 0;
}
const warm = samples.filter((s) => s.minute >= warmupMin);
const first = warm[0];
const last = warm[warm.length - 1];
const summary = {
  minutes,
  cores: os.cpus().length,
  cpu: os.cpus()[0]?.model,
  samples: samples.length,
  ranWholeTime: running,
  stoppedCleanly: code === 0 && signal === null,
  rssMb: { afterWarmup: first?.rssMb, end: last?.rssMb, max: Math.max(...samples.map((s) => s.rssMb)) },
  rssGrowthMbPerHour: Math.round(perHour(warm, (s) => s.rssMb) * 10) / 10,
  openFiles: { afterWarmup: first?.openFiles, end: last?.openFiles },
  threads: { afterWarmup: first?.threads, end: last?.threads },
  reads: last?.reads,
  hits: last?.hits,
  readsPerMinute:
    last && first ? Math.round(((last.reads - first.reads) / (last.minute - first.minute)) * 10) / 10 : 0,
  dbMb: last?.dbMb,
};
console.log(JSON.stringify(summary, null, 2));
const failures = [
  !summary.ranWholeTime && 'the daemon stopped before the end',
  !summary.stoppedCleanly && `the daemon did not stop cleanly (code ${code}, signal ${signal})`,
  warm.length < 2 && 'too few samples after the warm-up',
  summary.rssGrowthMbPerHour > maxGrowth &&
    `memory grew ${summary.rssGrowthMbPerHour} MB per hour after the warm-up (limit ${maxGrowth})`,
  first && last && last.openFiles > first.openFiles + 10 && 'open files kept growing',
].filter(Boolean);
for (const f of failures) console.error(`soak: FAIL: ${f}`);
process.exit(failures.length ? 1 : 0);
