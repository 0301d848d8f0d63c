// layers own their outputs and gradients: made once, reused while the batch shape holds

import { describe } from '../describe.js';
import { Matrix, type DType } from '../matrix.js';

// how many shapes one buffer slot keeps: the training batch, the evaluation chunk, its shorter
// tail and one more; a caller cycling through more shapes than this reallocates (memory stays bounded)
const SHAPES_PER_SLOT = 4;

// every buffer a slot has held, most recent first, found from any one of them
const slotPools = new WeakMap<Matrix, Matrix[]>();

function fits(m: Matrix, rows: number, cols: number, dtype: DType): boolean {
  return m.rows === rows && m.cols === cols && m.dtype === dtype;
}

// the same buffer while rows, cols and dtype are unchanged; otherwise the slot's earlier buffer of
// that shape (so training batches and evaluation chunks alternate without allocating), or a fresh
// zeroed one. Contents of a reused buffer are whatever its last forward wrote: callers overwrite it.
export function ensure(buf: Matrix | undefined, rows: number, cols: number, dtype: DType): Matrix {
  if (buf !== undefined && fits(buf, rows, cols, dtype)) return buf;
  if (buf === undefined) return Matrix.zeros(rows, cols, dtype);
  let pool = slotPools.get(buf);
  if (pool === undefined) slotPools.set(buf, (pool = [buf]));
  // find the shape; move it to the front by shifting the ones before it down (no array made)
  let i = 0;
  while (i < pool.length && !fits(pool[i]!, rows, cols, dtype)) i++;
  let found: Matrix;
  if (i < pool.length) {
    found = pool[i]!;
  } else {
    found = Matrix.zeros(rows, cols, dtype);
    slotPools.set(found, pool);
    if (pool.length < SHAPES_PER_SLOT) pool.push(found);
    else i = pool.length - 1; // the least recently used shape drops out
  }
  for (let j = Math.min(i, pool.length - 1); j > 0; j--) pool[j] = pool[j - 1]!;
  pool[0] = found;
  return found;
}


// a layer's input must be a Matrix: anything else is a TypeError naming what arrived
export function assertMatrix(where: string, name: string, x: unknown): asserts x is Matrix {
  if (!(x instanceof Matrix)) throw new TypeError(`${where}: ${name} must be a Matrix, got ${describe(x)}`);
}

// dout must be shaped like the forward output it is the gradient of
export function checkDout(where: string, dout: unknown, rows: number, cols: number, dtype: DType | undefined): asserts dout is Matrix {
  if (dtype === undefined) throw new Error(`${where}: backward called before forward`);
  assertMatrix(where, 'dout', dout);
  if (dout.dtype !== dtype) throw new TypeError(`${where}: dout is ${dout.dtype}, the forward output was ${dtype}`);
  if (dout.rows !== rows || dout.cols !== cols) {
    throw new RangeError(`${where}: dout is ${dout.rows}×${dout.cols}, the forward output was ${rows}×${cols}`);
  }
}

// the matrix an output function writes into: the caller's (x's shape and dtype, checked), or a new one
export function outputBuffer(where: string, x: Matrix, out: Matrix | undefined): Matrix {
  if (out === undefined) return Matrix.zeros(x.rows, x.cols, x.dtype);
  assertMatrix(where, 'out', out);
  if (out.dtype !== x.dtype) throw new TypeError(`${where}: out is ${out.dtype}, x is ${x.dtype}`);
  if (!out.sameShape(x)) throw new RangeError(`${where}: out is ${out.rows}×${out.cols}, x is ${x.rows}×${x.cols}`);
  return out;
}

// a loss layer's backward(dout): dout is the number the loss is scaled by, and forward came first;
// returns what forward kept (its y and t)
export function lossBackwardInputs<T>(where: string, dout: unknown, y: Matrix | undefined, t: T | undefined): [Matrix, T] {
  if (typeof dout !== 'number') throw new TypeError(`${where}: dout must be a number, got ${describe(dout)}`);
  if (y === undefined || t === undefined) throw new Error(`${where}: backward called before forward`);
  return [y, t];
}
