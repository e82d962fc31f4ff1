/* global process, console */
// Loads every native module of the release under emulation and makes each do real work once.
// Run with the release folder as the working directory:
//   node --input-type=module -e "$(cat scripts/arm64/smoke.mjs)"
// (-e resolves imports from the working directory, so the release's own node_modules are used.)
import Database from 'better-sqlite3';
import sharp from 'sharp';
import * as ort from 'onnxruntime-node';
import { SerialPort } from 'serialport';

const checks = [];
const check = (name, detail) => {
  checks.push(name);
  console.log(`smoke ${name}: ${detail}`);
};

if (process.arch !== 'arm64') throw new Error(`expected an arm64 node, got ${process.arch}`);
check('node', `${process.version} ${process.platform}-${process.arch}`);

// better-sqlite3: a real file database in WAL mode, as the store uses it.
const dir = (await import('node:fs')).mkdtempSync((await import('node:os')).tmpdir() + '/lpr-arm64-');
const db = new Database(`${dir}/smoke.db`);
db.pragma('journal_mode = WAL');
db.exec('create table t (id integer primary key, plate text)');
db.prepare('insert into t (plate) values (?)').run('ABC1234');
const row = db.prepare('select plate, sqlite_version() as v from t').get();
if (row.plate !== 'ABC1234') throw new Error('better-sqlite3 returned the wrong row');
db.close();
(await import('node:fs')).rmSync(dir, { recursive: true, force: true });
check('better-sqlite3', `SQLite ${row.v}, WAL file database round trip`);

// sharp: encode, decode and resize (libvips for linux-arm64).
const png = await sharp({ create: { width: 64, height: 32, channels: 3, background: '#3366cc' } })
  .png()
  .toBuffer();
const { data, info } = await sharp(png).resize(32, 16).raw().toBuffer({ resolveWithObject: true });
if (info.width !== 32 || data[2] !== 0xcc)
  throw new Error(`sharp resize gave ${info.width}px, blue=${data[2]}`);
check('sharp', `libvips ${sharp.versions.vips}, png encode/decode/resize`);

// serialport: the native binding enumerates ports (none need exist).
const ports = await SerialPort.list();
check('serialport', `binding loaded, ${ports.length} port(s) listed`);

// onnxruntime-node: load the shipped text detector (models/ppocr-det.onnx) and run it once.
const model = 'models/ppocr-det.onnx';
let t = Date.now();
const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1 });
const loadMs = Date.now() - t;
const input = new ort.Tensor('float32', new Float32Array(3 * 64 * 64).fill(0.5), [1, 3, 64, 64]);
t = Date.now();
const out = await session.run({ [session.inputNames[0]]: input });
const result = out[session.outputNames[0]];
if (result.dims.join('x') !== '1x1x64x64') throw new Error(`detector output ${result.dims.join('x')}`);
check(
  'onnxruntime-node',
  `detector loaded in ${loadMs} ms, ran in ${Date.now() - t} ms, output ${result.dims.join('x')}`,
);
await session.release();

console.log(`smoke: all ${checks.length} checks passed`);
