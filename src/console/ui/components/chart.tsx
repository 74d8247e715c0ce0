/**
 * A time-series chart (uPlot): one line per series over Unix-millisecond times, sized to its
 * card and redrawn in place when the data changes. The element says how many points it shows
 * (data-points), which is what the browser tests read.
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** One line of a chart. */
export interface ChartSeries {
  label: string;
  color: string;
}

/** Times (Unix ms) and one array of values per series. */
export type ChartData = [number[], ...number[][]];

const HEIGHT = 170;

/** A live line chart; `format` renders values on the axis and in the legend; the y axis starts at 0. */
export function TimeChart({ id, title, series, data, format, max, floor = 1 }: { id: string; title: string; series: ChartSeries[]; data: ChartData; format: (v: number) => string; max?: number; floor?: number }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const fmt = useRef(format);
  fmt.current = format;
  const toSeconds = (d: ChartData): uPlot.AlignedData => [d[0].map((t) => t / 1000), ...d.slice(1)] as uPlot.AlignedData;
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const show = (v: number | null) => (v === null || v === undefined ? '—' : fmt.current(v));
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height: HEIGHT,
      series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 1.5, fill: `${s.color}22`, value: (_u: uPlot, v: number | null) => show(v) }))],
      axes: [{ stroke: '#57606a', grid: { stroke: '#eaeef2' } }, { stroke: '#57606a', size: 76, grid: { stroke: '#eaeef2' }, values: (_u, vals) => vals.map((v) => show(v)) }],
      // From zero, to the fixed maximum (100%) or a bit above the data, never below `floor` (a flat line of zeros still gets sane ticks).
      scales: { y: { range: (_u, _lo, hi) => [0, Math.max(max ?? 0, hi * 1.1, floor)] } },
      cursor: { drag: { x: false, y: false } },
      legend: { live: true },
    };
    plot.current = new uPlot(opts, toSeconds(data), el);
    const ro = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(200, el.clientWidth), height: HEIGHT }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [series.map((s) => s.label).join('|')]);
  useEffect(() => {
    plot.current?.setData(toSeconds(data));
  }, [data]);
  return (
    <div class="chart" data-testid={`chart-${id}`} data-points={data[0].length}>
      <div class="chart-title">{title}</div>
      <div ref={box} class="chart-box" />
    </div>
  );
}

/** `d` with one more row (time `t`, one value per series), keeping only the latest `max` rows. */
export function appendPoint(d: ChartData, t: number, values: number[], max: number): ChartData {
  const out = d.map((col, i) => {
    const next = col.length >= max ? col.slice(col.length - max + 1) : col.slice();
    next.push(i === 0 ? t : values[i - 1] ?? 0);
    return next;
  }) as ChartData;
  return out;
}

/** Empty data for `n` series. */
export function emptyData(n: number): ChartData {
  return [[], ...Array.from({ length: n }, () => [] as number[])] as ChartData;
}
