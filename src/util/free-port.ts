import { readFileSync } from 'node:fs';
import net from 'node:net';

/** Ports handed out by this process, never handed out twice. */
const handedOut = new Set<number>();

/**
 * A TCP port on 127.0.0.1 that nothing listens on, for a server (a test broker, a daemon's
 * console) that binds it a moment later. Chosen below the kernel's ephemeral range: a port from
 * inside it, which is what listening on port 0 gives, can be taken as the local end of any
 * outgoing connection on the machine in the seconds before the server binds it, and the server
 * then fails with EADDRINUSE.
 */
export async function freePort(): Promise<number> {
  const top = Math.min(ephemeralLow(), 32768) - 1;
  const bottom = 20000;
  for (let attempt = 0; top > bottom && attempt < 100; attempt++) {
    const port = bottom + Math.floor(Math.random() * (top - bottom));
    if (handedOut.has(port) || !(await canListen(port))) continue;
    handedOut.add(port);
    return port;
  }
  return listenOnAnyPort();
}

/** The first port of the kernel's ephemeral range (32768 when it cannot be read). */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').split(/\s+/)[0]);
    return Number.isInteger(low) && low > 0 ? low : 32768;
  } catch {
    return 32768;
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

function listenOnAnyPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}
