import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';

/**
 * Password/PIN hashing with scrypt (memory-hard). The stored string carries its own parameters,
 * so raising the cost later still verifies older hashes.
 * Format: scrypt$<log2N>$<r>$<p>$<salt b64>$<hash b64>
 */
const R = 8;
const P = 1;
const KEYLEN = 32;

function maxmem(log2N: number): number {
  // scrypt needs 128 * N * r bytes; leave headroom for the rest.
  return 128 * 2 ** log2N * R * 2;
}

export function hashPassword(secret: string, log2N: number): string {
  const salt = randomBytes(16);
  const hash = scryptSync(secret.normalize('NFKC'), salt, KEYLEN, {
    N: 2 ** log2N,
    r: R,
    p: P,
    maxmem: maxmem(log2N),
  });
  return ['scrypt', log2N, R, P, salt.toString('base64'), hash.toString('base64')].join('$');
}

export function verifyPassword(secret: string, stored: string): boolean {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, n, r, p, saltB64, hashB64] = parts as [string, string, string, string, string, string];
  const log2N = Number(n);
  const expected = Buffer.from(hashB64, 'base64');
  const actual = scryptSync(secret.normalize('NFKC'), Buffer.from(saltB64, 'base64'), expected.length, {
    N: 2 ** log2N,
    r: Number(r),
    p: Number(p),
    maxmem: 128 * 2 ** log2N * Number(r) * 2,
  });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** A hash of a random secret: used to spend the same time on unknown user names. */
export function dummyHash(log2N: number): string {
  return hashPassword(randomBytes(16).toString('hex'), log2N);
}
