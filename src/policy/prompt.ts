import { PolicyError } from './errors.js';

export interface PromptIo {
  env: NodeJS.ProcessEnv;
  stdin: NodeJS.ReadStream;
  stderr: NodeJS.WritableStream;
}

export const defaultIo = (): PromptIo => ({ env: process.env, stdin: process.stdin, stderr: process.stderr });

/**
 * A secret from an environment variable, or typed on the terminal without echo. Without either
 * (a script, a pipe) the command stops with an error naming both ways, instead of hanging.
 */
export async function readSecret(envVar: string, label: string, io: PromptIo = defaultIo()): Promise<string> {
  const fromEnv = io.env[envVar];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (!io.stdin.isTTY) {
    throw new PolicyError(`${label} needed: set ${envVar} or run on a terminal to be prompted`, 'no-secret');
  }
  return promptHidden(`${label}: `, io);
}

function promptHidden(question: string, io: PromptIo): Promise<string> {
  const stdin = io.stdin;
  return new Promise((resolve, reject) => {
    let value = '';
    // Echo off before the prompt appears, so nothing typed or pasted right after it is shown.
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    io.stderr.write(question);
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      io.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new PolicyError('cancelled', 'cancelled'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on('data', onData);
  });
}
