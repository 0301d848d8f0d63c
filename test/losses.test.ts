// the regression and binary losses (MeanSquaredError, SigmoidWithLoss) and what every loss layer
// promises a Sequential: forward on hand-computed values and on the plain textbook formulas, backward
// against central differences, finite values at saturation, whole networks gradient-checked, float32
// against float64, on both backends; and the task measures (accuracy, MSE, MAE, R²) against direct sums

import { describe, expect, it } from 'vitest';
import { DTYPES, Matrix, type DType } from '../src/matrix.js';
import { Affine } from '../src/nn/affine.js';
import { gradientCheck } from '../src/nn/gradcheck.js';
import { MeanSquaredError } from '../src/nn/mean-squared-error.js';
import { MetricSums } from '../src/nn/task-metrics.js';
import { Relu } from '../src/nn/relu.js';
import { Sequential } from '../src/nn/sequential.js';
import { Sigmoid } from '../src/nn/sigmoid.js';
import { SigmoidWithLoss } from '../src/nn/sigmoid-with-loss.js';
import { SoftmaxWithLoss } from '../src/nn/softmax.js';
import type { Labels, LossLayer } from '../src/nn/types.js';
import type { Backend } from '../src/backend/types.js';
import { allBackends, numericGrad, randomMatrix, relDiff, testRng } from './helpers.js';

// the textbook binary cross-entropy, written out naively (fine for moderate scores)
function naiveBce(x: ArrayLike<number>, t: ArrayLike<number>, rows: number): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    const y = 1 / (1 + Math.exp(-x[i]!));
    s -= t[i]! * Math.log(y) + (1 - t[i]!) * Math.log(1 - y);
  }
  return s / rows;
}

function binaryTargets(rng: () => number, rows: number, cols: number, dtype: DType): Matrix {
  const t = Matrix.zeros(rows, cols, dtype);
  for (let i = 0; i < t.data.length; i++) t.data[i] = rng() < 0.5 ? 0 : 1;
  return t;
}

// a small net (4 → 6 → k) ending in the given loss, on one backend
function smallNet(backend: Backend, rng: () => number, k: number, dtype: DType, last: LossLayer): Sequential {
  return new Sequential(
    [
      new Affine(randomMatrix(rng, 4, 6, dtype), randomMatrix(rng, 1, 6, dtype, 0.1), { backend }),
      new Sigmoid({ backend }),
      new Affine(randomMatrix(rng, 6, k, dtype), randomMatrix(rng, 1, k, dtype, 0.1), { backend }),
    ],
    last,
  );
}

const wide = (m: Matrix): Matrix => new Matrix(m.rows, m.cols, Float64Array.from(m.data));

describe.each(allBackends().map((b) => [b.name, b] as const))('%s backend', (_name, backend) => {
  describe.each(DTYPES)('%s', (dtype) => {
    const digits = dtype === 'float32' ? 6 : 14;

    it('MeanSquaredError: ½·Σ(y − t)²/batch = 3.5 on a hand example; dx = (y − t)/batch; output is the scores', () => {
      const mse = new MeanSquaredError({ backend });
      const x = Matrix.from([[1, 2], [3, 4]], dtype);
      const t = Matrix.from([[0, 2], [1, 1]], dtype);
      // residuals 1, 0, 2, 3: squares sum to 14, half of it over 2 rows
      expect(mse.forward(x, t)).toBe(3.5);
      expect(mse.loss).toBe(3.5);
      expect(mse.backward().toArray()).toEqual([[0.5, 0], [1, 1.5]]);
      expect(mse.backward(2).toArray()).toEqual([[1, 0], [2, 3]]);
      const out = mse.output(x);
      expect(out.toArray()).toEqual(x.toArray());
      expect(out).not.toBe(x);
      // neither argument changed
      expect(x.toArray()).toEqual([[1, 2], [3, 4]]);
      expect(t.toArray()).toEqual([[0, 2], [1, 1]]);
    });

    it('SigmoidWithLoss: log 2 at a score of 0; matches the textbook formula; index and Matrix targets agree', () => {
      const bce = new SigmoidWithLoss({ backend });
      expect(bce.forward(Matrix.from([[0], [0]], dtype), new Int32Array([1, 0]))).toBeCloseTo(Math.log(2), digits);
      const x = Matrix.from([[0.5], [-1.5], [2]], dtype);
      const want = naiveBce(x.data, [1, 0, 0], 3);
      const byIndex = bce.forward(x, new Uint8Array([1, 0, 0]));
      expect(byIndex).toBeCloseTo(want, digits);
      const dxIndex = Array.from(bce.backward().data);
      const bce2 = new SigmoidWithLoss({ backend });
      expect(bce2.forward(x, Matrix.from([[1], [0], [0]], dtype))).toBe(byIndex);
      expect(Array.from(bce2.backward().data)).toEqual(dxIndex);
      // dx = (σ(x) − t)/3
      [1, 0, 0].forEach((t, i) => expect(dxIndex[i]).toBeCloseTo((1 / (1 + Math.exp(-x.data[i]!)) - t) / 3, digits));
      // the output is σ of every score
      expect(Array.from(bce.output(x).data).map((v, i) => v - 1 / (1 + Math.exp(-x.data[i]!))).every((d) => Math.abs(d) < 1e-7)).toBe(true);
    });

    it('SigmoidWithLoss stays finite at saturation: scores of ±1000 give losses of 0 or 1000, never NaN', () => {
      const bce = new SigmoidWithLoss({ backend });
      const x = Matrix.from([[1000, -1000], [1000, -1000]], dtype);
      // right answers cost nothing; wrong ones cost their score: three of them over two rows
      expect(bce.forward(x, Matrix.from([[1, 0], [1, 0]], dtype))).toBe(0);
      expect(bce.forward(x, Matrix.from([[0, 1], [0, 0]], dtype))).toBe(1500);
      expect(bce.backward().toArray()).toEqual([[0.5, -0.5], [0.5, 0]]);
      expect(Array.from(bce.output(x).data)).toEqual([1, 0, 1, 0]);
    });

    it('a Sequential takes any loss layer: output() applies its function (softmax, sigmoid, identity)', () => {
      const rng = testRng(71);
      const x = randomMatrix(rng, 3, 4, dtype);
      for (const last of [new SoftmaxWithLoss({ backend }), new SigmoidWithLoss({ backend }), new MeanSquaredError({ backend })]) {
        const net = smallNet(backend, testRng(5), 3, dtype, last);
        expect(net.task).toBe(last.task);
        const scores = net.predict(x).clone();
        const out = net.output(x);
        for (let i = 0; i < 3; i++) {
          const row = Array.from(scores.data.subarray(i * 3, i * 3 + 3));
          const z = row.reduce((s, v) => s + Math.exp(v), 0);
          const want = last instanceof SoftmaxWithLoss ? row.map((v) => Math.exp(v) / z) : last instanceof SigmoidWithLoss ? row.map((v) => 1 / (1 + Math.exp(-v))) : row;
          want.forEach((w, j) => expect(out.get(i, j)).toBeCloseTo(w, dtype === 'float32' ? 6 : 13));
        }
      }
    });
  });

  describe('float64 gradients against central differences', () => {
    const dtype: DType = 'float64';

    it.each([
      ['MeanSquaredError, one target', () => new MeanSquaredError({ backend }), 1],
      ['MeanSquaredError, three targets', () => new MeanSquaredError({ backend }), 3],
      ['SigmoidWithLoss, two-class', () => new SigmoidWithLoss({ backend }), 1],
      ['SigmoidWithLoss, multi-label', () => new SigmoidWithLoss({ backend }), 3],
    ] as const)('%s: the layer dx, and every parameter of a 4-6-k net', (_label, make, k) => {
      const rng = testRng(1000 + k);
      const last = make();
      const x = randomMatrix(rng, 5, k, dtype, 2);
      const t: Labels = last.task === 'regress' ? randomMatrix(rng, 5, k, dtype, 3) : binaryTargets(rng, 5, k, dtype);
      const x0 = Array.from(x.data);
      last.forward(x, t);
      const dx = Array.from(last.backward().data);
      expect(Array.from(x.data)).toEqual(x0);
      expect(relDiff(dx, numericGrad(() => last.forward(x, t), x.data))).toBeLessThan(1e-8);

      // the whole network: backprop against the book's numerical gradient (h = 1e-4)
      const net = smallNet(backend, rng, k, dtype, make());
      const xs = randomMatrix(rng, 5, 4, dtype);
      const diffs = gradientCheck(net, xs, t);
      const numerical = net.numericalGradient(xs, t);
      for (const [key, d] of Object.entries(diffs)) {
        // mean |difference| far below the gradient's own size (h² truncation ≈ 1e-8 of it)
        const scale = Array.from(numerical[key]!.data).reduce((s, v) => s + Math.abs(v), 0) / numerical[key]!.data.length;
        expect(d, key).toBeLessThan(1e-7 * Math.max(scale, 1e-3));
      }
    });
  });

  it.each([
    ['MeanSquaredError', () => new MeanSquaredError({ backend })],
    ['SigmoidWithLoss', () => new SigmoidWithLoss({ backend })],
  ] as const)('%s in float32 agrees with float64 on the same values: loss, dx and parameter gradients', (_label, make) => {
    const rng = testRng(77);
    const net32 = smallNet(backend, rng, 2, 'float32', make());
    const x32 = randomMatrix(rng, 6, 4, 'float32');
    const t32 = make().task === 'regress' ? randomMatrix(rng, 6, 2, 'float32', 2) : binaryTargets(rng, 6, 2, 'float32');
    // the same weights widened into a float64 net
    const net64 = new Sequential(
      net32.layers.map((l) => (l instanceof Affine ? new Affine(wide(l.W), wide(l.b), { backend }) : new Sigmoid({ backend }))),
      make(),
    );
    const g32 = net32.gradient(x32, t32);
    const g64 = net64.gradient(wide(x32), wide(t32));
    // float32 rounding a few operations deep: 1e-5 of the scale is ≈ 100 eps32
    expect(Math.abs(g32.loss - g64.loss) / g64.loss).toBeLessThan(1e-5);
    for (const key of Object.keys(g64.grads)) expect(relDiff(g32.grads[key]!.data, g64.grads[key]!.data), key).toBeLessThan(1e-5);
  });

  describe('clear errors', () => {
    it('MeanSquaredError: targets that are not a Matrix of the scores shape; backward before forward', () => {
      const mse = new MeanSquaredError({ backend });
      expect(() => mse.backward()).toThrow(/backward called before forward/);
      expect(() => mse.forward(Matrix.zeros(3, 2), new Int32Array(3))).toThrow(new TypeError('MeanSquaredError: targets must be a Matrix of 3×2 values, got Int32Array'));
      expect(() => mse.forward(Matrix.zeros(3, 2), Matrix.zeros(3, 1))).toThrow(new RangeError('MeanSquaredError: targets are 3×1, expected 3×2 like the scores'));
      expect(() => mse.forward(Matrix.zeros(0, 2), Matrix.zeros(0, 2))).toThrow(/empty/);
    });

    it('SigmoidWithLoss: targets outside [0, 1], labels other than 0/1, index labels for several outputs', () => {
      const bce = new SigmoidWithLoss({ backend });
      expect(() => bce.forward(Matrix.zeros(2, 1), new Int32Array([0, 2]))).toThrow(/label 1 is 2, expected 0 or 1/);
      expect(() => bce.forward(Matrix.zeros(2, 2), new Int32Array([0, 1]))).toThrow(/class indices fit one output, but the scores have 2/);
      expect(() => bce.forward(Matrix.zeros(2, 2), Matrix.from([[0, 1], [1, 1.5]]))).toThrow(/target 3 \(row 1\) is 1.5, expected a value in \[0, 1\]/);
      expect(() => bce.forward(Matrix.zeros(2, 1), Matrix.from([[0], [NaN]]))).toThrow(/is NaN/);
    });

    it('Sequential refuses a last layer that is not a loss layer', () => {
      expect(() => new Sequential([new Relu({ backend })], new Relu({ backend }) as unknown as LossLayer, { dtype: 'float64' })).toThrow(/lastLayer must be a loss layer/);
    });
  });
});

describe('task measures over a set, against direct sums', () => {
  it('regression: MSE, MAE and R² summed in chunks equal the whole-set formulas (R² averaged over outputs)', () => {
    const rng = testRng(9);
    const y = randomMatrix(rng, 10, 2, 'float64', 3);
    const t = randomMatrix(rng, 10, 2, 'float64', 3);
    // targets far from 0 with a small spread: the shifted sums keep SStot exact
    for (let i = 0; i < t.data.length; i += 2) t.data[i] = 1e6 + t.data[i]!;
    for (let i = 0; i < y.data.length; i += 2) y.data[i] = 1e6 + y.data[i]!;
    const sums = new MetricSums('regress');
    for (const [a, b] of [[0, 3], [3, 10]]) {
      sums.add(new Matrix(b - a, 2, y.data.slice(a * 2, b * 2)), new Matrix(b - a, 2, t.data.slice(a * 2, b * 2)));
    }
    let sq = 0, abs = 0;
    const r2: number[] = [];
    for (let j = 0; j < 2; j++) {
      let mean = 0, res = 0, tot = 0;
      for (let i = 0; i < 10; i++) mean += t.get(i, j) / 10;
      for (let i = 0; i < 10; i++) {
        const e = y.get(i, j) - t.get(i, j);
        sq += e * e;
        abs += Math.abs(e);
        res += e * e;
        tot += (t.get(i, j) - mean) ** 2;
      }
      r2.push(1 - res / tot);
    }
    const m = sums.result();
    expect(m.mse).toBeCloseTo(sq / 20, 12);
    expect(m.mae).toBeCloseTo(abs / 20, 12);
    expect(m.r2).toBeCloseTo((r2[0]! + r2[1]!) / 2, 9);
    // predicting the targets exactly is R² 1, predicting their mean is R² 0
    const exact = new MetricSums('regress');
    exact.add(t, t);
    expect(exact.result()).toEqual({ mse: 0, mae: 0, r2: 1 });
  });

  it('classification counts argmax hits (first maximum on ties); binary counts score > 0 against target ≥ ½ per entry', () => {
    const c = new MetricSums('classify');
    c.add(Matrix.from([[1, 3, 3], [5, 0, 1], [0, 0, 0]]), new Int32Array([1, 0, 1]));
    expect(c.result()).toEqual({ accuracy: 2 / 3 });
    const b = new MetricSums('binary');
    b.add(Matrix.from([[2, -1], [-0.5, 0]]), Matrix.from([[1, 0], [1, 0]]));
    expect(b.result()).toEqual({ accuracy: 3 / 4 });
  });
});
