import { describe, expect, it } from 'vitest';
import { downsample, escapeXml, lineChart, movingAverage, niceTicks, renderHistorySvg, type PlotHistory } from '../src/plot/svg.js';

// the pixel coordinates of every polyline in an svg, by series label
function polylines(svg: string): Record<string, [number, number][]> {
  const out: Record<string, [number, number][]> = {};
  for (const m of svg.matchAll(/<polyline class="series" data-series="([^"]*)" points="([^"]*)"/g)) {
    out[m[1]!] = m[2]!.split(' ').map((pair) => pair.split(',').map(Number) as [number, number]);
  }
  return out;
}

function history(iterations: number, epochs: number): PlotHistory {
  return {
    loss: Array.from({ length: iterations }, (_, i) => ({ iteration: i + 1, value: 2.3 * Math.exp(-i / 200) + 0.1 })),
    epochs: Array.from({ length: epochs }, (_, e) => ({ epoch: e + 1, trainAccuracy: 0.8 + 0.02 * e, testAccuracy: 0.79 + 0.02 * e })),
  };
}

describe('numbers', () => {
  it('nice ticks: 1, 2, 5 × 10^k steps covering the range; a zero span is widened', () => {
    expect(niceTicks(0, 1)).toEqual({ min: 0, max: 1, step: 0.2, ticks: [0, 0.2, 0.4, 0.6, 0.8, 1] });
    expect(niceTicks(1, 10_000).ticks).toEqual([0, 2000, 4000, 6000, 8000, 10000]);
    const flat = niceTicks(0.5, 0.5);
    expect(flat.min).toBeLessThan(0.5);
    expect(flat.max).toBeGreaterThan(0.5);
  });

  it('moving average is centred and shrinks at the ends; downsampling keeps the extremes within the budget', () => {
    const pts = [1, 2, 3, 10, 5].map((y, x) => ({ x, y }));
    expect(movingAverage(pts, 3).map((p) => p.y)).toEqual([1.5, 2, 5, 6, 7.5]);
    const many = Array.from({ length: 50_000 }, (_, x) => ({ x, y: x === 31_337 ? 100 : Math.sin(x) }));
    const few = downsample(many);
    expect(few.length).toBeLessThanOrEqual(2000);
    expect(Math.max(...few.map((p) => p.y))).toBe(100);
    expect(few.every((p, i) => i === 0 || p.x > few[i - 1]!.x)).toBe(true);
  });
});

describe('the training figure', () => {
  it('draws loss over iterations and accuracy over epochs, each point where its axes put it', () => {
    const svg = renderHistorySvg(history(1000, 5), { title: 'run <1> & "friends"' });
    expect(svg.startsWith('<?xml')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    // the title is escaped: no raw < or & from it in the document
    expect(svg).toContain('run &lt;1&gt; &amp; &quot;friends&quot;');
    for (const label of ['iteration', 'loss', 'epoch', 'accuracy']) expect(svg).toContain(`>${label}<`);
    const lines = polylines(svg);
    expect(Object.keys(lines).sort()).toEqual(['loss', 'moving average (21)', 'test', 'train']);
    // the test accuracy rises from 0.79 to 0.87: its pixels go up (smaller y) and right, inside [0, 1]'s frame
    const test = lines.test!;
    expect(test).toHaveLength(5);
    for (let i = 1; i < 5; i++) {
      expect(test[i]![0]).toBeGreaterThan(test[i - 1]![0]);
      expect(test[i]![1]).toBeLessThan(test[i - 1]![1]);
    }
    // y pixel of accuracy a in the [0, 1] panel is linear in a: equal steps of 0.02 give equal pixel steps
    const dy = test.slice(1).map((p, i) => p[1] - test[i]![1]);
    for (const d of dy) expect(d).toBeCloseTo(dy[0]!, 1);
  });

  it('skips NaN and infinite values as if they were not there; an empty history says so', () => {
    const clean = history(300, 2);
    const dirty: PlotHistory = { loss: [...clean.loss.slice(0, 100), { iteration: 101, value: NaN }, { iteration: 102, value: Infinity }, ...clean.loss.slice(100)], epochs: clean.epochs };
    const pts = (h: PlotHistory) => polylines(renderHistorySvg(h)).loss!.length;
    expect(pts(dirty)).toBe(pts(clean));
    const empty = renderHistorySvg({ loss: [], epochs: [] });
    expect(empty.match(/>no data</g)).toHaveLength(2);
  });

  it('a chart of one point draws a dot', () => {
    const g = lineChart({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ label: 'one', points: [{ x: 3, y: 0.5 }], color: '#000' }] }, { x: 0, y: 0, width: 400, height: 300 });
    expect(g).toMatch(/<circle class="series" cx="[\d.]+" cy="[\d.]+"/);
    expect(escapeXml('a\u0001b')).toBe('ab');
  });
});
