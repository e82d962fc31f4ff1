import type { Db } from '../store/database.js';
import type { PolicyConfig } from './config.js';
import { PolicyError } from './errors.js';
import { defaultIo, readSecret, type PromptIo } from './prompt.js';
import type { SignedInUser } from './roles.js';
import { UserDirectory } from './users.js';

export const PASSWORD_ENV = 'LPR_EDGE_PASSWORD';
export const NEW_PASSWORD_ENV = 'LPR_EDGE_NEW_PASSWORD';

/** What authenticateCli needs: an opened unit (`{db, config}`) or a ready UserDirectory. */
export type IdentityDeps = { db: Db; config: { policy: PolicyConfig } } | { users: UserDirectory };

export function userDirectory(deps: IdentityDeps): UserDirectory {
  return 'users' in deps ? deps.users : new UserDirectory(deps.db, deps.config.policy);
}

/**
 * The person running a command that touches read data or users (policy VI.E). Root on the box is
 * not an identity: the person names themselves with `--as NAME` and proves it with their password
 * (from LPR_EDGE_PASSWORD or a terminal prompt). Overdue-training warnings go to stderr.
 */
export async function authenticateCli(
  unitOrDeps: IdentityDeps,
  asName?: string,
  io: PromptIo = defaultIo(),
): Promise<SignedInUser> {
  if (!asName) {
    throw new PolicyError(
      'this command needs an identity: add --as NAME (your LPR user; being root on the unit is not an identity)',
      'no-identity',
    );
  }
  const secret = await readSecret(PASSWORD_ENV, `password for ${asName}`, io);
  const user = userDirectory(unitOrDeps).signIn(asName, secret);
  for (const w of user.warnings) io.stderr.write(`lpr-edge: warning: ${w}\n`);
  return user;
}
