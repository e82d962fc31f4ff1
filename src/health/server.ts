import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Service } from '../service.js';
import { problems, prometheusText, type UnitStatus } from './metrics.js';

export interface HealthServerOptions {
  host: string;
  port: number;
  collect: () => UnitStatus;
  log: Logger;
}

/**
 * GET /healthz (JSON; 200 when healthy, 503 with the problems listed when not) and GET /metrics
 * (Prometheus). Bound to loopback only: the config refuses anything else. Read-only, no input
 * besides the path, so there is nothing else to validate.
 */
export class HealthServer implements Service {
  readonly name = 'health';
  private server: http.Server | null = null;

  constructor(private readonly opts: HealthServerOptions) {}

  async start(): Promise<void> {
    const server = http.createServer((req, res) => this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => resolve());
    });
    this.opts.log.info({ url: `http://${this.opts.host}:${this.port}` }, 'health endpoints listening');
  }

  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? this.opts.port;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    let status: UnitStatus;
    try {
      status = this.opts.collect();
    } catch (err) {
      res
        .writeHead(500, { 'content-type': 'text/plain' })
        .end(`status unavailable: ${(err as Error).message}\n`);
      return;
    }
    if (url === '/healthz') {
      const p = problems(status);
      const body = {
        status: p.length ? 'degraded' : 'ok',
        unitId: status.unitId,
        uptimeS: status.uptimeS,
        problems: p,
        cameras: status.cameras,
        gps: status.gps,
        clock: status.clock ?? null,
        inference: status.inference ?? null,
        reads: status.reads ?? null,
        hits: status.hits ?? null,
        outboxDepth: status.outboxDepth ?? null,
        sync: status.sync ?? null,
        storeFailures: status.storeFailures ?? null,
        hotlistAgeS: status.hotlistAgeS ?? null,
      };
      res.writeHead(p.length ? 503 : 200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    } else if (url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(prometheusText(status));
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /healthz or /metrics\n');
    }
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    const closed = new Promise<void>((r) => s.close(() => r()));
    // A client that connected and sent nothing (or half a request) would hold `close` for ever.
    s.closeAllConnections();
    await closed;
  }
}
