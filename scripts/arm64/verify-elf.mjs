/* global process, console, Buffer */
// Fails when a release folder holds a native binary for anything but linux-arm64, so a stray
// x86-64 addon (or an addon for another OS) can never ship unnoticed.
// Usage: node scripts/arm64/verify-elf.mjs DIR   (prints one line per ELF file with --verbose)
import { openSync, readSync, closeSync, readdirSync, lstatSync } from 'node:fs';
import path from 'node:path';

const EM_AARCH64 = 183;
const MACHINES = { 3: 'x86', 40: 'arm', 62: 'x86-64', 183: 'aarch64', 243: 'riscv' };
const [dir, flag] = process.argv.slice(2);
if (!dir) {
  console.error('usage: verify-elf.mjs DIR [--verbose]');
  process.exit(2);
}

const bad = [];
let good = 0;
const natives = [];
function walk(d) {
  for (const name of readdirSync(d)) {
    const p = path.join(d, name);
    const st = lstatSync(p);
    if (st.isDirectory()) walk(p);
    else if (st.isFile() && st.size >= 20) inspect(p);
  }
}
function inspect(p) {
  const head = Buffer.alloc(20);
  const fd = openSync(p, 'r');
  try {
    readSync(fd, head, 0, 20, 0);
  } finally {
    closeSync(fd);
  }
  const rel = path.relative(dir, p);
  // Mach-O / PE binaries are for other operating systems: never wanted on the unit.
  const magic = head.readUInt32BE(0);
  if (
    [0xcffaedfe, 0xfeedfacf, 0xcafebabe].includes(magic) ||
    (head[0] === 0x4d && head[1] === 0x5a && /\.(node|dll|exe)$/.test(p))
  ) {
    bad.push(`${rel}: not a Linux binary`);
    return;
  }
  if (magic !== 0x7f454c46) return; // \x7fELF
  const machine = head.readUInt16LE(18);
  if (machine === EM_AARCH64) {
    good++;
    if (/\.node$/.test(p)) natives.push(rel);
    if (flag === '--verbose') console.log(`aarch64  ${rel}`);
  } else bad.push(`${rel}: ELF for ${MACHINES[machine] ?? `machine ${machine}`}, not aarch64`);
}

walk(dir);
if (bad.length) {
  console.error(`verify-elf: ${bad.length} binary file(s) not built for linux-arm64:`);
  for (const b of bad) console.error(`  ${b}`);
  process.exit(1);
}
if (!natives.length) {
  console.error(
    'verify-elf: no native addon (.node) found at all; the install did not bring the arm64 builds',
  );
  process.exit(1);
}
console.log(`verify-elf: ${good} ELF file(s), all aarch64; addons: ${natives.join(', ')}`);
