/** Run rnx in-process, as a user would type it, and capture what it prints. */
import { PassThrough } from 'node:stream';
import { runClient } from '../../src/cli/rnx';

/** What one rnx run printed and returned. */
export interface Printed {
  code: number;
  stdout: string;
  stderr: string;
}

/** A stream that says it is a terminal (for colour and hint checks). */
function stream(tty: boolean): PassThrough & { isTTY?: boolean } {
  const s = new PassThrough() as PassThrough & { isTTY?: boolean };
  if (tty) s.isTTY = true;
  return s;
}

/** `rnx ...argv` with this environment (no config anywhere by default) and optionally terminals. */
export async function rnx(argv: string[], o: { env?: NodeJS.ProcessEnv; tty?: boolean } = {}): Promise<Printed> {
  const stdout = stream(o.tty ?? false);
  const stderr = stream(o.tty ?? false);
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  const code = await runClient(argv, { stdin: process.stdin, stdout, stderr }, o.env ?? { HOME: '/nonexistent-home', RNX_CONFIG: '/nonexistent/rnx-config.yml' }, (c) => {
    throw new Error(`rnx tried to exit the process with ${c}`);
  });
  return { code, stdout: out, stderr: err };
}
