/* global process */
// Writes MANIFEST.json for a release folder: what it is built from and for, and a checksum of every
// native binary and model, so a unit (or support) can tell exactly what is installed.
// Usage: node scripts/arm64/manifest.mjs RELEASE_DIR NODE_VERSION GIT_COMMIT > MANIFEST.json
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, lstatSync } from 'node:fs';
import path from 'node:path';

const [dir, nodeVersion, commit] = process.argv.slice(2);
const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
const sha256 = (f) => createHash('sha256').update(readFileSync(f)).digest('hex');
const files = [];
(function walk(d) {
  for (const name of readdirSync(d).sort()) {
    const p = path.join(d, name);
    const st = lstatSync(p);
    if (st.isDirectory()) walk(p);
    else if (st.isFile()) files.push(path.relative(dir, p));
  }
})(dir);
const version = (name) => {
  try {
    return JSON.parse(readFileSync(path.join(dir, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
};
const manifest = {
  name: pkg.name,
  version: pkg.version,
  commit,
  builtAt: new Date().toISOString(),
  target: {
    os: 'linux',
    cpu: 'arm64',
    libc: 'glibc',
    // Measured by arm64-check.sh from the binaries' versioned symbols.
    minGlibc: process.env.GLIBC_NEEDED ?? null,
    minGlibcxx: process.env.GLIBCXX_NEEDED ?? null,
    tested: 'qemu-aarch64 (cortex-a72) against the x86-64 build: scripts/arm64-check.sh',
  },
  node: { version: `v${nodeVersion}`, path: 'node/bin/node' },
  modules: Object.fromEntries(
    [
      'better-sqlite3',
      'sharp',
      '@img/sharp-linux-arm64',
      '@img/sharp-libvips-linux-arm64',
      'onnxruntime-node',
      '@serialport/bindings-cpp',
    ].map((m) => [m, version(m)]),
  ),
  natives: files
    .filter((f) => /\.node$|\.so(\.\d+)*$/.test(f))
    .map((f) => ({ path: f, sha256: sha256(path.join(dir, f)) })),
  models: files
    .filter((f) => /\.onnx$/.test(f) || (f.startsWith('models/') && f.endsWith('.json')))
    .map((f) => ({ path: f, sha256: sha256(path.join(dir, f)) })),
};
process.stdout.write(JSON.stringify(manifest, null, 2) + '\n');
