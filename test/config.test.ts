import { describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseConfig, loadConfig, loadConfigFile } from '../src/config/load.js';
import { embeddedDefaults } from '../src/config/defaults.js';
import { runCli } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';

const dir = tempDir();
const valid = {
  unitId: 'car-17',
  agency: 'springfield-pd',
  dataDir: '/var/lib/lpr-edge',
  vision: { detector: { model: 'det.onnx' }, recogniser: { model: 'rec.onnx' } },
};

describe('configuration', () => {
  it('accepts a minimal config and fills in defaults', () => {
    const config = parseConfig(valid);
    expect(config.tracker.idleMs).toBe(1500);
    expect(config.vision.threads).toBe(2);
    expect(config.cameras).toEqual([]);
  });

  it('names an unknown key and says to remove it', () => {
    expect(() => parseConfig({ ...valid, unitid: 'x' })).toThrow(
      /unknown key "unitid": remove it or check its spelling/,
    );
    expect(() => parseConfig({ ...valid, vision: { ...valid.vision, treads: 2 } })).toThrow(
      /unknown key "vision.treads"/,
    );
  });

  it('names the key, the bad value and what is allowed', () => {
    expect(() => parseConfig({ ...valid, log: { level: 'loud' } })).toThrow(
      /log\.level: got "loud"; allowed: "trace", "debug", "info", "warn", "error", "fatal", "silent"/,
    );
    expect(() => parseConfig({ ...valid, vision: { ...valid.vision, threads: 0 } })).toThrow(
      /vision\.threads: got 0;.*>=\s?1/,
    );
    expect(() => parseConfig({ ...valid, unitId: undefined })).toThrow(/unitId: missing/);
    expect(() => parseConfig({ ...valid, unitId: 'fleet' })).toThrow(/unitId: .*"fleet" is reserved/);
    expect(() => parseConfig({ ...valid, region: 'eu', plateCountries: ['SK', 'AT'] })).toThrow(
      /plateCountries\[1\]: got "AT"; one of SK, CZ, PL/,
    );
    expect(() => parseConfig({ ...valid, homeState: 'New York' })).toThrow(
      /homeState: got "New York"; a two-letter USPS code/,
    );
    expect(() =>
      parseConfig({ ...valid, cameras: [{ id: 'front', kind: 'file', path: 'x.mp4', position: 'roof' }] }),
    ).toThrow(/cameras\[0\]\.position: got "roof"; allowed: "front", "rear", "left", "right"/);
  });

  it('loads YAML and JSON files, resolving relative paths against the file', () => {
    const yamlFile = path.join(dir, 'unit.yaml');
    writeFileSync(
      yamlFile,
      'unitId: car-17\nagency: spd\ndataDir: ./data\nvision:\n  detector: { model: m/det.onnx }\n  recogniser: { model: m/rec.onnx }\n',
    );
    const fromYaml = loadConfigFile(yamlFile);
    expect(fromYaml.dataDir).toBe(path.join(dir, 'data'));
    expect(fromYaml.vision.detector.model).toBe(path.join(dir, 'm/det.onnx'));
    const jsonFile = path.join(dir, 'unit.json');
    writeFileSync(jsonFile, JSON.stringify(valid));
    expect(loadConfigFile(jsonFile).unitId).toBe('car-17');
  });

  it('reports a file that is not valid YAML with the file name', () => {
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(bad, 'unitId: [unclosed\n');
    expect(() => loadConfigFile(bad)).toThrow(new RegExp(`config ${bad}: not valid YAML`));
  });

  it('lets --data-dir override the configured data directory', () => {
    const { config } = loadConfig({ dataDir: path.join(dir, 'elsewhere') });
    expect(config.dataDir).toBe(path.join(dir, 'elsewhere'));
  });

  it('has embedded defaults that run the demo recording', () => {
    const config = embeddedDefaults();
    expect(config.cameras[0]).toMatchObject({ kind: 'file', id: 'demo' });
    expect(config.cameras[0]!.path).toMatch(/demo\.mp4$/);
  });

  it('makes the CLI exit non-zero with a one-line error for a bad config', async () => {
    const bad = path.join(dir, 'typo.yaml');
    writeFileSync(
      bad,
      'unitId: car-1\nagency: spd\ndataDir: /tmp/x\ncamras: []\nvision: { detector: { model: a }, recogniser: { model: b } }\n',
    );
    const result = await runCli(['read', '--config', bad, 'x.jpg']);
    expect(result.code).not.toBe(0);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/unknown key "camras"/);
  });

  it('names the data directory and the fix when it is a file, or holds a file that is not a database', async () => {
    const file = path.join(dir, 'not-a-folder');
    writeFileSync(file, 'x');
    const notFolder = await runCli(['audit', 'verify', '--data-dir', file]);
    expect(notFolder.code).toBe(2);
    expect(notFolder.stderr).toBe(
      `lpr-edge: data directory ${file} is not a folder (a file is in the way); point --data-dir (or dataDir in the config) at a folder\n`,
    );
    const junk = path.join(dir, 'junk-data');
    mkdirSync(junk);
    writeFileSync(path.join(junk, 'lpr-edge.db'), 'these are not the reads you are looking for\n'.repeat(20));
    const notDb = await runCli(['audit', 'verify', '--data-dir', junk]);
    expect(notDb.code).toBe(2);
    expect(notDb.stderr.trim().split('\n')).toHaveLength(1);
    expect(notDb.stderr).toMatch(
      `lpr-edge: ${path.join(junk, 'lpr-edge.db')} is not a usable database (file is not a database); check that --data-dir`,
    );
    expect(notDb.stderr).toMatch(/do not delete it/);
  });
});
