// col2im: im2col's adjoint. Each column entry is added back onto the input value it was copied from
// (an input value under several kernel positions gets the sum), which turns the gradient of the
// columns into the gradient of the images; padding positions are dropped

import type { FloatArray, Matrix } from '../matrix.js';
import { overlaps } from './gemm.js';
import { inputSize, outputPlane, type WindowGeometry } from './window.js';

export function checkCol2im(col: Matrix, g: WindowGeometry, dx: Matrix): void {
  if (col.dtype !== dx.dtype) throw new TypeError(`col2im: col and dx must share one dtype, got ${col.dtype}, ${dx.dtype} (mixed dtypes)`);
  if (dx.cols !== inputSize(g)) {
    throw new RangeError(`col2im: dx has ${dx.cols} columns, expected channels×height×width = ${g.channels}×${g.height}×${g.width} = ${inputSize(g)}`);
  }
  const rows = g.channels * g.kernelHeight * g.kernelWidth;
  const cols = dx.rows * outputPlane(g);
  if (col.rows !== rows || col.cols !== cols) throw new RangeError(`col2im: col must be ${rows}×${cols}, got ${col.rows}×${col.cols}`);
  if (overlaps(col.data, dx.data)) throw new RangeError('col2im: dx must not share memory with col');
}

// dx is overwritten (zeroed, then accumulated in im2col's order)
export function col2imImpl(col: FloatArray, n: number, g: WindowGeometry, dx: FloatArray): void {
  const { channels, height: h, width: w, kernelHeight: kh, kernelWidth: kw, stride, pad, outHeight: oh, outWidth: ow } = g;
  dx.fill(0, 0, n * channels * h * w);
  const rowLength = n * oh * ow;
  for (let c = 0; c < channels; c++) {
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        let src = ((c * kh + i) * kw + j) * rowLength;
        for (let s = 0; s < n; s++) {
          const plane = (s * channels + c) * h * w;
          for (let oy = 0; oy < oh; oy++) {
            const y = oy * stride + i - pad;
            if (y < 0 || y >= h) {
              src += ow;
              continue;
            }
            const dst = plane + y * w;
            for (let ox = 0; ox < ow; ox++) {
              const xc = ox * stride + j - pad;
              if (xc >= 0 && xc < w) dx[dst + xc]! += col[src]!;
              src++;
            }
          }
        }
      }
    }
  }
}
