// im2col: every kernel-sized patch of a batch of NCHW images as one column, so a convolution is one
// matrix product. col is (C·KH·KW) × (N·OH·OW): row (c, i, j) holds, for every sample and output
// position, the input value the kernel's entry (c, i, j) lands on (0 in the padding). This
// channels-first orientation makes the forward product W·col land as [filters, N·OH·OW], and lets
// each row be written in long runs (a contiguous copy for stride 1)

import type { FloatArray, Matrix } from '../matrix.js';
import { overlaps } from './gemm.js';
import { inputSize, outputPlane, type WindowGeometry } from './window.js';

export function checkIm2col(x: Matrix, g: WindowGeometry, col: Matrix): void {
  if (x.dtype !== col.dtype) throw new TypeError(`im2col: X and col must share one dtype, got ${x.dtype}, ${col.dtype} (mixed dtypes)`);
  if (x.cols !== inputSize(g)) {
    throw new RangeError(`im2col: X has ${x.cols} columns, expected channels×height×width = ${g.channels}×${g.height}×${g.width} = ${inputSize(g)}`);
  }
  const rows = g.channels * g.kernelHeight * g.kernelWidth;
  const cols = x.rows * outputPlane(g);
  if (col.rows !== rows || col.cols !== cols) throw new RangeError(`im2col: col must be ${rows}×${cols}, got ${col.rows}×${col.cols}`);
  if (overlaps(col.data, x.data)) throw new RangeError('im2col: col must not share memory with X');
}

export function im2colImpl(x: FloatArray, n: number, g: WindowGeometry, col: FloatArray): void {
  const { channels, height: h, width: w, kernelHeight: kh, kernelWidth: kw, stride, pad, outHeight: oh, outWidth: ow } = g;
  const rowLength = n * oh * ow;
  for (let c = 0; c < channels; c++) {
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        let dst = ((c * kh + i) * kw + j) * rowLength;
        for (let s = 0; s < n; s++) {
          const plane = (s * channels + c) * h * w;
          for (let oy = 0; oy < oh; oy++) {
            const y = oy * stride + i - pad;
            if (y < 0 || y >= h) {
              col.fill(0, dst, dst + ow);
              dst += ow;
              continue;
            }
            const src = plane + y * w;
            for (let ox = 0; ox < ow; ox++) {
              const xc = ox * stride + j - pad;
              col[dst++] = xc < 0 || xc >= w ? 0 : x[src + xc]!;
            }
          }
        }
      }
    }
  }
}
