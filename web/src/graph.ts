/**
 * The pipeline graph as SVG: steps in layers (a step one layer right of the deepest step it consumes
 * from), boxes with name, state and duration, edges from each binding. Clicking a box selects it.
 */
import type { EdgeView, StepBoxView } from '../../src/web/api-types.js';
import { span, svg } from './dom.js';

const BOX_W = 190;
const BOX_H = 58;
const GAP_X = 150;
const GAP_Y = 24;
const PAD = 16;

function layers(steps: readonly StepBoxView[]): Map<string, number> {
  const layer = new Map<string, number>();
  const byName = new Map(steps.map((step) => [step.name, step]));
  const depth = (name: string, seen: Set<string>): number => {
    const known = layer.get(name);
    if (known !== undefined) return known;
    if (seen.has(name)) return 0;
    seen.add(name);
    const deps = byName.get(name)?.dependsOn ?? [];
    const value = deps.length === 0 ? 0 : 1 + Math.max(...deps.map((dep) => depth(dep, seen)));
    layer.set(name, value);
    return value;
  };
  for (const step of steps) depth(step.name, new Set());
  return layer;
}

/** Draws the graph; `onSelect` hears the clicked step's name. */
export function drawGraph(
  steps: readonly StepBoxView[],
  edges: readonly EdgeView[],
  selected: string | undefined,
  onSelect: (name: string) => void,
): SVGSVGElement {
  const layerOf = layers(steps);
  const rows = new Map<number, number>();
  const position = new Map<string, { x: number; y: number }>();
  for (const step of steps) {
    const layer = layerOf.get(step.name) ?? 0;
    const row = rows.get(layer) ?? 0;
    rows.set(layer, row + 1);
    position.set(step.name, { x: PAD + layer * (BOX_W + GAP_X), y: PAD + row * (BOX_H + GAP_Y) });
  }
  const width = PAD * 2 + (Math.max(0, ...layerOf.values()) + 1) * (BOX_W + GAP_X) - GAP_X;
  const height = PAD * 2 + Math.max(1, ...rows.values()) * (BOX_H + GAP_Y) - GAP_Y;
  const root = svg('svg', {
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-label': 'pipeline graph',
  });
  for (const edge of edges) {
    const from = position.get(edge.from);
    const to = position.get(edge.to);
    if (from === undefined || to === undefined) continue;
    const x1 = from.x + BOX_W;
    const y1 = from.y + BOX_H / 2;
    const x2 = to.x;
    const y2 = to.y + BOX_H / 2;
    const mid = (x1 + x2) / 2;
    const path = svg('path', {
      class: 'edge',
      d: `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`,
      'data-from': edge.from,
      'data-to': edge.to,
    });
    root.append(path);
    if (edge.label !== '') {
      const label = svg('text', { class: 'edge-label', x: mid, y: (y1 + y2) / 2 - 4, 'text-anchor': 'middle' });
      label.textContent = edge.label;
      root.append(label);
    }
  }
  for (const step of steps) {
    const at = position.get(step.name) as { x: number; y: number };
    const group = svg('g', {
      class: `box s-${step.state}${step.name === selected ? ' selected' : ''}`,
      transform: `translate(${at.x},${at.y})`,
      'data-step': step.name,
      'data-state': step.state,
      tabindex: 0,
    });
    group.append(svg('rect', { width: BOX_W, height: BOX_H }));
    const title = svg('text', { x: 10, y: 20 });
    title.textContent = step.name.length > 26 ? `${step.name.slice(0, 25)}…` : step.name;
    const sub = svg('text', { class: 'sub', x: 10, y: 38 });
    sub.textContent = `${step.type} · ${step.state}${step.reusedFrom ? ' (reused)' : ''}`;
    const time = svg('text', { class: 'sub', x: 10, y: 52 });
    const p = step.progress;
    const progress =
      p.miniBatchesTotal > 0 ? ` · ${p.miniBatchesSucceeded + p.miniBatchesFailed}/${p.miniBatchesTotal}` : '';
    time.textContent = `${span(step.startedAtMs, step.endedAtMs)}${progress}`;
    group.append(title, sub, time);
    group.addEventListener('click', () => onSelect(step.name));
    group.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') onSelect(step.name);
    });
    root.append(group);
  }
  return root;
}
