import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';
import { AuditLog } from '../src/policy/audit.js';
import { ADMIN_PW, openTestDb, provision, root } from './policy-helpers.js';

// The command dispatcher: what a user sees for a mistyped subcommand or options in front.
describe('lpr-edge command line', () => {
  it('names an unknown subcommand and the ones there are, on stderr', async () => {
    const r = await runCli(['hotlist', 'imprt', 'x.csv']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'lpr-edge: unknown subcommand "imprt" for hotlist; one of: import, status, check, add, remove\n',
    );
  });

  it('prints the subcommands on stderr when none is given, and on stdout for --help', async () => {
    const none = await runCli(['audit']);
    expect(none.code).toBe(2);
    expect(none.stdout).toBe('');
    expect(none.stderr).toMatch(/^Usage: lpr-edge audit <verify\|report\|list>/);
    const help = await runCli(['audit', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Subcommands:\n {2}audit verify: /);
  });

  it('accepts global options before the command', async () => {
    const dir = tempDir();
    for (const args of [
      ['--data-dir', dir, 'audit', 'verify'],
      [`--data-dir=${dir}`, 'audit', 'verify'],
    ]) {
      const r = await runCli(args);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^audit chain intact/);
    }
    expect(existsSync(path.join(dir, 'lpr-edge.db'))).toBe(true);
    const missing = await runCli(['--config', path.join(dir, 'none.yaml'), 'users', 'list']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/none\.yaml/);
    expect(missing.stderr).not.toMatch(/unknown command/);
  });

  it('says options go after the command for any other option in front of it', async () => {
    const r = await runCli(['--json', 'users', 'list']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'lpr-edge: unknown option "--json" before the command; command options go after it (lpr-edge <command> [options]); run "lpr-edge --help" for the list\n',
    );
  });
});

describe('lpr-edge piped into a reader that stops early', () => {
  it('exits quietly when the reader closes the pipe (lpr-edge ... | head)', () => {
    const dir = tempDir();
    provision(dir);
    const db = openTestDb(dir);
    const audit = new AuditLog(db);
    for (let i = 0; i < 3000; i++) audit.append({ type: 'query', actor: 'ada', details: { n: i } });
    db.close();
    const r = spawnSync(
      'sh',
      ['-c', `node bin/lpr-edge.js audit list --json --as ada --data-dir "${dir}" | head -c 100 > /dev/null`],
      { cwd: root, env: { ...process.env, LPR_EDGE_PASSWORD: ADMIN_PW }, encoding: 'utf8' },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
