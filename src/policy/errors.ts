/**
 * A refusal the user can act on (missing purpose, locked account, wrong role...). cli.ts prints
 * errors named 'PolicyError' as one line and exits non-zero; `reason` is a stable code for tests,
 * the audit log and the console.
 */
export class PolicyError extends Error {
  constructor(
    message: string,
    readonly reason: string,
    readonly exitCode = 3,
  ) {
    super(message);
    this.name = 'PolicyError';
  }
}
