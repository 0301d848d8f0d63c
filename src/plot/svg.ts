// the training figure, as one standalone svg file (no dependencies; opens in any browser): loss over
// iterations beside accuracy over epochs. internal: the CLI's --plot draws it. lineChart is the one
// building block, kept small so another fixed figure (a scaling chart) can reuse it.

export interface PlotHistory {
  // per-iteration training loss; x is the iteration number
  loss: readonly { iteration: number; value: number }[];
  // per-epoch accuracies (or, with measure 'R²', a regression's R² in the same two fields)
  epochs: readonly { epoch: number; trainAccuracy?: number; testAccuracy?: number }[];
  // what the right-hand chart shows (default 'accuracy')
  measure?: 'accuracy' | 'R²';
}

export interface Point {
  x: number;
  y: number;
}

export interface Series {
  label: string;
  points: readonly Point[];
  color: string;
  width?: number;
}

export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
  // a fixed y range (accuracy lives in [0, 1]); otherwise the data's, with zero included
  yRange?: readonly [number, number];
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

// more points than a screen has pixels across only make the file big
const MAX_PLOT_POINTS = 2000;
const FONT = 'system-ui, Helvetica, Arial, sans-serif';

// escaped for text and attribute values; control characters are illegal in xml even escaped
export function escapeXml(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

// two decimals are sub-pixel and keep long polylines small
function px(v: number): string {
  return String(Math.round(v * 100) / 100);
}

function text(x: number, y: number, content: string, attrs = ''): string {
  return `<text x="${px(x)}" y="${px(y)}" ${attrs}>${escapeXml(content)}</text>`;
}

// about `count` ticks on a 1, 2 or 5 × 10^k step covering [lo, hi]; a zero span is widened around its value
export function niceTicks(lo: number, hi: number, count = 5): { min: number; max: number; step: number; ticks: number[] } {
  if (hi - lo <= Math.abs(lo) * 1e-9) [lo, hi] = [lo - (lo === 0 ? 1 : Math.abs(lo) * 0.1), hi + (hi === 0 ? 1 : Math.abs(hi) * 0.1)];
  const raw = (hi - lo) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].find((m) => m * magnitude >= raw * (1 - 1e-9))! * magnitude;
  // the epsilons keep float noise (0.98 / 0.02 = 48.999…) from adding a whole step
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  const ticks: number[] = [];
  for (let k = first; k <= last; k++) ticks.push(Number((k * step).toPrecision(12)));
  return { min: ticks[0]!, max: ticks.at(-1)!, step, ticks };
}

// as many decimals as the step needs
function formatTick(value: number, step: number): string {
  return value.toFixed(Math.max(0, -Math.floor(Math.log10(step) + 1e-9)));
}

// centred moving average that shrinks at the ends, so the smoothed line does not lag the raw one
export function movingAverage(points: readonly Point[], window: number): Point[] {
  const half = Math.floor(window / 2);
  const prefix = new Float64Array(points.length + 1);
  points.forEach((p, i) => (prefix[i + 1] = prefix[i]! + p.y));
  return points.map((p, i) => {
    const from = Math.max(0, i - half);
    const to = Math.min(points.length, i + half + 1);
    return { x: p.x, y: (prefix[to]! - prefix[from]!) / (to - from) };
  });
}

// at most MAX_PLOT_POINTS: each bucket's lowest and highest point, in x order, so spikes survive
export function downsample(points: readonly Point[]): Point[] {
  if (points.length <= MAX_PLOT_POINTS) return points.slice();
  const buckets = MAX_PLOT_POINTS / 2;
  const out: Point[] = [];
  for (let b = 0; b < buckets; b++) {
    const from = Math.floor((b * points.length) / buckets);
    const to = Math.floor(((b + 1) * points.length) / buckets);
    let lo = from;
    let hi = from;
    for (let i = from; i < to; i++) {
      if (points[i]!.y < points[lo]!.y) lo = i;
      if (points[i]!.y > points[hi]!.y) hi = i;
    }
    out.push(points[Math.min(lo, hi)]!);
    if (hi !== lo) out.push(points[Math.max(lo, hi)]!);
  }
  return out;
}

// one chart inside box, as an svg group: title, legend, frame, ticks, axis labels, lines
export function lineChart(chart: LineChart, box: Box): string {
  const all = chart.series.flatMap((s) => s.points);
  let [xLo, xHi, yLo, yHi] = [0, 1, 0, 1];
  if (all.length > 0) {
    // plain loops: spreading many points into Math.min would overflow the stack
    [xLo, xHi, yLo, yHi] = [Infinity, -Infinity, 0, 0];
    for (const p of all) [xLo, xHi, yLo, yHi] = [Math.min(xLo, p.x), Math.max(xHi, p.x), Math.min(yLo, p.y), Math.max(yHi, p.y)];
  }
  if (chart.yRange) [yLo, yHi] = chart.yRange;
  const xs = niceTicks(xLo, xHi);
  const ys = niceTicks(yLo, yHi);
  // margins: title and legend above, tick labels and the axis label below and to the left
  const plot = { x: box.x + 60, y: box.y + 44, width: box.width - 75, height: box.height - 84 };
  const sx = (v: number): number => plot.x + ((v - xs.min) / (xs.max - xs.min)) * plot.width;
  const sy = (v: number): number => plot.y + plot.height - ((v - ys.min) / (ys.max - ys.min)) * plot.height;
  const bottom = plot.y + plot.height;

  const out = [`<g class="chart">`, text(box.x + box.width / 2, box.y + 16, chart.title, 'text-anchor="middle" font-size="14" font-weight="600"')];
  out.push(`<rect x="${px(plot.x)}" y="${px(plot.y)}" width="${px(plot.width)}" height="${px(plot.height)}" fill="#fafafa" stroke="#444"/>`);
  for (const t of xs.ticks) out.push(text(sx(t), bottom + 16, formatTick(t, xs.step), 'class="tick-x" text-anchor="middle" font-size="11"'));
  for (const t of ys.ticks) {
    out.push(`<line x1="${px(plot.x)}" y1="${px(sy(t))}" x2="${px(plot.x + plot.width)}" y2="${px(sy(t))}" stroke="#e3e3e3"/>`);
    out.push(text(plot.x - 6, sy(t) + 4, formatTick(t, ys.step), 'class="tick-y" text-anchor="end" font-size="11"'));
  }
  out.push(text(plot.x + plot.width / 2, bottom + 34, chart.xLabel, 'text-anchor="middle" font-size="12"'));
  out.push(text(box.x + 14, plot.y + plot.height / 2, chart.yLabel, `text-anchor="middle" font-size="12" transform="rotate(-90 ${px(box.x + 14)} ${px(plot.y + plot.height / 2)})"`));
  chart.series.forEach((s, i) => {
    // the legend: one row above the plot
    const lx = plot.x + i * 150;
    out.push(`<line x1="${px(lx)}" y1="${px(box.y + 32)}" x2="${px(lx + 20)}" y2="${px(box.y + 32)}" stroke="${s.color}" stroke-width="2"/>`);
    out.push(text(lx + 25, box.y + 36, s.label, 'font-size="11"'));
    const coords = downsample(s.points).map((p) => `${px(sx(p.x))},${px(sy(p.y))}`);
    // a lone point draws no line, so it gets a dot
    if (coords.length === 1) out.push(`<circle class="series" cx="${coords[0]!.split(',')[0]}" cy="${coords[0]!.split(',')[1]}" r="3" fill="${s.color}"/>`);
    else if (coords.length > 1) out.push(`<polyline class="series" data-series="${escapeXml(s.label)}" points="${coords.join(' ')}" fill="none" stroke="${s.color}" stroke-width="${s.width ?? 1.5}"/>`);
  });
  if (all.length === 0) out.push(text(plot.x + plot.width / 2, plot.y + plot.height / 2, 'no data', 'text-anchor="middle" font-size="12" fill="#888"'));
  out.push('</g>');
  return out.join('\n');
}

// a standalone svg document of the given size holding the charts
export function svgDocument(width: number, height: number, title: string, body: readonly string[]): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}">`,
    `<title>${escapeXml(title)}</title>`,
    '<rect width="100%" height="100%" fill="#ffffff"/>',
    text(width / 2, 22, title, 'text-anchor="middle" font-size="16" font-weight="700"'),
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

// a missing, NaN or infinite value is a gap to skip, not a point to draw
const finite = (p: Point): boolean => Number.isFinite(p.x) && Number.isFinite(p.y);

// the training figure: the loss (raw and a moving average over ~2 % of the run) beside train and test accuracy
export function renderHistorySvg(history: PlotHistory, options: { title?: string } = {}): string {
  const title = options.title ?? 'Training history';
  const raw = history.loss.map((p) => ({ x: p.iteration, y: p.value })).filter(finite);
  const window = 2 * Math.round(raw.length / 100) + 1;
  const loss: Series[] = window > 1 ? [{ label: 'loss', points: raw, color: '#9ecae1', width: 1 }, { label: `moving average (${window})`, points: movingAverage(raw, window), color: '#08519c', width: 2 }] : [{ label: 'loss', points: raw, color: '#08519c' }];
  const accuracy = (key: 'trainAccuracy' | 'testAccuracy'): Point[] => history.epochs.map((e) => ({ x: e.epoch, y: e[key] ?? NaN })).filter(finite);
  const [width, height] = [1000, 420];
  const half = (width - 30) / 2;
  return svgDocument(width, height, title, [
    lineChart({ title: 'Loss', xLabel: 'iteration', yLabel: 'loss', series: loss }, { x: 10, y: 36, width: half, height: height - 46 }),
    lineChart(
      // R² may be far below 0 early on, so it takes the data's range; accuracy lives in [0, 1]
      { ...(history.measure === 'R²' ? { title: 'R²', xLabel: 'epoch', yLabel: 'R²' } : { title: 'Accuracy', xLabel: 'epoch', yLabel: 'accuracy', yRange: [0, 1] as const }), series: [{ label: 'train', points: accuracy('trainAccuracy'), color: '#1f77b4', width: 2 }, { label: 'test', points: accuracy('testAccuracy'), color: '#e6550d', width: 2 }] },
      { x: 20 + half, y: 36, width: half, height: height - 46 },
    ),
  ]);
}
