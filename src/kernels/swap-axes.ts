// swapAxes: x seen as [d0, d1, inner] → out as [d1, d0, inner], plus bias[i] on every value of x's
// block i when a bias is given. The convolution's product lands as [filters, N, OH·OW]; this turns it
// into NCHW rows and adds the bias in the same pass (and turns dout back for the backward products)

import type { FloatArray, Matrix } from '../matrix.js';
import { overlaps } from './gemm.js';

export function checkSwapAxes(x: Matrix, d0: number, d1: number, bias: Matrix | null, out: Matrix): void {
  if (x.dtype !== out.dtype || (bias !== null && bias.dtype !== x.dtype)) {
    throw new TypeError(`swapAxes: X, bias and out must share one dtype, got ${x.dtype}, ${bias?.dtype ?? '-'}, ${out.dtype} (mixed dtypes)`);
  }
  for (const [name, d] of [['d0', d0], ['d1', d1]] as const) {
    if (!Number.isInteger(d) || d < 1) throw new RangeError(`swapAxes: ${name} must be a positive integer, got ${d}`);
  }
  if (x.size % (d0 * d1) !== 0) throw new RangeError(`swapAxes: X has ${x.size} values, not a multiple of ${d0}×${d1}`);
  if (out.size !== x.size) throw new RangeError(`swapAxes: out must hold ${x.size} values like X, got ${out.rows}×${out.cols}`);
  if (bias !== null && bias.size !== d0) throw new RangeError(`swapAxes: bias must hold ${d0} values (one per block of X), got ${bias.rows}×${bias.cols}`);
  if (overlaps(out.data, x.data)) throw new RangeError('swapAxes: out must not share memory with X');
}

export function swapAxesImpl(x: FloatArray, d0: number, d1: number, bias: FloatArray | null, out: FloatArray): void {
  const inner = x.length / (d0 * d1);
  for (let i = 0; i < d0; i++) {
    const add = bias === null ? 0 : bias[i]!;
    for (let j = 0; j < d1; j++) {
      const src = (i * d1 + j) * inner;
      const dst = (j * d0 + i) * inner;
      for (let k = 0; k < inner; k++) out[dst + k] = x[src + k]! + add;
    }
  }
}
