import { authenticateCli } from '../../policy/cli-identity.js';
import { exportCase, refuseUnauthenticatedExport, type ExportRequest } from '../../policy/export.js';
import type { PolicyError } from '../../policy/errors.js';
import { purposeHelp } from '../../policy/purposes.js';
import type { Identity } from '../../policy/roles.js';
import { UsageError, type Command } from '../command.js';
import { checkOutFile, str, withPolicy } from './policy-common.js';
import { dataDirFiles } from '../../unit.js';
import { loadConfig } from '../../config/load.js';

export const exportCommand: Command = {
  name: 'export',
  summary: "disseminate a case's reads and hits to a requesting agency (FOUO file + dissemination record)",
  usage: `export --case N --reason TEXT --requester NAME --agency AGENCY --purpose CODE --attest --as USER
       --out FILE [--records-request --legal-review REF]

Exports the reads returned by this case's logged queries for --purpose (refused for a purpose the
case was never queried for, policy IV.B) and the reads and hits under legal hold for it, as JSON
marked For Official Use Only; the export is logged in the query log like a query.
--attest: as for query, you attest the export is not based solely on religious, political or
social views, or on taking part in a lawful event or non-criminal organisation (policy V.B).
--records-request marks a public-records (FOIL) release, which needs --legal-review (policy VI.H).

Purpose codes (policy IV.B):
${purposeHelp('  ')}`,
  options: {
    case: { type: 'string' },
    reason: { type: 'string' },
    requester: { type: 'string' },
    agency: { type: 'string' },
    purpose: { type: 'string' },
    attest: { type: 'boolean' },
    'records-request': { type: 'boolean' },
    'legal-review': { type: 'string' },
    as: { type: 'string' },
    out: { type: 'string' },
  },
  async run(ctx, positionals, values) {
    if (positionals.length)
      throw new UsageError(`unexpected argument "${positionals[0]}"\nUsage: lpr-edge ${this.usage}`);
    const out = str(values, 'out');
    if (!out) throw new UsageError(`missing --out FILE\nUsage: lpr-edge ${this.usage}`);
    // Written by rename: over the unit's database it would replace every read with the export.
    checkOutFile(
      out,
      'out',
      'export.json',
      dataDirFiles(loadConfig({ configPath: ctx.configPath, dataDir: ctx.dataDir }).config.dataDir),
    );
    const legalReview = str(values, 'legal-review');
    const req: ExportRequest = {
      caseNumber: str(values, 'case'),
      reason: str(values, 'reason'),
      requester: str(values, 'requester'),
      agency: str(values, 'agency'),
      purpose: str(values, 'purpose'),
      attested: values.attest === true,
      recordsRequest: values['records-request'] === true,
      ...(legalReview ? { legalReview } : {}),
    };
    return withPolicy(ctx, async (unit, p) => {
      const deps = { db: unit.db, unitId: unit.config.unitId, audit: p.audit };
      let identity: Identity | null = null;
      try {
        identity = await authenticateCli({ users: p.users }, str(values, 'as'));
      } catch (err) {
        // Without --as, exportCase refuses and logs the export; one whose sign-in failed is logged
        // here with what it asked for, as a query's is, then the sign-in error is shown.
        if ((err as PolicyError).reason !== 'no-identity') {
          if ((err as Error).name === 'PolicyError')
            refuseUnauthenticatedExport(deps, str(values, 'as')!, req, (err as Error).message);
          throw err;
        }
      }
      const result = exportCase(deps, identity, req, out);
      ctx.stdout.write(
        `FOR OFFICIAL USE ONLY: exported ${result.reads} read(s) and ${result.hits} hit(s) to ${result.file} (sha256 ${result.sha256}); dissemination recorded as audit record ${result.auditSeq}\n`,
      );
      return 0;
    });
  },
};
