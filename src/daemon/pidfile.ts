/**
 * One daemon per state directory: a pid file created with O_EXCL. A stale file (its process gone
 * or not a joblet) is replaced; a live one refuses start-up with a message naming the other daemon.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../shared/errors';

/** Take the state dir; returns a release function. */
export function lockStateDir(stateDir: string): () => void {
  const file = path.join(stateDir, 'joblet.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
      fs.writeSync(fd, `${process.pid}\n`);
      fs.closeSync(fd);
      return () => {
        try {
          if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.unlinkSync(file);
        } catch {
          /* already gone */
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const other = Number.parseInt(safeRead(file), 10);
      if (other > 0 && other !== process.pid && isJoblet(other)) {
        throw new ConfigError(`another joblet daemon (pid ${other}) already uses state dir ${stateDir}; stop it or give this one its own server.stateDir`);
      }
      fs.rmSync(file, { force: true });
    }
  }
  throw new ConfigError(`cannot take the pid file ${file}`);
}

function safeRead(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function isJoblet(pid: number): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('serve');
  } catch {
    return false;
  }
}
