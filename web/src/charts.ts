/**
 * Small SVG charts drawn by the UI itself (no chart library: a line chart and a stacked bar chart are a
 * few dozen lines, and the bundle stays small): time on x, one y scale from 0, colours from CSS classes
 * so that light and dark themes both read. Each chart is a <figure> with a title and a legend.
 */
import { h, svg } from './dom.js';

const WIDTH = 640;
const HEIGHT = 170;
const LEFT = 48;
const RIGHT = 8;
const TOP = 8;
const BOTTOM = 22;

function text(x: number, y: number, value: string, anchor = 'end'): SVGElement {
  const element = svg('text', { x, y, 'text-anchor': anchor, class: 'axis-label' });
  element.textContent = value;
  return element;
}

/** `12.5`, `1.2k`, `3.4M`. */
export function compact(value: number): string {
  const magnitude = Math.abs(value);
  if (magnitude >= 1e6) return `${(value / 1e6).toFixed(1)}M`;
  if (magnitude >= 1e3) return `${(value / 1e3).toFixed(1)}k`;
  if (magnitude >= 10 || Number.isInteger(value)) return value.toFixed(0);
  return magnitude >= 0.1 ? value.toFixed(2) : String(Number(value.toPrecision(2)));
}

function clock(ms: number): string {
  return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** The x of time `ms` on a chart spanning `fromMs`..`toMs`, drawn from `left` to `width` - RIGHT. */
export function timeScale(fromMs: number, toMs: number, left = LEFT, width = WIDTH): (ms: number) => number {
  const span = Math.max(1, toMs - fromMs);
  return (ms: number) => left + ((ms - fromMs) / span) * (width - left - RIGHT);
}

/** The start and end times written along a line at `y`. */
export function timeLabels(fromMs: number, toMs: number, y: number, left = LEFT, width = WIDTH): SVGElement {
  return svg('g', {}, text(left, y, clock(fromMs), 'start'), text(width - RIGHT, y, clock(toMs)));
}

/** The smallest 1, 2 or 5 × 10^k at or above `value`: a y scale whose labels read well. */
export function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return ([1, 2, 5, 10].find((step) => step * power >= value) ?? 10) * power;
}

/** A time axis from `fromMs` to `toMs` and a y scale 0..`yMax`, with their labels and grid. */
function axes(fromMs: number, toMs: number, yMax: number) {
  const x = timeScale(fromMs, toMs);
  const y = (value: number) => HEIGHT - BOTTOM - (value / (yMax || 1)) * (HEIGHT - TOP - BOTTOM);
  const frame = svg('g', { class: 'axes' });
  for (const fraction of [0, 0.5, 1]) {
    const at = y(yMax * fraction);
    frame.appendChild(svg('line', { x1: LEFT, x2: WIDTH - RIGHT, y1: at, y2: at, class: 'grid' }));
    frame.appendChild(text(LEFT - 4, at + 4, compact(yMax * fraction)));
  }
  frame.appendChild(timeLabels(fromMs, toMs, HEIGHT - 6));
  return { x, y, frame };
}

function figure(
  title: string,
  chart: Element,
  legend: readonly { label: string; cls: string }[],
  id?: string,
): HTMLElement {
  return h(
    'figure',
    { class: 'chart', 'data-chart': id ?? title },
    h('figcaption', {}, title),
    chart,
    legend.length < 2
      ? null
      : h('div', { class: 'legend' }, ...legend.map((one) => h('span', { class: `key ${one.cls}` }, one.label))),
  );
}

function frameSvg(): SVGElement {
  return svg('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img' });
}

export interface LineSeries {
  readonly label: string;
  /** A CSS class giving its stroke colour (`c0`..`c7`, or a status). */
  readonly cls: string;
  readonly points: readonly (readonly [number, number])[];
}

/** Lines over time; a series of one point draws a dot. */
export function lineChart(
  title: string,
  unit: string,
  series: readonly LineSeries[],
  yMaxAtLeast = 0,
  id?: string,
): HTMLElement {
  const all = series.flatMap((one) => one.points);
  if (all.length === 0) return figure(title, h('p', { class: 'muted' }, 'No data yet.'), [], id);
  const fromMs = Math.min(...all.map(([at]) => at));
  const toMs = Math.max(...all.map(([at]) => at), fromMs + 1_000);
  const yMax = niceMax(all.reduce((max, [, value]) => Math.max(max, value), yMaxAtLeast));
  const { x, y, frame } = axes(fromMs, toMs, yMax);
  const chart = frameSvg();
  chart.appendChild(frame);
  for (const one of series) {
    const d = one.points
      .map(([at, value], index) => `${index === 0 ? 'M' : 'L'}${x(at).toFixed(1)},${y(value).toFixed(1)}`)
      .join('');
    chart.appendChild(svg('path', { d, class: `line ${one.cls}`, 'data-series': one.label }));
    if (one.points.length === 1) {
      const [at, value] = one.points[0] as readonly [number, number];
      chart.appendChild(svg('circle', { cx: x(at), cy: y(value), r: 3, class: `dot ${one.cls}` }));
    }
  }
  return figure(`${title} (${unit})`, chart, series, id);
}

export interface BarStack {
  readonly label: string;
  readonly cls: string;
  /** One value per bucket. */
  readonly values: readonly number[];
}

/** Stacked bars, one per time bucket ending at `bucketEnds[i]`. */
export function stackedBars(
  title: string,
  unit: string,
  bucketEnds: readonly number[],
  bucketMs: number,
  stacks: readonly BarStack[],
  id?: string,
): HTMLElement {
  if (bucketEnds.length === 0) return figure(title, h('p', { class: 'muted' }, 'No data yet.'), [], id);
  const totals = bucketEnds.map((_, index) => stacks.reduce((sum, stack) => sum + (stack.values[index] ?? 0), 0));
  const fromMs = (bucketEnds[0] ?? 0) - bucketMs;
  const toMs = bucketEnds.at(-1) ?? fromMs + bucketMs;
  const { x, y, frame } = axes(fromMs, toMs, niceMax(Math.max(1, ...totals)));
  const chart = frameSvg();
  chart.appendChild(frame);
  bucketEnds.forEach((end, index) => {
    let base = 0;
    const left = x(end - bucketMs) + 0.5;
    const width = Math.max(1, x(end) - x(end - bucketMs) - 1);
    for (const stack of stacks) {
      const value = stack.values[index] ?? 0;
      if (value <= 0) continue;
      const top = y(base + value);
      const rect = svg('rect', {
        x: left,
        y: top,
        width,
        height: Math.max(0.5, y(base) - top),
        class: `seg ${stack.cls}`,
      });
      rect.appendChild(Object.assign(svg('title'), { textContent: `${stack.label}: ${value}` }));
      chart.appendChild(rect);
      base += value;
    }
  });
  return figure(`${title} (${unit})`, chart, stacks, id);
}
