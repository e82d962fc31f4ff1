import { describe, it, expect, afterAll } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

const root = path.resolve(import.meta.dirname, '..');
const script = path.join(root, 'scripts/install.sh');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lpr-install-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function sh(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  return spawnSync(cmd, args, { encoding: 'utf8', env });
}

describe('scripts/install.sh', () => {
  // Release tarballs with the real layout (docs/arm64.md), stand-ins for the large parts.
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

  /** A work tree (no node/, launcher or MANIFEST.json) with its own copy of the installer. */
  function workTree(version: string): string {
    const src = path.join(tmp, `tree-${version}`);
    const files: Record<string, string> = {
      'scripts/install.sh': fs.readFileSync(script, 'utf8'),
      'systemd/lpr-edge.service': fs.readFileSync(path.join(root, 'systemd/lpr-edge.service'), 'utf8'),
      'bin/lpr-edge.js': '#!/usr/bin/env node\n',
      'dist/cli.js': `export const version = '${version}';\n`,
      'node_modules/dep/index.js': `module.exports = '${version}';\n`,
    };
    for (const [rel, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(src, rel)), { recursive: true });
      fs.writeFileSync(path.join(src, rel), text, { mode: rel.endsWith('.sh') ? 0o755 : 0o644 });
    }
    return src;
  }

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
    expect(text).toContain(
      '[dry-run] write /etc/systemd/system/lpr-edge.service (systemd/lpr-edge.service with ExecStart=/usr/bin/node /opt/lpr-edge/bin/lpr-edge.js run --config /etc/lpr-edge/config.yaml User=lpr-edge Group=lpr-edge)',
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
    // The link is followed on the unit, where --root's directory is /: no build path in it.
    expect(fs.readlinkSync(path.join(dest, 'usr/local/bin/lpr-edge'))).toBe('/opt/lpr-edge/bin/lpr-edge.js');

    const second = sh(path.join(src, 'scripts/install.sh'), args);
    expect(second.status).toBe(0);
    expect(second.stdout.split('\n').filter((l) => l.startsWith('+ '))).toEqual([]);
    expect(second.stdout).toContain('/opt/lpr-edge/dist: up to date');
    expect(second.stdout).toContain(`command: ${path.join(dest, 'usr/local/bin/lpr-edge')} present`);
  });

  it('a rollback (an older release installed over a newer one) puts back exactly the older files; config and data are kept', () => {
    // B is newer in content and in file dates, as a later build is; it also adds a file A does not have.
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

  it('a power cut between the two renames of an upgrade: the re-run puts the old copy back first and keeps it until the new one is in place', () => {
    const dest = path.join(tmp, 'power-cut');
    const opt = path.join(dest, 'opt/lpr-edge');
    const args = ['--root', dest, '--user', 'root', '--no-apt'];
    const a = workTree('1.0.0');
    const b = workTree('2.0.0');
    const first = sh(path.join(a, 'scripts/install.sh'), args);
    expect(first.status, first.stdout + first.stderr).toBe(0);
    // What a cut between "mv dist dist.old" and "mv dist.new dist" of the upgrade to B leaves:
    // A's dist as dist.old, B's as dist.new, no dist (the daemon cannot start).
    fs.renameSync(path.join(opt, 'dist'), path.join(opt, 'dist.old'));
    fs.cpSync(path.join(b, 'dist'), path.join(opt, 'dist.new'), { recursive: true });

    // The re-run is cut too, while it copies B's dist (a cp that kills the installer outright, as
    // a power cut would): A's dist must be back in place, not deleted as a leftover.
    const shims = path.join(tmp, 'shims');
    fs.mkdirSync(shims, { recursive: true });
    const realCp = sh('sh', ['-c', 'command -v cp']).stdout.trim();
    fs.writeFileSync(
      path.join(shims, 'cp'),
      `#!/bin/sh\ncase "$*" in *'/opt/lpr-edge/dist.new') kill -KILL "$PPID"; exit 1 ;; esac\nexec ${realCp} "$@"\n`,
      { mode: 0o755 },
    );
    const cut = sh(path.join(b, 'scripts/install.sh'), args, {
      ...process.env,
      PATH: `${shims}:${process.env.PATH}`,
    });
    expect(cut.signal, cut.stdout + cut.stderr).toBe('SIGKILL');
    expect(fs.readFileSync(path.join(opt, 'dist/cli.js'), 'utf8')).toContain('1.0.0');

    // A whole re-run installs B, and its copy is on disk (sync) before a rename puts it in place.
    const rerun = sh(path.join(b, 'scripts/install.sh'), args);
    expect(rerun.status, rerun.stdout + rerun.stderr).toBe(0);
    expect(fs.readFileSync(path.join(opt, 'dist/cli.js'), 'utf8')).toContain('2.0.0');
    expect(fs.readFileSync(path.join(opt, 'node_modules/dep/index.js'), 'utf8')).toContain('2.0.0');
    expect(fs.readdirSync(opt).filter((n) => /\.(new|old)$/.test(n))).toEqual([]);
    const lines = rerun.stdout.split('\n');
    const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
    const copied = at(/^\+ cp -a \S+ \S+\/dist\.new/);
    const synced = at(/^\+ sync -f /);
    const renamed = at(/^\+ mv -T \S+\/dist \S+\/dist\.old/);
    expect(copied).toBeGreaterThan(-1);
    expect(synced).toBeGreaterThan(copied);
    expect(renamed).toBeGreaterThan(synced);
  });

  it("a work tree installed after a release tarball drops the tarball's Node.js, launcher, MANIFEST.json and unit drop-in; a tarball after it brings them back", () => {
    const dest = path.join(tmp, 'switch');
    const opt = path.join(dest, 'opt/lpr-edge');
    const link = path.join(dest, 'usr/local/bin/lpr-edge');
    const dropin = path.join(dest, 'etc/systemd/system/lpr-edge.service.d/release-node.conf');
    const args = ['--root', dest, '--user', 'root', '--no-apt'];
    const tarball = release('0.3.0', new Date('2026-03-01T00:00:00Z'));
    const fromTarball = () => {
      const r = sh(script, ['--from-tarball', tarball, ...args]);
      expect(r.status, r.stdout + r.stderr).toBe(0);
      return r.stdout;
    };
    fromTarball();
    // The launcher link as the unit sees it (not inside --root's directory); present on a re-run.
    expect(fs.readlinkSync(link)).toBe('/opt/lpr-edge/lpr-edge');
    expect(fs.existsSync(dropin)).toBe(true);
    expect(fromTarball()).toContain(`command: ${link} present`);

    const tree = workTree('0.4.0');
    const r = sh(path.join(tree, 'scripts/install.sh'), args);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    for (const f of ['node', 'lpr-edge', 'MANIFEST.json'])
      expect(fs.existsSync(path.join(opt, f)), f).toBe(false);
    expect(fs.existsSync(dropin)).toBe(false);
    expect(fs.existsSync(path.dirname(dropin))).toBe(false);
    expect(fs.readlinkSync(link)).toBe('/opt/lpr-edge/bin/lpr-edge.js');
    expect(fs.readFileSync(path.join(opt, 'dist/cli.js'), 'utf8')).toContain('0.4.0');

    // And back to the tarball: its Node.js, launcher link and drop-in return.
    fromTarball();
    expect(fs.readlinkSync(link)).toBe('/opt/lpr-edge/lpr-edge');
    expect(fs.readFileSync(path.join(opt, 'node/bin/node'), 'utf8')).toContain('v20.0.3.0');
    expect(fs.readFileSync(dropin, 'utf8')).toContain('ExecStart=/opt/lpr-edge/node/bin/node ');
    expect(fs.readFileSync(path.join(opt, 'dist/cli.js'), 'utf8')).toContain('0.3.0');
  });

  /** A system tree being built (--root): its own account files, with the groups the unit uses. */
  function systemTree(name: string): string {
    const dest = path.join(tmp, name);
    const files: Record<string, string> = {
      passwd: 'root:x:0:0:root:/root:/bin/bash\n',
      group: 'root:x:0:\nvideo:x:44:\ndialout:x:20:\n',
      shadow: 'root:*:19000:0:99999:7:::\n',
      gshadow: 'root:*::\nvideo:*::\ndialout:*::\n',
    };
    fs.mkdirSync(path.join(dest, 'etc'), { recursive: true });
    for (const [file, text] of Object.entries(files)) fs.writeFileSync(path.join(dest, 'etc', file), text);
    return dest;
  }

  /**
   * useradd and usermod that refuse to act on this machine's accounts (without --root): a test of
   * --root cannot create a real user, even with an installer that would.
   */
  function onlyTreeAccounts(): NodeJS.ProcessEnv {
    const shims = path.join(tmp, 'account-shims');
    fs.mkdirSync(shims, { recursive: true });
    for (const tool of ['useradd', 'usermod']) {
      const real = sh('sh', ['-c', `command -v ${tool}`]).stdout.trim();
      fs.writeFileSync(
        path.join(shims, tool),
        `#!/bin/sh\ncase " $* " in *" --root "*) exec ${real} "$@" ;; esac\necho "${tool} without --root would change this machine's accounts" >&2\nexit 97\n`,
        { mode: 0o755 },
      );
    }
    return { ...process.env, PATH: `${shims}:${process.env.PATH}` };
  }

  it('--root: the dry run creates the service account in the tree (useradd/usermod --root), never on this machine', () => {
    const tree = systemTree('dry-tree');
    const r = sh(script, ['--dry-run', '--no-apt', '--root', tree]);
    expect(r.status, r.stderr).toBe(0);
    const accounts = r.stdout.split('\n').filter((l) => /^\[dry-run\] (useradd|usermod) /.test(l));
    expect(accounts.map((l) => l.split(' ').slice(1, 4).join(' '))).toEqual([
      `useradd --root ${tree}`,
      `usermod --root ${tree}`,
      `usermod --root ${tree}`,
    ]);
    expect(accounts[0]).toMatch(/ --system --user-group .*--shell \/usr\/sbin\/nologin .*lpr-edge $/);
    expect(accounts.slice(1).map((l) => l.split(' ').slice(4).join(' '))).toEqual([
      '-aG video lpr-edge ',
      '-aG dialout lpr-edge ',
    ]);

    // A tree without accounts (not a whole system): none is created, and it says so.
    const bare = sh(script, ['--dry-run', '--no-apt', '--root', path.join(tmp, 'no-such-tree')]);
    expect(bare.status, bare.stderr).toBe(0);
    expect(bare.stdout).not.toMatch(/useradd|usermod/);
    expect(bare.stdout).toContain(
      `WARNING: service account not created: ${path.join(tmp, 'no-such-tree')} has no etc/passwd`,
    );
  });

  it.skipIf(process.getuid?.() !== 0)(
    '--root into a system tree creates the service account in its etc/passwd only, and gives it the directories by number',
    () => {
      const tree = systemTree('tree');
      const hostBefore = sh('getent', ['passwd', 'lpr-edge']).stdout;
      const args = ['--root', tree, '--no-apt'];
      const first = sh(path.join(workTree('5.0.0'), 'scripts/install.sh'), args, onlyTreeAccounts());
      expect(first.status, first.stdout + first.stderr).toBe(0);
      const account = fs
        .readFileSync(path.join(tree, 'etc/passwd'), 'utf8')
        .split('\n')
        .find((l) => l.startsWith('lpr-edge:'));
      expect(account).toMatch(
        /^lpr-edge:x:\d+:\d+:lpr-edge daemon:\/var\/lib\/lpr-edge:\/usr\/sbin\/nologin$/,
      );
      const [uid, gid] = account!.split(':').slice(2, 4).map(Number);
      const group = fs.readFileSync(path.join(tree, 'etc/group'), 'utf8');
      expect(group).toMatch(/^video:x:44:lpr-edge$/m);
      expect(group).toMatch(/^dialout:x:20:lpr-edge$/m);
      expect(group).toContain(`lpr-edge:x:${gid}:`);
      expect(sh('getent', ['passwd', 'lpr-edge']).stdout).toBe(hostBefore);
      const owner = (rel: string) => {
        const st = fs.statSync(path.join(tree, rel));
        return [st.uid, st.gid, st.mode & 0o777];
      };
      expect(owner('var/lib/lpr-edge')).toEqual([uid, gid, 0o750]);
      expect(owner('etc/lpr-edge')).toEqual([0, gid, 0o750]);

      const again = sh(path.join(workTree('5.0.0'), 'scripts/install.sh'), args, onlyTreeAccounts());
      expect(again.status, again.stdout + again.stderr).toBe(0);
      expect(again.stdout.split('\n').filter((l) => l.startsWith('+ '))).toEqual([]);
      expect(again.stdout).toContain(`system user lpr-edge in ${tree}: present`);
    },
  );

  it('--prefix and --user are in the installed unit (ExecStart, Documentation, User=, Group=), which systemd-analyze verify accepts', () => {
    const dest = path.join(tmp, 'prefix-user');
    const args = ['--root', dest, '--prefix', '/srv/lpr', '--user', 'nobody', '--no-apt'];
    const installer = path.join(workTree('6.0.0'), 'scripts/install.sh');
    const r = sh(installer, args);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const installed = path.join(dest, 'etc/systemd/system/lpr-edge.service');
    const unit = fs.readFileSync(installed, 'utf8');
    const group = sh('id', ['-gn', 'nobody']).stdout.trim();
    const settings = unit.split('\n').filter((l) => /^(ExecStart|Documentation|User|Group)=/.test(l));
    expect(settings).toEqual([
      'Documentation=file:/srv/lpr/docs/in-car.md',
      'ExecStart=/usr/bin/node /srv/lpr/bin/lpr-edge.js run --config /etc/lpr-edge/config.yaml',
      `User=nobody`,
      `Group=${group}`,
    ]);
    expect(unit).not.toContain('/opt/lpr-edge');
    expect(fs.statSync(installed).mode & 0o777).toBe(0o644);
    // Otherwise the project's unit, line for line.
    const project = fs.readFileSync(path.join(root, 'systemd/lpr-edge.service'), 'utf8').split('\n');
    const changed = unit.split('\n').filter((line, i) => line !== project[i]);
    expect(changed).toEqual(settings);

    // As CI checks the project's unit; node wherever it is here. User=nobody draws systemd's
    // warning about that account, the only output allowed.
    const copy = path.join(dest, 'verify-lpr-edge.service');
    fs.writeFileSync(copy, unit.replace('/usr/bin/node', process.execPath));
    const verify = sh('systemd-analyze', ['verify', copy]);
    expect(verify.status).toBe(0);
    expect(verify.stderr.split('\n').filter((l) => l && !/Special user nobody configured/.test(l))).toEqual(
      [],
    );

    // Installed again: the unit is up to date, nothing is done.
    const again = sh(installer, args);
    expect(again.stdout).toContain(`unit: ${installed} up to date`);
    expect(again.stdout.split('\n').filter((l) => l.startsWith('+ '))).toEqual([]);
  });

  it.skipIf(process.getuid?.() !== 0)(
    'a config provisioned before the install, and the certificate files it names, get the service group (0640), so the daemon can read them',
    () => {
      const dest = path.join(tmp, 'provisioned-first');
      const etc = path.join(dest, 'etc/lpr-edge');
      fs.mkdirSync(etc, { recursive: true });
      // As "sudo lpr-edge provision" and openssl leave them before the service group exists.
      const files: Record<string, [string, number]> = {
        'config.yaml': [
          'unitId: car-1\nagency: pd\nsync:\n  enabled: true\n  brokerUrl: mqtts://hq:8883\n  ca: /etc/lpr-edge/ca.pem\n  cert: "/etc/lpr-edge/car.crt"\n  key: /etc/lpr-edge/car.key\n',
          0o640,
        ],
        'config.yaml.prev': ['unitId: car-1\n', 0o640],
        'ca.pem': ['ca', 0o644],
        'car.crt': ['crt', 0o644],
        'car.key': ['key', 0o600],
        'other.key': ['not named in the config', 0o600],
      };
      for (const [name, [text, mode]] of Object.entries(files)) {
        fs.writeFileSync(path.join(etc, name), text);
        fs.chownSync(path.join(etc, name), 0, 0);
        fs.chmodSync(path.join(etc, name), mode);
      }
      const installer = path.join(workTree('7.0.0'), 'scripts/install.sh');
      const args = ['--root', dest, '--user', 'nobody', '--no-apt'];
      const r = sh(installer, args);
      expect(r.status, r.stdout + r.stderr).toBe(0);
      const gid = Number(sh('id', ['-g', 'nobody']).stdout.trim());
      const owner = (name: string) => {
        const st = fs.statSync(path.join(etc, name));
        return [st.uid, st.gid, st.mode & 0o777];
      };
      for (const name of ['config.yaml', 'config.yaml.prev', 'ca.pem', 'car.crt', 'car.key'])
        expect(owner(name), name).toEqual([0, gid, 0o640]);
      expect(owner('other.key')).toEqual([0, 0, 0o600]);
      const again = sh(installer, args);
      expect(again.stdout.split('\n').filter((l) => l.startsWith('+ '))).toEqual([]);
    },
  );

  it('runs the unit with the Node.js it checked on PATH, not a /usr/bin/node that may not be there', () => {
    // Node.js 20 from NodeSource or the official tarball, e.g. in /usr/local/bin, first on PATH.
    const bin = path.join(tmp, 'node-elsewhere');
    fs.mkdirSync(bin, { recursive: true });
    fs.symlinkSync(process.execPath, path.join(bin, 'node'));
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
    const installer = path.join(workTree('8.0.0'), 'scripts/install.sh');
    // This machine (no --root): only a dry run, which writes nothing here.
    const dry = sh(installer, ['--dry-run', '--no-apt', '--user', 'nobody'], env);
    expect(dry.status, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`(${bin}/node, the unit's ExecStart)`);
    expect(dry.stdout).toMatch(
      new RegExp(
        `\\[dry-run\\] write .*lpr-edge\\.service \\(.*ExecStart=${bin}/node /opt/lpr-edge/bin/lpr-edge\\.js run`,
      ),
    );
  });

  it("--root (an image): ExecStart names the image's Node.js (/usr/bin/node, or --node PATH), never the builder's", () => {
    // The builder's Node.js is somewhere the image does not have it (an nvm or CI tool cache).
    const bin = path.join(tmp, 'builder-node');
    fs.mkdirSync(bin, { recursive: true });
    fs.symlinkSync(process.execPath, path.join(bin, 'node'));
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
    const installer = path.join(workTree('8.1.0'), 'scripts/install.sh');
    const dest = path.join(tmp, 'image-node');
    const unitFile = path.join(dest, 'etc/systemd/system/lpr-edge.service');
    const execStart = () =>
      fs
        .readFileSync(unitFile, 'utf8')
        .split('\n')
        .find((l) => l.startsWith('ExecStart='));
    const args = ['--root', dest, '--user', 'nobody', '--no-apt'];

    // The image has no Node.js yet: /usr/bin/node, with a warning that names the fix.
    const r = sh(installer, args, env);
    expect(r.status, r.stderr).toBe(0);
    expect(execStart()).toBe(
      'ExecStart=/usr/bin/node /opt/lpr-edge/bin/lpr-edge.js run --config /etc/lpr-edge/config.yaml',
    );
    expect(r.stdout).not.toContain(bin);
    expect(r.stdout).toContain(
      `WARNING: ${dest}/usr/bin/node does not exist: install Node.js 20 or newer in the image there, or give --node PATH (where the image has it)`,
    );

    // The image has it elsewhere: --node names it; present there, no warning.
    fs.mkdirSync(path.join(dest, 'usr/local/bin'), { recursive: true });
    fs.writeFileSync(path.join(dest, 'usr/local/bin/node'), '#!/bin/sh\n', { mode: 0o755 });
    const withNode = sh(installer, [...args, '--node', '/usr/local/bin/node'], env);
    expect(withNode.status, withNode.stderr).toBe(0);
    expect(execStart()).toBe(
      'ExecStart=/usr/local/bin/node /opt/lpr-edge/bin/lpr-edge.js run --config /etc/lpr-edge/config.yaml',
    );
    expect(withNode.stdout).toContain("Node.js: /usr/local/bin/node (in the image, the unit's ExecStart)");
    expect(withNode.stdout).not.toContain('WARNING');

    // A relative --node means nothing to systemd.
    const relative = sh(installer, [...args, '--node', 'bin/node'], env);
    expect(relative.status).toBe(2);
    expect(relative.stderr).toBe(
      'install.sh: --node bin/node: give the absolute path of node (e.g. /usr/bin/node)\n',
    );
  });

  it('a work tree that is not built is refused with the command that builds it (bash scripts/setup.sh)', () => {
    const tree = workTree('7.0.0');
    fs.rmSync(path.join(tree, 'dist/cli.js'));
    const r = sh(path.join(tree, 'scripts/install.sh'), [
      '--root',
      path.join(tmp, 'unbuilt'),
      '--user',
      'root',
      '--no-apt',
    ]);
    expect(r.stderr).toBe(
      `install.sh: ${tree}/dist/cli.js is missing; run 'bash scripts/setup.sh' (or use a release tarball) first\n`,
    );
    expect(r.status).toBe(1);
    // The command it names is the one the README gives, and it exists.
    expect(fs.readFileSync(path.join(root, 'README.md'), 'utf8')).toContain('bash scripts/setup.sh');
    expect(fs.existsSync(path.join(root, 'scripts/setup.sh'))).toBe(true);
  });

  it('refuses unknown options', () => {
    const r = sh(script, ['--frobnicate']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown option --frobnicate/);
  });
});
