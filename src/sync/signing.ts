import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { z } from 'zod';
import { signedEnvelopeSchema, type SignedEnvelope } from './schemas.js';

/**
 * Ed25519 signatures over the exact bytes of a JSON document. The signed bytes travel base64 in
 * the envelope, so no canonical-JSON agreement is needed between HQ and the unit: the unit
 * verifies the bytes it received, then parses them.
 */

/** A PEM string, or a path to a PEM file. */
export function loadPublicKey(pemOrPath: string): KeyObject {
  const pem = pemOrPath.includes('-----BEGIN') ? pemOrPath : readPem(pemOrPath, 'sync.hqPublicKey');
  const key = createPublicKey(pem);
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new Error(
      `sync.hqPublicKey: got a ${key.asymmetricKeyType} key; an Ed25519 public key (PEM) is needed`,
    );
  }
  return key;
}

export function loadPrivateKey(pemOrPath: string): KeyObject {
  const pem = pemOrPath.includes('-----BEGIN') ? pemOrPath : readPem(pemOrPath, 'signing key');
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (err) {
    const which = pemOrPath.includes('-----BEGIN') ? '' : ` ${pemOrPath}`;
    const isPublic = pem.includes('PUBLIC KEY');
    throw new Error(
      `signing key${which}: ${isPublic ? 'this is a public key' : `not a PEM private key (${(err as Error).message})`}; ` +
        'give the private key (hq-signing.key from keygen), not hq-signing.pub',
    );
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw new Error(`signing key is ${key.asymmetricKeyType}, not Ed25519`);
  return key;
}

function readPem(file: string, what: string): string {
  if (!existsSync(file))
    throw new Error(`${what}: file ${file} does not exist; give a PEM path or the PEM text`);
  return readFileSync(file, 'utf8');
}

export function generateSigningKeys(): { publicKeyPem: string; privateKeyPem: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

export function signDocument(document: unknown, privateKey: KeyObject, keyId?: string): SignedEnvelope {
  const bytes = Buffer.from(JSON.stringify(document), 'utf8');
  return {
    v: 1,
    alg: 'Ed25519',
    ...(keyId ? { keyId } : {}),
    payload: bytes.toString('base64'),
    signature: sign(null, bytes, privateKey).toString('base64'),
  };
}

export class SignatureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SignatureError';
  }
}

/** Verify an envelope (already parsed JSON) and return the signed document, parsed as JSON. */
export function openSigned(raw: unknown, publicKey: KeyObject | undefined): unknown {
  const env = signedEnvelopeSchema.safeParse(raw);
  if (!env.success) throw new SignatureError(`not a signed document: ${envelopeProblems(raw, env.error)}`);
  if (!publicKey)
    throw new SignatureError('no sync.hqPublicKey configured: signed documents cannot be verified');
  const bytes = Buffer.from(env.data.payload, 'base64');
  const signature = Buffer.from(env.data.signature, 'base64');
  let ok = false;
  try {
    ok = verify(null, bytes, publicKey, signature);
  } catch {
    ok = false;
  }
  if (!ok) throw new SignatureError('signature does not verify against headquarters’ public key');
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch {
    throw new SignatureError('signed payload is not JSON');
  }
}

const ENVELOPE = '{v:1, alg:"Ed25519", payload, signature}';

/**
 * Each envelope field that is wrong, and what was expected of it ("alg: expected "Ed25519", got
 * "RS256""; "signature: missing"): the same words for every fault would leave whoever runs HQ's
 * signer guessing which one it is.
 */
function envelopeProblems(raw: unknown, error: z.ZodError): string {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return `expected an object ${ENVELOPE}, got ${describe(raw)}`;
  const fields = raw as Record<string, unknown>;
  const missing: string[] = [];
  const wrong: string[] = [];
  for (const issue of error.issues) {
    const key = String(issue.path[0]);
    const value = fields[key];
    if (value === undefined) {
      if (!missing.includes(key)) missing.push(key);
    } else if (issue.code === 'invalid_value')
      wrong.push(
        `${key}: expected ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}, got ${describe(value)}`,
      );
    else if (issue.code === 'invalid_type')
      wrong.push(`${key}: expected a ${issue.expected}, got ${describe(value)}`);
    else if (issue.code === 'too_small') wrong.push(`${key}: empty`);
    else if (issue.code === 'too_big') wrong.push(`${key}: longer than ${issue.maximum} characters`);
    else if (issue.code === 'invalid_format') wrong.push(`${key}: not ${issue.message}`);
    else wrong.push(`${key}: ${issue.message}`);
  }
  const problems = [...(missing.length > 0 ? [`${missing.join(', ')}: missing`] : []), ...wrong];
  return `${problems.join('; ')} (expected ${ENVELOPE})`;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
