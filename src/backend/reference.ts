// the reference backend: plain TypeScript loops, obviously correct rather than fast

import { addBiasImpl, checkAddBias } from '../kernels/add-bias.js';
import { axpyImpl, checkAxpy } from '../kernels/axpy.js';
import { checkMomentumStep, momentumStepImpl } from '../kernels/momentum-step.js';
import { checkSgdStep, sgdStepImpl } from '../kernels/sgd-step.js';
import { adaptiveStepImpl, checkAdaptiveStep } from '../kernels/adaptive-step.js';
import { adamStepImpl, checkAdamStep } from '../kernels/adam-step.js';
import { checkSoftmax, softmaxImpl } from '../kernels/softmax.js';
import { checkRelu, checkReluBackward, reluBackwardImpl, reluImpl } from '../kernels/relu.js';
import { checkGatherRows, gatherRowsImpl } from '../kernels/gather-rows.js';
import { checkColSum, colSumImpl } from '../kernels/col-sum.js';
import { gemmImpl, gemmShape } from '../kernels/gemm.js';
import { checkIm2col, im2colImpl } from '../kernels/im2col.js';
import { checkCol2im, col2imImpl } from '../kernels/col2im.js';
import { checkSwapAxes, swapAxesImpl } from '../kernels/swap-axes.js';
import { checkMaxPool, checkMaxPoolBackward, maxPoolBackwardImpl, maxPoolImpl } from '../kernels/max-pool.js';
import { checkConvReluPool, checkConvReluPoolBackward, convReluPoolBackwardImpl, convReluPoolImpl } from '../kernels/conv-relu-pool.js';
import type { Backend } from './types.js';
import { allocateBytes } from '../native/memory.js';

export const referenceBackend: Backend = {
  name: 'reference',
  gemm(a, b, c, { transA = false, transB = false, alpha = 1, beta = 0 } = {}) {
    const { m, n, k } = gemmShape(a, b, c, transA, transB);
    gemmImpl(transA, transB, m, n, k, alpha, a.data, b.data, beta, c.data);
  },
  addBias(x, b, out) {
    checkAddBias(x, b, out);
    addBiasImpl(x.data, x.rows, x.cols, b.data, out.data);
  },
  colSum(x, out) {
    checkColSum(x, out);
    colSumImpl(x.data, x.rows, x.cols, out.data);
  },
  axpy(alpha, x, y) {
    checkAxpy(x, y);
    axpyImpl(alpha, x, y);
  },
  sgdStep(p, g, lr, wd) {
    checkSgdStep(p, g, lr, wd);
    sgdStepImpl(p, g, lr, wd);
  },
  momentumStep(p, g, v, lr, mu, wd, nesterov) {
    checkMomentumStep(p, g, v, lr, mu, wd);
    if (typeof nesterov !== 'boolean') throw new TypeError(`momentumStep: nesterov must be a boolean, got ${typeof nesterov}`);
    momentumStepImpl(p, g, v, lr, mu, wd, nesterov);
  },
  adaptiveStep(p, g, h, lr, a, b, eps, wd) {
    checkAdaptiveStep(p, g, h, lr, a, b, eps, wd);
    adaptiveStepImpl(p, g, h, lr, a, b, eps, wd);
  },
  adamStep(p, g, m, v, stepSize, beta1, beta2, bc2Sqrt, eps, wd) {
    checkAdamStep(p, g, m, v, stepSize, beta1, beta2, bc2Sqrt, eps, wd);
    adamStepImpl(p, g, m, v, stepSize, beta1, beta2, bc2Sqrt, eps, wd);
  },
  softmax(x, y) {
    checkSoftmax(x, y);
    softmaxImpl(x.data, x.rows, x.cols, y.data);
  },
  relu(x, out) {
    checkRelu(x, out);
    reluImpl(x, out);
  },
  reluBackward(y, dout, dx) {
    checkReluBackward(y, dout, dx);
    reluBackwardImpl(y, dout, dx);
  },
  gatherRows(src, indices, divisor, out) {
    checkGatherRows(src, indices, divisor, out);
    gatherRowsImpl(src, out.cols, indices, divisor, out.data);
  },
  im2col(x, g, col) {
    checkIm2col(x, g, col);
    im2colImpl(x.data, x.rows, g, col.data);
  },
  col2im(col, g, dx) {
    checkCol2im(col, g, dx);
    col2imImpl(col.data, dx.rows, g, dx.data);
  },
  swapAxes(x, d0, d1, bias, out) {
    checkSwapAxes(x, d0, d1, bias, out);
    swapAxesImpl(x.data, d0, d1, bias === null ? null : bias.data, out.data);
  },
  maxPool(x, g, out, argmax) {
    checkMaxPool(x, g, out, argmax);
    maxPoolImpl(x.data, x.rows, g, out.data, argmax);
  },
  maxPoolBackward(dout, argmax, dx) {
    checkMaxPoolBackward(dout, argmax, dx);
    maxPoolBackwardImpl(dout.data, argmax, dx.data);
  },
  convReluPool(x, W, b, conv, pool, out, argmax) {
    checkConvReluPool(x, W, b, conv, pool, out, argmax);
    convReluPoolImpl(x.data, x.rows, W.data, b.data, conv, pool, out.data, argmax);
  },
  convReluPoolBackward(x, W, y, dout, argmax, conv, pool, dW, db, dx) {
    checkConvReluPoolBackward(x, W, y, dout, argmax, conv, pool, dW, db, dx);
    convReluPoolBackwardImpl(x.data, x.rows, W.data, y.data, dout.data, argmax, conv, pool, dW.data, db.data, dx === null ? null : dx.data);
  },
  allocateBytes: (length, shared) => allocateBytes(length, undefined, shared),
};
