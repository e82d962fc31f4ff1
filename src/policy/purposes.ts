/** The six permissible uses of policy IV.B; every query names one by its code. */
export const PURPOSES = [
  {
    code: 'investigation-vehicle',
    clause: 'IV.B.1',
    text: 'identify or locate a vehicle related to an investigation',
  },
  {
    code: 'owner-occupant',
    clause: 'IV.B.2',
    text: 'identify owner/occupant who committed an offence, is involved in or planning crime, or is a possible missing person, victim or witness',
  },
  {
    code: 'safety-threat',
    clause: 'IV.B.3',
    text: 'prevent, detect or assess a safety threat to the public or public officials',
  },
  {
    code: 'suspended-registration',
    clause: 'IV.B.4',
    text: 'routine patrol for suspended or revoked registrations',
  },
  { code: 'public-parking', clause: 'IV.B.5', text: 'regulate public parking areas' },
  { code: 'secured-area', clause: 'IV.B.6', text: 'monitor access to secured areas' },
] as const;

export type PurposeCode = (typeof PURPOSES)[number]['code'];

export function isPurpose(code: string): code is PurposeCode {
  return PURPOSES.some((p) => p.code === code);
}

/** For `--help`: one line per purpose. */
export function purposeHelp(indent = '  '): string {
  const width = Math.max(...PURPOSES.map((p) => p.code.length));
  return PURPOSES.map((p) => `${indent}${p.code.padEnd(width)}  ${p.clause}: ${p.text}`).join('\n');
}
