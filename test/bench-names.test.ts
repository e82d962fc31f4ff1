import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './helpers/cli.js';

describe('npm run bench -- NAME...', () => {
  it('refuses an unknown name before running any benchmark', () => {
    // The pipeline benchmark takes minutes: it must not run before the typo after it is told.
    const r = spawnSync(
      process.execPath,
      [path.join(ROOT, 'dist', 'bench', 'run.js'), 'pipeline', 'pipline'],
      {
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    expect(r.status).toBe(2);
    expect(r.stdout).not.toMatch(/# pipeline/);
    expect(r.stderr.trim()).toBe(
      'unknown benchmark "pipline"; known: pipeline, recognise, car, hotlist, console-latency, sync, policy',
    );
  });
});
