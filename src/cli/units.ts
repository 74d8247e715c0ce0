/** Units for monitoring output: IEC byte sizes, rates, percentages, uptimes. */

const IEC = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** 1572864 → "1.5 MiB"; 512 → "512 B". */
export function bytes(n: number): string {
  let v = n;
  let i = 0;
  while (v >= 1024 && i < IEC.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(1).replace(/\.0$/, '')} ${IEC[i]}`;
}

/** Bytes per second: "1.5 MiB/s". */
export function rate(n: number): string {
  return `${bytes(Math.round(n))}/s`;
}

/** "37.5%". */
export function pct(n: number): string {
  return `${n.toFixed(1)}%`;
}

/** Seconds as "33d 4h 58m", "4h 05m", "12m 30s". */
export function uptime(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  if (d > 0) return `${d}d ${h}h ${m}m`;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  return `${m}m ${String(Math.floor(seconds % 60)).padStart(2, '0')}s`;
}

/** Aligned "Key:  value" lines, indented. */
export function keyValues(rows: [string, string][], indent = '  '): string[] {
  const w = Math.max(0, ...rows.map(([k]) => k.length)) + 1;
  return rows.map(([k, v]) => `${indent}${`${k}:`.padEnd(w)}  ${v}`);
}
