import fs from 'node:fs';
import path from 'node:path';
import type { StoredRead, GpsFix } from '../store/types.js';
import type { FieldResult } from './evaluate.js';

export interface ReportInput {
  title: string;
  video: string;
  videoStartMs: number;
  reads: StoredRead[];
  dataDir: string;
  track: GpsFix[];
  /** Read ids that raised a hotlist hit, each with what it hit ("KDT4821, Stolen vehicle, exact"). */
  hits: Map<string, string[]>;
  evaluation: FieldResult | null;
  summary: Record<string, unknown>;
}

const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function dataUri(dataDir: string, rel: string | null): string | null {
  if (!rel) return null;
  try {
    return `data:image/jpeg;base64,${fs.readFileSync(path.join(dataDir, rel)).toString('base64')}`;
  } catch {
    return null;
  }
}

/** The drive as an SVG: the track as a line, reads as dots (green exact, amber misread, red false), hits ringed. */
export function trackSvg(
  track: GpsFix[],
  reads: StoredRead[],
  classOf: (r: StoredRead) => string,
  hits: ReadonlyMap<string, unknown>,
  width = 640,
  height = 420,
): string {
  const pts = [
    ...track.map((f) => [f.lat, f.lon]),
    ...reads.filter((r) => r.gps).map((r) => [r.gps!.lat, r.gps!.lon]),
  ] as [number, number][];
  if (!pts.length)
    return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="60"><text x="10" y="35">no GPS positions</text></svg>`;
  const lat0 = pts.reduce((s, p) => s + p[0], 0) / pts.length;
  const k = Math.cos((lat0 * Math.PI) / 180);
  const xs = pts.map((p) => p[1] * k);
  const ys = pts.map((p) => p[0]);
  const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const pad = 20;
  const scale = Math.min(
    (width - 2 * pad) / Math.max(maxX - minX, 1e-9),
    (height - 2 * pad) / Math.max(maxY - minY, 1e-9),
  );
  const proj = (lat: number, lon: number) =>
    [pad + (lon * k - minX) * scale, height - pad - (lat - minY) * scale].map((v) => v.toFixed(1));
  const line = track.map((f) => proj(f.lat, f.lon).join(',')).join(' ');
  const colours: Record<string, string> = {
    exact: '#1a8f3c',
    misread: '#d98b00',
    false: '#c62828',
    read: '#1565c0',
  };
  const dots = reads
    .filter((r) => r.gps)
    .map((r) => {
      const [x, y] = proj(r.gps!.lat, r.gps!.lon);
      const ring = hits.has(r.id)
        ? `<circle cx="${x}" cy="${y}" r="10" fill="none" stroke="#c62828" stroke-width="3" class="hit"/>`
        : '';
      return `${ring}<circle cx="${x}" cy="${y}" r="5" fill="${colours[classOf(r)] ?? '#1565c0'}" class="read ${classOf(r)}"><title>${esc(r.plate)} ${new Date(r.ts).toISOString()}</title></circle>`;
    })
    .join('');
  const start = track[0] ? proj(track[0].lat, track[0].lon) : null;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="GPS track with reads">
<rect width="100%" height="100%" fill="#f7f7f5"/>
<polyline points="${line}" fill="none" stroke="#555" stroke-width="2" class="track"/>
${start ? `<text x="${start[0]}" y="${Number(start[1]) - 8}" font-size="11">start</text>` : ''}
${dots}
</svg>`;
}

function hitCell(hits: string[] | undefined): string {
  return hits ? ` <b>HIT</b> ${hits.map(esc).join('; ')}` : '';
}

/** The replay's summary line as a table a field engineer can read at a glance. */
function summaryTable(summary: Record<string, unknown>): string {
  const rows = Object.entries(summary)
    .filter(([key]) => key !== 'summary')
    .map(([key, value]) => {
      const shown =
        value !== null && typeof value === 'object'
          ? Object.entries(value)
              .map(([k, v]) => `${k} ${String(v)}`)
              .join(', ')
          : String(value);
      return `<tr><th>${esc(key)}</th><td>${esc(shown)}</td></tr>`;
    });
  return `<table id="summary">${rows.join('')}</table>`;
}

/** One self-contained HTML page (crops inline as data URIs, no external resources). */
export function renderReport(r: ReportInput): string {
  const ev = r.evaluation;
  const vehicleOf = new Map<string, string>();
  if (ev)
    for (const v of ev.vehicles)
      if (v.read) vehicleOf.set(v.read.id, v.outcome === 'read' ? 'exact' : 'misread');
  const falseIds = new Set(ev?.falseReads.map((x) => x.id) ?? []);
  const classOf = (read: StoredRead) =>
    falseIds.has(read.id) ? 'false' : (vehicleOf.get(read.id) ?? 'read');
  const t = (ms: number) => ((ms - r.videoStartMs) / 1000).toFixed(1);
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  const readRows = r.reads
    .map((read) => {
      const img = dataUri(r.dataDir, read.cropPath);
      return `<tr class="${classOf(read)}"><td>${t(read.firstSeen)}–${t(read.lastSeen)} s</td><td>${img ? `<img src="${img}" alt="crop of ${esc(read.plate)}">` : '—'}</td><td class="plate">${esc(read.plate)}</td><td>${esc(read.state ?? '—')}</td><td>${read.confidence.toFixed(2)}</td><td>${read.gps ? `${read.gps.lat.toFixed(5)}, ${read.gps.lon.toFixed(5)} (${read.gpsFixAgeMs} ms)` : 'no fix'}</td><td>${esc(read.flags.join(', '))}${hitCell(r.hits.get(read.id))}</td><td>${classOf(read)}</td></tr>`;
    })
    .join('\n');
  const vehicleRows = ev
    ? ev.vehicles
        .map(
          (v) =>
            `<tr class="${v.outcome}"><td class="plate">${esc(v.label.plate)}</td><td>${esc(v.label.state ?? '—')}</td><td>${v.label.fromS}–${v.label.toS} s</td><td class="plate">${esc(v.read?.plate ?? '—')}</td><td>${esc(v.read?.state ?? '—')}</td><td>${v.outcome}</td><td>${v.timeToFirstReadS === null ? '—' : `${v.timeToFirstReadS.toFixed(1)} s`}</td></tr>`,
        )
        .join('\n')
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(r.title)}</title>
<style>
body{font:14px system-ui,sans-serif;margin:24px;color:#222}
table{border-collapse:collapse;margin:12px 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}
.plate{font-family:monospace;font-size:15px}img{max-height:48px}
tr.misread td{background:#fff4dc}tr.missed td,tr.false td{background:#fde4e4}tr.read td,tr.exact td{background:#e6f4ea}
.fouo{font-weight:bold;color:#8a1c1c}
</style></head><body>
<p class="fouo">FOR OFFICIAL USE ONLY</p>
<h1>${esc(r.title)}</h1>
<p>Video <code>${esc(r.video)}</code>, first frame ${new Date(r.videoStartMs).toISOString()}.</p>
${summaryTable(r.summary)}
${
  ev
    ? `<h2>Expected vs read</h2>
<table id="metrics"><tr><th>vehicles</th><th>recall</th><th>misreads</th><th>missed</th><th>false reads</th><th>state correct</th></tr>
<tr><td>${ev.vehicles.length}</td><td id="recall">${pct(ev.recall)}</td><td id="misreads">${ev.misreads}</td><td id="missed">${ev.missed}</td><td id="false-reads">${ev.falseReads.length}</td><td>${ev.stateCorrect}</td></tr></table>
<table id="vehicles"><tr><th>expected</th><th>state</th><th>in view</th><th>read</th><th>state read</th><th>outcome</th><th>time to first read</th></tr>
${vehicleRows}</table>`
    : '<p>No labels given: reads only.</p>'
}
<h2>Track</h2>
${trackSvg(r.track, r.reads, classOf, r.hits)}
<h2>Reads (${r.reads.length})</h2>
<table id="reads"><tr><th>video time</th><th>crop</th><th>plate</th><th>state</th><th>confidence</th><th>position</th><th>flags</th><th>match</th></tr>
${readRows}</table>
</body></html>
`;
}
