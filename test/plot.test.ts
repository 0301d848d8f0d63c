import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  chartBox,
  downsample,
  formatTick,
  historyPanels,
  layoutLineChart,
  movingAverage,
  niceTicks,
  renderHistorySvg,
  renderLineChart,
  writeHistoryPlot,
  type LineChartSpec,
  type PlotHistory,
} from '../src/plot/index.js';

// --- a tiny strict xml parser: a stack of open tags, quoted attributes, known entities only ---

interface El {
  name: string;
  attrs: Record<string, string>;
  children: El[];
  text: string;
}

const isNameChar = (c: string | undefined) =>
  c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c === '-' || c === '_' || c === ':' || c === '.');
const isSpace = (c: string | undefined) => c === ' ' || c === '\n' || c === '\t' || c === '\r';

function decodeEntities(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '<') throw new Error(`xml: raw '<' in text or attribute`);
    if (s[i] !== '&') {
      out += s[i];
      continue;
    }
    const end = s.indexOf(';', i);
    if (end < 0) throw new Error(`xml: unterminated entity`);
    const name = s.slice(i + 1, end);
    const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
    if (name in named) out += named[name];
    else if (name.startsWith('#x') && name.length > 2 && [...name.slice(2)].every((c) => '0123456789abcdefABCDEF'.includes(c))) out += String.fromCodePoint(parseInt(name.slice(2), 16));
    else if (name.startsWith('#') && name.length > 1 && [...name.slice(1)].every((c) => c >= '0' && c <= '9')) out += String.fromCodePoint(parseInt(name.slice(1), 10));
    else throw new Error(`xml: unknown entity &${name};`);
    i = end;
  }
  return out;
}

function parseXml(src: string): El {
  for (const ch of src) {
    const code = ch.codePointAt(0)!;
    if (code < 0x20 && code !== 0x9 && code !== 0xa && code !== 0xd) throw new Error(`xml: illegal control character U+${code.toString(16)}`);
  }
  let i = 0;
  const stack: El[] = [];
  let root: El | undefined;
  const readName = () => {
    const start = i;
    while (isNameChar(src[i])) i++;
    if (i === start) throw new Error(`xml: expected a name at ${i}`);
    return src.slice(start, i);
  };
  if (src.startsWith('<?xml')) {
    const end = src.indexOf('?>');
    if (end < 0) throw new Error('xml: unterminated declaration');
    i = end + 2;
  }
  while (i < src.length) {
    if (src[i] !== '<') {
      const end = src.indexOf('<', i) < 0 ? src.length : src.indexOf('<', i);
      const raw = src.slice(i, end);
      const top = stack[stack.length - 1];
      if (!top && raw.trim() !== '') throw new Error(`xml: text outside the root element at ${i}`);
      if (top) top.text += decodeEntities(raw);
      i = end;
    } else if (src.startsWith('<!--', i)) {
      const end = src.indexOf('-->', i);
      if (end < 0) throw new Error('xml: unterminated comment');
      i = end + 3;
    } else if (src[i + 1] === '/') {
      i += 2;
      const name = readName();
      while (isSpace(src[i])) i++;
      if (src[i] !== '>') throw new Error(`xml: expected '>' closing </${name}`);
      i++;
      const open = stack.pop();
      if (!open || open.name !== name) throw new Error(`xml: </${name}> closes <${open?.name ?? 'nothing'}>`);
    } else {
      i++;
      const el: El = { name: readName(), attrs: {}, children: [], text: '' };
      let selfClosing = false;
      for (;;) {
        const hadSpace = isSpace(src[i]);
        while (isSpace(src[i])) i++;
        if (src.startsWith('/>', i)) {
          selfClosing = true;
          i += 2;
          break;
        }
        if (src[i] === '>') {
          i++;
          break;
        }
        if (!hadSpace) throw new Error(`xml: attributes of <${el.name}> must be separated by spaces at ${i}`);
        const attr = readName();
        while (isSpace(src[i])) i++;
        if (src[i] !== '=') throw new Error(`xml: expected '=' after ${attr}`);
        i++;
        while (isSpace(src[i])) i++;
        const quote = src[i];
        if (quote !== '"' && quote !== "'") throw new Error(`xml: unquoted value for ${attr}`);
        const end = src.indexOf(quote, i + 1);
        if (end < 0) throw new Error(`xml: unterminated value for ${attr}`);
        if (attr in el.attrs) throw new Error(`xml: duplicate attribute ${attr} on <${el.name}>`);
        el.attrs[attr] = decodeEntities(src.slice(i + 1, end));
        i = end + 1;
      }
      const parent = stack[stack.length - 1];
      if (parent) parent.children.push(el);
      else if (root) throw new Error(`xml: second root element <${el.name}>`);
      else root = el;
      if (!selfClosing) stack.push(el);
    }
  }
  if (stack.length > 0) throw new Error(`xml: <${stack[stack.length - 1]!.name}> is never closed`);
  if (!root) throw new Error('xml: no root element');
  return root;
}

function descendants(el: El): El[] {
  return el.children.flatMap((c) => [c, ...descendants(c)]);
}

function byClass(root: El, cls: string): El[] {
  return descendants(root).filter((e) => (e.attrs['class'] ?? '').split(' ').includes(cls));
}

// parse and check the things every output must satisfy
function checkSvg(svg: string): El {
  const root = parseXml(svg);
  expect(root.name).toBe('svg');
  expect(root.attrs['xmlns']).toBe('http://www.w3.org/2000/svg');
  expect(svg).not.toMatch(/NaN|undefined|Infinity|null/);
  const ids = descendants(root).flatMap((e) => (e.attrs['id'] ? [e.attrs['id']] : []));
  expect(new Set(ids).size).toBe(ids.length);
  return root;
}

function polyline(root: El, series: string): [number, number][] {
  const el = descendants(root).find((e) => e.name === 'polyline' && e.attrs['data-series'] === series);
  if (!el) throw new Error(`no polyline for ${series}`);
  return el.attrs['points']!.split(' ').map((pair) => pair.split(',').map(Number) as [number, number]);
}

function tickLabels(root: El, axis: 'x' | 'y', panel = 0): number[] {
  const panels = byClass(root, 'panel');
  return byClass(panels[panel]!, `tick-${axis}`).map((e) => Number(e.text));
}

// a step is nice when it is 1, 2 or 5 times a power of ten
function isNiceStep(step: number): boolean {
  const mantissa = step / 10 ** Math.floor(Math.log10(step) + 1e-9);
  return [1, 2, 5].some((m) => Math.abs(mantissa - m) < 1e-6);
}

function expectNiceCovering(labels: number[], lo: number, hi: number) {
  expect(labels.length).toBeGreaterThanOrEqual(2);
  expect(labels.length).toBeLessThanOrEqual(12);
  const step = labels[1]! - labels[0]!;
  expect(isNiceStep(step)).toBe(true);
  labels.forEach((v, k) => expect(v).toBeCloseTo(labels[0]! + k * step, 9));
  expect(labels[0]!).toBeLessThanOrEqual(lo);
  expect(labels[labels.length - 1]!).toBeGreaterThanOrEqual(hi);
}

// a seeded generator so the fake history is the same on every run
function mulberry32(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function fakeHistory(iterations = 10_000): PlotHistory {
  const rand = mulberry32(42);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const loss = [];
  for (let i = 0; i < iterations; i++) {
    const clean = 0.1 + 2.2 * Math.exp(-i / 900);
    loss.push({ iteration: i, value: Math.max(0.005, clean * (1 + 0.25 * gauss())) });
  }
  const epochs = [];
  const perEpoch = 600;
  for (let e = 1; e * perEpoch <= iterations; e++) {
    const trend = 0.98 - 0.08 * Math.exp(-(e - 1) / 4);
    epochs.push({ epoch: e, iteration: e * perEpoch, trainAccuracy: trend + 0.003 * rand(), testAccuracy: trend - 0.006 + 0.003 * rand() });
  }
  return { loss, epochs };
}

describe('the test xml parser', () => {
  it('accepts well-formed xml and rejects each kind of malformed xml', () => {
    expect(parseXml('<?xml version="1.0"?><a x="1"><b y=\'&lt;\'/>t &amp; u</a>').children[0]!.attrs['y']).toBe('<');
    for (const bad of ['<a><b></a></b>', '<a x="1" x="2"/>', '<a>&foo;</a>', '<a>1 < 2</a>', '<a/><b/>', '<a>', '<a x=1/>', '<a x="1"y="2"/>', 'text<a/>', '<a>\u0001</a>']) {
      expect(() => parseXml(bad), bad).toThrow(/xml:/);
    }
  });
});

describe('nice numbers', () => {
  it('picks 1, 2, 5 × 10^k steps that cover the range', () => {
    expect(niceTicks(0, 2.3, 5)).toEqual({ min: 0, max: 2.5, step: 0.5, ticks: [0, 0.5, 1, 1.5, 2, 2.5] });
    expect(niceTicks(0.9, 0.98, 4)).toEqual({ min: 0.9, max: 0.98, step: 0.02, ticks: [0.9, 0.92, 0.94, 0.96, 0.98] });
    expect(niceTicks(0, 9999, 5).ticks).toEqual([0, 2000, 4000, 6000, 8000, 10000]);
    expect(niceTicks(-3.7, 12.1, 4).ticks).toEqual([-5, 0, 5, 10, 15]);
  });

  it('keeps integer axes on whole numbers and clamps to bounds', () => {
    expect(niceTicks(1, 3, 8, { integer: true }).ticks).toEqual([1, 2, 3]);
    const acc = niceTicks(0.95, 1.04, 5, { clamp: [0, 1] });
    expect(acc.max).toBe(1);
    expect(acc.ticks[acc.ticks.length - 1]).toBe(1);
  });

  it('widens a zero span around the value', () => {
    expect(niceTicks(0.5, 0.5, 4).ticks).toEqual([0.45, 0.5, 0.55]);
    expect(niceTicks(0, 0, 2).ticks).toEqual([-1, 0, 1]);
    expect(niceTicks(7, 7, 4, { integer: true }).ticks).toEqual([6, 7, 8]);
  });

  it('formats with just enough digits', () => {
    expect(formatTick(0.30000000000000004, 0.1)).toBe('0.3');
    expect(formatTick(0.94, 0.02)).toBe('0.94');
    expect(formatTick(2000, 2000)).toBe('2000');
    expect(formatTick(-1e-17, 0.5)).toBe('0.0');
    expect(formatTick(0, 2000)).toBe('0');
    expect(formatTick(3e-7, 1e-7)).toBe('3e-7');
    expect(formatTick(2.5e7, 5e6)).toBe('2.5e7');
  });
});

describe('smoothing and downsampling', () => {
  it('moving average is centred and shrinks at the ends', () => {
    const pts = [1, 2, 3, 4, 10].map((y, x) => ({ x, y }));
    expect(movingAverage(pts, 3).map((p) => p.y)).toEqual([1.5, 2, 3, 17 / 3, 7]);
    expect(movingAverage(pts, 3).map((p) => p.x)).toEqual([0, 1, 2, 3, 4]);
  });

  it('keeps first and last points, the global extremes, x order, and the point budget', () => {
    const rand = mulberry32(7);
    const pts = Array.from({ length: 10_000 }, (_, x) => ({ x, y: rand() }));
    pts[1234] = { x: 1234, y: 50 };
    pts[8765] = { x: 8765, y: -50 };
    const out = downsample(pts, 2000);
    expect(out.length).toBeLessThanOrEqual(2000);
    expect(out.length).toBeGreaterThan(1900);
    expect(out[0]).toEqual(pts[0]);
    expect(out[out.length - 1]).toEqual(pts[9999]);
    expect(out.some((p) => p.y === 50)).toBe(true);
    expect(out.some((p) => p.y === -50)).toBe(true);
    for (let i = 1; i < out.length; i++) expect(out[i]!.x).toBeGreaterThan(out[i - 1]!.x);
    expect(downsample(pts.slice(0, 10), 2000)).toEqual(pts.slice(0, 10));
  });
});

describe('renderLineChart', () => {
  const spec: LineChartSpec = {
    title: 'three points',
    xLabel: 'x',
    yLabel: 'y',
    series: [{ label: 'line', points: [{ x: 0, y: 1 }, { x: 1, y: 3 }, { x: 2, y: 2 }], color: '#000' }],
  };

  it('maps a known series to pixels given by the exported plot geometry', () => {
    const root = checkSvg(renderLineChart(spec, { width: 600, height: 400 }));
    const layout = layoutLineChart(spec, chartBox(600, 400));
    const { plot } = layout;
    const expected = spec.series[0]!.points.map((p) => [
      plot.x + ((p.x - layout.x.min) / (layout.x.max - layout.x.min)) * plot.width,
      plot.y + plot.height - ((p.y - layout.y.min) / (layout.y.max - layout.y.min)) * plot.height,
    ]);
    const actual = polyline(root, 'line');
    expect(actual).toHaveLength(3);
    actual.forEach(([x, y], i) => {
      expect(x).toBeCloseTo(expected[i]![0]!, 1);
      expect(y).toBeCloseTo(expected[i]![1]!, 1);
    });
  });

  it('maps a known series consistently with its own drawn tick marks', () => {
    const root = checkSvg(renderLineChart(spec, { width: 600, height: 400 }));
    // a linear map through the first and last tick mark of each axis, read back from the svg
    const axisMap = (axis: 'x' | 'y') => {
      const marks = byClass(root, `tick-mark-${axis}`);
      const at = (e: El) => Number(axis === 'x' ? e.attrs['x1'] : e.attrs['y1']);
      const [first, last] = [marks[0]!, marks[marks.length - 1]!];
      const [v0, v1] = [Number(first.attrs['data-value']), Number(last.attrs['data-value'])];
      return (v: number) => at(first) + ((v - v0) / (v1 - v0)) * (at(last) - at(first));
    };
    const [mx, my] = [axisMap('x'), axisMap('y')];
    polyline(root, 'line').forEach(([x, y], i) => {
      const p = spec.series[0]!.points[i]!;
      expect(x).toBeCloseTo(mx(p.x), 1);
      expect(y).toBeCloseTo(my(p.y), 1);
    });
    // the y axis points up: the highest value has the smallest pixel row
    const ys = polyline(root, 'line').map(([, y]) => y);
    expect(ys[1]).toBeLessThan(ys[2]!);
    expect(ys[2]).toBeLessThan(ys[0]!);
    // labels say what the tick marks encode
    const labels = byClass(root, 'tick-x').map((e) => Number(e.text));
    expect(labels).toEqual(byClass(root, 'tick-mark-x').map((e) => Number(e.attrs['data-value'])));
    expectNiceCovering(labels, 0, 2);
    expectNiceCovering(byClass(root, 'tick-y').map((e) => Number(e.text)), 1, 3);
  });
});

describe('renderHistorySvg', () => {
  const history = fakeHistory();

  it('renders a realistic run as valid, compact svg with titles, labels and legends', () => {
    const svg = renderHistorySvg(history, { title: 'MNIST 784-50-10' });
    const root = checkSvg(svg);
    expect(svg.length).toBeLessThan(150_000);
    const texts = descendants(root).filter((e) => e.name === 'text').map((e) => e.text);
    for (const label of ['MNIST 784-50-10', 'Loss', 'Accuracy', 'iteration', 'loss', 'epoch', 'accuracy', 'train', 'test']) expect(texts).toContain(label);
    expect(texts.some((t) => t.startsWith('moving average ('))).toBe(true);
    expect(byClass(root, 'legend-label').map((e) => e.text)).toEqual(['loss', 'moving average (201)', 'train', 'test']);
    for (const p of descendants(root).filter((e) => e.name === 'polyline')) {
      expect(p.attrs['points']!.split(' ').length).toBeLessThanOrEqual(2000);
    }
    // raw loss keeps its first and last iteration after downsampling
    const raw = polyline(root, 'loss');
    const { panels } = historyPanels(history);
    const lossLayout = layoutLineChart(panels[0]!.spec, panels[0]!.box);
    expect(raw[0]![0]).toBeCloseTo(lossLayout.plot.x + (0 / lossLayout.x.max) * lossLayout.plot.width, 1);
    expect(raw[raw.length - 1]![0]).toBeCloseTo(lossLayout.plot.x + (9999 / lossLayout.x.max) * lossLayout.plot.width, 1);
  });

  it('puts nice tick labels over the whole data range of each panel', () => {
    const root = checkSvg(renderHistorySvg(history));
    const losses = history.loss.map((p) => p.value);
    expectNiceCovering(tickLabels(root, 'x', 0), 0, 9999);
    expectNiceCovering(tickLabels(root, 'y', 0), 0, Math.max(...losses));
    const accs = history.epochs.flatMap((e) => [e.trainAccuracy!, e.testAccuracy!]);
    expectNiceCovering(tickLabels(root, 'x', 1), 1, history.epochs.length);
    expectNiceCovering(tickLabels(root, 'y', 1), Math.min(...accs), Math.max(...accs));
    // accuracy is zoomed to the data, not squashed into 0–1, and never passes 1
    expect(tickLabels(root, 'y', 1)[0]).toBeGreaterThan(0.5);
    expect(Math.max(...tickLabels(root, 'y', 1))).toBeLessThanOrEqual(1);
    // epochs are whole numbers
    expect(tickLabels(root, 'x', 1).every(Number.isInteger)).toBe(true);
  });

  it('spaces x tick labels so they do not overlap', () => {
    for (const width of [320, 640, 1000, 1600]) {
      const root = checkSvg(renderHistorySvg(history, { width, height: 300 }));
      for (const panel of byClass(root, 'panel')) {
        const labels = byClass(panel, 'tick-x');
        for (let i = 1; i < labels.length; i++) {
          const gap = Number(labels[i]!.attrs['x']) - Number(labels[i - 1]!.attrs['x']);
          const halfWidths = ((labels[i]!.text.length + labels[i - 1]!.text.length) / 2) * 11 * 0.55;
          expect(gap).toBeGreaterThan(halfWidths);
        }
      }
    }
  });

  it('draws axes and a "no data" note for an empty history', () => {
    const root = checkSvg(renderHistorySvg({ loss: [], epochs: [] }));
    expect(byClass(root, 'empty-note').map((e) => e.text)).toEqual(['no data', 'no data']);
    expect(byClass(root, 'tick-x').length).toBeGreaterThanOrEqual(2);
    expect(descendants(root).filter((e) => e.name === 'polyline')).toHaveLength(0);
  });

  it('draws a single point as a marker', () => {
    const root = checkSvg(renderHistorySvg({ loss: [{ iteration: 5, value: 0.7 }], epochs: [{ epoch: 1, iteration: 5, testAccuracy: 0.9 }] }));
    expect(byClass(root, 'markers')).toHaveLength(2);
    expect(tickLabels(root, 'x', 0)).toEqual([4, 5, 6]);
    expect(byClass(root, 'empty-note')).toHaveLength(0);
  });

  it('puts constant values inside a widened axis', () => {
    const loss = Array.from({ length: 50 }, (_, i) => ({ iteration: i, value: 0.5 }));
    const epochs = [1, 2, 3].map((epoch) => ({ epoch, iteration: epoch * 10, trainAccuracy: 1, testAccuracy: 1 }));
    const root = checkSvg(renderHistorySvg({ loss, epochs }));
    expectNiceCovering(tickLabels(root, 'y', 0), 0, 0.5);
    const acc = tickLabels(root, 'y', 1);
    expect(acc[acc.length - 1]).toBe(1);
    expect(acc[0]).toBeLessThan(1);
  });

  it('skips NaN and infinite losses exactly as if they were not there', () => {
    const clean = fakeHistory(300);
    const dirty: PlotHistory = {
      loss: [...clean.loss.slice(0, 100), { iteration: 100.5, value: NaN }, { iteration: 100.6, value: Infinity }, { iteration: NaN, value: 1 }, ...clean.loss.slice(100)],
      epochs: clean.epochs,
    };
    const svg = renderHistorySvg(dirty);
    checkSvg(svg);
    expect(svg).toBe(renderHistorySvg(clean));
  });

  it('escapes text so the document stays valid xml', () => {
    const title = `a <b> & "c" 'd' \u0001`;
    const root = checkSvg(renderHistorySvg(fakeHistory(100), { title }));
    expect(byClass(root, 'chart-title')[0]!.text).toBe(`a <b> & "c" 'd' `);
  });

  it('stacks the panels on a tall canvas', () => {
    const { panels } = historyPanels(fakeHistory(100), { width: 500, height: 800 });
    expect(panels[1]!.box.y).toBeGreaterThanOrEqual(panels[0]!.box.y + panels[0]!.box.height);
    checkSvg(renderHistorySvg(fakeHistory(100), { width: 500, height: 800 }));
  });

  it('rejects bad input with a message naming what arrived', () => {
    expect(() => renderHistorySvg({ loss: [], epochs: [] }, { width: 10 })).toThrow(RangeError);
    expect(() => renderHistorySvg({ loss: [], epochs: [] }, { width: 10 })).toThrow(/width: 10/);
    expect(() => renderHistorySvg({ loss: 'x' } as unknown as PlotHistory)).toThrow(TypeError);
    expect(() => renderHistorySvg({ loss: [], epochs: [] }, { smoothing: 0 })).toThrow(/smoothing window: 0/);
  });
});

describe('writeHistoryPlot', () => {
  it('writes the svg, creating the folder, and refuses png with a clear message', () => {
    const dir = mkdtempSync(join(tmpdir(), 'blasprop-plot-'));
    try {
      const history = fakeHistory(200);
      const path = join(dir, 'runs', 'history.svg');
      writeHistoryPlot(path, history, { title: 'run' });
      expect(readFileSync(path, 'utf8')).toBe(renderHistorySvg(history, { title: 'run' }));
      expect(() => writeHistoryPlot(join(dir, 'history.png'), history)).toThrow(/only \.svg output is supported.*PNG is not supported/);
      expect(() => writeHistoryPlot(join(dir, 'history.txt'), history)).toThrow(RangeError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
