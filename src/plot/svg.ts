// training curves as one standalone svg file: no dependencies, opens in any browser or image viewer

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface LossPoint {
  iteration: number;
  value: number;
}

export interface EpochPoint {
  epoch: number;
  iteration: number;
  trainAccuracy?: number;
  testAccuracy?: number;
}

export interface PlotHistory {
  // per-iteration (or smoothed) training loss; x is the iteration number
  loss: readonly LossPoint[];
  // per-epoch accuracies (or, with measure 'R²', a regression's R² in the same two fields)
  epochs: readonly EpochPoint[];
  // what the right-hand chart shows (default 'accuracy')
  measure?: 'accuracy' | 'R²';
}

export interface PlotOptions {
  title?: string;
  width?: number;
  height?: number;
  // moving-average window in loss points; default about 2 % of the run
  smoothing?: number;
}

export interface Point {
  x: number;
  y: number;
}

export interface Series {
  label: string;
  points: readonly Point[];
  color: string;
  strokeWidth?: number;
  opacity?: number;
  markers?: boolean;
}

export interface LineChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
  // ticks only on whole numbers (iterations, epochs)
  integerX?: boolean;
  // start the y axis at zero so a loss curve's scale is honest
  includeZeroY?: boolean;
  // the y axis never leaves these bounds (accuracy lives in [0, 1])
  clampY?: readonly [number, number];
  // fraction of the data's y span added above and below so markers do not sit on the frame
  padY?: number;
  emptyNote?: string;
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Axis {
  min: number;
  max: number;
  step: number;
  ticks: number[];
}

export interface ChartLayout {
  box: Box;
  plot: Box;
  x: Axis;
  y: Axis;
  empty: boolean;
}

export const MAX_PLOT_POINTS = 2000;

const FONT = "system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif";
const TICK_FONT = 11;
const AXIS_FONT = 12;
const PANEL_FONT = 14;
const TITLE_FONT = 16;
const TICK_LENGTH = 5;
const MIN_WIDTH = 320;
const MIN_HEIGHT = 200;

// --- numbers --------------------------------------------------------------------------------

// a step of 1, 2 or 5 × 10^k that splits the span into about `target` pieces
function niceStep(span: number, target: number): number {
  const raw = span / Math.max(1, target);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / magnitude;
  // the slack absorbs float noise such as 0.08 / 4 = 0.020000000000000004
  const mantissa = norm <= 1 + 1e-9 ? 1 : norm <= 2 + 1e-9 ? 2 : norm <= 5 + 1e-9 ? 5 : 10;
  return mantissa * magnitude;
}

// strip float noise such as 0.30000000000000004 so tick values print and compare cleanly
function clean(v: number): number {
  const c = Number(v.toPrecision(12));
  return c === 0 ? 0 : c;
}

// an axis whose ends and ticks are nice numbers and that covers [lo, hi]
export function niceTicks(
  lo: number,
  hi: number,
  target = 5,
  options: { integer?: boolean; clamp?: readonly [number, number] } = {},
): Axis {
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || lo > hi) {
    throw new RangeError(`niceTicks: expected finite lo ≤ hi, got ${lo} and ${hi}`);
  }
  // a zero (or float-noise) span has no scale: widen it around the value so a flat line sits mid-axis
  const mid = (lo + hi) / 2;
  if (hi - lo <= Math.abs(mid) * 1e-9) {
    const pad = Math.max(mid === 0 ? 1 : Math.abs(mid) * 0.1, options.integer ? 1 : 0);
    lo = mid - pad;
    hi = mid + pad;
  }
  if (options.clamp) {
    lo = Math.max(lo, options.clamp[0]);
    hi = Math.min(hi, options.clamp[1]);
    if (lo >= hi) [lo, hi] = [options.clamp[0], options.clamp[1]];
  }
  let step = niceStep(hi - lo, target);
  if (options.integer) step = Math.max(1, step);
  // the epsilon keeps 0.98 / 0.02 = 48.999… from adding a whole extra step
  let min = clean(Math.floor(lo / step + 1e-9) * step);
  let max = clean(Math.ceil(hi / step - 1e-9) * step);
  if (options.clamp) {
    min = Math.max(min, options.clamp[0]);
    max = Math.min(max, options.clamp[1]);
  }
  const ticks: number[] = [];
  for (let k = Math.ceil(min / step - 1e-9); k * step <= max + step * 1e-9; k++) ticks.push(clean(k * step));
  return { min, max, step, ticks };
}

// digits enough to tell neighbouring ticks apart, and no more
export function formatTick(value: number, step: number): string {
  const stepExponent = Math.floor(Math.log10(Math.abs(step)) + 1e-9);
  // float noise around zero would print as -0.0 or 1e-17
  if (Math.abs(value) < Math.abs(step) * 1e-9) return stepExponent < -5 ? '0' : (0).toFixed(Math.max(0, -stepExponent));
  const valueExponent = Math.floor(Math.log10(Math.abs(value)) + 1e-9);
  // very large or very small numbers read better as 1.5e-7 than as a run of zeros
  if (stepExponent < -5 || valueExponent >= 7) {
    return value.toExponential(Math.max(0, valueExponent - stepExponent)).replace('e+', 'e');
  }
  return value.toFixed(Math.max(0, -stepExponent));
}

// centred moving average that shrinks at the ends, so the smoothed line does not lag the raw one
export function movingAverage(points: readonly Point[], window: number): Point[] {
  const half = Math.max(0, Math.floor(window / 2));
  const prefix = new Float64Array(points.length + 1);
  points.forEach((p, i) => (prefix[i + 1] = prefix[i]! + p.y));
  return points.map((p, i) => {
    const from = Math.max(0, i - half);
    const to = Math.min(points.length, i + half + 1);
    return { x: p.x, y: (prefix[to]! - prefix[from]!) / (to - from) };
  });
}

// at most maxPoints: the first and last points, then each bucket's lowest and highest so spikes survive
export function downsample(points: readonly Point[], maxPoints = MAX_PLOT_POINTS): Point[] {
  if (!Number.isInteger(maxPoints) || maxPoints < 4) {
    throw new RangeError(`downsample: maxPoints must be an integer ≥ 4, got ${maxPoints}`);
  }
  if (points.length <= maxPoints) return points.slice();
  const inner = points.length - 2;
  const buckets = Math.floor((maxPoints - 2) / 2);
  const out: Point[] = [points[0]!];
  for (let b = 0; b < buckets; b++) {
    const from = 1 + Math.floor((b * inner) / buckets);
    const to = 1 + Math.floor(((b + 1) * inner) / buckets);
    let lo = from;
    let hi = from;
    for (let i = from; i < to; i++) {
      if (points[i]!.y < points[lo]!.y) lo = i;
      if (points[i]!.y > points[hi]!.y) hi = i;
    }
    // keep the pair in x order so the line never doubles back
    out.push(points[Math.min(lo, hi)]!);
    if (hi !== lo) out.push(points[Math.max(lo, hi)]!);
  }
  out.push(points[points.length - 1]!);
  return out;
}

// --- text -----------------------------------------------------------------------------------

// escaped for both text and attribute values; control characters are illegal in xml even escaped
export function escapeXml(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

// without a font engine, a generous average glyph width keeps labels from colliding or clipping
function textWidth(text: string, fontSize: number): number {
  return text.length * fontSize * 0.6;
}

// two decimals is sub-pixel and keeps 4000-point polylines small
function px(v: number): string {
  if (!Number.isFinite(v)) throw new RangeError(`svg: non-finite coordinate ${v}`);
  const r = Math.round(v * 100) / 100;
  return String(r === 0 ? 0 : r);
}

function text(x: number, y: number, content: string, attrs: string): string {
  return `<text x="${px(x)}" y="${px(y)}" ${attrs}>${escapeXml(content)}</text>`;
}

// --- one chart ------------------------------------------------------------------------------

// where the plot area sits inside box and what range each axis spans
export function layoutLineChart(spec: LineChartSpec, box: Box): ChartLayout {
  const finite = (p: Point) => Number.isFinite(p.x) && Number.isFinite(p.y);
  const all = spec.series.flatMap((s) => s.points.filter(finite));
  const empty = all.length === 0;

  // vertical bands: panel title, legend row, plot, tick labels, axis title
  const top = box.y + 50;
  const bottom = box.y + box.height - 40;
  const plotHeight = Math.max(20, bottom - top);

  let yLo = 0;
  let yHi = 1;
  let xLo = 0;
  let xHi = 1;
  if (!empty) {
    // plain loops: spreading a million points into Math.min would overflow the stack
    [xLo, xHi, yLo, yHi] = [Infinity, -Infinity, Infinity, -Infinity];
    for (const p of all) {
      xLo = Math.min(xLo, p.x);
      xHi = Math.max(xHi, p.x);
      yLo = Math.min(yLo, p.y);
      yHi = Math.max(yHi, p.y);
    }
    if (spec.includeZeroY) [yLo, yHi] = [Math.min(yLo, 0), Math.max(yHi, 0)];
    const pad = (yHi - yLo) * (spec.padY ?? 0);
    [yLo, yHi] = [yLo - pad, yHi + pad];
  }
  const y = niceTicks(yLo, yHi, Math.max(2, Math.floor(plotHeight / 45)), { clamp: spec.clampY });

  // the left margin grows with the widest y tick label so it is never clipped
  const yLabelWidth = Math.max(...y.ticks.map((t) => textWidth(formatTick(t, y.step), TICK_FONT)));
  const left = box.x + 8 + AXIS_FONT + 8 + yLabelWidth + TICK_LENGTH + 4;

  // fewer x ticks until the widest label fits between neighbours, so labels never overlap
  const rightPad = 14;
  let x: Axis;
  let plotWidth: number;
  for (let target = 8; ; target--) {
    x = niceTicks(xLo, xHi, Math.max(1, target), { integer: spec.integerX });
    const lastHalf = textWidth(formatTick(x.max, x.step), TICK_FONT) / 2;
    plotWidth = Math.max(20, box.x + box.width - Math.max(rightPad, lastHalf + 4) - left);
    const widest = Math.max(...x.ticks.map((t) => textWidth(formatTick(t, x.step), TICK_FONT)));
    const spacing = (x.step / (x.max - x.min)) * plotWidth;
    if (spacing >= widest + 10 || target <= 1) break;
  }
  return { box, plot: { x: left, y: top, width: plotWidth, height: plotHeight }, x, y, empty };
}

// data coordinates to pixels for this layout
export function scaleX(layout: ChartLayout, v: number): number {
  return layout.plot.x + ((v - layout.x.min) / (layout.x.max - layout.x.min)) * layout.plot.width;
}

export function scaleY(layout: ChartLayout, v: number): number {
  return layout.plot.y + layout.plot.height - ((v - layout.y.min) / (layout.y.max - layout.y.min)) * layout.plot.height;
}

// one panel as an svg group: frame, grid, ticks, lines, markers, legend, titles
// id must be unique within the document: it names the panel's clip path
export function renderPanel(spec: LineChartSpec, box: Box, id = 'chart'): { svg: string; layout: ChartLayout } {
  const layout = layoutLineChart(spec, box);
  const { plot, x, y } = layout;
  const right = plot.x + plot.width;
  const bottom = plot.y + plot.height;
  const out: string[] = [`<g class="panel" data-title="${escapeXml(spec.title)}">`];

  out.push(
    text(box.x + box.width / 2, box.y + 18, spec.title, `class="panel-title" text-anchor="middle" font-size="${PANEL_FONT}" font-weight="600"`),
  );
  out.push(`<rect x="${px(plot.x)}" y="${px(plot.y)}" width="${px(plot.width)}" height="${px(plot.height)}" fill="#fafafa"/>`);

  // light grid lines help read values off the curves
  const grid: string[] = [];
  for (const t of x.ticks) grid.push(`<line x1="${px(scaleX(layout, t))}" y1="${px(plot.y)}" x2="${px(scaleX(layout, t))}" y2="${px(bottom)}"/>`);
  for (const t of y.ticks) grid.push(`<line x1="${px(plot.x)}" y1="${px(scaleY(layout, t))}" x2="${px(right)}" y2="${px(scaleY(layout, t))}"/>`);
  out.push(`<g class="grid" stroke="#e3e3e3" stroke-width="1">${grid.join('')}</g>`);

  // lines are clipped to the plot area in case a caller's clamp cuts through the data
  const clipId = `clip-${id.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  out.push(`<clipPath id="${clipId}"><rect x="${px(plot.x - 4)}" y="${px(plot.y - 4)}" width="${px(plot.width + 8)}" height="${px(plot.height + 8)}"/></clipPath>`);
  out.push(`<g clip-path="url(#${clipId})">`);
  for (const s of spec.series) {
    const pts = downsample(s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y)));
    if (pts.length === 0) continue;
    const coords = pts.map((p) => `${px(scaleX(layout, p.x))},${px(scaleY(layout, p.y))}`).join(' ');
    const width = s.strokeWidth ?? 1.5;
    const opacity = s.opacity === undefined ? '' : ` stroke-opacity="${s.opacity}"`;
    out.push(
      `<polyline class="series" data-series="${escapeXml(s.label)}" points="${coords}" fill="none" stroke="${escapeXml(s.color)}" stroke-width="${width}"${opacity} stroke-linejoin="round" stroke-linecap="round"/>`,
    );
    // a lone point draws no line, so it always gets a marker
    if (s.markers || pts.length === 1) {
      const dots = pts.map((p) => `<circle cx="${px(scaleX(layout, p.x))}" cy="${px(scaleY(layout, p.y))}" r="3.5"/>`);
      out.push(`<g class="markers" data-series="${escapeXml(s.label)}" fill="${escapeXml(s.color)}" stroke="#ffffff" stroke-width="1">${dots.join('')}</g>`);
    }
  }
  out.push('</g>');

  // axes with outward ticks and their labels
  out.push(`<g class="axes" stroke="#444" stroke-width="1" fill="none">`);
  out.push(`<line x1="${px(plot.x)}" y1="${px(bottom)}" x2="${px(right)}" y2="${px(bottom)}"/>`);
  out.push(`<line x1="${px(plot.x)}" y1="${px(plot.y)}" x2="${px(plot.x)}" y2="${px(bottom)}"/>`);
  for (const t of x.ticks) {
    out.push(`<line class="tick-mark-x" data-value="${t}" x1="${px(scaleX(layout, t))}" y1="${px(bottom)}" x2="${px(scaleX(layout, t))}" y2="${px(bottom + TICK_LENGTH)}"/>`);
  }
  for (const t of y.ticks) {
    out.push(`<line class="tick-mark-y" data-value="${t}" x1="${px(plot.x - TICK_LENGTH)}" y1="${px(scaleY(layout, t))}" x2="${px(plot.x)}" y2="${px(scaleY(layout, t))}"/>`);
  }
  out.push('</g>');
  out.push(`<g class="tick-labels" font-size="${TICK_FONT}" fill="#333">`);
  for (const t of x.ticks) {
    out.push(text(scaleX(layout, t), bottom + TICK_LENGTH + TICK_FONT + 2, formatTick(t, x.step), `class="tick-x" data-value="${t}" text-anchor="middle"`));
  }
  for (const t of y.ticks) {
    out.push(text(plot.x - TICK_LENGTH - 3, scaleY(layout, t) + TICK_FONT * 0.35, formatTick(t, y.step), `class="tick-y" data-value="${t}" text-anchor="end"`));
  }
  out.push('</g>');

  // axis titles: x centred under the tick labels, y rotated along the left edge
  out.push(text(plot.x + plot.width / 2, bottom + TICK_LENGTH + TICK_FONT + 22, spec.xLabel, `class="axis-title" text-anchor="middle" font-size="${AXIS_FONT}" fill="#222"`));
  const yTitleX = box.x + 8 + AXIS_FONT;
  const yTitleY = plot.y + plot.height / 2;
  out.push(
    text(yTitleX, yTitleY, spec.yLabel, `class="axis-title" text-anchor="middle" font-size="${AXIS_FONT}" fill="#222" transform="rotate(-90 ${px(yTitleX)} ${px(yTitleY)})"`),
  );

  // legend in its own row above the plot, right-aligned, so it never hides a curve
  const shown = spec.series.filter((s) => s.points.some((p) => Number.isFinite(p.x) && Number.isFinite(p.y)));
  const itemWidth = (s: Series) => 22 + 5 + textWidth(s.label, TICK_FONT) + 14;
  let lx = Math.max(box.x + 4, right - shown.reduce((w, s) => w + itemWidth(s), 0) + 14);
  const ly = box.y + 36;
  out.push(`<g class="legend" font-size="${TICK_FONT}" fill="#333">`);
  for (const s of shown) {
    out.push(`<line x1="${px(lx)}" y1="${px(ly)}" x2="${px(lx + 22)}" y2="${px(ly)}" stroke="${escapeXml(s.color)}" stroke-width="${Math.max(2, s.strokeWidth ?? 1.5)}"/>`);
    if (s.markers) out.push(`<circle cx="${px(lx + 11)}" cy="${px(ly)}" r="3.5" fill="${escapeXml(s.color)}" stroke="#ffffff" stroke-width="1"/>`);
    out.push(text(lx + 27, ly + TICK_FONT * 0.35, s.label, 'class="legend-label"'));
    lx += itemWidth(s);
  }
  out.push('</g>');

  if (layout.empty) {
    out.push(text(plot.x + plot.width / 2, plot.y + plot.height / 2, spec.emptyNote ?? 'no data', `class="empty-note" text-anchor="middle" font-size="${AXIS_FONT}" font-style="italic" fill="#888"`));
  }
  out.push('</g>');
  return { svg: out.join('\n'), layout };
}

function checkSize(name: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) {
    throw new RangeError(`Invalid plot ${name}: ${String(v)} (expected a number ≥ ${min})`);
  }
  return v;
}

function svgDocument(width: number, height: number, title: string, body: string[]): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${px(width)}" height="${px(height)}" viewBox="0 0 ${px(width)} ${px(height)}" font-family="${FONT}">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

// where renderLineChart puts its one panel on a canvas of this size
export function chartBox(width: number, height: number): Box {
  return { x: 6, y: 6, width: width - 12, height: height - 12 };
}

// a single chart as a standalone svg document
export function renderLineChart(spec: LineChartSpec, options: { width?: number; height?: number } = {}): string {
  const width = checkSize('width', options.width ?? 560, MIN_WIDTH);
  const height = checkSize('height', options.height ?? 400, MIN_HEIGHT);
  // a small outer margin so edge tick labels are never cut by the canvas
  return svgDocument(width, height, spec.title, [renderPanel(spec, chartBox(width, height)).svg]);
}

// --- training history -----------------------------------------------------------------------

export interface HistoryPanels {
  width: number;
  height: number;
  title: string;
  panels: { spec: LineChartSpec; box: Box }[];
}

function checkHistory(history: unknown): asserts history is PlotHistory {
  const h = history as Partial<PlotHistory> | null;
  if (typeof h !== 'object' || h === null) {
    throw new TypeError(`plot: history must be an object { loss, epochs }, got ${h === null ? 'null' : typeof h}`);
  }
  if (!Array.isArray(h.loss)) throw new TypeError(`plot: history.loss must be an array of { iteration, value }, got ${typeof h.loss}`);
  if (!Array.isArray(h.epochs)) throw new TypeError(`plot: history.epochs must be an array of { epoch, trainAccuracy?, testAccuracy? }, got ${typeof h.epochs}`);
  h.loss.forEach((p, i) => {
    if (typeof p !== 'object' || p === null) throw new TypeError(`plot: history.loss[${i}] must be { iteration, value }, got ${String(p)}`);
  });
  h.epochs.forEach((p, i) => {
    if (typeof p !== 'object' || p === null) throw new TypeError(`plot: history.epochs[${i}] must be { epoch, trainAccuracy?, testAccuracy? }, got ${String(p)}`);
  });
}

// a missing, NaN or infinite value is a gap to skip, not a point to draw
function usable(x: unknown, y: unknown): boolean {
  return typeof x === 'number' && typeof y === 'number' && Number.isFinite(x) && Number.isFinite(y);
}

// the two chart specs and where each sits; exported so tests can check the pixel geometry
export function historyPanels(history: PlotHistory, options: PlotOptions = {}): HistoryPanels {
  checkHistory(history);
  const width = checkSize('width', options.width ?? 1000, MIN_WIDTH);
  const height = checkSize('height', options.height ?? 420, MIN_HEIGHT);
  const title = options.title ?? 'Training history';
  if (typeof title !== 'string') throw new TypeError(`plot: title must be a string, got ${typeof title}`);

  // loss in iteration order, so an out-of-order log still draws a left-to-right line
  const raw = history.loss
    .filter((p) => usable(p.iteration, p.value))
    .map((p) => ({ x: p.iteration, y: p.value }))
    .sort((a, b) => a.x - b.x);
  let window = options.smoothing ?? Math.max(1, Math.round(raw.length / 50));
  if (!Number.isInteger(window) || window < 1) throw new RangeError(`Invalid smoothing window: ${window} (expected an integer ≥ 1)`);
  if (window % 2 === 0) window += 1;
  const lossSeries: Series[] =
    window > 1 && raw.length > 2
      ? [
          { label: 'loss', points: raw, color: '#9ecae1', strokeWidth: 1, opacity: 0.9 },
          { label: `moving average (${window})`, points: movingAverage(raw, window), color: '#08519c', strokeWidth: 2 },
        ]
      : [{ label: 'loss', points: raw, color: '#08519c', strokeWidth: 1.5 }];

  const epochs = history.epochs.slice().sort((a, b) => a.epoch - b.epoch);
  const accuracy = (key: 'trainAccuracy' | 'testAccuracy') =>
    epochs.filter((e) => usable(e.epoch, e[key])).map((e) => ({ x: e.epoch, y: e[key] as number }));
  const train = accuracy('trainAccuracy');
  const test = accuracy('testAccuracy');
  // markers only while they stay distinguishable
  const markers = Math.max(train.length, test.length) <= 60;
  const accSeries: Series[] = [
    { label: 'train', points: train, color: '#1f77b4', strokeWidth: 2, markers },
    { label: 'test', points: test, color: '#e6550d', strokeWidth: 2, markers },
  ];
  const allEpochsWhole = [...train, ...test].every((p) => Number.isInteger(p.x));

  const loss: LineChartSpec = { title: 'Loss', xLabel: 'iteration', yLabel: 'loss', series: lossSeries, integerX: true, includeZeroY: true };
  // R² is at most 1 and may be far below 0 early on: only its top is clamped
  const r2 = history.measure === 'R²';
  const acc: LineChartSpec = {
    title: r2 ? 'R²' : 'Accuracy',
    xLabel: 'epoch',
    yLabel: r2 ? 'R²' : 'accuracy',
    series: accSeries,
    integerX: allEpochsWhole,
    clampY: r2 ? [-Infinity, 1] : [0, 1],
    padY: 0.08,
  };

  // side by side on a wide canvas, stacked on a tall one
  const header = title === '' ? 6 : 36;
  const margin = 10;
  const gap = 20;
  const inner = { x: margin, y: header, width: width - 2 * margin, height: height - header - margin };
  const boxes: [Box, Box] =
    width >= height
      ? [
          { ...inner, width: (inner.width - gap) / 2 },
          { ...inner, x: inner.x + (inner.width + gap) / 2, width: (inner.width - gap) / 2 },
        ]
      : [
          { ...inner, height: (inner.height - gap) / 2 },
          { ...inner, y: inner.y + (inner.height + gap) / 2, height: (inner.height - gap) / 2 },
        ];
  return { width, height, title, panels: [{ spec: loss, box: boxes[0] }, { spec: acc, box: boxes[1] }] };
}

// loss over iterations beside accuracy over epochs, as one svg document
export function renderHistorySvg(history: PlotHistory, options: PlotOptions = {}): string {
  const { width, height, title, panels } = historyPanels(history, options);
  const body: string[] = [];
  if (title !== '') {
    body.push(text(width / 2, 24, title, `class="chart-title" text-anchor="middle" font-size="${TITLE_FONT}" font-weight="700" fill="#111"`));
  }
  panels.forEach((p, i) => body.push(renderPanel(p.spec, p.box, `panel-${i}`).svg));
  return svgDocument(width, height, title || 'Training history', body);
}

// write the svg next to a training run; png would need a rasterizer, which this package does not ship
export function writeHistoryPlot(path: string, history: PlotHistory, options: PlotOptions = {}): void {
  if (typeof path !== 'string' || path === '') throw new TypeError(`writeHistoryPlot: path must be a non-empty string, got ${JSON.stringify(path)}`);
  if (!path.toLowerCase().endsWith('.svg')) {
    const hint = path.toLowerCase().endsWith('.png')
      ? ' PNG is not supported (no rasterizer without dependencies); write .svg and convert it, e.g. `rsvg-convert plot.svg -o plot.png`'
      : '';
    throw new RangeError(`writeHistoryPlot: only .svg output is supported, got ${JSON.stringify(path)}.${hint}`);
  }
  const svg = renderHistorySvg(history, options);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, svg, 'utf8');
}
