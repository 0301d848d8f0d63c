// convReluPool: Convolution → Relu → max Pooling as one op, for the pattern SimpleConvNet starts with.
// out = maxPool(relu(W·im2col(x) + b)), computed a few samples at a time so the convolution's output is
// never written out whole (native/conv_relu_pool.cc says why that pays). relu and max commute exactly:
// the maximum is taken over W·col + b and relu applied to it, and where it is positive its first
// position is the unfused layers' argmax too, so the result equals the three layers' bit for bit.
// argmax holds, as Pooling's does, each maximum's index in the (never written) N × filters·OH·OW output.
// backward: the pooled gradient goes to its window's maximum where the pooled output is positive, then
// dW = dconv·colᵀ, db = the sum of what arrived, and dx = col2im(Wᵀ·dconv) when asked for

import { arrayFor, type DType, type FloatArray, type Matrix } from '../matrix.js';
import { gemmImpl, overlaps } from './gemm.js';
import { col2imImpl } from './col2im.js';
import { im2colImpl } from './im2col.js';
import { wins } from './max-pool.js';
import { inputSize, outputPlane, type WindowGeometry } from './window.js';

// the pooling must read the convolution's output, unpadded (padding never wins, so it has nothing to add
// after a relu… but it changes the window count; the fused op keeps to the common case)
export function checkConvReluPoolGeometry(fn: string, conv: WindowGeometry, pool: WindowGeometry, filters: number): void {
  if (pool.channels !== filters || pool.height !== conv.outHeight || pool.width !== conv.outWidth) {
    throw new RangeError(`${fn}: the pooling must read the convolution's ${filters}×${conv.outHeight}×${conv.outWidth} output, got ${pool.channels}×${pool.height}×${pool.width}`);
  }
  if (pool.pad !== 0) throw new RangeError(`${fn}: the pooling must be unpadded, got pad ${pool.pad}`);
}

function checkShapes(fn: string, x: Matrix, W: Matrix, conv: WindowGeometry, pool: WindowGeometry, filters: number): void {
  if (W.dtype !== x.dtype) throw new TypeError(`${fn}: X and W must share one dtype, got ${x.dtype}, ${W.dtype} (mixed dtypes)`);
  if (x.cols !== inputSize(conv)) {
    throw new RangeError(`${fn}: X has ${x.cols} columns, expected channels×height×width = ${conv.channels}×${conv.height}×${conv.width} = ${inputSize(conv)}`);
  }
  const k = conv.channels * conv.kernelHeight * conv.kernelWidth;
  if (W.rows !== filters || W.cols !== k) throw new RangeError(`${fn}: W must be ${filters}×${k}, got ${W.rows}×${W.cols}`);
  checkConvReluPoolGeometry(fn, conv, pool, filters);
}

function checkPooled(fn: string, name: string, m: Matrix, x: Matrix, pool: WindowGeometry): void {
  const cols = pool.channels * outputPlane(pool);
  if (m.dtype !== x.dtype) throw new TypeError(`${fn}: ${name} must be ${x.dtype} like X, got ${m.dtype} (mixed dtypes)`);
  if (m.rows !== x.rows || m.cols !== cols) throw new RangeError(`${fn}: ${name} must be ${x.rows}×${cols}, got ${m.rows}×${m.cols}`);
}

function checkArgmax(fn: string, argmax: Int32Array, size: number): void {
  if (!(argmax instanceof Int32Array) || argmax.length !== size) throw new RangeError(`${fn}: argmax must be an Int32Array of ${size} entries (one per output)`);
}

export function checkConvReluPool(x: Matrix, W: Matrix, b: Matrix, conv: WindowGeometry, pool: WindowGeometry, out: Matrix, argmax: Int32Array): void {
  const fn = 'convReluPool';
  checkShapes(fn, x, W, conv, pool, b.size);
  if (b.dtype !== x.dtype) throw new TypeError(`${fn}: b must be ${x.dtype} like X, got ${b.dtype} (mixed dtypes)`);
  checkPooled(fn, 'out', out, x, pool);
  checkArgmax(fn, argmax, out.size);
  for (const [name, m] of [['X', x], ['W', W], ['b', b]] as const) {
    if (overlaps(out.data, m.data)) throw new RangeError(`${fn}: out must not share memory with ${name}`);
  }
}

export function checkConvReluPoolBackward(
  x: Matrix, W: Matrix, y: Matrix, dout: Matrix, argmax: Int32Array, conv: WindowGeometry, pool: WindowGeometry, dW: Matrix, db: Matrix, dx: Matrix | null,
): void {
  const fn = 'convReluPoolBackward';
  checkShapes(fn, x, W, conv, pool, db.size);
  checkPooled(fn, 'Y', y, x, pool);
  checkPooled(fn, 'dout', dout, x, pool);
  checkArgmax(fn, argmax, y.size);
  if (dW.dtype !== x.dtype || db.dtype !== x.dtype) throw new TypeError(`${fn}: dW and db must be ${x.dtype} like X (mixed dtypes)`);
  if (!dW.sameShape(W)) throw new RangeError(`${fn}: dW must be ${W.rows}×${W.cols} like W, got ${dW.rows}×${dW.cols}`);
  if (dx !== null && (dx.dtype !== x.dtype || !dx.sameShape(x))) throw new RangeError(`${fn}: dx must be ${x.rows}×${x.cols} ${x.dtype} like X`);
  // every index must lie in the plane of its own sample and filter: checked before anything is written
  const plane = outputPlane(conv);
  const pooled = outputPlane(pool);
  for (let o = 0; o < argmax.length; o++) {
    const owner = Math.floor(o / pooled);
    if (!(argmax[o]! >= owner * plane && argmax[o]! < (owner + 1) * plane)) {
      throw new RangeError(`${fn}: argmax[${o}] is ${argmax[o]}, not a position in its window`);
    }
  }
  const outs: [string, Matrix][] = [['dW', dW], ['db', db]];
  if (dx !== null) outs.push(['dx', dx]);
  for (const [name, o] of outs) {
    for (const [inName, m] of [['X', x], ['W', W], ['Y', y], ['dout', dout]] as const) {
      if (overlaps(o.data, m.data)) throw new RangeError(`${fn}: ${name} must not share memory with ${inName}`);
    }
  }
}

// the sizes both directions work with, and per-sample scratch of x's dtype
function sizes(x: FloatArray, conv: WindowGeometry, pool: WindowGeometry) {
  const dtype: DType = x instanceof Float32Array ? 'float32' : 'float64';
  const k = conv.channels * conv.kernelHeight * conv.kernelWidth;
  const plane = outputPlane(conv);
  return { k, plane, pooled: outputPlane(pool), inSize: inputSize(conv), scratch: (length: number) => arrayFor(dtype, length) };
}

// one sample at a time: its columns, its products W·col (+ b, rounded in the dtype as the unfused
// layers round them), then each window's maximum and relu
export function convReluPoolImpl(
  x: FloatArray, n: number, W: FloatArray, b: FloatArray, conv: WindowGeometry, pool: WindowGeometry, out: FloatArray, argmax: Int32Array,
): void {
  const filters = b.length;
  const { k, plane, pooled, inSize, scratch } = sizes(x, conv, pool);
  const col = scratch(k * plane);
  const y = scratch(filters * plane);
  for (let s = 0; s < n; s++) {
    im2colImpl(x.subarray(s * inSize, (s + 1) * inSize), 1, conv, col);
    gemmImpl(false, false, filters, plane, k, 1, W, col, 0, y);
    for (let f = 0; f < filters; f++) {
      const add = b[f]!;
      for (let i = f * plane; i < (f + 1) * plane; i++) y[i] = y[i]! + add;
    }
    for (let f = 0; f < filters; f++) {
      const base = f * plane;
      let o = (s * filters + f) * pooled;
      for (let oy = 0; oy < pool.outHeight; oy++) {
        for (let ox = 0; ox < pool.outWidth; ox++, o++) {
          const k0 = base + oy * pool.stride * pool.width + ox * pool.stride;
          let best = k0;
          let max = y[k0]!;
          for (let wy = 0; wy < pool.kernelHeight; wy++) {
            for (let wx = 0; wx < pool.kernelWidth; wx++) {
              const i = k0 + wy * pool.width + wx;
              // the first maximum wins ties, a NaN wins and stays (maxPoolImpl's rule)
              if (wins(y[i]!, max)) {
                max = y[i]!;
                best = i;
              }
            }
          }
          out[o] = max <= 0 ? 0 : max;
          argmax[o] = s * filters * plane + best;
        }
      }
    }
  }
}

// dW and db are overwritten with sums over the batch; dx (when not null) with the input's gradient
export function convReluPoolBackwardImpl(
  x: FloatArray, n: number, W: FloatArray, y: FloatArray, dout: FloatArray, argmax: Int32Array, conv: WindowGeometry, pool: WindowGeometry,
  dW: FloatArray, db: FloatArray, dx: FloatArray | null,
): void {
  const filters = db.length;
  const { k, plane, pooled, inSize, scratch } = sizes(x, conv, pool);
  const col = scratch(k * plane);
  const dconv = scratch(filters * plane);
  const dcol = scratch(k * plane);
  dW.fill(0);
  db.fill(0);
  for (let s = 0; s < n; s++) {
    dconv.fill(0);
    for (let o = s * filters * pooled; o < (s + 1) * filters * pooled; o++) {
      // relu's mask on the pooled output, then the gradient to its window's maximum
      if (y[o]! <= 0) continue;
      const at = argmax[o]! - s * filters * plane;
      dconv[at] = dconv[at]! + dout[o]!;
      db[Math.floor((o - s * filters * pooled) / pooled)] += dout[o]!;
    }
    const xs = x.subarray(s * inSize, (s + 1) * inSize);
    im2colImpl(xs, 1, conv, col);
    // dW += dconv·colᵀ
    gemmImpl(false, true, filters, k, plane, 1, dconv, col, 1, dW);
    if (dx === null) continue;
    gemmImpl(true, false, k, plane, filters, 1, W, dconv, 0, dcol);
    col2imImpl(dcol, 1, conv, dx.subarray(s * inSize, (s + 1) * inSize));
  }
}
