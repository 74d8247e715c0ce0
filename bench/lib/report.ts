/** Formatting for the bench's markdown: numbers, tables, the machine it ran on. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';

/** One decimal, or "–" for a missing value. */
export function f1(n: number | undefined): string {
  return n === undefined || Number.isNaN(n) ? '–' : n.toFixed(1);
}

/** "1.23×" (a / b), or "–". */
export function ratio(a: number | undefined, b: number | undefined): string {
  return a === undefined || b === undefined || !b || Number.isNaN(a) || Number.isNaN(b) ? '–' : `${(a / b).toFixed(2)}×`;
}

/** A markdown table; the first column is left-aligned, the others right-aligned. */
export function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** The machine, for RESULTS.md: CPU, cores, memory, kernel, cgroup layout, load now. */
export function machine(): string {
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  const mem = `${Math.round(os.totalmem() / 2 ** 30)} GiB`;
  const distro = (() => {
    try {
      return /PRETTY_NAME="([^"]+)"/.exec(fs.readFileSync('/etc/os-release', 'utf8'))?.[1] ?? 'Linux';
    } catch {
      return 'Linux';
    }
  })();
  const cgroups = fs.existsSync('/sys/fs/cgroup/cgroup.controllers') ? 'cgroup v2' : fs.existsSync('/sys/fs/cgroup/unified') ? 'hybrid cgroups (v1 controllers + cgroup2 at /sys/fs/cgroup/unified)' : 'cgroup v1';
  const virt = spawnSync('systemd-detect-virt', [], { encoding: 'utf8' }).stdout?.trim();
  return `${distro}, kernel ${os.release()}, ${os.cpus().length} × ${cpu}, ${mem} RAM, ${cgroups}${virt && virt !== 'none' ? `, virtualised (${virt})` : ''}`;
}

/** "1.2, 3.4, 5.6" */
export function loadAverage(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(', ');
}
