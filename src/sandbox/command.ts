/**
 * Finding the job's executable the way a shell would (execvp rules), so "not found" and "not
 * executable" come back as exit codes 127 and 126 with a message, not as a bare errno.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { JobletError } from '../shared/errors';

/** PATH used when the job's environment has none. */
export const DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin';

/** The command cannot be run; exitCode is 127 (not found) or 126 (found, not runnable). */
export class CommandError extends JobletError {
  constructor(
    readonly exitCode: 126 | 127,
    message: string,
  ) {
    super(exitCode === 127 ? 'NOT_FOUND' : 'FAILED_PRECONDITION', message);
  }
}

/**
 * Absolute or relative-to-cwd path of `command`: taken as is when it contains a slash, else the
 * first executable regular file named so in `pathEnv`. Access is checked with the real uid, so
 * call it after dropping privileges.
 */
export function resolveCommand(command: string, pathEnv: string | undefined, cwd = '/'): string {
  if (command === '' || command.includes('\0')) throw new CommandError(127, `command '${command}' is not a valid file name`);
  if (command.includes('/')) {
    const full = path.resolve(cwd, command);
    const st = fs.statSync(full, { throwIfNoEntry: false });
    if (!st) throw new CommandError(127, `command '${command}' not found`);
    if (st.isDirectory()) throw new CommandError(126, `command '${command}' is a directory`);
    if (!executable(full)) throw new CommandError(126, `command '${command}' is not executable (permission denied)`);
    return command;
  }
  const search = pathEnv ?? DEFAULT_PATH;
  let notExecutable: string | undefined;
  for (const dir of search.split(':')) {
    // An empty PATH entry means the current directory (POSIX).
    const candidate = path.resolve(cwd, dir || '.', command);
    const st = fs.statSync(candidate, { throwIfNoEntry: false });
    if (!st || !st.isFile()) continue;
    if (executable(candidate)) return candidate;
    notExecutable ??= candidate;
  }
  if (notExecutable) throw new CommandError(126, `command '${command}' is not executable (${notExecutable}: permission denied)`);
  throw new CommandError(127, `command '${command}' not found in PATH (${search})`);
}

/** Maps a failed execve's errno to the job's exit code and a message (bash's conventions). */
export function execFailure(command: string, errno: string): CommandError {
  if (errno === 'ENOENT') return new CommandError(127, `cannot run '${command}': its interpreter or dynamic loader is missing (ENOENT)`);
  if (errno === 'ENOEXEC') return new CommandError(126, `cannot run '${command}': exec format error (not a binary, no #! line)`);
  return new CommandError(126, `cannot run '${command}': ${errno}`);
}

function executable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
