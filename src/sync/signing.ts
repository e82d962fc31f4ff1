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
import type { SignedKind } from './config.js';
import { signedEnvelopeSchema, type SignedEnvelope } from './schemas.js';

/**
 * Ed25519 signatures over the exact bytes of a JSON document. The signed bytes travel base64 in
 * the envelope, so no canonical-JSON agreement is needed between HQ and the unit: the unit
 * verifies the bytes it received, then parses them.
 */

/** A PEM string, or a path to a PEM file. `what`: the config key, for messages. */
export function loadPublicKey(pemOrPath: string, what = 'sync.hqPublicKey'): KeyObject {
  const pem = pemOrPath.includes('-----BEGIN') ? pemOrPath : readPem(pemOrPath, what);
  // createPublicKey takes a private key too (it derives the public one): HQ's private key on a unit
  // would let whoever reads the unit's disk sign as HQ.
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem))
    throw new Error(
      `${what}: this is a private key; give the public one (the .pub of the pair), and keep the private key off the unit`,
    );
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (err) {
    throw new Error(`${what}: not a PEM public key (${(err as Error).message})`);
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new Error(`${what}: got a ${key.asymmetricKeyType} key; an Ed25519 public key (PEM) is needed`);
  }
  return key;
}

/**
 * Headquarters' public keys as the unit holds them: `main` (sync.hqPublicKey) for documents signed
 * without a keyId or with one not listed, and the keys of `sync.hqKeys` by keyId, each for the
 * kinds of document it signs.
 */
export interface HqKeys {
  main?: KeyObject;
  byId: Map<string, { key: KeyObject; signs: readonly SignedKind[] }>;
}

export function loadHqKeys(cfg: {
  hqPublicKey?: string | undefined;
  hqKeys?: { keyId: string; publicKey: string; signs: readonly SignedKind[] }[] | undefined;
}): HqKeys {
  const byId: HqKeys['byId'] = new Map();
  (cfg.hqKeys ?? []).forEach((k, i) =>
    byId.set(k.keyId, { key: loadPublicKey(k.publicKey, `sync.hqKeys[${i}].publicKey`), signs: k.signs }),
  );
  return { ...(cfg.hqPublicKey ? { main: loadPublicKey(cfg.hqPublicKey) } : {}), byId };
}

/** The kinds of document no key checks: the unit refuses every one of them. */
export function uncoveredKinds(keys: HqKeys): SignedKind[] {
  if (keys.main) return [];
  const covered = new Set([...keys.byId.values()].flatMap((k) => k.signs));
  return (['hotlist', 'roster', 'pull', 'ack'] as const).filter((k) => !covered.has(k));
}

const KIND_NAMES: Record<SignedKind, string> = {
  hotlist: 'a hotlist',
  roster: 'a roster',
  pull: 'a pull request',
  ack: 'an ack',
};

/**
 * Verify a document of kind `kind` HQ signed: against the key its envelope's `keyId` names when
 * `sync.hqKeys` lists it (and only if that key signs this kind), else against sync.hqPublicKey.
 * So a key kept for acks cannot sign a hotlist, roster or pull request, whatever keyId it claims:
 * its own keyId is refused for them, and any other does not verify against the main key.
 */
export function openSignedBy(raw: unknown, keys: HqKeys, kind: SignedKind): unknown {
  const keyId =
    typeof raw === 'object' && raw !== null && typeof (raw as { keyId?: unknown }).keyId === 'string'
      ? (raw as { keyId: string }).keyId
      : undefined;
  const named = keyId === undefined ? undefined : keys.byId.get(keyId);
  if (named) {
    if (!named.signs.includes(kind))
      throw new SignatureError(
        `signed with key "${keyId}", which signs ${named.signs.join(', ')} only, not ${KIND_NAMES[kind]}`,
      );
    return openSigned(raw, named.key, `key "${keyId}"`);
  }
  if (!keys.main && keys.byId.size > 0)
    throw new SignatureError(
      `${keyId === undefined ? 'no keyId' : `keyId "${keyId}" is not in sync.hqKeys`}, and sync.hqPublicKey is not set: no key to check it against`,
    );
  return openSigned(raw, keys.main);
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

/**
 * Verify an envelope (already parsed JSON) and return the signed document, parsed as JSON.
 * `keyName`: which key, for the message when the signature does not verify.
 */
export function openSigned(
  raw: unknown,
  publicKey: KeyObject | undefined,
  keyName = 'headquarters’ public key',
): unknown {
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
  if (!ok) throw new SignatureError(`signature does not verify against ${keyName}`);
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
