// the chapter 7 kernels and layers: im2col/col2im/max-pool against direct loops written here, col2im as
// im2col's adjoint, every layer's backward against central differences, bad shapes refused; on both
// backends and both dtypes

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { windowGeometry, type WindowGeometry } from '../src/kernels/window.js';
import { DTYPES, Matrix, type DType, type FloatArray } from '../src/matrix.js';
import { BatchNormalization } from '../src/nn/batch-norm.js';
import { Convolution } from '../src/nn/convolution.js';
import { Dropout } from '../src/nn/dropout.js';
import { Pooling } from '../src/nn/pooling.js';
import type { Layer } from '../src/nn/types.js';
import { referenceBackend } from '../src/backend/index.js';
import { loadAddon } from '../src/native/addon.js';
import { allBackends, nativeBackend, numericGrad, randomMatrix, testRng } from './helpers.js';


// shapes that exercise the index arithmetic: batch 1, stride 2, padding 1–2, non-square inputs and
// kernels, several channels
const SHAPES = [
  { n: 1, c: 1, h: 5, w: 5, kh: 3, kw: 3, stride: 1, pad: 0 },
  { n: 2, c: 3, h: 7, w: 5, kh: 3, kw: 1, stride: 2, pad: 1 },
  { n: 3, c: 2, h: 6, w: 10, kh: 2, kw: 4, stride: 2, pad: 2 },
  { n: 1, c: 4, h: 4, w: 6, kh: 5, kw: 3, stride: 1, pad: 2 },
  { n: 2, c: 1, h: 12, w: 12, kh: 5, kw: 5, stride: 1, pad: 0 },
] as const;

interface Shape { n: number; c: number; h: number; w: number; kh: number; kw: number; stride: number; pad: number }

function geom(s: Shape): WindowGeometry {
  return windowGeometry('test', { channels: s.c, height: s.h, width: s.w }, { kernelHeight: s.kh, kernelWidth: s.kw, stride: s.stride, pad: s.pad });
}

// the convolution straight from its definition: out[n,f,oy,ox] = b[f] + Σ_c,i,j W[f,c,i,j]·x[n,c,oy·s+i−p,ox·s+j−p]
function directConv(x: Matrix, W: Matrix, b: Matrix, g: WindowGeometry): Float64Array {
  const { channels: C, height: Hh, width: Ww, kernelHeight: KH, kernelWidth: KW, stride, pad, outHeight: OH, outWidth: OW } = g;
  const F = W.rows;
  const out = new Float64Array(x.rows * F * OH * OW);
  for (let n = 0; n < x.rows; n++)
    for (let f = 0; f < F; f++)
      for (let oy = 0; oy < OH; oy++)
        for (let ox = 0; ox < OW; ox++) {
          let s = b.data[f]!;
          for (let c = 0; c < C; c++)
            for (let i = 0; i < KH; i++)
              for (let j = 0; j < KW; j++) {
                const y = oy * stride + i - pad, xx = ox * stride + j - pad;
                if (y < 0 || y >= Hh || xx < 0 || xx >= Ww) continue;
                s += W.data[((f * C + c) * KH + i) * KW + j]! * x.data[((n * C + c) * Hh + y) * Ww + xx]!;
              }
          out[((n * F + f) * OH + oy) * OW + ox] = s;
        }
  return out;
}

// max pooling from its definition, padding never winning
function directPool(x: Matrix, g: WindowGeometry): Float64Array {
  const { channels: C, height: Hh, width: Ww, kernelHeight: KH, kernelWidth: KW, stride, pad, outHeight: OH, outWidth: OW } = g;
  const out = new Float64Array(x.rows * C * OH * OW);
  for (let n = 0; n < x.rows; n++)
    for (let c = 0; c < C; c++)
      for (let oy = 0; oy < OH; oy++)
        for (let ox = 0; ox < OW; ox++) {
          let m = -Infinity;
          for (let i = 0; i < KH; i++)
            for (let j = 0; j < KW; j++) {
              const y = oy * stride + i - pad, xx = ox * stride + j - pad;
              if (y >= 0 && y < Hh && xx >= 0 && xx < Ww) m = Math.max(m, x.data[((n * C + c) * Hh + y) * Ww + xx]!);
            }
          out[((n * C + c) * OH + oy) * OW + ox] = m;
        }
  return out;
}

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0, scale = 1e-300;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return d / scale;
}

function dot(a: FloatArray, b: FloatArray): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

// L = Σ forward(x) ⊙ R, so dL/dout = R: numerical gradient of L with respect to any array
function numeric(layer: Layer, x: Matrix, R: Matrix, data: FloatArray, before?: () => void): Float64Array {
  return numericGrad(() => {
    before?.();
    return dot(layer.forward(x).data, R.data);
  }, data);
}

// float32 results against float64 ones: the deepest sums here are C·KH·KW ≤ 25 products
const TOL: Record<DType, number> = { float32: 2e-5, float64: 1e-12 };

describe.each(allBackends().map((b) => [b.name, b] as const))('%s backend', (_name, backend) => {
  describe.each(DTYPES)('%s', (dtype) => {
    it('im2col lays out a 1×3×3 image with a 2×2 kernel as the patches of a hand-written example', () => {
      const g = windowGeometry('t', { channels: 1, height: 3, width: 3 }, { kernelHeight: 2, kernelWidth: 2, stride: 1, pad: 0 });
      const x = Matrix.from([[1, 2, 3, 4, 5, 6, 7, 8, 9]], dtype);
      const col = Matrix.zeros(4, 4, dtype);
      backend.im2col(x, g, col);
      // row (i, j) of the kernel: the value under it at each of the 4 output positions
      expect(col.toArray()).toEqual([[1, 2, 4, 5], [2, 3, 5, 6], [4, 5, 7, 8], [5, 6, 8, 9]]);
      const dx = Matrix.zeros(1, 9, dtype);
      backend.col2im(Matrix.from([[1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1]], dtype), g, dx);
      // how many patches cover each pixel
      expect(Array.from(dx.data)).toEqual([1, 2, 1, 2, 4, 2, 1, 2, 1]);
    });

    it.each(SHAPES)('col2im is the adjoint of im2col: <im2col(x), C> = <x, col2im(C)> (%o)', (s) => {
      const g = geom(s);
      const rng = testRng(11);
      const x = randomMatrix(rng, s.n, s.c * s.h * s.w, dtype);
      const C = randomMatrix(rng, s.c * s.kh * s.kw, s.n * g.outHeight * g.outWidth, dtype);
      const col = Matrix.zeros(C.rows, C.cols, dtype);
      const dx = Matrix.zeros(x.rows, x.cols, dtype);
      backend.im2col(x, g, col);
      backend.col2im(C, g, dx);
      const a = dot(col.data, C.data), b = dot(x.data, dx.data);
      expect(Math.abs(a - b) / Math.max(1, Math.abs(a))).toBeLessThan(dtype === 'float32' ? 1e-4 : 1e-12);
    });

    it.each(SHAPES)('Convolution forward equals the direct sum, and its dx, dW, db equal central differences (%o)', (s) => {
      const g = geom(s);
      const rng = testRng(7);
      const F = 3;
      const x = randomMatrix(rng, s.n, s.c * s.h * s.w, dtype);
      const W = randomMatrix(rng, F, s.c * s.kh * s.kw, dtype);
      const b = randomMatrix(rng, 1, F, dtype);
      const conv = new Convolution(W, b, { input: [s.c, s.h, s.w], kernel: [s.kh, s.kw], stride: s.stride, pad: s.pad, backend });
      const xCopy = x.clone();
      const out = conv.forward(x);
      expect([out.rows, out.cols]).toEqual([s.n, F * g.outHeight * g.outWidth]);
      expect(maxRelDiff(out.data, directConv(x, W, b, g))).toBeLessThan(TOL[dtype]);
      expect(x.data).toEqual(xCopy.data);
      if (dtype === 'float32') return;
      const R = randomMatrix(rng, out.rows, out.cols, dtype);
      const dx = conv.backward(R);
      const dW = conv.dW.clone(), db = conv.db.clone(), dxs = dx.clone();
      expect(maxRelDiff(dxs.data, numeric(conv, x, R, x.data))).toBeLessThan(1e-8);
      expect(maxRelDiff(dW.data, numeric(conv, x, R, W.data))).toBeLessThan(1e-8);
      expect(maxRelDiff(db.data, numeric(conv, x, R, b.data))).toBeLessThan(1e-8);
    });

    it.each(SHAPES)('Pooling (max) equals the direct window maxima; backward sends each gradient to its maximum (%o)', (s) => {
      // windows the shape's kernel size, padding at most half of it
      const pad = Math.min(s.pad, Math.floor(Math.min(s.kh, s.kw) / 2));
      const stride = s.stride;
      const span = (n: number, k: number) => (n + 2 * pad - k) % stride === 0;
      const kh = span(s.h, s.kh) ? s.kh : s.kh + 1, kw = span(s.w, s.kw) ? s.kw : s.kw + 1;
      const pool = new Pooling({ input: [s.c, s.h, s.w], kernel: [kh, kw], stride, pad, backend });
      const rng = testRng(3);
      // distinct values at least 1/size apart (a random permutation of k/size): a step of H never
      // changes which value is a window's maximum, so the central difference is the true derivative
      const x = randomMatrix(rng, s.n, s.c * s.h * s.w, dtype);
      const order = Array.from(x.data.keys()).sort((a, b) => x.data[a]! - x.data[b]!);
      order.forEach((k, rank) => (x.data[k] = rank / order.length - 0.5));
      const out = pool.forward(x);
      expect(Array.from(out.data)).toEqual(Array.from(directPool(x, pool.geometry)).map((v) => (dtype === 'float32' ? Math.fround(v) : v)));
      if (dtype === 'float32') return;
      const R = randomMatrix(rng, out.rows, out.cols, dtype);
      const dx = pool.backward(R).clone();
      expect(maxRelDiff(dx.data, numeric(pool, x, R, x.data))).toBeLessThan(1e-8);
    });

    it('Pooling backward adds where overlapping windows share a maximum (3×3 windows, stride 1)', () => {
      const pool = new Pooling({ input: [1, 3, 4], kernel: [3, 3], stride: 1, backend });
      const x = Matrix.from([[0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0]], dtype);
      expect(Array.from(pool.forward(x).data)).toEqual([9, 9]);
      const dx = pool.backward(Matrix.from([[1, 2]], dtype));
      expect(Array.from(dx.data)).toEqual([0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0]);
    });

    it.each([
      ['after an Affine (per column)', 4, 1],
      ['after a Convolution (per channel over its plane)', 3, 6],
    ] as const)('BatchNormalization %s: batch statistics, running averages, and dx, dγ, dβ against central differences', (_what, c, p) => {
      const rng = testRng(5);
      const n = 4;
      const gamma = randomMatrix(rng, 1, c, dtype), beta = randomMatrix(rng, 1, c, dtype);
      const bn = new BatchNormalization(gamma, beta, { backend });
      const x = randomMatrix(rng, n, c * p, dtype, 3);
      const out = bn.forward(x);
      // each channel of (out − β)/γ has mean 0 and variance var/(var + eps) over the batch
      for (let ch = 0; ch < c; ch++) {
        let s = 0, sq = 0, xs = 0, xsq = 0;
        for (let i = 0; i < n; i++)
          for (let k = 0; k < p; k++) {
            const j = i * c * p + ch * p + k;
            const v = (out.data[j]! - beta.data[ch]!) / gamma.data[ch]!;
            s += v; sq += v * v; xs += x.data[j]!; xsq += x.data[j]! ** 2;
          }
        const m = n * p, variance = xsq / m - (xs / m) ** 2;
        expect(s / m).toBeCloseTo(0, dtype === 'float32' ? 4 : 12);
        expect(sq / m).toBeCloseTo(variance / (variance + 1e-6), dtype === 'float32' ? 4 : 10);
        // running averages moved 10 % of the way from (0, 1) to the batch's (mean, variance)
        expect(bn.runningMean.data[ch]).toBeCloseTo(0.1 * (xs / m), dtype === 'float32' ? 5 : 12);
        expect(bn.runningVar.data[ch]).toBeCloseTo(0.9 + 0.1 * variance, dtype === 'float32' ? 5 : 12);
      }
      if (dtype === 'float32') return;
      const R = randomMatrix(rng, out.rows, out.cols, dtype);
      const dx = bn.backward(R).clone();
      const dg = bn.dgamma.clone(), dbt = bn.dbeta.clone();
      expect(maxRelDiff(dx.data, numeric(bn, x, R, x.data))).toBeLessThan(1e-7);
      expect(maxRelDiff(dg.data, numeric(bn, x, R, gamma.data))).toBeLessThan(1e-7);
      expect(maxRelDiff(dbt.data, numeric(bn, x, R, beta.data))).toBeLessThan(1e-7);
      // evaluation: the running statistics, the same for any batch
      bn.setTraining(false);
      const one = bn.forward(new Matrix(1, c * p, x.data.slice(0, c * p))).clone();
      const all = bn.forward(x);
      expect(Array.from(all.data.subarray(0, c * p))).toEqual(Array.from(one.data));
      const ch0 = (x.data[0]! - bn.runningMean.data[0]!) / Math.sqrt(bn.runningVar.data[0]! + 1e-6);
      expect(all.data[0]).toBeCloseTo(gamma.data[0]! * ch0 + beta.data[0]!, 12);
    });

    it('Dropout: training keeps ≈ 1 − ratio of the values and passes gradient only there; evaluation scales by 1 − ratio', () => {
      const drop = new Dropout(0.3, { seed: 1 });
      const x = Matrix.zeros(50, 40, dtype);
      x.data.fill(2);
      const out = drop.forward(x).clone();
      const kept = Array.from(out.data).filter((v) => v === 2).length;
      expect(Array.from(out.data).every((v) => v === 0 || v === 2)).toBe(true);
      // 2000 Bernoulli(0.7) draws: mean 1400, sd 20.5; 5 sd either side
      expect(Math.abs(kept - 1400)).toBeLessThan(103);
      const dout = Matrix.zeros(50, 40, dtype);
      dout.data.fill(3);
      const dx = drop.backward(dout);
      for (let i = 0; i < dx.size; i++) expect(dx.data[i]).toBe(out.data[i] === 0 ? 0 : 3);
      // the next training forward draws a new mask
      const again = Array.from(drop.forward(x).data);
      expect(again).not.toEqual(Array.from(out.data));
      drop.setTraining(false);
      expect(Array.from(drop.forward(x).data).every((v) => v === (dtype === 'float32' ? Math.fround(2 * 0.7) : 2 * 0.7))).toBe(true);
      expect(Array.from(drop.backward(dout).data).every((v) => v === (dtype === 'float32' ? Math.fround(3 * 0.7) : 3 * 0.7))).toBe(true);
    });

    it('Dropout: its generator words are its state; restoring them redraws the same mask (a resumed run), and a seed fixes it', () => {
      const a = new Dropout(0.5, { seed: 9 });
      const x = randomMatrix(testRng(1), 4, 10, dtype);
      const saved = a.state[0]!.value.clone();
      const first = Array.from(a.forward(x).data);
      a.state[0]!.value.data.set(saved.data);
      expect(Array.from(a.forward(x).data)).toEqual(first);
      expect(Array.from(new Dropout(0.5, { seed: 9 }).forward(x).data)).toEqual(first);
      expect(Array.from(new Dropout(0.5, { seed: 10 }).forward(x).data)).not.toEqual(first);
      if (dtype === 'float32') return;
      // with the mask held fixed (same words before every forward), backward is the exact derivative
      const R = randomMatrix(testRng(2), 4, 10, dtype);
      a.state[0]!.value.data.set(saved.data);
      a.forward(x);
      const dx = a.backward(R).clone();
      expect(maxRelDiff(dx.data, numeric(a, x, R, x.data, () => a.state[0]!.value.data.set(saved.data)))).toBeLessThan(1e-9);
    });

    it('refuses bad shapes and dtypes, saying what was expected and what arrived', () => {
      const W = Matrix.zeros(2, 9, dtype), b = Matrix.zeros(1, 2, dtype);
      const make = (o: object) => new Convolution(W, b, { input: [1, 5, 5], kernel: [3, 3], backend, ...o });
      expect(() => make({ stride: 0 })).toThrow(/stride must be a positive integer, got 0/);
      expect(() => make({ input: [1, 2, 2] })).toThrow(/kernel height 3 is larger than the padded input height 2 \(2 \+ 2·0\)/);
      expect(() => make({ stride: 3 })).toThrow(/output height \(5 \+ 2·0 − 3\) \/ 3 \+ 1 = 1.666.* is not an integer/);
      expect(() => make({ input: [2, 5, 5] })).toThrow(/W must have channels×kernel height×kernel width = 2×3×3 = 18 columns, got 2×9/);
      expect(() => make({ pad: -1 })).toThrow(/pad must be an integer ≥ 0, got -1/);
      const conv = make({});
      expect(() => conv.forward(Matrix.zeros(2, 24, dtype))).toThrow(/x has 24 columns, expected channels×height×width = 1×5×5 = 25/);
      const other = dtype === 'float32' ? 'float64' : 'float32';
      expect(() => conv.forward(Matrix.zeros(2, 25, other))).toThrow(new RegExp(`x is ${other}, W is ${dtype}`));
      expect(() => conv.backward(Matrix.zeros(2, 18, dtype))).toThrow(/backward called before forward/);
      conv.forward(Matrix.zeros(2, 25, dtype));
      expect(() => conv.backward(Matrix.zeros(2, 17, dtype))).toThrow(/dout is 2×17, the forward output was 2×18/);
      expect(() => new Pooling({ input: [1, 4, 4], kernel: [2, 2], pad: 2, backend })).toThrow(/pad 2 must be at most half the window/);
      const pool = new Pooling({ input: [3, 4, 4], kernel: [2, 2], backend });
      expect(() => pool.forward(Matrix.zeros(1, 47, dtype))).toThrow(/x has 47 columns, expected channels×height×width = 3×4×4 = 48/);
      expect(() => new BatchNormalization(Matrix.zeros(1, 3, dtype), Matrix.zeros(1, 3, dtype), { backend }).forward(Matrix.zeros(2, 7, dtype))).toThrow(/7 columns, not a multiple of its 3 channels/);
      expect(() => new Dropout(1)).toThrow(/ratio must be a number in \[0, 1\), got 1/);
    });
  });
});

// ---- PyTorch's numbers (scripts/golden/conv.py, float64) ----

interface Golden {
  cases: {
    conv: { input: [number, number, number]; kernel: [number, number]; stride: number; pad: number; filters: number; n: number; x: number[]; W: number[]; b: number[]; dout: number[]; out: number[]; dx: number[]; dW: number[]; db: number[] };
    pool: { input: [number, number, number]; kernel: [number, number]; stride: number; pad: number; n: number; x: number[]; dout: number[]; out: number[]; dx: number[] };
    batchnorm: { channels: number; n: number; plane: number; x: number[]; gamma: number[]; beta: number[]; dout: number[]; out: number[]; dx: number[]; dgamma: number[]; dbeta: number[] };
  };
}

const golden = (JSON.parse(readFileSync(new URL('./fixtures/conv-golden.json', import.meta.url), 'utf8')) as Golden).cases;

function rowsOf(n: number, values: number[], dtype: DType): Matrix {
  return new Matrix(n, values.length / n, dtype === 'float32' ? Float32Array.from(values) : Float64Array.from(values));
}

describe.each(allBackends().map((b) => [b.name, b] as const))('PyTorch golden values, %s backend', (_name, backend) => {
  describe.each(DTYPES)('%s', (dtype) => {
    // float32 inputs are rounded copies of PyTorch's float64 ones: a relative error of a few eps32
    const tol = dtype === 'float32' ? 1e-5 : 1e-12;

    it('Convolution = torch conv2d (3 channels, 7×6, 4 filters of 3×2, stride 2, padding 1): out, dx, dW, db', () => {
      const g = golden.conv;
      const conv = new Convolution(new Matrix(g.filters, g.W.length / g.filters, rowsOf(1, g.W, dtype).data), rowsOf(1, g.b, dtype), {
        input: g.input, kernel: g.kernel, stride: g.stride, pad: g.pad, backend,
      });
      expect(maxRelDiff(conv.forward(rowsOf(g.n, g.x, dtype)).data, g.out)).toBeLessThan(tol);
      expect(maxRelDiff(conv.backward(rowsOf(g.n, g.dout, dtype)).data, g.dx)).toBeLessThan(tol);
      expect(maxRelDiff(conv.dW.data, g.dW)).toBeLessThan(tol);
      expect(maxRelDiff(conv.db.data, g.db)).toBeLessThan(tol);
    });

    it('Pooling = torch max_pool2d (2 channels, 5×8, 3×2 windows, stride 2, padding 1): out and dx', () => {
      const g = golden.pool;
      const pool = new Pooling({ input: g.input, kernel: g.kernel, stride: g.stride, pad: g.pad, backend });
      expect(maxRelDiff(pool.forward(rowsOf(g.n, g.x, dtype)).data, g.out)).toBeLessThan(tol);
      expect(maxRelDiff(pool.backward(rowsOf(g.n, g.dout, dtype)).data, g.dx)).toBeLessThan(tol);
    });

    it('BatchNormalization = torch batch_norm in training (per channel over 3×2 planes, eps 1e-6): out, dx, dγ, dβ', () => {
      const g = golden.batchnorm;
      const bn = new BatchNormalization(rowsOf(1, g.gamma, dtype), rowsOf(1, g.beta, dtype), { backend });
      expect(maxRelDiff(bn.forward(rowsOf(g.n, g.x, dtype)).data, g.out)).toBeLessThan(tol * 10);
      expect(maxRelDiff(bn.backward(rowsOf(g.n, g.dout, dtype)).data, g.dx)).toBeLessThan(tol * 10);
      expect(maxRelDiff(bn.dgamma.data, g.dgamma)).toBeLessThan(tol * 10);
      expect(maxRelDiff(bn.dbeta.data, g.dbeta)).toBeLessThan(tol * 10);
    });
  });
});

// ---- the addon's conv ops against the reference kernels, and their argument checks ----


describe('native conv ops against the reference kernels', () => {
  const native = nativeBackend();
  // random shapes: batch 1–3, 1–4 channels, non-square inputs and kernels, stride 1–3, padding 0–2,
  // each kept only when its output size is whole
  const shapes: Shape[] = [];
  const rng = testRng(99);
  const pick = (lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
  while (shapes.length < 24) {
    const s = { n: pick(1, 3), c: pick(1, 4), h: pick(1, 12), w: pick(1, 12), kh: pick(1, 5), kw: pick(1, 5), stride: pick(1, 3), pad: pick(0, 2) };
    if (s.kh <= s.h + 2 * s.pad && s.kw <= s.w + 2 * s.pad && (s.h + 2 * s.pad - s.kh) % s.stride === 0 && (s.w + 2 * s.pad - s.kw) % s.stride === 0) shapes.push(s);
  }

  it.each(DTYPES)('im2col, col2im, swapAxes, maxPool and its backward give the same bits on 24 random shapes (%s)', (dtype) => {
    for (const s of shapes) {
      const g = geom(s);
      const x = randomMatrix(rng, s.n, s.c * s.h * s.w, dtype);
      const colR = Matrix.zeros(s.c * s.kh * s.kw, s.n * g.outHeight * g.outWidth, dtype), colN = colR.clone();
      referenceBackend.im2col(x, g, colR);
      native.im2col(x, g, colN);
      expect(colN.data, JSON.stringify(s)).toEqual(colR.data);
      const dcol = randomMatrix(rng, colR.rows, colR.cols, dtype);
      const dxR = Matrix.zeros(x.rows, x.cols, dtype), dxN = dxR.clone();
      dxN.data.fill(NaN);
      referenceBackend.col2im(dcol, g, dxR);
      native.col2im(dcol, g, dxN);
      expect(dxN.data, JSON.stringify(s)).toEqual(dxR.data);
      const bias = randomMatrix(rng, 1, s.c, dtype);
      const outR = Matrix.zeros(x.rows, x.cols, dtype), outN = outR.clone();
      referenceBackend.swapAxes(x, s.n, s.c, null, outR);
      native.swapAxes(x, s.n, s.c, null, outN);
      expect(outN.data).toEqual(outR.data);
      referenceBackend.swapAxes(x, s.n, s.c, Matrix.row(Array.from(bias.data).slice(0, 1).concat(new Array(s.n - 1).fill(0.5)), dtype), outR);
      native.swapAxes(x, s.n, s.c, Matrix.row(Array.from(bias.data).slice(0, 1).concat(new Array(s.n - 1).fill(0.5)), dtype), outN);
      expect(outN.data).toEqual(outR.data);
      // pooling windows: the same geometry when its padding is at most half the window
      if (2 * s.pad <= Math.min(s.kh, s.kw)) {
        const pR = Matrix.zeros(s.n, s.c * g.outHeight * g.outWidth, dtype), pN = pR.clone();
        const aR = new Int32Array(pR.size), aN = new Int32Array(pR.size);
        referenceBackend.maxPool(x, g, pR, aR);
        native.maxPool(x, g, pN, aN);
        expect(pN.data).toEqual(pR.data);
        expect(aN).toEqual(aR);
        const d = randomMatrix(rng, pR.rows, pR.cols, dtype);
        referenceBackend.maxPoolBackward(d, aR, dxR);
        native.maxPoolBackward(d, aN, dxN);
        expect(dxN.data).toEqual(dxR.data);
      }
    }
  });

  it('the addon refuses bad arguments with what it expected and what arrived, and keeps computing', () => {
    const addon = loadAddon();
    if (!addon.ok) throw addon.error;
    const a = addon.addon;
    const x = new Float32Array(25), col = new Float32Array(9 * 9);
    expect(() => a.im2col(x, 1, 1, 5, 5, 3, 3, 0, 0, col)).toThrow(/im2col: stride must be a positive integer, got 0/);
    expect(() => a.im2col(x, 1, 1, 5, 5, 6, 3, 1, 0, col)).toThrow(/im2col: kernel height 6 is larger than the padded input height 5 \(5 \+ 2·0\)/);
    expect(() => a.im2col(x, 1, 1, 5, 5, 3, 3, 3, 0, col)).toThrow(/im2col: output height \(5 \+ 2·0 − 3\) \/ 3 \+ 1 is not an integer/);
    expect(() => a.im2col(x, 2, 1, 5, 5, 3, 3, 1, 0, col)).toThrow(/im2col: X has 25 elements, expected 2×25 = 50/);
    expect(() => a.im2col(x, 1, 1, 5, 5, 3, 3, 1, 0, new Float64Array(81))).toThrow(/mixed dtypes/);
    expect(() => a.im2col(x, 1, 1, 5, 5, 3, 3, 1, 0, x)).toThrow(RangeError);
    expect(() => a.col2im(col, 1, 1, 5, 5, 3, 3, 1, -1, x)).toThrow(/col2im: pad must be an integer in \[0, 2147483647\], got -1/);
    expect(() => (a.im2col as (...args: unknown[]) => void)(x, 1, 1, 5, 5, 3, 3, 1)).toThrow(/im2col: expected 10 arguments/);
    expect(() => a.swapAxes(x, 2, 3, null, x)).toThrow(/swapAxes: X has 25 values, not a multiple of 2×3/);
    expect(() => a.maxPool(x, 1, 1, 5, 5, 1, 1, 1, 0, x.slice(), new Float32Array(25) as unknown as Int32Array)).toThrow(/maxPool: argmax must be an Int32Array, got Float32Array/);
    expect(() => a.maxPoolBackward(new Float32Array(2), new Int32Array([0, 25]), new Float32Array(25))).toThrow(/maxPoolBackward: argmax\[1\] is 25, outside dx's 25 elements/);
    // still computing
    a.im2col(Float32Array.from({ length: 25 }, (_, i) => i), 1, 1, 5, 5, 3, 3, 1, 0, col);
    expect(Array.from(col.subarray(0, 3))).toEqual([0, 1, 2]);
  });
});
