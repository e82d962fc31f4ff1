import { describe, it, expect } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ROOT } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';

/**
 * `lpr-edge provision` with bad or awkward input from the technician: one clear line, a non-zero
 * exit, no stack trace and nothing written.
 */
const tmp = tempDir('lpr-prov-input-');

/** Run the built CLI from `cwd` (the technician's current directory). */
function cli(args: string[], opts: { input?: string; cwd?: string } = {}) {
  return spawnSync(process.execPath, [path.join(ROOT, 'bin/lpr-edge.js'), ...args], {
    cwd: opts.cwd ?? tmp,
    encoding: 'utf8',
    input: opts.input ?? '',
    timeout: 60_000,
  });
}

/** The user saw one message line, no stack trace. */
function expectOneLine(stderr: string): void {
  expect(stderr).not.toMatch(/\n\s+at |unexpected error/);
  expect(stderr.trim().split('\n')).toHaveLength(1);
}

describe('provision --answers with a syntax error', () => {
  it('names the YAML file and the line, exits 2, writes nothing', () => {
    fs.writeFileSync(path.join(tmp, 'bad.yaml'), 'unitId: car-1\nagency: [unclosed\n');
    const r = cli(['provision', '--config', 'y/config.yaml', '--answers', 'bad.yaml']);
    expect(r.status).toBe(2);
    expectOneLine(r.stderr);
    expect(r.stderr).toMatch(/^lpr-edge: answers bad\.yaml: not valid YAML: .* at line \d+, column \d+$/m);
    expect(fs.existsSync(path.join(tmp, 'y'))).toBe(false);
  });

  it('names the JSON file and the line of the error', () => {
    fs.writeFileSync(path.join(tmp, 'bad.json'), '{\n  "unitId": "car-1",\n  "agency": }\n');
    const r = cli(['provision', '--config', 'j/config.yaml', '--answers', 'bad.json']);
    expect(r.status).toBe(2);
    expectOneLine(r.stderr);
    expect(r.stderr).toMatch(/^lpr-edge: answers bad\.json: not valid JSON at line 3, column 13: /);
    fs.writeFileSync(path.join(tmp, 'comma.json'), '{\n  "unitId": "car-1",\n  "agency": "a",\n}\n');
    const c = cli(['provision', '--config', 'j/config.yaml', '--answers', 'comma.json']);
    expect(c.status).toBe(2);
    expect(c.stderr).toMatch(/^lpr-edge: answers comma\.json: not valid JSON at line 4, column 1: /);
    expect(fs.existsSync(path.join(tmp, 'j'))).toBe(false);
  });
});
