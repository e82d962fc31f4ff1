// The pieces of scripts/arm64-check.sh that decide pass or fail, run on small inputs: the
// comparison of x86-64 and ARM64 reads, and the guard that only aarch64 binaries ship.
// (The emulated check itself runs as its own CI step: see docs/arm64.md.)
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'lpr-arm64-tools-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function compare(x86: object[], arm: object[]) {
  const a = path.join(tmp, `x86-${Math.random()}.jsonl`);
  const b = path.join(tmp, `arm-${Math.random()}.jsonl`);
  writeFileSync(a, x86.map((o) => JSON.stringify(o)).join('\n') + '\n');
  writeFileSync(b, arm.map((o) => JSON.stringify(o)).join('\n') + '\n');
  const r = spawnSync(process.execPath, [path.join(root, 'scripts/arm64/compare.mjs'), 'test', a, b], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout + r.stderr };
}

const image = (plate: string, state: string | null, confidence: number, box = [10, 20, 100, 40]) => ({
  file: '/data/a.jpg',
  plates: [{ plate, state, confidence, box }],
  ms: 12,
});
const read = (plate: string, state: string | null, confidence: number, frames = 3) => ({
  plate,
  state,
  confidence,
  camera: 'replay',
  firstSeen: new Date().toISOString(),
  frames,
});

describe('compare.mjs (x86-64 vs ARM64 reads)', () => {
  it('passes identical text and state with confidences within 1e-3, whatever the timing', () => {
    const r = compare([image('ABC1234', 'NY', 0.9702)], [{ ...image('ABC1234', 'NY', 0.9709), ms: 9000 }]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('1 identical, 0 different');
  });

  it('fails a different plate text, a different state, or a confidence off by more than 1e-3', () => {
    expect(compare([image('ABC1234', 'NY', 0.97)], [image('ABC1Z34', 'NY', 0.97)]).out).toContain('plate ABC1234 vs ABC1Z34');
    expect(compare([image('ABC1234', 'NY', 0.97)], [image('ABC1234', 'NJ', 0.97)]).code).toBe(1);
    const far = compare([image('ABC1234', 'NY', 0.97)], [image('ABC1234', 'NY', 0.9712)]);
    expect(far.code).toBe(1);
    expect(far.out).toContain('confidence 0.9700 vs 0.9712');
  });

  it('fails a plate box that moved by more than 2 px, and a plate only one side found', () => {
    expect(compare([image('ABC1234', null, 0.9)], [image('ABC1234', null, 0.9, [10, 20, 104, 40])]).code).toBe(1);
    const missing = compare([image('ABC1234', null, 0.9)], [{ file: '/data/a.jpg', plates: [], ms: 1 }]);
    expect(missing.code).toBe(1);
  });

  it('compares replay reads in order, ignoring wall-clock times but not the frames seen', () => {
    const x86 = [read('KDT4821', null, 0.9962), read('HZN5177', null, 0.91)];
    expect(compare(x86, [read('KDT4821', null, 0.9961), read('HZN5177', null, 0.9104)]).code).toBe(0);
    expect(compare(x86, [read('KDT4821', null, 0.9962)]).out).toContain('only on x86-64');
    expect(compare(x86, [read('KDT4821', null, 0.9962, 2), read('HZN5177', null, 0.91)]).out).toContain('seen in 3 vs 2 frames');
  });

  it('fails when the x86-64 side printed nothing (a check that compares nothing proves nothing)', () => {
    expect(compare([], []).code).toBe(1);
  });
});

describe('verify-elf.mjs (only linux-arm64 binaries ship)', () => {
  // A minimal ELF header: magic, 64-bit, little endian, e_machine at byte 18.
  const elf = (machine: number) => {
    const b = Buffer.alloc(64);
    b.write('\x7fELF', 0, 'latin1');
    b[4] = 2;
    b[5] = 1;
    b.writeUInt16LE(machine, 18);
    return b;
  };
  const verify = (dir: string) => spawnSync(process.execPath, [path.join(root, 'scripts/arm64/verify-elf.mjs'), dir], { encoding: 'utf8' });

  it('accepts a tree whose addons are all aarch64', () => {
    const dir = path.join(tmp, 'good');
    mkdirSync(path.join(dir, 'node_modules/x/build/Release'), { recursive: true });
    writeFileSync(path.join(dir, 'node_modules/x/build/Release/x.node'), elf(183));
    writeFileSync(path.join(dir, 'node_modules/x/index.js'), 'module.exports = 1;\n');
    const r = verify(dir);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('all aarch64');
  });

  it('rejects an x86-64 addon and names it', () => {
    const dir = path.join(tmp, 'bad');
    mkdirSync(path.join(dir, 'node_modules/y'), { recursive: true });
    writeFileSync(path.join(dir, 'node_modules/y/ok.node'), elf(183));
    writeFileSync(path.join(dir, 'node_modules/y/y.node'), elf(62));
    const r = verify(dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/node_modules\/y\/y\.node: ELF for x86-64, not aarch64/);
  });

  it('rejects a tree with no addon at all (the arm64 install brought nothing)', () => {
    const dir = path.join(tmp, 'empty');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'a.js'), '1');
    expect(verify(dir).status).toBe(1);
  });
});
