// the scaling chart: one line per hidden width in each of its two charts, placed by the numbers

import { describe, expect, it } from 'vitest';
import { renderScalingSvg, SCALING_BATCHES, SCALING_WIDTHS, type ScalingRow } from '../src/bench/scaling.js';

// made-up timings: the ratio falls with the batch, more for wider layers
const rows: ScalingRow[] = SCALING_WIDTHS.flatMap((width) =>
  SCALING_BATCHES.map((batch) => {
    const floorMs = (batch * width) / 1e5;
    const stepMs = floorMs * (1 + 10 / (batch * Math.log2(width)));
    return { batch, width, dtype: 'float32' as const, threads: 2, stepMs, floorMs, stepOverFloor: stepMs / floorMs, samplesPerSecond: (batch * 1000) / stepMs };
  }),
);

describe('renderScalingSvg', () => {
  const svg = renderScalingSvg(rows, 'float32', 2);
  const lines = [...svg.matchAll(/<polyline class="series" data-series="([^"]+)" points="([^"]+)"/g)].map((m) => ({ label: m[1]!, points: m[2]!.split(' ').map((p) => p.split(',').map(Number) as [number, number]) }));

  it('draws each width once per chart, one point per batch size', () => {
    expect(lines.map((l) => l.label)).toEqual([...SCALING_WIDTHS, ...SCALING_WIDTHS].map((w) => `width ${w}`));
    for (const l of lines) expect(l.points).toHaveLength(SCALING_BATCHES.length);
  });

  it('puts a larger step/floor higher up, and the batches evenly along log2', () => {
    const narrow = lines[0]!.points;
    // the ratio falls with the batch: svg y grows downwards
    for (let i = 1; i < narrow.length; i++) expect(narrow[i]![1]).toBeGreaterThan(narrow[i - 1]![1]);
    // 1 → 8 is three doublings, 8 → 32 two
    const dx = (i: number, j: number) => narrow[j]![0] - narrow[i]![0];
    expect(dx(0, 1) / dx(1, 2)).toBeCloseTo(3 / 2, 2);
  });

  it('leaves out rows of another dtype or thread count', () => {
    const other = rows.map((r) => ({ ...r, threads: 1 }));
    expect(renderScalingSvg(other, 'float32', 2)).not.toMatch(/<polyline/);
  });
});
