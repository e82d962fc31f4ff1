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

  it('is idempotent: a second run into the same root does nothing but refresh the application files', () => {
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
    const actions = second.stdout.split('\n').filter((l) => l.startsWith('+ '));
    expect(actions.every((l) => l.startsWith('+ cp -a --update '))).toBe(true);
    expect(second.stdout).toContain('up to date');
  });

  it('refuses unknown options', () => {
    const r = sh(script, ['--frobnicate']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown option --frobnicate/);
  });
});
