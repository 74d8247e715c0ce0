/**
 * A time-series chart (uPlot): one line per series over Unix-millisecond times, sized to its
 * card and redrawn in place when the data changes. uPlot is fetched the first time a chart is
 * shown (charts-lib.ts, served as /charts.js; its small style sheet is in app.css). The element says how many points it
 * shows (data-points) and whether it is drawn (data-drawn), which is what the browser tests read.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type uPlot from 'uplot';

/** One line of a chart. */
export interface ChartSeries {
  label: string;
  color: string;
}

/** Times (Unix ms) and one array of values per series. */
export type ChartData = [number[], ...number[][]];

const HEIGHT = 170;

/** Where the built charts-lib.ts is served (build/console.mjs); a variable, so the bundler leaves the import to the browser. */
const CHARTS_URL = '/charts.js';

let uplot: Promise<typeof uPlot> | undefined;

/** uPlot's constructor, loaded once; a failed load is tried again by the next chart. */
function loadUplot(): Promise<typeof uPlot> {
  uplot ??= (import(CHARTS_URL) as Promise<{ default: typeof uPlot }>).then(
    (m) => m.default,
    (err: Error) => {
      uplot = undefined;
      throw new Error(`the chart code could not be loaded (${err.message}); reload the page`);
    },
  );
  return uplot;
}

/** A live line chart; `format` renders values on the axis and in the legend; the y axis starts at 0. */
export function TimeChart({ id, title, series, data, format, max, floor = 1 }: { id: string; title: string; series: ChartSeries[]; data: ChartData; format: (v: number) => string; max?: number; floor?: number }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const fmt = useRef(format);
  fmt.current = format;
  const latest = useRef(data);
  latest.current = data;
  const [drawn, setDrawn] = useState(false);
  const [failed, setFailed] = useState('');
  const toSeconds = (d: ChartData): uPlot.AlignedData => [d[0].map((t) => t / 1000), ...d.slice(1)] as uPlot.AlignedData;
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    let gone = false;
    let ro: ResizeObserver | undefined;
    loadUplot().then(
      (UPlot) => {
        if (gone) return;
        plot.current = new UPlot(options(el), toSeconds(latest.current), el);
        ro = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(200, el.clientWidth), height: HEIGHT }));
        ro.observe(el);
        setDrawn(true);
      },
      (err: Error) => !gone && setFailed(err.message),
    );
    return () => {
      gone = true;
      ro?.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [series.map((s) => s.label).join('|')]);
  useEffect(() => {
    plot.current?.setData(toSeconds(data));
  }, [data]);
  const options = (el: HTMLElement): uPlot.Options => {
    const show = (v: number | null) => (v === null || v === undefined ? '—' : fmt.current(v));
    return {
      width: Math.max(200, el.clientWidth),
      height: HEIGHT,
      series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 1.5, fill: `${s.color}22`, value: (_u: uPlot, v: number | null) => show(v) }))],
      axes: [{ stroke: '#57606a', grid: { stroke: '#eaeef2' } }, { stroke: '#57606a', size: 76, grid: { stroke: '#eaeef2' }, values: (_u, vals) => vals.map((v) => show(v)) }],
      // From zero, to the fixed maximum (100%) or a bit above the data, never below `floor` (a flat line of zeros still gets sane ticks).
      scales: { y: { range: (_u, _lo, hi) => [0, Math.max(max ?? 0, hi * 1.1, floor)] } },
      cursor: { drag: { x: false, y: false } },
      legend: { live: true },
    };
  };
  return (
    <div class="chart" data-testid={`chart-${id}`} data-points={data[0].length} data-drawn={drawn ? 'yes' : 'no'}>
      <div class="chart-title">{title}</div>
      {failed && <p class="error small">{failed}</p>}
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
