// every backend op: the book's hand-checked examples on every backend, then native against reference

import { describe, expect, it } from 'vitest';
import { referenceBackend } from '../src/backend/index.js';
import { getNumThreads, setNumThreads } from '../src/info.js';
import { DTYPES, Matrix, type DType } from '../src/matrix.js';
import { allBackends, EPS, nativeBackend, randomMatrix, testRng } from './helpers.js';

describe.each(allBackends().map((b) => [b.name, b] as const))('%s backend', (_name, backend) => {
  describe.each(DTYPES)('%s', (dtype) => {
    it('adds the bias to every row (the book: [[0,0,0],[10,10,10]] + [1,2,3])', () => {
      const x = Matrix.from([[0, 0, 0], [10, 10, 10]], dtype);
      const out = Matrix.zeros(2, 3, dtype);
      backend.addBias(x, Matrix.row([1, 2, 3], dtype), out);
      expect(out.toArray()).toEqual([[1, 2, 3], [11, 12, 13]]);
      expect(x.toArray()).toEqual([[0, 0, 0], [10, 10, 10]]);
    });

    it('adds the bias in place when out is x', () => {
      const x = Matrix.from([[0, 0, 0], [10, 10, 10]], dtype);
      backend.addBias(x, Matrix.row([1, 2, 3], dtype), x);
      expect(x.toArray()).toEqual([[1, 2, 3], [11, 12, 13]]);
    });

    it('sums columns (the book: dY = [[1,2,3],[4,5,6]] gives db = [5,7,9])', () => {
      const out = Matrix.from([[99, 99, 99]], dtype);
      backend.colSum(Matrix.from([[1, 2, 3], [4, 5, 6]], dtype), out);
      expect(Array.from(out.data)).toEqual([5, 7, 9]);
    });

    it('multiplies a hand-checked product under every transpose flag', () => {
      // a = [[1,2,3],[4,5,6]], b = [[7,8],[9,10],[11,12]]: a·b = [[58,64],[139,154]]
      const a = Matrix.from([[1, 2, 3], [4, 5, 6]], dtype);
      const b = Matrix.from([[7, 8], [9, 10], [11, 12]], dtype);
      const aT = Matrix.from([[1, 4], [2, 5], [3, 6]], dtype);
      const bT = Matrix.from([[7, 9, 11], [8, 10, 12]], dtype);
      for (const [x, y, transA, transB] of [[a, b, false, false], [aT, b, true, false], [a, bT, false, true], [aT, bT, true, true]] as const) {
        const c = Matrix.zeros(2, 2, dtype);
        backend.gemm(x, y, c, { transA, transB });
        expect(c.toArray()).toEqual([[58, 64], [139, 154]]);
      }
    });

    it('applies alpha and beta, and beta = 0 ignores whatever C held (even NaN)', () => {
      const a = Matrix.from([[1, 2], [3, 4]], dtype);
      const eye = Matrix.from([[1, 0], [0, 1]], dtype);
      const c = Matrix.from([[1, 1], [1, 1]], dtype);
      backend.gemm(a, eye, c, { alpha: 2, beta: -3 });
      expect(c.toArray()).toEqual([[-1, 1], [3, 5]]);
      const dirty = Matrix.from([[NaN, NaN], [NaN, NaN]], dtype);
      backend.gemm(a, eye, dirty, { beta: 0 });
      expect(dirty.toArray()).toEqual([[1, 2], [3, 4]]);
      // and so does a one-row or one-column product (natively a matrix-vector product)
      const row = Matrix.from([[NaN, NaN]], dtype);
      backend.gemm(Matrix.from([[1, 2]], dtype), a, row, { beta: 0 });
      expect(row.toArray()).toEqual([[7, 10]]);
      const col = Matrix.from([[NaN], [NaN]], dtype);
      backend.gemm(a, Matrix.from([[1], [1]], dtype), col, { beta: 0 });
      expect(col.toArray()).toEqual([[3], [7]]);
    });

    it('handles empty dimensions: k = 0 leaves beta·C, m = 0 writes nothing', () => {
      const c = Matrix.from([[1, 2], [3, 4]], dtype);
      backend.gemm(Matrix.zeros(2, 0, dtype), Matrix.zeros(0, 2, dtype), c, { beta: 0.5 });
      expect(c.toArray()).toEqual([[0.5, 1], [1.5, 2]]);
      backend.gemm(Matrix.zeros(0, 3, dtype), Matrix.zeros(3, 2, dtype), Matrix.zeros(0, 2, dtype));
      const sums = Matrix.from([[7, 7]], dtype);
      backend.colSum(Matrix.zeros(0, 2, dtype), sums);
      expect(Array.from(sums.data)).toEqual([0, 0]);
    });

    it('refuses shapes that do not fit, with the shapes in the message', () => {
      const c = Matrix.zeros(2, 5, dtype);
      expect(() => backend.gemm(Matrix.zeros(2, 3, dtype), Matrix.zeros(4, 5, dtype), c)).toThrow(
        new RangeError('gemm: inner dimensions must match (A is 2×3, B is 4×5)'),
      );
      expect(() => backend.gemm(Matrix.zeros(2, 3, dtype), Matrix.zeros(3, 5, dtype), Matrix.zeros(5, 2, dtype))).toThrow(RangeError);
      expect(() => backend.addBias(Matrix.zeros(2, 3, dtype), Matrix.zeros(1, 4, dtype), Matrix.zeros(2, 3, dtype))).toThrow(RangeError);
      expect(() => backend.colSum(Matrix.zeros(2, 3, dtype), Matrix.zeros(1, 2, dtype))).toThrow(RangeError);
      const other: DType = dtype === 'float32' ? 'float64' : 'float32';
      expect(() => backend.gemm(Matrix.zeros(2, 3, dtype), Matrix.zeros(3, 5, other), c)).toThrow(/mixed dtypes/);
    });

    it('axpy adds alpha·x into y and leaves x alone', () => {
      const x = Matrix.from([[1, 2], [3, 4]], dtype);
      const y = Matrix.from([[10, 10], [10, 10]], dtype);
      backend.axpy(-0.5, x.data, y.data);
      expect(y.toArray()).toEqual([[9.5, 9], [8.5, 8]]);
      expect(x.toArray()).toEqual([[1, 2], [3, 4]]);
      expect(() => backend.axpy(1, x.data, Matrix.zeros(1, 5, dtype).data)).toThrow(RangeError);
    });

    it('relu zeroes what is <= 0 (NaN passes, as numpy\'s mask lets it) and its backward lets dout through only there', () => {
      const x = Float64Array.from([1, -0.5, 0, 3, NaN, -0]);
      const xs = dtype === 'float32' ? Float32Array.from(x) : x;
      const y = xs.slice().fill(7);
      backend.relu(xs, y);
      expect(Array.from(y)).toEqual([1, 0, 0, 3, NaN, 0]);
      const dout = xs.slice().fill(0).map((_, i) => i + 1);
      const dx = xs.slice().fill(7);
      backend.reluBackward(y, dout, dx);
      expect(Array.from(dx)).toEqual([1, 0, 0, 4, 5, 0]);
      expect(Array.from(dout)).toEqual([1, 2, 3, 4, 5, 6]);
      // in place is allowed forward
      backend.relu(xs, xs);
      expect(Array.from(xs)).toEqual([1, 0, 0, 3, NaN, 0]);
      expect(() => backend.relu(xs, xs.slice(1))).toThrow(RangeError);
    });

    it('gatherRows picks the indexed uint8 rows and divides them, in index order, repeats allowed', () => {
      // three rows of width 2: [0, 255], [51, 102], [1, 2]
      const src = Uint8Array.from([0, 255, 51, 102, 1, 2]);
      const out = Matrix.zeros(4, 2, dtype);
      backend.gatherRows(src, Int32Array.from([2, 0, 1, 2]), 255, out);
      const want = [[1, 2], [0, 255], [51, 102], [1, 2]].map((r) => r.map((v) => v / 255));
      expect(out.toArray()).toEqual(Matrix.from(want, dtype).toArray());
      expect(() => backend.gatherRows(src, Int32Array.from([3]), 255, Matrix.zeros(1, 2, dtype))).toThrow(/indices\[0\] is 3, outside \[0, 3\)/);
      expect(() => backend.gatherRows(src, Int32Array.from([-1]), 255, Matrix.zeros(1, 2, dtype))).toThrow(RangeError);
      expect(() => backend.gatherRows(src, Int32Array.from([0]), 255, Matrix.zeros(1, 4, dtype))).toThrow(/not a whole number of rows/);
    });

    it('gatherRows of an evaluation-sized chunk (split over two cores natively) is v / divisor exactly, at 1 and 2 threads', () => {
      // 400 rows of 784 pixels: above the size the native gather splits between two threads; every
      // pixel value, rows picked out of order, and a divisor that is not a float (the double path)
      const cols = 784;
      const src = new Uint8Array(600 * cols);
      for (let i = 0; i < src.length; i++) src[i] = (i * 7 + (i >> 9)) & 255;
      const indices = Int32Array.from({ length: 400 }, (_, i) => (i * 37) % 600);
      const before = getNumThreads();
      try {
        for (const threads of [1, 2]) {
          setNumThreads(threads);
          for (const divisor of [255, 3.3]) {
            const out = Matrix.zeros(indices.length, cols, dtype);
            backend.gatherRows(src, indices, divisor, out);
            const want = Matrix.zeros(indices.length, cols, dtype);
            for (let r = 0; r < indices.length; r++) for (let j = 0; j < cols; j++) want.data[r * cols + j] = src[indices[r]! * cols + j]! / divisor;
            expect(Buffer.from(out.data.buffer).equals(Buffer.from(want.data.buffer)), `${threads} threads, divisor ${divisor}`).toBe(true);
          }
        }
      } finally {
        setNumThreads(before);
      }
    });

    it('gatherRows of a training batch, right after a halved product (natively split over two cores while the helper is awake), is v / divisor exactly, at 1 and 2 threads', () => {
      // a training batch (100 rows of 784): under the size at which a gather always splits, but split
      // while the helper watches for work, which the product before it leaves it doing; rows out of
      // order and again and again, so a core that wrote the wrong half would show
      const cols = 784;
      const src = new Uint8Array(600 * cols);
      for (let i = 0; i < src.length; i++) src[i] = (i * 11 + (i >> 8)) & 255;
      const x = Matrix.zeros(100, cols, dtype);
      x.data.fill(0.25);
      const W = Matrix.zeros(cols, 50, dtype);
      W.data.fill(0.5);
      const y = Matrix.zeros(100, 50, dtype);
      const before = getNumThreads();
      try {
        for (const threads of [1, 2]) {
          setNumThreads(threads);
          for (let round = 0; round < 3; round++) {
            const indices = Int32Array.from({ length: 100 }, (_, i) => (i * 53 + round * 7) % 600);
            backend.gemm(x, W, y);
            const out = Matrix.zeros(100, cols, dtype);
            backend.gatherRows(src, indices, 255, out);
            const want = Matrix.zeros(100, cols, dtype);
            for (let r = 0; r < 100; r++) for (let j = 0; j < cols; j++) want.data[r * cols + j] = src[indices[r]! * cols + j]! / 255;
            expect(Buffer.from(out.data.buffer).equals(Buffer.from(want.data.buffer)), `${threads} threads, round ${round}`).toBe(true);
          }
        }
      } finally {
        setNumThreads(before);
      }
    });

    it('gatherRows divides every pixel value exactly as JavaScript does, for ordinary and extreme divisors', () => {
      // natively a quotient is v·hi + v·lo where that was checked to give the division's bits, else a
      // division: each divisor here goes down one of those paths, and all must equal v / divisor rounded
      const src = Uint8Array.from({ length: 256 }, (_, v) => v);
      const divisors = [255, 1, 2, 3, 7, 100, 127.5, 256, 1000, 65535, 3.3, 0.1, 1 / 3, -255, 1e-30, 1e30, 1e-300, 1e300, 5e-324, Number.MAX_VALUE];
      for (const divisor of divisors) {
        const out = Matrix.zeros(1, 256, dtype);
        backend.gatherRows(src, Int32Array.from([0]), divisor, out);
        const want = Matrix.zeros(1, 256, dtype);
        for (let v = 0; v < 256; v++) want.data[v] = v / divisor;
        expect(Buffer.from(out.data.buffer).equals(Buffer.from(want.data.buffer)), `divisor ${divisor}`).toBe(true);
      }
    });

    it('softmax: each row sums to 1 and stays finite at ±1000', () => {
      const x = Matrix.from([[1, 2, 3], [1000, -1000, 0]], dtype);
      const y = Matrix.zeros(2, 3, dtype);
      backend.softmax(x, y);
      // softmax([1,2,3]) = e^(j-3) / (e^-2 + e^-1 + 1)
      const z = Math.exp(-2) + Math.exp(-1) + 1;
      const want = [Math.exp(-2) / z, Math.exp(-1) / z, 1 / z];
      want.forEach((v, j) => expect(Math.abs(y.get(0, j) - v)).toBeLessThanOrEqual(2 * EPS[dtype] * v));
      expect(y.toArray()[1]).toEqual([1, 0, 0]);
      expect(() => backend.softmax(x, Matrix.zeros(3, 2, dtype))).toThrow(RangeError);
      // in place, row by row
      backend.softmax(x, x);
      expect(x.toArray()).toEqual(y.toArray());
    });

    // every output against every input it may not overlap: the same RangeError, in the same words, on
    // every backend (issue 10: indices inside out made the addon segfault and the reference return NaN rows)
    const view = (buffer: ArrayBuffer, element: number, length: number) =>
      dtype === 'float32' ? new Float32Array(buffer, element * 4, length) : new Float64Array(buffer, element * 8, length);
    const bytes = dtype === 'float32' ? 4 : 8;
    const overlapping: [string, () => void, RegExp][] = [
      ['gemm: C is A', () => { const a = Matrix.from([[1, 2], [3, 4]], dtype); backend.gemm(a, Matrix.from([[1, 0], [0, 1]], dtype), a); },
        /^gemm: C must not share memory with A$/],
      ['gemm: C overlaps B', () => { const buf = new ArrayBuffer(6 * bytes); backend.gemm(Matrix.zeros(2, 2, dtype), new Matrix(2, 2, view(buf, 0, 4)), new Matrix(2, 2, view(buf, 2, 4))); },
        /^gemm: C must not share memory with B$/],
      ['addBias: out partly over X', () => { const buf = new ArrayBuffer(8 * bytes); backend.addBias(new Matrix(2, 3, view(buf, 0, 6)), Matrix.zeros(1, 3, dtype), new Matrix(2, 3, view(buf, 2, 6))); },
        /^addBias: out must not share memory with X$/],
      ['addBias: out over b', () => { const buf = new ArrayBuffer(8 * bytes); backend.addBias(Matrix.zeros(2, 3, dtype), new Matrix(1, 3, view(buf, 0, 3)), new Matrix(2, 3, view(buf, 2, 6))); },
        /^addBias: out must not share memory with b$/],
      ['colSum: out inside X', () => { const x = Matrix.zeros(2, 3, dtype); backend.colSum(x, new Matrix(1, 3, x.data.subarray(3, 6))); },
        /^colSum: out must not share memory with X$/],
      ['axpy: y is x', () => { const v = Matrix.zeros(1, 3, dtype).data; backend.axpy(1, v, v); }, /^axpy: y must not share memory with x$/],
      ['relu: out partly over X', () => { const v = Matrix.zeros(1, 4, dtype).data; backend.relu(v.subarray(0, 3), v.subarray(1, 4)); },
        /^relu: out must not share memory with X$/],
      ['reluBackward: dx partly over dout', () => { const v = Matrix.zeros(1, 4, dtype).data; backend.reluBackward(Matrix.zeros(1, 3, dtype).data, v.subarray(0, 3), v.subarray(1, 4)); },
        /^reluBackward: dx must not share memory with dout$/],
      ['reluBackward: dx partly over Y', () => { const v = Matrix.zeros(1, 4, dtype).data; backend.reluBackward(v.subarray(1, 4), Matrix.zeros(1, 3, dtype).data, v.subarray(0, 3)); },
        /^reluBackward: dx must not share memory with Y$/],
      ['softmax: Y partly over X', () => { const v = Matrix.zeros(1, 8, dtype).data; backend.softmax(new Matrix(2, 3, v.subarray(0, 6)), new Matrix(2, 3, v.subarray(2, 8))); },
        /^softmax: Y must not share memory with X$/],
      ['gatherRows: indices inside out', () => {
        const out = Matrix.zeros(2, 4, dtype);
        backend.gatherRows(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]), new Int32Array(out.data.buffer, 2 * bytes, 2), 1, out);
      }, /^gatherRows: out must not share memory with indices$/],
      ['gatherRows: out over src', () => {
        const buf = new ArrayBuffer(16 * bytes);
        backend.gatherRows(new Uint8Array(buf, 0, 16), Int32Array.from([1, 0]), 1, new Matrix(2, 4, view(buf, 1, 8)));
      }, /^gatherRows: out must not share memory with src$/],
    ];
    it.each(overlapping)('refuses an output that shares memory with an input: %s', (_label, call, message) => {
      expect(call).toThrow(RangeError);
      expect(call).toThrow(message);
    });

    it('in place means the same memory, whichever view of it is passed', () => {
      const x = Matrix.from([[-1, 2, -3]], dtype);
      backend.relu(x.data, x.data.subarray(0));
      expect(Array.from(x.data)).toEqual([0, 2, 0]);
      const y = Matrix.from([[1, 1]], dtype);
      backend.softmax(y, new Matrix(1, 2, y.data.subarray(0)));
      expect(Array.from(y.data)).toEqual([0.5, 0.5]);
    });
  });
});

// an error bound that follows from the dtype: each of k products and sums rounds once,
// so |error| ≤ (k + a few)·eps·(|alpha|·Σ|a||b| + |beta·c|); both sides are within it of the exact value
function gemmTolerance(dtype: DType, k: number, alpha: number, beta: number, absProduct: number, c0: number): number {
  return (k + 4) * EPS[dtype] * (Math.abs(alpha) * absProduct + Math.abs(beta * c0)) + Number.MIN_VALUE;
}

function absMatrix(m: Matrix): Matrix {
  return new Matrix(m.rows, m.cols, m.data.map(Math.abs));
}

describe('native against reference', () => {
  const native = nativeBackend();
  const shapes: [number, number, number][] = [
    [1, 1, 1], [1, 17, 9], [17, 1, 9], [9, 17, 1], [7, 13, 5], [33, 17, 65], [100, 50, 784], [600, 37, 530], [513, 67, 515],
    // one row or one column (natively gemv): a one-row predict through a wide layer, a regression output
    [1, 1024, 784], [300, 1, 64],
  ];
  const scalars: [number, number][] = [[1, 0], [0.5, 2], [-1.5, 1], [2, -0.25], [0, 3]];
  const cases = DTYPES.flatMap((dtype) => shapes.map((shape) => [dtype, ...shape] as const));

  it.each(cases)('gemm %s m=%i n=%i k=%i, all transposes, several alpha/beta', (dtype, m, n, k) => {
    const rng = testRng(m * 1_000_003 + n * 1009 + k);
    let checked = 0;
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        const a = transA ? randomMatrix(rng, k, m, dtype) : randomMatrix(rng, m, k, dtype);
        const b = transB ? randomMatrix(rng, n, k, dtype) : randomMatrix(rng, k, n, dtype);
        const c0 = randomMatrix(rng, m, n, dtype);
        // the big shape is slow in plain loops: one alpha/beta pair there is enough
        const pairs = m * n * k > 1e7 ? scalars.slice(1, 2) : scalars;
        const abs = Matrix.zeros(m, n, 'float64');
        referenceBackend.gemm(
          new Matrix(a.rows, a.cols, Float64Array.from(absMatrix(a).data)),
          new Matrix(b.rows, b.cols, Float64Array.from(absMatrix(b).data)), abs, { transA, transB });
        for (const [alpha, beta] of pairs) {
          const want = c0.clone();
          const got = c0.clone();
          referenceBackend.gemm(a, b, want, { transA, transB, alpha, beta });
          native.gemm(a, b, got, { transA, transB, alpha, beta });
          // the worst error as a share of its element's bound: above 1 (or NaN) fails
          let worst = 0;
          for (let i = 0; i < got.size; i++) {
            const tol = gemmTolerance(dtype, k, alpha, beta, abs.data[i]!, c0.data[i]!);
            worst = Math.max(worst, Math.abs(got.data[i]! - want.data[i]!) / tol);
          }
          checked++;
          expect(worst, `${m}×${k}×${n} transA ${transA} transB ${transB} alpha ${alpha} beta ${beta}`).toBeLessThanOrEqual(1);
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(4);
  });

  it('gemm of a product with a narrow side (natively two halves, one per core at 2 threads) has the same bits at 1 and 2 threads', () => {
    // the book step's products (forward, dW1 = xᵀ·dH, a first-layer dx), an evaluation chunk, a conv
    // net's dense layer cut by columns, an odd length whose halves are not equal, and beta ≠ 0
    const shapes: [number, number, number, boolean, boolean][] = [
      [100, 50, 784, false, false], [784, 50, 100, true, false], [100, 784, 50, false, true],
      [1000, 50, 784, false, false], [100, 4320, 100, false, true], [333, 37, 211, true, true],
      // and one row through a layer large enough to be halved if it were not a matrix-vector product
      [1, 4096, 784, false, false], [1, 4096, 784, true, true],
    ];
    const before = getNumThreads();
    try {
      for (const dtype of DTYPES) {
        for (const [m, n, k, transA, transB] of shapes) {
          const rng = testRng(m * 7919 + n * 31 + k);
          const a = transA ? randomMatrix(rng, k, m, dtype) : randomMatrix(rng, m, k, dtype);
          const b = transB ? randomMatrix(rng, n, k, dtype) : randomMatrix(rng, k, n, dtype);
          const c0 = randomMatrix(rng, m, n, dtype);
          const bits = [1, 2].map((threads) => {
            setNumThreads(threads);
            const c = c0.clone();
            native.gemm(a, b, c, { transA, transB, alpha: 0.75, beta: 0.5 });
            return Buffer.from(c.data.buffer);
          });
          expect(bits[0]!.equals(bits[1]!), `${dtype} ${m}×${k}×${n} transA ${transA} transB ${transB}`).toBe(true);
        }
      }
    } finally {
      setNumThreads(before);
    }
  });

  it.each(DTYPES)('gatherRows normalises every byte value exactly as JavaScript divides (%s)', (dtype) => {
    const src = Uint8Array.from({ length: 256 }, (_, i) => i);
    const indices = Int32Array.from([0]);
    for (const divisor of [255, 1, 3]) {
      const got = Matrix.zeros(1, 256, dtype);
      const want = Matrix.zeros(1, 256, dtype);
      native.gatherRows(src, indices, divisor, got);
      referenceBackend.gatherRows(src, indices, divisor, want);
      expect(got.data).toEqual(want.data);
    }
  });

  it.each(DTYPES)('axpy agrees with the plain loop to one rounding per element (%s)', (dtype) => {
    const rng = testRng(7);
    const x = randomMatrix(rng, 300, 131, dtype);
    const y0 = randomMatrix(rng, 300, 131, dtype);
    const got = y0.clone();
    const want = y0.clone();
    native.axpy(-0.1, x.data, got.data);
    referenceBackend.axpy(-0.1, x.data, want.data);
    // BLAS may fuse the multiply-add (one rounding instead of two): at most one ulp-scale apart
    for (let i = 0; i < got.size; i++) {
      const scale = Math.abs(0.1 * x.data[i]!) + Math.abs(y0.data[i]!);
      expect(Math.abs(got.data[i]! - want.data[i]!)).toBeLessThanOrEqual(2 * EPS[dtype] * scale);
    }
  });

  it.each(DTYPES)('axpy of a weight-sized array (natively split over two cores at 2 threads) has the same bits at 1 and 2 threads (%s)', (dtype) => {
    // the book net's W1 (784×50), split only while the helper is awake (the halved product before it
    // wakes it), and an odd length that always splits, whose halves are not equal
    const rng = testRng(9);
    const x = randomMatrix(rng, 100, 784, dtype);
    const W = randomMatrix(rng, 784, 50, dtype);
    const h = Matrix.zeros(100, 50, dtype);
    const before = getNumThreads();
    try {
      for (const n of [784 * 50, 300_001]) {
        const g = randomMatrix(rng, 1, n, dtype);
        const p0 = randomMatrix(rng, 1, n, dtype);
        const bits = [1, 2].map((threads) => {
          setNumThreads(threads);
          const p = p0.clone();
          native.gemm(x, W, h);
          native.axpy(-0.1, g.data, p.data);
          return Buffer.from(p.data.buffer);
        });
        expect(bits[0]!.equals(bits[1]!), `${n} elements`).toBe(true);
      }
    } finally {
      setNumThreads(before);
    }
  });

  it.each(DTYPES)('relu and reluBackward agree exactly (%s)', (dtype) => {
    const rng = testRng(11);
    const x = randomMatrix(rng, 257, 131, dtype);
    const dout = randomMatrix(rng, 257, 131, dtype);
    const [yN, yR, dN, dR] = [0, 1, 2, 3].map(() => Matrix.zeros(257, 131, dtype));
    native.relu(x.data, yN!.data);
    referenceBackend.relu(x.data, yR!.data);
    expect(yN!.data).toEqual(yR!.data);
    native.reluBackward(yN!.data, dout.data, dN!.data);
    referenceBackend.reluBackward(yR!.data, dout.data, dR!.data);
    expect(dN!.data).toEqual(dR!.data);
  });

  it.each(DTYPES)('softmax agrees with the reference to an ulp or two (%s)', (dtype) => {
    const rng = testRng(5);
    const x = randomMatrix(rng, 300, 10, dtype, 20);
    const yN = Matrix.zeros(300, 10, dtype);
    const yR = Matrix.zeros(300, 10, dtype);
    native.softmax(x, yN);
    referenceBackend.softmax(x, yR);
    // exp comes from different libraries (glibc, V8): each within an ulp or so of the truth
    for (let i = 0; i < yN.size; i++) expect(Math.abs(yN.data[i]! - yR.data[i]!)).toBeLessThanOrEqual(4 * EPS[dtype] * yR.data[i]! + Number.MIN_VALUE);
  });

  it.each(DTYPES)('softmax where the fast exp hands over to the library: spreads near 708, −∞, NaN (%s)', (dtype) => {
    const rows = [[0, -700, -707.9, -708.1, -720, -745, -746, -800], [1, -Infinity, 0, -3, 2, -Infinity, 5, 0], [0, NaN, 1, 2, 3, 4, 5, 6]];
    const x = Matrix.from(rows, dtype);
    const yN = Matrix.zeros(3, 8, dtype);
    const yR = Matrix.zeros(3, 8, dtype);
    native.softmax(x, yN);
    referenceBackend.softmax(x, yR);
    for (let i = 0; i < yN.size; i++) {
      if (Number.isNaN(yR.data[i]!)) expect(yN.data[i]).toBeNaN();
      else expect(Math.abs(yN.data[i]! - yR.data[i]!)).toBeLessThanOrEqual(4 * EPS[dtype] * yR.data[i]! + Number.MIN_VALUE);
    }
    // e^-745 is the last subnormal above 0 in double: zero in float32, and −∞ gives exactly 0
    expect(yN.data[9]).toBe(0);
    expect(yN.data[5]! > 0).toBe(dtype === 'float64');
  });

  it('gatherRows in float32 with a divisor that is not a float still matches JavaScript', () => {
    const src = Uint8Array.from({ length: 256 }, (_, i) => i);
    const got = Matrix.zeros(1, 256, 'float32');
    const want = Matrix.zeros(1, 256, 'float32');
    native.gatherRows(src, Int32Array.from([0]), 3.3, got);
    referenceBackend.gatherRows(src, Int32Array.from([0]), 3.3, want);
    expect(got.data).toEqual(want.data);
  });

  it.each(DTYPES)('addBias and colSum agree exactly (%s): same operations in the same order', (dtype) => {
    const rng = testRng(42);
    for (const [rows, cols] of [[1, 1], [1, 50], [50, 1], [100, 50], [257, 513]] as const) {
      const x = randomMatrix(rng, rows, cols, dtype, 100);
      const b = randomMatrix(rng, 1, cols, dtype, 100);
      const outRef = Matrix.zeros(rows, cols, dtype);
      const outNat = Matrix.zeros(rows, cols, dtype);
      referenceBackend.addBias(x, b, outRef);
      native.addBias(x, b, outNat);
      expect(outNat.data).toEqual(outRef.data);
      const sumRef = Matrix.zeros(1, cols, dtype);
      const sumNat = Matrix.zeros(1, cols, dtype);
      referenceBackend.colSum(x, sumRef);
      native.colSum(x, sumNat);
      expect(sumNat.data).toEqual(sumRef.data);
    }
  });
});
