// the checks every fused optimizer update makes before it writes, worded as the addon words them:
// one dtype, one length, no array sharing memory with another (each is read and written per element)

import type { FloatArray } from '../matrix.js';
import { overlaps } from './gemm.js';

const dtypeOf = (x: FloatArray): string => (x instanceof Float32Array ? 'Float32Array' : 'Float64Array');

function checkLike(op: string, first: FloatArray, name: string, other: FloatArray, otherName: string): void {
  if (other.constructor !== first.constructor) throw new TypeError(`${op}: ${otherName} must be a ${dtypeOf(first)} like ${name}, got ${dtypeOf(other)} (mixed dtypes)`);
  if (other.length !== first.length) throw new RangeError(`${op}: ${otherName} has ${other.length} elements, expected ${first.length} like ${name}`);
}

function checkApart(op: string, out: FloatArray, outName: string, other: FloatArray, otherName: string): void {
  if (overlaps(out, other)) throw new RangeError(`${op}: ${outName} must not share memory with ${otherName}`);
}

// p, g and none, one or two state arrays (s1 and s2 may be undefined), in the op's argument order
export function checkUpdateArrays(op: string, p: FloatArray, g: FloatArray, s1?: FloatArray, s1Name = '', s2?: FloatArray, s2Name = ''): void {
  checkLike(op, p, 'p', g, 'g');
  if (s1 !== undefined) checkLike(op, p, 'p', s1, s1Name);
  if (s2 !== undefined) checkLike(op, p, 'p', s2, s2Name);
  checkApart(op, p, 'p', g, 'g');
  if (s1 === undefined) return;
  checkApart(op, s1, s1Name, p, 'p');
  checkApart(op, s1, s1Name, g, 'g');
  if (s2 !== undefined) {
    checkApart(op, s2, s2Name, p, 'p');
    checkApart(op, s2, s2Name, g, 'g');
    checkApart(op, s2, s2Name, s1, s1Name);
  }
}

// a hyperparameter must be a finite number (the optimizers check ranges at construction)
export function checkUpdateNumber(op: string, name: string, x: number): void {
  if (typeof x !== 'number') throw new TypeError(`${op}: ${name} must be a number, got ${typeof x}`);
  if (!Number.isFinite(x)) throw new RangeError(`${op}: ${name} must be finite, got ${x}`);
}
