import { authenticateCli } from '../../policy/cli-identity.js';
import { PolicyError } from '../../policy/errors.js';
import { purposeHelp } from '../../policy/purposes.js';
import type { QueryCriteria } from '../../policy/query.js';
import type { Identity } from '../../policy/roles.js';
import { UsageError, type Command } from '../command.js';
import { parseCount, parseTime, str, withPolicy } from './policy-common.js';

export const queryCommand: Command = {
  name: 'query',
  summary: 'search stored reads with a purpose, case number and attestation (every query is logged)',
  usage: `query [--plate P | --prefix P | --partial P] [--from T] [--to T] [--camera ID] [--near LAT,LON,RADIUS_M]
       --purpose CODE --case N --attest --as USER [--json] [--limit N]

  --partial: ? is one unknown character, * any run (AB?12*)
  --attest:  you attest the search is not based solely on religious, political or social views,
             or on taking part in a lawful event or non-criminal organisation (policy V.B)

Purpose codes (policy IV.B):
${purposeHelp('  ')}`,
  options: {
    plate: { type: 'string' },
    prefix: { type: 'string' },
    partial: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    camera: { type: 'string' },
    near: { type: 'string' },
    purpose: { type: 'string' },
    case: { type: 'string' },
    attest: { type: 'boolean' },
    as: { type: 'string' },
    json: { type: 'boolean' },
    limit: { type: 'string' },
  },
  async run(ctx, positionals, values) {
    if (positionals.length)
      throw new UsageError(`unexpected argument "${positionals[0]}"\nUsage: lpr-edge ${this.usage}`);
    // Alternatives, as the usage shows: together they would be ANDed and quietly find nothing.
    const plateOptions = ['plate', 'prefix', 'partial'].filter((k) => str(values, k) !== undefined);
    if (plateOptions.length > 1)
      throw new UsageError(
        `give one of --plate, --prefix or --partial, not ${plateOptions.map((k) => `--${k}`).join(' and ')}`,
      );
    const criteria: QueryCriteria = {};
    // Given but empty is passed on too: the query service refuses it by name (and logs it)
    // rather than the search running without it.
    if (str(values, 'plate') !== undefined) criteria.plate = str(values, 'plate');
    if (str(values, 'prefix') !== undefined) criteria.platePrefix = str(values, 'prefix');
    if (str(values, 'partial') !== undefined) criteria.partial = str(values, 'partial');
    const from = parseTime(str(values, 'from'), 'from');
    const to = parseTime(str(values, 'to'), 'to', true);
    if (from !== undefined) criteria.from = from;
    if (to !== undefined) criteria.to = to;
    if (str(values, 'camera')) criteria.cameraId = str(values, 'camera');
    const near = str(values, 'near');
    if (near) {
      const parts = near.split(',').map(Number);
      const [lat, lon, radiusM] = parts as [number, number, number];
      if (
        parts.length !== 3 ||
        parts.some((n) => !Number.isFinite(n)) ||
        Math.abs(lat) > 90 ||
        Math.abs(lon) > 180 ||
        radiusM <= 0
      ) {
        throw new UsageError(`--near: got "${near}"; give LAT,LON,RADIUS_M such as 40.7128,-74.0060,250`);
      }
      criteria.near = { lat, lon, radiusM };
    }
    const limit = parseCount(str(values, 'limit'), 'limit');
    if (limit === 0) throw new UsageError('--limit: got 0; give at least 1, or leave it out for every match');
    if (limit !== undefined) criteria.limit = limit;
    const justification = {
      purpose: str(values, 'purpose'),
      caseNumber: str(values, 'case'),
      attested: values.attest === true,
    };
    return withPolicy(ctx, async (_unit, p) => {
      let identity: Identity | null = null;
      try {
        identity = await authenticateCli({ users: p.users }, str(values, 'as'));
      } catch (err) {
        // A query without an identity is refused by search() and logged with whatever else it
        // carried; one whose sign-in failed is logged here, then the sign-in error is shown.
        if ((err as PolicyError).reason !== 'no-identity') {
          if ((err as Error).name === 'PolicyError') {
            p.queries.refuseUnauthenticated(
              str(values, 'as') ?? null,
              criteria,
              justification,
              (err as Error).message,
            );
          }
          throw err;
        }
      }
      const result = p.queries.search(identity, criteria, justification);
      if (values.json) {
        ctx.stdout.write(
          `${JSON.stringify({ marking: 'FOR OFFICIAL USE ONLY', queryId: result.queryId, count: result.count, reads: result.reads }, null, 2)}\n`,
        );
      } else {
        ctx.stdout.write(`FOR OFFICIAL USE ONLY - query ${result.queryId}: ${result.count} read(s)\n`);
        for (const r of result.reads) {
          const where = r.gps ? `${r.gps.lat.toFixed(5)},${r.gps.lon.toFixed(5)}` : 'no fix';
          ctx.stdout.write(
            `${new Date(r.ts).toISOString()}  ${r.plate.padEnd(8)} ${(r.state ?? '--').padEnd(2)}  ${r.cameraId}  ${where}  conf ${r.confidence.toFixed(2)}  ${r.id}\n`,
          );
        }
      }
      return 0;
    });
  },
};
