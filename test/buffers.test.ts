// layers keep one buffer per shape (a few shapes per slot), so training batches and evaluation
// chunks can alternate without allocating, and memory stays bounded when shapes keep changing

import { describe, expect, it } from 'vitest';
import { Matrix } from '../src/matrix.js';
import { ensure } from '../src/nn/buffers.js';

describe('ensure', () => {
  it('gives back the earlier buffer of a shape after another shape was used', () => {
    const a = ensure(undefined, 100, 5, 'float32');
    const b = ensure(a, 1000, 5, 'float32');
    expect(b).not.toBe(a);
    expect(ensure(b, 100, 5, 'float32')).toBe(a);
    expect(ensure(a, 1000, 5, 'float32')).toBe(b);
    // dtype is part of the shape
    expect(ensure(a, 100, 5, 'float64').dtype).toBe('float64');
  });

  it('keeps at most four shapes per slot, dropping the least recently used', () => {
    let buf = ensure(undefined, 1, 3, 'float64');
    const first = buf;
    for (let rows = 2; rows <= 5; rows++) buf = ensure(buf, rows, 3, 'float64');
    // rows 1 was the oldest of five: made again; rows 5 is still there
    const again = ensure(buf, 1, 3, 'float64');
    expect(again).not.toBe(first);
    expect(again.data.every((x) => x === 0)).toBe(true);
    expect(ensure(again, 5, 3, 'float64')).toBe(buf);
  });

  it('a layer alternating a batch and an evaluation chunk writes the right rows each time', () => {
    const out1 = ensure(undefined, 2, 2, 'float64');
    out1.data.set([1, 2, 3, 4]);
    const out2 = ensure(out1, 3, 2, 'float64');
    expect(out2.rows).toBe(3);
    expect(Array.from(ensure(out2, 2, 2, 'float64').data)).toEqual([1, 2, 3, 4]);
    expect(ensure(out2, 2, 2, 'float64')).toBeInstanceOf(Matrix);
  });
});
