/**
 * One command on several nodes at once: `--node=a,b` or `--all-nodes` on `list`, `status` and
 * `monitor status`. Every node is asked in parallel over its own connection; a node that fails
 * (unreachable, refused, too slow) is reported on its own and never hides the answers of the
 * others. The command decides what a failure means for its exit code (fanOutExit).
 */
import { ConfigError, describeError, JobletError } from '../shared/errors';
import { ClientCommand, UsageError } from './base';
import { Flag } from './flags';
import { loadClientConfig } from '../shared/config/client';
import type { Connection } from './client';

/** How long one node may take to answer a fanned-out command before it counts as failed. */
export const FAN_OUT_TIMEOUT_MS = 20_000;

/** The answer of one node: `value`, or the `error` it failed with. */
export interface NodeAnswer<T> {
  node: string;
  address: string;
  value?: T;
  error?: unknown;
}

/**
 * The node names `--node` and `--all-nodes` ask for, or undefined for the ordinary single-node
 * case. Names are checked against the config so a typo fails before any traffic.
 */
export function fanOutNodes(o: { node?: string; allNodes: boolean; configPath?: string; env: NodeJS.ProcessEnv }): string[] | undefined {
  if (!o.allNodes && (o.node === undefined || !o.node.includes(','))) return undefined;
  if (o.allNodes && o.node !== undefined) throw new UsageError('--all-nodes and --node exclude each other: use one of them');
  const { config, path } = loadClientConfig(o.configPath, o.env);
  const known = Object.keys(config.nodes).sort();
  if (o.allNodes) return known;
  const names = [...new Set(o.node!.split(',').map((n) => n.trim()))];
  if (names.some((n) => n === '')) throw new UsageError(`--node '${o.node}' has an empty name; separate node names with commas, e.g. --node=a,b`);
  const unknown = names.filter((n) => !Object.hasOwn(config.nodes, n));
  if (unknown.length) throw new ConfigError(`node${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `'${n}'`).join(', ')} not in ${path} (available: ${known.join(', ')})`);
  return names;
}

/** Ask every node in parallel with `fn`; answers come back in the order of `nodes`. */
export async function fanOut<T>(nodes: string[], o: { configPath?: string; env: NodeJS.ProcessEnv }, fn: (c: Connection, signal: AbortSignal) => Promise<T>): Promise<NodeAnswer<T>[]> {
  const { connect, explain } = require('./client') as typeof import('./client');
  return Promise.all(
    nodes.map(async (node): Promise<NodeAnswer<T>> => {
      let conn: Connection | undefined;
      const deadline = new AbortController();
      const timer = setTimeout(() => deadline.abort(), FAN_OUT_TIMEOUT_MS);
      try {
        conn = connect({ config: o.configPath, node, env: o.env });
        return { node, address: conn.node.address, value: await fn(conn, deadline.signal) };
      } catch (err) {
        const address = conn?.node.address ?? '';
        if (deadline.signal.aborted) return { node, address, error: new JobletError('UNAVAILABLE', `joblet at ${address} did not answer within ${FAN_OUT_TIMEOUT_MS / 1000}s`) };
        return { node, address, error: conn ? explain(err, conn) : err };
      } finally {
        clearTimeout(timer);
        conn?.close();
      }
    }),
  );
}

/** Print each failed node's error as one line on stderr: `rnx: node 'b': cannot reach …`. */
export function reportNodeErrors(answers: NodeAnswer<unknown>[], stderr: NodeJS.WritableStream, program: string): void {
  for (const a of answers) if (a.error !== undefined) stderr.write(`${program}: node '${a.node}': ${describeError(a.error).split('\n')[0]}\n`);
}

/** Exit code of a fanned-out command: 0 when at least one node answered, 1 when every node failed. */
export function fanOutExit(answers: NodeAnswer<unknown>[]): number {
  return answers.some((a) => a.error === undefined) ? 0 : 1;
}

/** A command that can ask several nodes at once: adds --all-nodes and reads --node=a,b. */
export abstract class FanOutCommand extends ClientCommand {
  allNodes = Flag.boolean('--all-nodes', 'Ask every node of the client config in parallel; adds a NODE column (see also --node=a,b)');

  /** The nodes to ask when fanning out (--node=a,b or --all-nodes), else undefined. */
  protected fanOutTargets(): string[] | undefined {
    return fanOutNodes({ node: this.node, allNodes: this.allNodes, configPath: this.configPath, env: this.context.env });
  }

  /** Ask `nodes` in parallel; failed nodes are reported on stderr, one line each. */
  protected async onNodes<T>(nodes: string[], fn: (c: Connection, signal: AbortSignal) => Promise<T>): Promise<NodeAnswer<T>[]> {
    const answers = await fanOut(nodes, { configPath: this.configPath, env: this.context.env }, fn);
    reportNodeErrors(answers, this.context.stderr, this.context.program);
    return answers;
  }
}
