// the native backend: every op of the Backend interface (types.ts), run by the addon, which validates
// every argument itself (types, dtypes, lengths, overlaps); here only what the addon cannot see (shapes)

import type { NativeAddon } from '../native/addon.js';
import { checkCol2im } from '../kernels/col2im.js';
import { checkIm2col } from '../kernels/im2col.js';
import { checkMaxPool } from '../kernels/max-pool.js';
import { checkConvReluPoolGeometry } from '../kernels/conv-relu-pool.js';
import { allocateBytes } from '../native/memory.js';
import type { Backend } from './types.js';

export function createNativeBackend(addon: NativeAddon): Backend {
  return {
    name: 'native',
    gemm(a, b, c, { transA = false, transB = false, alpha = 1, beta = 0 } = {}) {
      // the addon sees only C's length; its shape is checked here
      const m = transA ? a.cols : a.rows;
      const n = transB ? b.rows : b.cols;
      if (c.rows !== m || c.cols !== n) {
        throw new RangeError(`gemm: C must be ${m}×${n} for this product, got ${c.rows}×${c.cols}`);
      }
      addon.gemm(a.data, a.rows, a.cols, transA, b.data, b.rows, b.cols, transB, c.data, alpha, beta);
    },
    addBias(x, b, out) {
      // b is 1×cols, so its length alone says whether it fits x
      if (b.rows !== 1) throw new RangeError(`addBias: b must be 1×${x.cols}, got ${b.rows}×${b.cols}`);
      if (out.rows !== x.rows) throw new RangeError(`addBias: out must be ${x.rows}×${x.cols} like X, got ${out.rows}×${out.cols}`);
      addon.addBias(x.data, x.rows, x.cols, b.data, out.data);
    },
    colSum(x, out) {
      if (out.rows !== 1) throw new RangeError(`colSum: out must be 1×${x.cols}, got ${out.rows}×${out.cols}`);
      addon.colSum(x.data, x.rows, x.cols, out.data);
    },
    axpy: (alpha, x, y) => addon.axpy(alpha, x, y),
    sgdStep: (p, g, lr, wd) => addon.sgdStep(p, g, lr, wd),
    momentumStep: (p, g, v, lr, mu, wd, nesterov) => addon.momentumStep(p, g, v, lr, mu, wd, nesterov),
    adaptiveStep: (p, g, h, lr, a, b, eps, wd) => addon.adaptiveStep(p, g, h, lr, a, b, eps, wd),
    adamStep: (p, g, m, v, stepSize, beta1, beta2, bc2Sqrt, eps, wd) => addon.adamStep(p, g, m, v, stepSize, beta1, beta2, bc2Sqrt, eps, wd),
    softmax(x, y) {
      if (!y.sameShape(x)) throw new RangeError(`softmax: Y must be ${x.rows}×${x.cols} like X, got ${y.rows}×${y.cols}`);
      addon.softmax(x.data, x.rows, x.cols, y.data);
    },
    relu: (x, out) => addon.relu(x, out),
    reluBackward: (y, dout, dx) => addon.reluBackward(y, dout, dx),
    gatherRows(src, indices, divisor, out) {
      addon.gatherRows(src, out.cols, indices, divisor, out.data);
    },
    // the addon checks lengths against the geometry; the matrices' shapes are checked here
    im2col(x, g, col) {
      checkIm2col(x, g, col);
      addon.im2col(x.data, x.rows, g.channels, g.height, g.width, g.kernelHeight, g.kernelWidth, g.stride, g.pad, col.data);
    },
    col2im(col, g, dx) {
      checkCol2im(col, g, dx);
      addon.col2im(col.data, dx.rows, g.channels, g.height, g.width, g.kernelHeight, g.kernelWidth, g.stride, g.pad, dx.data);
    },
    swapAxes(x, d0, d1, bias, out) {
      addon.swapAxes(x.data, d0, d1, bias === null ? null : bias.data, out.data);
    },
    maxPool(x, g, out, argmax) {
      checkMaxPool(x, g, out, argmax);
      addon.maxPool(x.data, x.rows, g.channels, g.height, g.width, g.kernelHeight, g.kernelWidth, g.stride, g.pad, out.data, argmax);
    },
    maxPoolBackward: (dout, argmax, dx) => addon.maxPoolBackward(dout.data, argmax, dx.data),
    // the addon checks every length against the two windows; what it cannot see is checked here
    convReluPool(x, W, b, conv, pool, out, argmax) {
      checkConvReluPoolGeometry('convReluPool', conv, pool, b.size);
      addon.convReluPool(x.data, x.rows, conv.channels, conv.height, conv.width, conv.kernelHeight, conv.kernelWidth, conv.stride, conv.pad,
        pool.kernelHeight, pool.kernelWidth, pool.stride, W.data, b.data, out.data, argmax);
    },
    convReluPoolBackward(x, W, y, dout, argmax, conv, pool, dW, db, dx) {
      checkConvReluPoolGeometry('convReluPoolBackward', conv, pool, db.size);
      addon.convReluPoolBackward(x.data, x.rows, conv.channels, conv.height, conv.width, conv.kernelHeight, conv.kernelWidth, conv.stride, conv.pad,
        pool.kernelHeight, pool.kernelWidth, pool.stride, W.data, y.data, dout.data, argmax, dW.data, db.data, dx === null ? null : dx.data);
    },
    allocateBytes: (length, shared) => allocateBytes(length, addon.hugePageAdvise, shared),
  };
}
