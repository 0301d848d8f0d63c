// gemm: c = alpha·op(a)·op(b) + beta·c, the plain-loop maths and the shape rules both backends share

import type { FloatArray, Matrix } from '../matrix.js';

export interface GemmShape {
  m: number;
  n: number;
  k: number;
}

function describe(name: string, trans: boolean, x: Matrix): string {
  return trans ? `${name}ᵀ is ${x.cols}×${x.rows}` : `${name} is ${x.rows}×${x.cols}`;
}

// the same checks, in the same words, as the addon's gemm
export function gemmShape(a: Matrix, b: Matrix, c: Matrix, transA: boolean, transB: boolean): GemmShape {
  if (a.dtype !== b.dtype || a.dtype !== c.dtype) {
    throw new TypeError(`gemm: A, B and C must share one dtype, got ${a.dtype}, ${b.dtype}, ${c.dtype} (mixed dtypes)`);
  }
  const m = transA ? a.cols : a.rows;
  const k = transA ? a.rows : a.cols;
  const kb = transB ? b.cols : b.rows;
  const n = transB ? b.rows : b.cols;
  if (k !== kb) {
    throw new RangeError(`gemm: inner dimensions must match (${describe('A', transA, a)}, ${describe('B', transB, b)})`);
  }
  if (c.rows !== m || c.cols !== n) {
    throw new RangeError(`gemm: C must be ${m}×${n} for this product, got ${c.rows}×${c.cols}`);
  }
  if (c.data.buffer === a.data.buffer || c.data.buffer === b.data.buffer) {
    if (overlaps(c.data, a.data)) throw new RangeError('gemm: C must not share memory with A');
    if (overlaps(c.data, b.data)) throw new RangeError('gemm: C must not share memory with B');
  }
  return { m, n, k };
}

// whether two views share a byte. It compares ArrayBuffer objects, so it cannot see two distinct
// SharedArrayBuffer objects over the same memory (structuredClone of one gives that); the addon compares
// addresses and does. Missing it here costs wrong numbers, not memory safety: this is plain JavaScript
export function overlaps(x: ArrayBufferView, y: ArrayBufferView): boolean {
  if (x.buffer !== y.buffer || x.byteLength === 0 || y.byteLength === 0) return false;
  return x.byteOffset < y.byteOffset + y.byteLength && y.byteOffset < x.byteOffset + x.byteLength;
}

// an output that overlaps an input without being exactly it (exactly it is an in-place op, which
// element-wise ops allow); the addon draws the same line by address
export function overlapsPartly(out: ArrayBufferView, x: ArrayBufferView): boolean {
  const same = out.buffer === x.buffer && out.byteOffset === x.byteOffset && out.byteLength === x.byteLength;
  return !same && overlaps(out, x);
}

// one output row at a time, accumulated in float64 whatever the dtype: slow, but obviously right
export function gemmImpl(
  transA: boolean, transB: boolean, m: number, n: number, k: number,
  alpha: number, a: FloatArray, b: FloatArray, beta: number, c: FloatArray,
): void {
  const lda = transA ? m : k;
  const ldb = transB ? k : n;
  const acc = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    acc.fill(0);
    for (let p = 0; p < k; p++) {
      const aip = transA ? a[p * lda + i]! : a[i * lda + p]!;
      if (aip === 0) continue;
      for (let j = 0; j < n; j++) acc[j]! += aip * (transB ? b[j * ldb + p]! : b[p * ldb + j]!);
    }
    // beta = 0 overwrites c, as BLAS does: whatever c held (even NaN) is ignored
    for (let j = 0; j < n; j++) {
      const prev = beta === 0 ? 0 : beta * c[i * n + j]!;
      c[i * n + j] = alpha * acc[j]! + prev;
    }
  }
}
