// each layer: forward on hand-computed values, backward against central differences of a scalar
// function of its output, no mutation of its arguments, reused buffers; on both backends

import { describe, expect, it } from 'vitest';
import { DTYPES, Matrix, type DType } from '../src/matrix.js';
import { Affine } from '../src/nn/affine.js';
import { Relu } from '../src/nn/relu.js';
import { Sigmoid } from '../src/nn/sigmoid.js';
import { crossEntropyError, softmax, SoftmaxWithLoss } from '../src/nn/softmax.js';
import type { Layer } from '../src/nn/types.js';
import { allBackends, numericGrad, randomMatrix, relDiff, testRng } from './helpers.js';

// ---- an independent truth for gradients: central differences of L = Σ out ⊙ R, so dL/dout = R ----

// numericGrad (test/helpers.ts) uses h = 1e-5: truncation and rounding errors ≈ 1e-10, far below the
// 1e-8 relative tolerance used below

function dot(a: Matrix, b: Matrix): number {
  let s = 0;
  for (let i = 0; i < a.data.length; i++) s += a.data[i]! * b.data[i]!;
  return s;
}

function values(m: Matrix): number[] {
  return Array.from(m.data);
}

// float32 against the same computation in float64: each output is a few roundings deep (an Affine
// entry sums k ≤ 8 products), so k·eps32 ≈ 1e-6 of the scale bounds it; 1e-5 leaves 10× margin
const F32_TOL = 1e-5;

const RNG_SEED = 20251127;

describe.each(allBackends().map((b) => [b.name, b] as const))('%s backend', (_name, backend) => {
  describe.each(DTYPES)('%s forward on hand-computed values', (dtype) => {
    it('Relu zeroes the non-positive entries and their gradients', () => {
      const relu = new Relu({ backend });
      const x = Matrix.from([[1, -0.5], [-2, 3]], dtype);
      expect(relu.forward(x).toArray()).toEqual([[1, 0], [0, 3]]);
      const dout = Matrix.from([[5, 6], [7, 8]], dtype);
      expect(relu.backward(dout).toArray()).toEqual([[5, 0], [0, 8]]);
      // the book's mask is x <= 0: an input of exactly 0 passes no gradient
      relu.forward(Matrix.from([[0, 1e-30]], dtype));
      expect(relu.backward(Matrix.from([[1, 1]], dtype)).toArray()).toEqual([[0, 1]]);
    });

    it('Sigmoid: sigmoid(0) = 0.5, sigmoid(±2), saturation without NaN; backward dout·(1−y)·y', () => {
      const sig = new Sigmoid({ backend });
      const y = sig.forward(Matrix.from([[0, 2, -2, 1000, -1000]], dtype));
      const want = [0.5, 1 / (1 + Math.exp(-2)), 1 / (1 + Math.exp(2)), 1, 0];
      want.forEach((w, i) => expect(y.data[i]).toBeCloseTo(w, dtype === 'float32' ? 6 : 15));
      const dx = sig.backward(Matrix.from([[1, 1, 2, 1, 1]], dtype));
      [0.25, want[1]! * (1 - want[1]!), 2 * want[2]! * (1 - want[2]!), 0, 0].forEach((w, i) =>
        expect(dx.data[i]).toBeCloseTo(w, dtype === 'float32' ? 6 : 15),
      );
    });

    it('Affine: [[1,2,3],[4,5,6]]·[[1,2],[3,4],[5,6]] + [1,−1] and its three gradients', () => {
      const W = Matrix.from([[1, 2], [3, 4], [5, 6]], dtype);
      const b = Matrix.row([1, -1], dtype);
      const affine = new Affine(W, b, { backend });
      const x = Matrix.from([[1, 2, 3], [4, 5, 6]], dtype);
      // x·W = [[22, 28], [49, 64]]
      expect(affine.forward(x).toArray()).toEqual([[23, 27], [50, 63]]);
      const dx = affine.backward(Matrix.from([[1, 0], [0, 1]], dtype));
      // dx = dout·Wᵀ = Wᵀ, dW = xᵀ·dout = xᵀ, db = column sums of dout
      expect(dx.toArray()).toEqual([[1, 3, 5], [2, 4, 6]]);
      expect(affine.dW.toArray()).toEqual([[1, 4], [2, 5], [3, 6]]);
      expect(affine.db.toArray()).toEqual([[1, 1]]);
      expect(affine.parameters.map((p) => [p.name, p.value === affine[p.name as 'W' | 'b'], p.grad])).toEqual([
        ['W', true, affine.dW],
        ['b', true, affine.db],
      ]);
    });

    it("Affine reproduces the book's bias examples: broadcast and db = [5, 7, 9]", () => {
      const eye = Matrix.from([[1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype);
      const affine = new Affine(eye, Matrix.row([1, 2, 3], dtype), { backend });
      expect(affine.forward(Matrix.from([[0, 0, 0], [10, 10, 10]], dtype)).toArray()).toEqual([[1, 2, 3], [11, 12, 13]]);
      affine.backward(Matrix.from([[1, 2, 3], [4, 5, 6]], dtype));
      expect(affine.db.toArray()).toEqual([[5, 7, 9]]);
    });

    it('Affine with inputGrad false still computes dW and db, and returns an empty 0×0 dx', () => {
      const W = Matrix.from([[1, 2], [3, 4], [5, 6]], dtype);
      const affine = new Affine(W, Matrix.row([0, 0], dtype), { backend, inputGrad: false });
      affine.forward(Matrix.from([[1, 2, 3], [4, 5, 6]], dtype));
      const dx = affine.backward(Matrix.from([[1, 0], [0, 1]], dtype));
      expect([dx.rows, dx.cols]).toEqual([0, 0]);
      expect(affine.dW.toArray()).toEqual([[1, 4], [2, 5], [3, 6]]);
      expect(affine.db.toArray()).toEqual([[1, 1]]);
    });

    it("softmax: the book's [0.3, 2.9, 4.0]; rows of [1000, −1000, 0] stay finite and sum to 1", () => {
      const y = softmax(Matrix.from([[0.3, 2.9, 4.0], [1000, -1000, 0], [0, Math.log(2), Math.log(3)]], dtype));
      const digits = dtype === 'float32' ? 6 : 8;
      [0.01821127, 0.24519181, 0.73659691].forEach((w, j) => expect(y.get(0, j)).toBeCloseTo(w, digits));
      expect(y.toArray()[1]).toEqual([1, 0, 0]);
      [1 / 6, 2 / 6, 3 / 6].forEach((w, j) => expect(y.get(2, j)).toBeCloseTo(w, dtype === 'float32' ? 6 : 14));
      for (let i = 0; i < 3; i++) {
        const row = y.toArray()[i]!;
        expect(row.every(Number.isFinite)).toBe(true);
        expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, dtype === 'float32' ? 6 : 14);
      }
    });

    it("crossEntropyError: the book's 0.5108 and 2.3026, for one-hot and index labels; ≈ 0 for a perfect prediction", () => {
      const y1 = [0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0];
      const y2 = [0.1, 0.05, 0.1, 0.0, 0.05, 0.1, 0.0, 0.6, 0.0, 0.0];
      const t = Matrix.row([0, 0, 1, 0, 0, 0, 0, 0, 0, 0], dtype);
      const digits = dtype === 'float32' ? 6 : 12;
      expect(crossEntropyError(Matrix.row(y1, dtype), t)).toBeCloseTo(0.510825457099338, digits);
      expect(crossEntropyError(Matrix.row(y2, dtype), t)).toBeCloseTo(2.302584092994546, digits);
      expect(crossEntropyError(Matrix.row(y1, dtype), new Int32Array([2]))).toBe(crossEntropyError(Matrix.row(y1, dtype), t));
      // a batch of two is the mean of the two
      const both = crossEntropyError(Matrix.from([y1, y2], dtype), new Uint8Array([2, 2]));
      expect(both).toBeCloseTo((0.510825457099338 + 2.302584092994546) / 2, digits);
      const perfect = crossEntropyError(Matrix.from([[0, 1, 0], [1, 0, 0]], dtype), Matrix.from([[0, 1, 0], [1, 0, 0]], dtype));
      expect(Math.abs(perfect)).toBeLessThanOrEqual(1e-6);
    });
  });

  describe('float64 backward against central differences', () => {
    const dtype: DType = 'float64';

    // dx of any element-wise layer, then a check that neither x nor dout changed
    function checkLayer(layer: Layer, x: Matrix, R: Matrix): void {
      const x0 = values(x), R0 = values(R);
      layer.forward(x);
      const dx = values(layer.backward(R));
      expect(values(x)).toEqual(x0);
      expect(values(R)).toEqual(R0);
      const num = numericGrad(() => dot(layer.forward(x), R), x.data);
      expect(relDiff(dx, num)).toBeLessThan(1e-8);
    }

    it('Relu', () => {
      const rng = testRng(RNG_SEED);
      // keep every entry at least 0.01 from the kink at 0, where the derivative is undefined
      const x = randomMatrix(rng, 4, 5, dtype);
      for (let i = 0; i < x.data.length; i++) if (Math.abs(x.data[i]!) < 0.01) x.data[i] = 0.5;
      checkLayer(new Relu({ backend }), x, randomMatrix(rng, 4, 5, dtype));
    });

    it('Sigmoid', () => {
      const rng = testRng(RNG_SEED + 1);
      checkLayer(new Sigmoid({ backend }), randomMatrix(rng, 4, 5, dtype, 3), randomMatrix(rng, 4, 5, dtype));
    });

    it('Affine: dx, dW and db', () => {
      const rng = testRng(RNG_SEED + 2);
      const affine = new Affine(randomMatrix(rng, 6, 4, dtype), randomMatrix(rng, 1, 4, dtype), { backend });
      const x = randomMatrix(rng, 5, 6, dtype);
      const R = randomMatrix(rng, 5, 4, dtype);
      const W0 = values(affine.W), b0 = values(affine.b);
      checkLayer(affine, x, R);
      // the numerical loop restores each entry exactly
      expect(values(affine.W)).toEqual(W0);
      expect(values(affine.b)).toEqual(b0);
      affine.forward(x);
      affine.backward(R);
      const dW = values(affine.dW), db = values(affine.db);
      const f = (): number => dot(affine.forward(x), R);
      expect(relDiff(dW, numericGrad(f, affine.W.data))).toBeLessThan(1e-8);
      expect(relDiff(db, numericGrad(f, affine.b.data))).toBeLessThan(1e-8);
    });

    it('SoftmaxWithLoss, one-hot and index labels: identical results, and the numerical gradient of the loss', () => {
      const rng = testRng(RNG_SEED + 3);
      const x = randomMatrix(rng, 4, 5, dtype, 2);
      const labels = new Int32Array([3, 0, 4, 3]);
      const t = Matrix.zeros(4, 5, dtype);
      labels.forEach((k, i) => t.set(i, k, 1));
      const byIndex = new SoftmaxWithLoss({ backend });
      const byOneHot = new SoftmaxWithLoss({ backend });
      const x0 = values(x);
      const loss = byIndex.forward(x, labels);
      expect(byOneHot.forward(x, t)).toBe(loss);
      const dx = values(byIndex.backward());
      expect(values(byOneHot.backward())).toEqual(dx);
      expect(values(x)).toEqual(x0);
      expect(Array.from(labels)).toEqual([3, 0, 4, 3]);
      // the loss as a plain formula, written out independently
      let want = 0;
      for (let i = 0; i < 4; i++) {
        const row = x0.slice(i * 5, i * 5 + 5);
        const z = row.reduce((s, v) => s + Math.exp(v), 0);
        want -= Math.log(Math.exp(row[labels[i]!]!) / z + 1e-7);
      }
      expect(loss).toBeCloseTo(want / 4, 14);

      for (const [layer, labelsOf] of [[byIndex, labels], [byOneHot, t]] as const) {
        const num = numericGrad(() => layer.forward(x, labelsOf), x.data);
        // backward is (y − t)/N, the exact gradient of −log(y_t); the loss is −log(y_t + 1e-7), whose
        // gradient is the same scaled by y_t/(y_t + 1e-7) row by row (≈ 1e-7 relative apart). Scaling
        // dx so checks it at full precision:
        layer.forward(x, labelsOf);
        const y = layer.y!;
        const scaled = dx.map((v, k) => {
          const yt = y.get(Math.floor(k / 5), labels[Math.floor(k / 5)]!);
          return (v * yt) / (yt + 1e-7);
        });
        expect(relDiff(scaled, num)).toBeLessThan(1e-8);
        // and unscaled, the difference is the delta's ≈ 1e-7/y_t relative, nothing more
        expect(relDiff(dx, num)).toBeLessThan(1e-5);
      }
      // dout scales the gradient
      byIndex.forward(x, labels);
      expect(values(byIndex.backward(2))).toEqual(dx.map((v) => v * 2));
    });
  });

  it.each(DTYPES)('%s buffers are reused while the batch size holds, and resized when it changes', (dtype) => {
    const rng = testRng(RNG_SEED + 4);
    const affine = new Affine(randomMatrix(rng, 3, 2, dtype), randomMatrix(rng, 1, 2, dtype), { backend });
    const relu = new Relu({ backend });
    const sig = new Sigmoid({ backend });
    const x4 = randomMatrix(rng, 4, 3, dtype);
    const d4 = randomMatrix(rng, 4, 2, dtype);
    for (const layer of [affine, relu, sig] as Layer[]) {
      const input = layer === affine ? x4 : d4;
      const out1 = layer.forward(input);
      const dx1 = layer.backward(d4);
      expect(layer.forward(input)).toBe(out1);
      expect(layer.backward(d4)).toBe(dx1);
      // a smaller batch: a new buffer with the right values (row 0 of the batch alone)
      const one = new Matrix(1, input.cols, input.data.slice(0, input.cols));
      const small = layer.forward(one);
      expect(small).not.toBe(out1);
      expect(small.rows).toBe(1);
      expect(values(small)).toEqual(values(layer.forward(input)).slice(0, 2));
    }
  });

  it('float32 layers agree with float64 ones on the same values', () => {
    const rng = testRng(RNG_SEED + 5);
    // data made in float32 and widened, so both runs start from identical numbers
    const x32 = randomMatrix(rng, 5, 8, 'float32', 2);
    const W32 = randomMatrix(rng, 8, 6, 'float32');
    const b32 = randomMatrix(rng, 1, 6, 'float32');
    const R32 = randomMatrix(rng, 5, 6, 'float32');
    const wide = (m: Matrix): Matrix => new Matrix(m.rows, m.cols, Float64Array.from(m.data));
    const run = (x: Matrix, W: Matrix, b: Matrix, R: Matrix) => {
      const affine = new Affine(W, b, { backend });
      const sig = new Sigmoid({ backend });
      const relu = new Relu({ backend });
      const last = new SoftmaxWithLoss({ backend });
      const h = relu.forward(sig.forward(affine.forward(x)));
      const loss = last.forward(h, new Int32Array([0, 5, 2, 2, 1]));
      const dx = affine.backward(sig.backward(relu.backward(R)));
      return { h: values(h), loss, dx: values(dx), dW: values(affine.dW), db: values(affine.db), dlast: values(last.backward()) };
    };
    const a = run(x32, W32, b32, R32);
    const b = run(wide(x32), wide(W32), wide(b32), wide(R32));
    for (const key of ['h', 'dx', 'dW', 'db', 'dlast'] as const) expect(relDiff(a[key], b[key])).toBeLessThan(F32_TOL);
    expect(Math.abs(a.loss - b.loss) / b.loss).toBeLessThan(F32_TOL);
  });

  describe('clear errors', () => {
    it('Affine: wrong width, wrong dtype, mismatched b, dout before forward or of the wrong shape', () => {
      const W = Matrix.zeros(784, 50, 'float64');
      const affine = new Affine(W, Matrix.zeros(1, 50, 'float64'), { backend });
      expect(() => affine.forward(Matrix.zeros(2, 783, 'float64'))).toThrow(new RangeError('Affine: x has 783 columns, W expects 784 (W is 784×50)'));
      expect(() => affine.forward(Matrix.zeros(2, 784, 'float32'))).toThrow(TypeError);
      expect(() => affine.forward([[1, 2]] as unknown as Matrix)).toThrow(/x must be a Matrix, got Array/);
      expect(() => affine.backward(Matrix.zeros(2, 50, 'float64'))).toThrow(/backward called before forward/);
      expect(() => new Affine(W, Matrix.zeros(1, 49, 'float64'))).toThrow(/b must be 1×50/);
      expect(() => new Affine(W, Matrix.zeros(1, 50, 'float32'))).toThrow(TypeError);
      affine.forward(Matrix.zeros(2, 784, 'float64'));
      expect(() => affine.backward(Matrix.zeros(3, 50, 'float64'))).toThrow(/dout is 3×50, the forward output was 2×50/);
      // and the layer still works afterwards
      expect(affine.forward(Matrix.zeros(2, 784, 'float64')).rows).toBe(2);
    });

    it('Relu and Sigmoid: dout must match the last forward', () => {
      for (const layer of [new Relu({ backend }), new Sigmoid({ backend })]) {
        expect(() => layer.backward(Matrix.zeros(1, 1, 'float64'))).toThrow(/before forward/);
        layer.forward(Matrix.zeros(2, 3, 'float64'));
        expect(() => layer.backward(Matrix.zeros(3, 2, 'float64'))).toThrow(RangeError);
        expect(() => layer.backward(Matrix.zeros(2, 3, 'float32'))).toThrow(TypeError);
      }
    });

    it('SoftmaxWithLoss: labels of the wrong length, out of range, fractional, or a one-hot of the wrong shape', () => {
      const last = new SoftmaxWithLoss({ backend });
      const x = Matrix.zeros(3, 4, 'float64');
      expect(() => last.forward(x, new Int32Array([0, 1]))).toThrow(new RangeError('SoftmaxWithLoss: 2 labels for 3 rows'));
      expect(() => last.forward(x, new Int32Array([0, 4, 1]))).toThrow(/label 1 is 4, expected an integer in \[0, 4\)/);
      expect(() => last.forward(x, new Int32Array([0, 1, -1]))).toThrow(/label 2 is -1/);
      // index labels are integer arrays by type: a float array (which could hold 1.5) is refused outright
      expect(() => last.forward(x, new Float64Array([0, 1.5, 2]) as unknown as Int32Array)).toThrow(/Int32Array\/Uint8Array of class indices, got Float64Array/);
      expect(() => last.forward(x, Matrix.zeros(3, 5, 'float64'))).toThrow(/one-hot t is 3×5, expected 3×4/);
      expect(() => last.forward(Matrix.zeros(0, 4, 'float64'), new Int32Array(0))).toThrow(/empty/);
      expect(() => last.backward()).toThrow(/before forward/);
      expect(last.forward(x, new Uint8Array([0, 1, 3]))).toBeCloseTo(Math.log(4), 6);
    });
  });
});
