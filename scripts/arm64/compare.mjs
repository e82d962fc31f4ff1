/* global process, console */
// Compares the JSON lines that `lpr-edge read --json` / `lpr-edge replay --json` printed on x86-64
// with those printed by the ARM64 release under emulation.
// Usage: node scripts/arm64/compare.mjs LABEL X86.jsonl ARM64.jsonl [--tolerance 1e-3] [--box-px 2]
// Equal means: the same reads in the same order, identical plate text and state, confidences within
// the tolerance, plate boxes within a few pixels. Exits 1 on any difference, 2 on unreadable input.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { tolerance: { type: 'string', default: '1e-3' }, 'box-px': { type: 'string', default: '2' } },
});
const [label, x86File, armFile] = positionals;
if (!label || !x86File || !armFile) {
  console.error('usage: compare.mjs LABEL X86.jsonl ARM64.jsonl [--tolerance 1e-3] [--box-px 2]');
  process.exit(2);
}
const tolerance = Number(values.tolerance);
const boxPx = Number(values['box-px']);

/** Every plate reported, flattened to one record each, keyed by where it came from. */
function records(file) {
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim().startsWith('{'));
  const out = [];
  lines.forEach((line, n) => {
    let obj;
    try {
      obj = JSON.parse(line);
    } catch {
      console.error(`${file}: line ${n + 1} is not JSON: ${line.slice(0, 120)}`);
      process.exit(2);
    }
    if (Array.isArray(obj.plates)) {
      // read --json: one line per image with a plates array (possibly empty, possibly an error).
      if (obj.error) out.push({ key: `${obj.file} error`, plate: `error: ${obj.error}`, state: null });
      if (obj.plates.length === 0 && !obj.error)
        out.push({ key: `${obj.file}`, plate: '(none)', state: null });
      obj.plates.forEach((p, i) => out.push({ key: `${obj.file}#${i}`, ...pick(p) }));
    } else if (typeof obj.plate === 'string') {
      // replay --json: one line per read.
      // Times are not compared: a recording without a creation time starts at the wall clock.
      out.push({ key: `read ${out.length + 1}`, ...pick(obj), frames: obj.frames });
    }
  });
  return out;
}

function pick(p) {
  return {
    plate: p.plate,
    state: p.state ?? null,
    confidence: p.confidence,
    box: Array.isArray(p.box) ? p.box : null,
  };
}

const a = records(x86File);
const b = records(armFile);
let same = 0;
const diffs = [];
const fmt = (c) => (typeof c === 'number' ? c.toFixed(4) : '-');
for (let i = 0; i < Math.max(a.length, b.length); i++) {
  const x = a[i];
  const y = b[i];
  if (!x || !y) {
    const r = x ?? y;
    diffs.push(`${r.key}: only on ${x ? 'x86-64' : 'arm64'} (${r.plate} ${r.state ?? '-'})`);
    continue;
  }
  const problems = [];
  if (x.key !== y.key) problems.push(`order differs (${x.key} vs ${y.key})`);
  if (x.plate !== y.plate) problems.push(`plate ${x.plate} vs ${y.plate}`);
  if (x.state !== y.state) problems.push(`state ${x.state} vs ${y.state}`);
  const dc =
    typeof x.confidence === 'number' && typeof y.confidence === 'number'
      ? Math.abs(x.confidence - y.confidence)
      : null;
  if (x.confidence !== y.confidence && (dc === null || dc > tolerance)) {
    problems.push(`confidence ${fmt(x.confidence)} vs ${fmt(y.confidence)} (|d| > ${tolerance})`);
  }
  if (x.frames !== y.frames) problems.push(`seen in ${x.frames} vs ${y.frames} frames`);
  if (x.box && y.box && x.box.some((v, k) => Math.abs(v - y.box[k]) > boxPx)) {
    problems.push(`box [${x.box}] vs [${y.box}]`);
  }
  const line = `${x.key}: ${x.plate} ${x.state ?? '-'} x86-64 ${fmt(x.confidence)} arm64 ${fmt(y.confidence)}`;
  if (problems.length) diffs.push(`${line}: ${problems.join('; ')}`);
  else {
    same++;
    console.log(`  same  ${line}${dc ? ` (|d| ${dc.toExponential(1)})` : ''}`);
  }
}
for (const d of diffs) console.log(`  DIFF  ${d}`);
if (a.length === 0) {
  console.log(`compare ${label}: x86-64 reported nothing, so nothing was compared`);
  process.exit(1);
}
console.log(`compare ${label}: ${same} identical, ${diffs.length} different`);
process.exit(diffs.length ? 1 : 0);
