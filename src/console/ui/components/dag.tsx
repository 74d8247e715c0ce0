/**
 * A workflow's jobs as a graph (SVG): each job a box coloured by its status, in columns by depth
 * (a job stands right of every job it waits for), with an arrow from each requirement. Boxes link
 * to the job's page once the job exists.
 */
import type { WorkflowJobView } from '../../shared/types';
import { href } from '../router';

const W = 168;
const H = 44;
const GAP_X = 56;
const GAP_Y = 16;
const PAD = 12;

/** Column of each job: 0 for jobs that wait for none, else one more than the deepest requirement. */
export function depths(jobs: WorkflowJobView[]): Map<string, number> {
  const byName = new Map(jobs.map((j) => [j.name, j]));
  const depth = new Map<string, number>();
  const visit = (name: string, seen: Set<string>): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    const j = byName.get(name);
    // A cycle cannot pass the server's validation; guard anyway so a bad answer cannot hang the page.
    if (!j || seen.has(name)) return 0;
    seen.add(name);
    const d = j.dependencies.filter((n) => byName.has(n)).reduce((m, n) => Math.max(m, visit(n, seen) + 1), 0);
    depth.set(name, d);
    return d;
  };
  for (const j of jobs) visit(j.name, new Set());
  return depth;
}

/** The graph of `jobs` on `node`. */
export function WorkflowGraph({ jobs, node }: { jobs: WorkflowJobView[]; node: string }) {
  const depth = depths(jobs);
  const columns: WorkflowJobView[][] = [];
  for (const j of jobs) (columns[depth.get(j.name) ?? 0] ??= []).push(j);
  const pos = new Map<string, { x: number; y: number }>();
  columns.forEach((col, c) => col.forEach((j, r) => pos.set(j.name, { x: PAD + c * (W + GAP_X), y: PAD + r * (H + GAP_Y) })));
  const width = PAD * 2 + columns.length * W + Math.max(0, columns.length - 1) * GAP_X;
  const height = PAD * 2 + Math.max(1, ...columns.map((c) => c.length)) * (H + GAP_Y) - GAP_Y;
  return (
    <div class="dag-box">
      <svg class="dag" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label="Workflow graph" data-testid="dag">
        <defs>
          <marker id="dag-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M0,0 L10,5 L0,10 z" class="dag-arrow" />
          </marker>
        </defs>
        {jobs.flatMap((j) =>
          j.dependencies.map((dep) => {
            const a = pos.get(dep);
            const b = pos.get(j.name);
            if (!a || !b) return null;
            const x1 = a.x + W;
            const y1 = a.y + H / 2;
            const x2 = b.x;
            const y2 = b.y + H / 2;
            const mid = (x1 + x2) / 2;
            return <path key={`${dep}->${j.name}`} class="dag-edge" d={`M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2 - 2},${y2}`} marker-end="url(#dag-arrow)" />;
          }),
        )}
        {jobs.map((j) => {
          const p = pos.get(j.name)!;
          const box = (
            <g class={`dag-node st-${j.status.toLowerCase()}`} data-node={j.name} data-status={j.status} transform={`translate(${p.x},${p.y})`}>
              <title>{`${j.name}: ${j.status}${j.failureReason ? ` — ${j.failureReason}` : ''}`}</title>
              <rect width={W} height={H} rx={7} />
              <text x={10} y={18} class="dag-name">
                {j.name.length > 20 ? `${j.name.slice(0, 19)}…` : j.name}
              </text>
              <text x={10} y={35} class="dag-status">
                {j.status}
                {j.exitCode !== null && j.exitCode !== 0 ? ` (exit ${j.exitCode})` : ''}
                {j.maxAttempts > 1 ? ` · try ${j.attempt}/${j.maxAttempts}` : ''}
              </text>
            </g>
          );
          return j.id ? (
            <a key={j.name} href={href(node, ['jobs', j.id])}>
              {box}
            </a>
          ) : (
            <g key={j.name}>{box}</g>
          );
        })}
      </svg>
    </div>
  );
}
