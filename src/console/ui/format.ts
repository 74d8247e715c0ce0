/** How the page shows times, sizes and durations (the same forms rnx prints). */

/** "2026-01-02 15:04:05" in the browser's time zone, or "—". */
export function localTime(rfc3339: string | null): string {
  if (!rfc3339) return '—';
  const d = new Date(rfc3339);
  if (Number.isNaN(d.getTime())) return rfc3339;
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** 850ms, 12.3s, 4m05s, 2h05m, 1d03h. */
export function duration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, '0')}h`;
}

/** 1572864 → "1.5MB". */
export function size(bytes: number): string {
  for (const [u, f] of [['TB', 1024 ** 4], ['GB', 1024 ** 3], ['MB', 1024 ** 2], ['KB', 1024]] as const) {
    if (bytes >= f) return `${+(bytes / f).toFixed(1)}${u}`;
  }
  return `${bytes}B`;
}

/** First 8 characters of a job id, as lists show it. */
export function shortId(id: string): string {
  return id.slice(0, 8);
}

/** Statuses of a job that has not finished. */
export const ACTIVE = new Set(['INITIALIZING', 'RUNNING', 'SCHEDULED', 'PENDING']);

/** Statuses of a job that has not started and can be canceled (rnx cancel) rather than stopped. */
export const CANCELABLE = new Set(['SCHEDULED', 'PENDING']);

/** A limit's duration as rnx's --timeout takes it: 5400000 → "1h30m". */
export function durationSpec(ms: number): string {
  const h = Math.floor(ms / 3600_000);
  const m = Math.floor((ms % 3600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s || (!h && !m) ? `${s}s` : ''}`;
}

/** 1572864 → "1.5MB/s". */
export function rate(bytesPerSecond: number): string {
  return `${size(Math.round(bytesPerSecond))}/s`;
}

/** 12.345 → "12.3%". */
export function pct(v: number): string {
  return `${v.toFixed(1)}%`;
}

/** Seconds as "3d04h", "5h12m", "7m03s". */
export function uptime(seconds: number): string {
  return duration(seconds * 1000);
}
