// The pieces of scripts/arm64-check.sh that decide pass or fail, run on small inputs: the
// comparison of x86-64 and ARM64 reads, and the guard that only aarch64 binaries ship.
// (The emulated check itself runs as its own CI step: see docs/arm64.md.)
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
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
  const r = spawnSync(process.execPath, [path.join(root, 'scripts/arm64/compare.mjs'), 'test', a, b], {
    encoding: 'utf8',
  });
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
    expect(compare([image('ABC1234', 'NY', 0.97)], [image('ABC1Z34', 'NY', 0.97)]).out).toContain(
      'plate ABC1234 vs ABC1Z34',
    );
    expect(compare([image('ABC1234', 'NY', 0.97)], [image('ABC1234', 'NJ', 0.97)]).code).toBe(1);
    const far = compare([image('ABC1234', 'NY', 0.97)], [image('ABC1234', 'NY', 0.9712)]);
    expect(far.code).toBe(1);
    expect(far.out).toContain('confidence 0.9700 vs 0.9712');
  });

  it('fails a plate box that moved by more than 2 px, and a plate only one side found', () => {
    expect(
      compare([image('ABC1234', null, 0.9)], [image('ABC1234', null, 0.9, [10, 20, 104, 40])]).code,
    ).toBe(1);
    const missing = compare([image('ABC1234', null, 0.9)], [{ file: '/data/a.jpg', plates: [], ms: 1 }]);
    expect(missing.code).toBe(1);
  });

  it('compares replay reads in order, ignoring wall-clock times but not the frames seen', () => {
    const x86 = [read('KDT4821', null, 0.9962), read('HZN5177', null, 0.91)];
    expect(compare(x86, [read('KDT4821', null, 0.9961), read('HZN5177', null, 0.9104)]).code).toBe(0);
    expect(compare(x86, [read('KDT4821', null, 0.9962)]).out).toContain('only on x86-64');
    expect(compare(x86, [read('KDT4821', null, 0.9962, 2), read('HZN5177', null, 0.91)]).out).toContain(
      'seen in 3 vs 2 frames',
    );
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
  const verify = (dir: string) =>
    spawnSync(process.execPath, [path.join(root, 'scripts/arm64/verify-elf.mjs'), dir], { encoding: 'utf8' });

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

describe('install.sh --from-tarball (the release tarball installs with the Node.js it carries)', () => {
  const installer = path.join(root, 'scripts/install.sh');
  // A release tarball with the real layout (docs/arm64.md) but stand-ins for the large parts.
  function fakeRelease(name: string, cpu: string): string {
    const dir = path.join(tmp, name, 'lpr-edge');
    for (const d of ['bin', 'dist', 'node/bin', 'node_modules', 'systemd', 'models'])
      mkdirSync(path.join(dir, d), { recursive: true });
    writeFileSync(path.join(dir, 'bin/lpr-edge.js'), '#!/usr/bin/env node\n');
    writeFileSync(path.join(dir, 'dist/cli.js'), '');
    writeFileSync(path.join(dir, 'node/bin/node'), '#!/bin/sh\necho v20.20.2\n', { mode: 0o755 });
    writeFileSync(path.join(dir, 'lpr-edge'), '#!/bin/sh\n', { mode: 0o755 });
    writeFileSync(path.join(dir, 'package.json'), '{"name":"lpr-edge","version":"0.1.0"}\n');
    writeFileSync(
      path.join(dir, 'systemd/lpr-edge.service'),
      readFileSync(path.join(root, 'systemd/lpr-edge.service')),
    );
    writeFileSync(
      path.join(dir, 'MANIFEST.json'),
      JSON.stringify(
        { name: 'lpr-edge', version: '0.1.0', target: { os: 'linux', cpu, libc: 'glibc', minGlibc: '2.34' } },
        null,
        2,
      ),
    );
    const tarball = path.join(tmp, name, `lpr-edge-0.1.0-linux-${cpu}.tar.gz`);
    expect(spawnSync('tar', ['-C', path.dirname(dir), '-czf', tarball, 'lpr-edge']).status).toBe(0);
    const sum = spawnSync('sha256sum', [path.basename(tarball)], {
      cwd: path.dirname(tarball),
      encoding: 'utf8',
    }).stdout;
    writeFileSync(`${tarball}.sha256`, sum);
    return tarball;
  }

  it('installs the release, its Node.js and a unit drop-in that runs the daemon with it', () => {
    const tarball = fakeRelease('rel', 'arm64');
    const dest = path.join(tmp, 'installed');
    const r = spawnSync(
      installer,
      ['--from-tarball', tarball, '--root', dest, '--user', 'root', '--no-apt'],
      { encoding: 'utf8' },
    );
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const opt = path.join(dest, 'opt/lpr-edge');
    for (const f of ['node/bin/node', 'MANIFEST.json', 'lpr-edge', 'dist/cli.js', 'bin/lpr-edge.js'])
      expect(existsSync(path.join(opt, f)), f).toBe(true);
    // As the unit sees it: --root's directory is / there.
    expect(readlinkSync(path.join(dest, 'usr/local/bin/lpr-edge'))).toBe('/opt/lpr-edge/lpr-edge');
    const dropin = readFileSync(
      path.join(dest, 'etc/systemd/system/lpr-edge.service.d/release-node.conf'),
      'utf8',
    );
    expect(dropin).toContain(
      'ExecStart=\nExecStart=/opt/lpr-edge/node/bin/node /opt/lpr-edge/bin/lpr-edge.js run --config /etc/lpr-edge/config.yaml',
    );
    // Again: nothing to change in the drop-in (idempotent).
    const again = spawnSync(
      installer,
      ['--from-tarball', tarball, '--root', dest, '--user', 'root', '--no-apt'],
      { encoding: 'utf8' },
    );
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('release-node.conf up to date');
  });

  it('refuses a tarball that does not match its .sha256, and installs nothing', () => {
    const tarball = fakeRelease('damaged', 'arm64');
    writeFileSync(`${tarball}.sha256`, `${'0'.repeat(64)}  ${path.basename(tarball)}\n`);
    const dest = path.join(tmp, 'not-installed');
    const r = spawnSync(
      installer,
      ['--from-tarball', tarball, '--root', dest, '--user', 'root', '--no-apt'],
      { encoding: 'utf8' },
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('does not match');
    expect(existsSync(path.join(dest, 'opt'))).toBe(false);
  });

  it('refuses a release built for another CPU than the machine it is installed on', () => {
    const tarball = fakeRelease('other-cpu', 's390x');
    const r = spawnSync(installer, ['--from-tarball', tarball, '--dry-run', '--no-apt'], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/built for s390x; this machine is/);
  });
});
