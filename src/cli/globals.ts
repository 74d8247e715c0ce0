/**
 * Global rnx options given before the command name (`rnx --config X --node viewer list`).
 * Clipanion parses options per command, so rnx.ts lifts the leading ones out of argv and commands
 * fall back to them when their own option is absent.
 */

/** Values of the leading global options. */
export interface GlobalOptions {
  config?: string;
  node?: string;
  json: boolean;
  version: boolean;
}

/** Split leading global options from argv; returns them and the remaining argv. */
export function takeGlobalOptions(argv: string[]): { globals: GlobalOptions; rest: string[] } {
  const globals: GlobalOptions = { json: false, version: false };
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(0, eq) : a;
    if (name === '--config' || name === '--node') {
      let value: string | undefined;
      if (eq > 0) value = a.slice(eq + 1);
      else value = argv[++i];
      if (value === undefined || value === '') throw new Error(`option ${name} needs a value, e.g. ${name}=${name === '--node' ? 'default' : './rnx-config.yml'}`);
      if (name === '--config') globals.config = value;
      else globals.node = value;
    } else if (a === '--json') globals.json = true;
    else if (a === '--version' || a === '-v') globals.version = true;
    else break;
  }
  return { globals, rest: argv.slice(i) };
}

let current: GlobalOptions = { json: false, version: false };

/** Remember the leading global options for this process. */
export function setGlobalOptions(g: GlobalOptions): void {
  current = g;
}

/** The leading global options of this process. */
export function globalOptions(): GlobalOptions {
  return current;
}
