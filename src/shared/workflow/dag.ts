/**
 * The graph of a workflow: jobs are nodes, "waits for" edges point from a job to the jobs its
 * requirements name. Cycles are found and named (`a → b → a`), a run order that respects every
 * edge is derived (YAML order among jobs that are ready together), and jobs get levels (1 = needs
 * nothing, n = one more than the highest level it needs) for drawing the graph as text.
 */

/** Job name → the names it waits for. */
export type Edges = Map<string, string[]>;

/** Every cycle, each once, along its edges and back to where it began: [a, b, a] when a waits for b and b for a. */
export function findCycles(nodes: string[], edges: Edges): string[][] {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const seen = new Set<string>();
  const visit = (n: string) => {
    state.set(n, 'open');
    stack.push(n);
    for (const m of edges.get(n) ?? []) {
      if (!nodes.includes(m)) continue;
      if (state.get(m) === 'open') {
        const cycle = [...stack.slice(stack.indexOf(m)), m];
        // The same cycle found from another start is the same set of edges.
        const key = [...cycle.slice(0, -1)].sort().join('\0');
        if (!seen.has(key)) {
          seen.add(key);
          cycles.push(cycle);
        }
      } else if (!state.has(m)) visit(m);
    }
    stack.pop();
    state.set(n, 'done');
  };
  for (const n of nodes) if (!state.has(n)) visit(n);
  return cycles;
}

/** A run order (Kahn's algorithm, ties in the given order); jobs on a cycle are left out. */
export function runOrder(nodes: string[], edges: Edges): string[] {
  const order: string[] = [];
  const done = new Set<string>();
  let progressed = true;
  while (progressed) {
    progressed = false;
    for (const n of nodes) {
      if (done.has(n)) continue;
      if ((edges.get(n) ?? []).every((m) => done.has(m) || !nodes.includes(m))) {
        done.add(n);
        order.push(n);
        progressed = true;
      }
    }
  }
  return order;
}

/** Level of each job: 1 for a job that waits for nothing, else 1 + the highest level it waits for. */
export function levels(nodes: string[], edges: Edges): Map<string, number> {
  const out = new Map<string, number>();
  for (const n of runOrder(nodes, edges)) {
    const deps = (edges.get(n) ?? []).filter((m) => out.has(m));
    out.set(n, deps.length ? Math.max(...deps.map((m) => out.get(m)!)) + 1 : 1);
  }
  return out;
}
