// maxPool: the largest value of each window of each channel, and where it was (its index in X), so
// the backward can route each gradient to its window's maximum. Padding never wins (PyTorch's
// MaxPool2d: padded positions count as −∞); the first maximum wins ties (numpy's argmax)

import type { FloatArray, Matrix } from '../matrix.js';
import { overlaps } from './gemm.js';
import { inputSize, outputPlane, type WindowGeometry } from './window.js';

export function checkMaxPool(x: Matrix, g: WindowGeometry, out: Matrix, argmax: Int32Array): void {
  if (x.dtype !== out.dtype) throw new TypeError(`maxPool: X and out must share one dtype, got ${x.dtype}, ${out.dtype} (mixed dtypes)`);
  if (x.cols !== inputSize(g)) {
    throw new RangeError(`maxPool: X has ${x.cols} columns, expected channels×height×width = ${g.channels}×${g.height}×${g.width} = ${inputSize(g)}`);
  }
  const cols = g.channels * outputPlane(g);
  if (out.rows !== x.rows || out.cols !== cols) throw new RangeError(`maxPool: out must be ${x.rows}×${cols}, got ${out.rows}×${out.cols}`);
  if (!(argmax instanceof Int32Array) || argmax.length !== out.size) {
    throw new RangeError(`maxPool: argmax must be an Int32Array of ${out.size} entries (one per output)`);
  }
  if (overlaps(out.data, x.data)) throw new RangeError('maxPool: out must not share memory with X');
}

// v replaces the running max when larger, or when it is NaN and the max is not (a NaN wins and stays,
// as in PyTorch: a NaN input must not vanish in a max); the fused conv op uses the same rule
export function wins(v: number, max: number): boolean {
  return v > max || (v !== v && max === max);
}

export function maxPoolImpl(x: FloatArray, n: number, g: WindowGeometry, out: FloatArray, argmax: Int32Array): void {
  const { channels, height: h, width: w, kernelHeight: kh, kernelWidth: kw, stride, pad, outHeight: oh, outWidth: ow } = g;
  let o = 0;
  for (let plane = 0; plane < n * channels; plane++) {
    const base = plane * h * w;
    for (let oy = 0; oy < oh; oy++) {
      const y0 = Math.max(0, oy * stride - pad);
      const y1 = Math.min(h, oy * stride - pad + kh);
      for (let ox = 0; ox < ow; ox++) {
        const x0 = Math.max(0, ox * stride - pad);
        const x1 = Math.min(w, ox * stride - pad + kw);
        let best = base + y0 * w + x0;
        let max = x[best]!;
        for (let y = y0; y < y1; y++) {
          for (let xc = x0; xc < x1; xc++) {
            const k = base + y * w + xc;
            if (wins(x[k]!, max)) {
              max = x[k]!;
              best = k;
            }
          }
        }
        out[o] = max;
        argmax[o++] = best;
      }
    }
  }
}

export function checkMaxPoolBackward(dout: Matrix, argmax: Int32Array, dx: Matrix): void {
  if (dout.dtype !== dx.dtype) throw new TypeError(`maxPoolBackward: dout and dx must share one dtype, got ${dout.dtype}, ${dx.dtype} (mixed dtypes)`);
  if (!(argmax instanceof Int32Array) || argmax.length !== dout.size) {
    throw new RangeError(`maxPoolBackward: argmax must be an Int32Array of ${dout.size} entries (one per dout value)`);
  }
  if (dx.rows !== dout.rows) throw new RangeError(`maxPoolBackward: dx has ${dx.rows} rows, dout ${dout.rows}`);
  if (overlaps(dout.data, dx.data)) throw new RangeError('maxPoolBackward: dx must not share memory with dout');
}

// dx is overwritten: zero, then each dout value added at its window's maximum (windows may overlap)
export function maxPoolBackwardImpl(dout: FloatArray, argmax: Int32Array, dx: FloatArray): void {
  dx.fill(0);
  for (let o = 0; o < dout.length; o++) dx[argmax[o]!]! += dout[o]!;
}
