/** Memory and swap from /proc/meminfo ("MemTotal:  24567890 kB"). */
import type { MemoryMetrics } from '../../gen/joblet';
import { round2 } from './cpu';

/** Fields of /proc/meminfo in bytes. */
export function parseMeminfo(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^(\w+(?:\(\w+\))?):\s+(\d+)(?: kB)?$/gm)) out.set(m[1]!, Number(m[2]) * (m[0].endsWith('kB') ? 1024 : 1));
  return out;
}

/** Memory section. Used = total - available, as free(1) reports it: page cache the kernel can drop is not "used". */
export function memoryMetrics(info: Map<string, number>): MemoryMetrics {
  const get = (k: string) => info.get(k) ?? 0;
  const total = get('MemTotal');
  const free = get('MemFree');
  // MemAvailable exists since Linux 3.14; before it, free + buffers + cache is the usual estimate.
  const available = info.get('MemAvailable') ?? free + get('Buffers') + get('Cached');
  const used = Math.max(0, total - available);
  const swapTotal = get('SwapTotal');
  const swapFree = get('SwapFree');
  return {
    totalBytes: total,
    usedBytes: used,
    freeBytes: free,
    availableBytes: available,
    usagePercent: total > 0 ? round2((100 * used) / total) : 0,
    cachedBytes: get('Cached') + get('SReclaimable'),
    bufferedBytes: get('Buffers'),
    swapTotal,
    swapUsed: Math.max(0, swapTotal - swapFree),
    swapFree,
  };
}
