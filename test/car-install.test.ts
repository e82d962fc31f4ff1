import { describe, it, expect, afterAll } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

const root = path.resolve(import.meta.dirname, '..');
const script = path.join(root, 'scripts/install.sh');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lpr-install-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function sh(cmd: string, args: string[]) {
  return spawnSync(cmd, args, { encoding: 'utf8' });
}

describe('scripts/install.sh', () => {
  it('passes shellcheck', () => {
    const r = sh('shellcheck', [script]);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('--dry-run prints every action and changes nothing', () => {
    const r = sh(script, ['--dry-run', '--no-apt']);
    expect(r.status).toBe(0);
    const actions = r.stdout.split('\n').filter((l) => l.startsWith('[dry-run]'));
    const text = actions.join('\n');
    // The service account is a system user with no login; no person's account is ever created.
    if (!sh('getent', ['passwd', 'lpr-edge']).stdout)
      expect(text).toMatch(/useradd --system .*--shell \/usr\/sbin\/nologin .*lpr-edge/);
    expect(text).toContain('/etc/lpr-edge');
    expect(text).toContain('/var/lib/lpr-edge');
    expect(text).toMatch(
      /install -m 0644 .*systemd\/lpr-edge\.service \/etc\/systemd\/system\/lpr-edge\.service/,
    );
    expect(text).toContain('systemctl enable lpr-edge.service');
    expect(r.stdout.split('\n').filter((l) => l.startsWith('+ '))).toEqual([]);
  });

  it('is idempotent: a second run into the same root changes nothing', () => {
    // A small application tree beside a copy of the script (the real one has a large node_modules).
    const src = path.join(tmp, 'src');
    for (const d of ['scripts', 'systemd', 'bin', 'dist'])
      fs.mkdirSync(path.join(src, d), { recursive: true });
    fs.copyFileSync(script, path.join(src, 'scripts/install.sh'));
    fs.copyFileSync(path.join(root, 'systemd/lpr-edge.service'), path.join(src, 'systemd/lpr-edge.service'));
    fs.writeFileSync(path.join(src, 'bin/lpr-edge.js'), '#!/usr/bin/env node\n');
    fs.writeFileSync(path.join(src, 'dist/cli.js'), '');
    const dest = path.join(tmp, 'root');
    const args = ['--root', dest, '--user', 'root', '--no-apt'];
    const first = sh(path.join(src, 'scripts/install.sh'), args);
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(fs.existsSync(path.join(dest, 'etc/systemd/system/lpr-edge.service'))).toBe(true);
    expect(fs.statSync(path.join(dest, 'var/lib/lpr-edge')).mode & 0o777).toBe(0o750);
    expect(fs.readlinkSync(path.join(dest, 'usr/local/bin/lpr-edge'))).toBe(
      path.join(dest, 'opt/lpr-edge/bin/lpr-edge.js'),
    );

    const second = sh(path.join(src, 'scripts/install.sh'), args);
    expect(second.status).toBe(0);
    expect(second.stdout.split('\n').filter((l) => l.startsWith('+ '))).toEqual([]);
    expect(second.stdout).toContain('/opt/lpr-edge/dist: up to date');
  });

  it('a rollback (an older release installed over a newer one) puts back exactly the older files; config and data are kept', () => {
    // Release tarballs with the real layout (docs/arm64.md), stand-ins for the large parts. B is
    // newer in content and in file dates, as a later build is; it also adds a file A does not have.
    function release(version: string, mtime: Date, extra: Record<string, string> = {}): string {
      const dir = path.join(tmp, `rel-${version}`, 'lpr-edge');
      const files: Record<string, string> = {
        'bin/lpr-edge.js': '#!/usr/bin/env node\n',
        'dist/cli.js': `export const version = '${version}';\n`,
        'models/plate-rec.json': `{"version":"${version}"}\n`,
        'node_modules/dep/index.js': `module.exports = '${version}';\n`,
        'package.json': `{"name":"lpr-edge","version":"${version}"}\n`,
        'systemd/lpr-edge.service': fs.readFileSync(path.join(root, 'systemd/lpr-edge.service'), 'utf8'),
        'docs/in-car.md': `# lpr-edge ${version}\n`,
        'node/bin/node': `#!/bin/sh\necho v20.${version}\n`,
        'lpr-edge': `#!/bin/sh\n# ${version}\n`,
        'MANIFEST.json': JSON.stringify({ name: 'lpr-edge', version, target: { os: 'linux', cpu: 'arm64' } }),
        ...extra,
      };
      for (const [rel, text] of Object.entries(files)) {
        const file = path.join(dir, rel);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, text, { mode: rel === 'node/bin/node' || rel === 'lpr-edge' ? 0o755 : 0o644 });
        fs.utimesSync(file, mtime, mtime);
      }
      const tarball = path.join(tmp, `rel-${version}`, `lpr-edge-${version}-linux-arm64.tar.gz`);
      expect(sh('tar', ['-C', path.dirname(dir), '-czf', tarball, 'lpr-edge']).status).toBe(0);
      return tarball;
    }
    const a = release('0.1.0', new Date('2026-01-10T00:00:00Z'));
    const b = release('0.2.0', new Date('2026-06-10T00:00:00Z'), {
      'dist/new-feature.js': 'export {};\n',
    });
    const dest = path.join(tmp, 'rollback');
    const opt = path.join(dest, 'opt/lpr-edge');
    const install = (tarball: string) => {
      const r = sh(script, ['--from-tarball', tarball, '--root', dest, '--user', 'root', '--no-apt']);
      expect(r.status, r.stdout + r.stderr).toBe(0);
      return r.stdout;
    };
    /** Every file under the prefix with its content (symlinks and directories left out). */
    const installed = () => {
      const out: Record<string, string> = {};
      for (const rel of fs.readdirSync(opt, { recursive: true }) as string[]) {
        if (fs.lstatSync(path.join(opt, rel)).isFile())
          out[rel] = fs.readFileSync(path.join(opt, rel), 'utf8');
      }
      return out;
    };

    install(a);
    const filesOfA = installed();
    expect(filesOfA['dist/cli.js']).toContain('0.1.0');
    // The unit's own config and data, which no install may touch.
    fs.writeFileSync(path.join(dest, 'etc/lpr-edge/config.yaml'), 'unitId: car-12\n');
    fs.writeFileSync(path.join(dest, 'var/lib/lpr-edge/lpr-edge.db'), 'reads');

    install(b);
    expect(installed()['dist/cli.js']).toContain('0.2.0');
    expect(installed()['dist/new-feature.js']).toBeDefined();

    install(a);
    expect(installed()).toEqual(filesOfA);
    expect(fs.statSync(path.join(opt, 'node/bin/node')).mode & 0o777).toBe(0o755);
    expect(fs.readFileSync(path.join(dest, 'etc/lpr-edge/config.yaml'), 'utf8')).toBe('unitId: car-12\n');
    expect(fs.readFileSync(path.join(dest, 'var/lib/lpr-edge/lpr-edge.db'), 'utf8')).toBe('reads');
    // No staging copies left beside the installed ones.
    expect(fs.readdirSync(opt).filter((n) => /\.(new|old)$/.test(n))).toEqual([]);

    // And A once more: nothing left to change.
    const again = install(a);
    expect(again.split('\n').filter((l) => l.startsWith('+ '))).toEqual([]);
  });

  it('refuses unknown options', () => {
    const r = sh(script, ['--frobnicate']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown option --frobnicate/);
  });
});
