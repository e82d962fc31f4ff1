import http from 'node:http';

/**
 * The officer console's HTTP API spoken directly, as a script with a stolen or kept cookie
 * would: no page in between to hide what the server still answers.
 */

/** Signs in on the console and returns the session cookie's token (throws on a refusal). */
export async function consoleSignIn(url: string, name: string, secret: string): Promise<string> {
  const res = await fetch(new URL('/api/signin', url), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name, secret }),
  });
  if (res.status !== 200) throw new Error(`sign-in as ${name}: ${res.status} ${await res.text()}`);
  const token = /lpr_console=([^;]*)/.exec(res.headers.get('set-cookie') ?? '')?.[1];
  if (!token) throw new Error(`sign-in as ${name}: no session cookie`);
  return token;
}

/** One API call on a session: the status and the JSON answer (`error` on a refusal). */
export async function consoleCall(
  url: string,
  token: string,
  method: 'GET' | 'POST',
  pathname: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(new URL(pathname, url), {
    method,
    headers: {
      cookie: `lpr_console=${token}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const type = res.headers.get('content-type') ?? '';
  return {
    status: res.status,
    body: type.startsWith('application/json') ? ((await res.json()) as Record<string, unknown>) : {},
  };
}

/** An open `/api/events` stream: every state pushed so far, and whether the server ended it. */
export interface ConsoleStream {
  states: Record<string, unknown>[];
  ended: boolean;
  close(): void;
}

/** Opens the event stream on a session and waits for its first state. */
export function consoleEvents(url: string, token: string): Promise<ConsoleStream> {
  return new Promise((resolve, reject) => {
    const stream: ConsoleStream = { states: [], ended: false, close: () => req.destroy() };
    const req = http.get(
      new URL('/api/events', url),
      { headers: { cookie: `lpr_console=${token}` } },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          reject(new Error(`/api/events answered ${res.statusCode}`));
          return;
        }
        let buffered = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffered += chunk;
          let end: number;
          while ((end = buffered.indexOf('\n\n')) >= 0) {
            const message = buffered.slice(0, end);
            buffered = buffered.slice(end + 2);
            const data = /^data: (.*)$/m.exec(message)?.[1];
            if (/^event: state$/m.test(message) && data) {
              stream.states.push(JSON.parse(data) as Record<string, unknown>);
              if (stream.states.length === 1) resolve(stream);
            }
          }
        });
        res.on('end', () => (stream.ended = true));
        res.on('close', () => (stream.ended = true));
      },
    );
    req.on('error', (err) => (stream.states.length ? (stream.ended = true) : reject(err)));
  });
}
