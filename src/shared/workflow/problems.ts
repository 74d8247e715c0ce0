/**
 * Problems found in a workflow file. Each names the file, the line (when known) and the key, and
 * says what is allowed: `pipeline.yaml:14: jobs.train.resources.max_memory: 0 is out of range; …`.
 * Validation collects every problem before anything is created, so one pass shows them all.
 */
import { InvalidArgumentError } from '../errors';

/** One problem in a workflow file. */
export interface Problem {
  file: string;
  /** 1-based; undefined when the problem has no place (e.g. a missing key at the top). */
  line?: number;
  /** Dotted key path, e.g. "jobs.train.requires[0]" ("" for the whole file). */
  path: string;
  message: string;
}

/** "jobs.train.requires[0]" from ['jobs', 'train', 'requires', 0]. */
export function joinPath(path: (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** "pipeline.yaml:14: jobs.train.resources.max_memory: message". */
export function formatProblem(p: Problem): string {
  return `${p.file}${p.line ? `:${p.line}` : ''}: ${p.path ? `${p.path}: ` : ''}${p.message}`;
}

/** Collects problems with their lines (from a YamlDoc when there is one). */
export class Problems {
  readonly list: Problem[] = [];

  constructor(
    private readonly file: string,
    private readonly lineOf: (path: (string | number)[]) => number | undefined = () => undefined,
  ) {}

  /** Note a problem at `path`. */
  add(path: (string | number)[], message: string): void {
    this.list.push({ file: this.file, line: this.lineOf(path), path: joinPath(path), message });
  }

  /** Note problems found elsewhere (another module's list). */
  addAll(ps: Problem[]): void {
    this.list.push(...ps);
  }

  get empty(): boolean {
    return this.list.length === 0;
  }
}

/** One line for an error: the first problems, then how many more (see `rnx workflow validate`). */
export function problemsMessage(problems: Problem[], max = 3): string {
  const shown = problems.slice(0, max).map(formatProblem).join('; ');
  const more = problems.length - max;
  return more > 0 ? `${shown}; and ${more} more problem${more === 1 ? '' : 's'} ('rnx workflow validate FILE' lists them all)` : shown;
}

/** The workflow is not valid: nothing was created. The message lists the first problems on one line. */
export class WorkflowInvalidError extends InvalidArgumentError {
  constructor(readonly problems: Problem[]) {
    super(`invalid workflow: ${problemsMessage(problems)}`);
  }
}
