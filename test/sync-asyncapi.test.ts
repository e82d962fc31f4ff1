import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildAsyncApi, renderAsyncApi } from '../src/sync/asyncapi.js';
import { encodeRecord } from '../src/sync/codec.js';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function ajv() {
  const Ajv = require('ajv').default;
  const addFormats = require('ajv-formats');
  // The AsyncAPI 3 schema bundles its own copy of the draft-07 meta-schema.
  const a = new Ajv({ strict: false, allErrors: true, meta: false, validateSchema: false });
  addFormats(a);
  return a;
}

describe('AsyncAPI document', () => {
  it('the committed docs/asyncapi.yaml is exactly what the zod schemas generate', () => {
    const committed = readFileSync(path.join(root, 'docs', 'asyncapi.yaml'), 'utf8');
    expect(
      committed,
      'run `npx tsc -p . && node scripts/gen-asyncapi.mjs` and commit docs/asyncapi.yaml',
    ).toBe(renderAsyncApi());
  });

  it('is a structurally valid AsyncAPI 3.0 document whose $refs all resolve', () => {
    const doc = parse(readFileSync(path.join(root, 'docs', 'asyncapi.yaml'), 'utf8')) as Record<
      string,
      unknown
    >;
    const { schemas } = require('@asyncapi/specs');
    const validate = ajv().compile(schemas['3.0.0']);
    const ok = validate(doc);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    const refs: string[] = [];
    const walk = (v: unknown) => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') {
        for (const [k, x] of Object.entries(v)) {
          if (k === '$ref' && typeof x === 'string') refs.push(x);
          else walk(x);
        }
      }
    };
    walk(doc);
    expect(refs.length).toBeGreaterThan(20);
    for (const ref of refs) {
      if (!ref.startsWith('#/')) continue; // zod-internal refs inside a schema are relative to it
      let cur: unknown = doc;
      for (const part of ref.slice(2).split('/'))
        cur = (cur as Record<string, unknown> | undefined)?.[part.replace(/~1/g, '/')];
      expect(cur, `unresolved ${ref}`).toBeDefined();
    }
    const channels = doc.channels as Record<string, { address: string }>;
    expect(Object.values(channels).map((c) => c.address)).toContain('lpr/v1/{agency}/{unit}/up/read');
  });

  it('a read message as the unit encodes it validates against the documented schema, a broken one does not', () => {
    const doc = buildAsyncApi() as { components: { schemas: Record<string, object> } };
    const validate = ajv().compile(doc.components.schemas.ReadMessage!);
    const message = {
      v: 1,
      id: 'car-1:read:abc',
      kind: 'read',
      agency: 'nyspd',
      unit: 'car-1',
      seq: 1,
      sentAt: 1,
      body: {
        id: 'abc',
        cameraId: 'front',
        ts: 1,
        firstSeen: 1,
        lastSeen: 1,
        plate: 'ABC1234',
        state: 'NY',
        stateConfidence: 0.9,
        confidence: 0.9,
        charConfidences: [0.9],
        candidates: [],
        frames: 3,
        box: [1, 2, 3, 4],
        gps: null,
        gpsFixAgeMs: null,
        flags: [],
      },
    };
    const bytes = encodeRecord(structuredClone(message), { crop: Buffer.from([0xff, 0xd8, 0xff]) }, 'base64');
    expect(validate(JSON.parse(bytes.toString()))).toBe(true);
    expect(validate({ ...message, kind: 'hit' })).toBe(false);
    expect(validate({ ...message, body: { ...message.body, confidence: 'high' } })).toBe(false);
  });
});
