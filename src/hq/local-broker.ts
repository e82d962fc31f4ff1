import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { freePort } from '../util/free-port.js';
import { stopChild } from '../util/stop-child.js';

export { freePort };

export async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`port ${port} did not open within ${timeoutMs} ms`);
}

export interface Certs {
  ca: string;
  serverCert: string;
  serverKey: string;
  /** Client certificates by common name. */
  client(cn: string): { cert: string; key: string };
  /** A CA nobody trusts, for negative tests. */
  rogueCa: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

/** A private CA with a server certificate for 127.0.0.1 and client certificates on demand. */
export function makeCerts(dir: string): Certs {
  mkdirSync(dir, { recursive: true });
  const p = (f: string) => path.join(dir, f);
  const days = ['-days', '2'];
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-subj',
      '/CN=test HQ CA',
      ...days,
    ],
    dir,
  );
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      'rogue.key',
      '-out',
      'rogue.crt',
      '-subj',
      '/CN=rogue CA',
      ...days,
    ],
    dir,
  );
  writeFileSync(p('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  openssl(
    [
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
      '-subj',
      '/CN=localhost',
    ],
    dir,
  );
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.crt',
      '-extfile',
      'server.ext',
      ...days,
    ],
    dir,
  );
  return {
    ca: p('ca.crt'),
    serverCert: p('server.crt'),
    serverKey: p('server.key'),
    rogueCa: p('rogue.crt'),
    client(cn) {
      const base = `client-${cn}`;
      writeFileSync(p(`${base}.ext`), 'extendedKeyUsage=clientAuth\n');
      openssl(
        [
          'req',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-keyout',
          `${base}.key`,
          '-out',
          `${base}.csr`,
          '-subj',
          `/CN=${cn}`,
        ],
        dir,
      );
      openssl(
        [
          'x509',
          '-req',
          '-in',
          `${base}.csr`,
          '-CA',
          'ca.crt',
          '-CAkey',
          'ca.key',
          '-CAcreateserial',
          '-out',
          `${base}.crt`,
          '-extfile',
          `${base}.ext`,
          ...days,
        ],
        dir,
      );
      return { cert: p(`${base}.crt`), key: p(`${base}.key`) };
    },
  };
}

/**
 * A local broker for the tests, the sync benchmark and the fleet simulation (never for
 * production, where the agency runs its own broker or cluster).
 *
 * Debian's Mosquitto with our own config: a password listener and a mutual-TLS listener on free
 * loopback ports, persistence in the test's folder. Kill and start it again to simulate an outage.
 */
export class Mosquitto {
  proc?: ChildProcess;
  readonly conf: string;
  log = '';

  private constructor(
    readonly dir: string,
    readonly port: number,
    readonly tlsPort: number,
    readonly certs: Certs,
    readonly users: Record<string, string>,
  ) {
    this.conf = path.join(dir, 'mosquitto.conf');
  }

  static async create(
    dir: string,
    users: Record<string, string> = { hq: 'hq-secret', unit: 'unit-secret' },
    extraConfig: string[] = [],
  ) {
    mkdirSync(dir, { recursive: true });
    const certs = makeCerts(path.join(dir, 'certs'));
    const m = new Mosquitto(dir, await freePort(), await freePort(), certs, users);
    const pw = path.join(dir, 'passwd');
    writeFileSync(pw, '');
    for (const [user, pass] of Object.entries(users))
      execFileSync('mosquitto_passwd', ['-b', pw, user, pass]);
    const asRoot = process.getuid?.() === 0;
    writeFileSync(
      m.conf,
      [
        ...(asRoot ? ['user root'] : []),
        'per_listener_settings true',
        'persistence true',
        `persistence_location ${dir}/`,
        'autosave_interval 60',
        'max_queued_messages 1000000',
        'max_inflight_messages 0',
        `listener ${m.port} 127.0.0.1`,
        'allow_anonymous false',
        `password_file ${pw}`,
        `listener ${m.tlsPort} 127.0.0.1`,
        'allow_anonymous false',
        `cafile ${certs.ca}`,
        `certfile ${certs.serverCert}`,
        `keyfile ${certs.serverKey}`,
        'require_certificate true',
        'use_identity_as_username true',
        ...extraConfig,
        '',
      ].join('\n'),
    );
    await m.start();
    return m;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }
  get tlsUrl(): string {
    return `mqtts://127.0.0.1:${this.tlsPort}`;
  }

  async start(): Promise<void> {
    const proc = spawn('mosquitto', ['-c', this.conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    proc.stdout?.on('data', (d: Buffer) => (this.log += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (this.log += d.toString()));
    await waitForPort(this.port);
    await waitForPort(this.tlsPort);
  }

  /**
   * SIGKILL by default: no clean shutdown, no final persistence save. A broker another signal has
   * not ended within 5 s (a hung or overloaded one) gets SIGKILL, so a stop never waits forever.
   */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.proc) await stopChild(this.proc, signal, 5000);
    this.proc = undefined;
  }

  pid(): number | undefined {
    return this.proc?.pid;
  }
}
