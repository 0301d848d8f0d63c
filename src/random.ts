// a seeded random source: xoshiro128** (Blackman & Vigna, "Scrambled linear pseudorandom
// number generators", ACM TOMS 2021; reference code https://prng.di.unimi.it/xoshiro128starstar.c,
// version 1.1, whose output scrambles s[1]).
//
// why this generator: its state is four uint32 words and every step is a handful of 32-bit
// xors, shifts and Math.imul calls, which JavaScript does exactly and fast (no BigInt, no
// floats); it passes BigCrush; and integer arithmetic makes the stream reproducible bit for bit
// on every platform and engine, so a seed (or a saved state) names one exact training run.
//
// seeding: the number seed (an integer below 2^53) is the start of a SplitMix64 stream, done in
// 32-bit halves (the author's recommended way to fill xoshiro state); its first two 64-bit
// outputs give the four words, low half first. SplitMix64's output map is a bijection, so two
// consecutive outputs are never both zero and the state is never the forbidden all-zero one.
//
// normal() uses the Marsaglia polar method, which needs only Math.log and Math.sqrt (sqrt is
// exactly rounded by IEEE 754; log is V8's fdlibm port), and caches the second value it makes:
// that cached spare is part of the state.

import { randomInt } from 'node:crypto';
import { describe } from './describe.js';

// the one source of a fresh seed when the caller gave none (such a run is not reproducible, by
// request; the seed is recorded so it can be repeated). below 2^47: exact in JSON and as a number
export function randomSeed(): number {
  return randomInt(0, 2 ** 47);
}

export interface RandomState {
  algorithm: 'xoshiro128**';
  // the four uint32 state words
  s: [number, number, number, number];
  // the cached second value of the polar method, or null when none is waiting
  spare: number | null;
}

// anything indexable and writable: plain arrays and every typed array
export interface MutableArrayLike<T> {
  readonly length: number;
  [index: number]: T;
}

const TWO_32 = 4294967296;
const TWO_53 = 9007199254740992;

// 32-bit rotate left, on int32 values
function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

// high 32 bits of the 64-bit product of two uint32s, from 16-bit pieces so every partial product is exact
function mulHi32(a: number, b: number): number {
  const a0 = a & 0xffff, a1 = a >>> 16;
  const b0 = b & 0xffff, b1 = b >>> 16;
  const p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  // carry out of the middle 16-bit column
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  return (p11 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16)) >>> 0;
}

// SplitMix64 on a 64-bit state held as [hi, lo] uint32 halves; returns the next output as [hi, lo]
function splitMix64Next(x: [number, number]): [number, number] {
  // x += 0x9E3779B97F4A7C15, carrying from the low half into the high half
  const lo = (x[1] + 0x7f4a7c15) >>> 0;
  const hi = (x[0] + 0x9e3779b9 + (lo < x[1] ? 1 : 0)) >>> 0;
  x[0] = hi;
  x[1] = lo;
  let z: [number, number] = [hi, lo];
  z = mul64(xorShiftRight64(z, 30), [0xbf58476d, 0x1ce4e5b9]);
  z = mul64(xorShiftRight64(z, 27), [0x94d049bb, 0x133111eb]);
  return xorShiftRight64(z, 31);
}

// z ^ (z >>> k) on 64 bits, for 0 < k < 32
function xorShiftRight64(z: [number, number], k: number): [number, number] {
  const [hi, lo] = z;
  return [(hi ^ (hi >>> k)) >>> 0, (lo ^ ((lo >>> k) | (hi << (32 - k)))) >>> 0];
}

// a·b mod 2^64: the hi·hi term falls off the top, the cross terms only reach the high half
function mul64(a: [number, number], b: [number, number]): [number, number] {
  const [ah, al] = a;
  const [bh, bl] = b;
  const lo = Math.imul(al, bl) >>> 0;
  const hi = (mulHi32(al, bl) + Math.imul(ah, bl) + Math.imul(al, bh)) >>> 0;
  return [hi, lo];
}


function checkCount(where: string, n: unknown, max: number): asserts n is number {
  if (typeof n !== 'number') throw new TypeError(`${where}: n must be a number, got ${describe(n)}`);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new RangeError(`${where}: n must be an integer in [1, ${max}], got ${n}`);
  }
}

export class Random {
  // the four state words, kept as int32 so the step stays in small-integer arithmetic
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private hasSpare = false;
  private spare = 0;

  constructor(seed: number) {
    if (typeof seed !== 'number') throw new TypeError(`Random: seed must be a number, got ${describe(seed)}`);
    if (!Number.isInteger(seed) || seed < 0 || seed >= TWO_53) {
      throw new RangeError(`Random: seed must be an integer in [0, 2^53), got ${seed}`);
    }
    const x: [number, number] = [Math.floor(seed / TWO_32), seed >>> 0];
    const [h0, l0] = splitMix64Next(x);
    const [h1, l1] = splitMix64Next(x);
    this.s0 = l0 | 0;
    this.s1 = h0 | 0;
    this.s2 = l1 | 0;
    this.s3 = h1 | 0;
  }

  // a generator resumed from a saved state
  static fromState(state: RandomState): Random {
    const r = new Random(0);
    r.setState(state);
    return r;
  }

  // the next 32 random bits, as an integer in [0, 2^32)
  nextUint32(): number {
    const s0 = this.s0, s1 = this.s1;
    let s2 = this.s2, s3 = this.s3;
    // the ** scrambler: rotl(s1·5, 7)·9
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    // the xoshiro linear step
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    this.s1 = s1 ^ s2;
    this.s0 = s0 ^ s3;
    this.s2 = s2 ^ t;
    this.s3 = rotl(s3, 11);
    return result;
  }

  // a float in [0, 1) with 53 random bits: 27 from one draw, 26 from the next
  random(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / TWO_53;
  }

  // a uniform integer in [0, n), 1 ≤ n ≤ 2^32
  randint(n: number): number {
    checkCount('randint', n, TWO_32);
    return this.below(n, TWO_32 - (TWO_32 % n));
  }

  // rejection: draws at or above the largest multiple of n are retried so every residue is equally likely
  private below(n: number, limit: number): number {
    let x: number;
    do x = this.nextUint32();
    while (x >= limit);
    return x % n;
  }

  // a standard normal value (mean 0, variance 1), Marsaglia polar method
  normal(): number {
    // the polar method makes values in pairs; the second one waits for the next call
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    let u: number, v: number, s: number;
    // a uniform point in the unit disc, without its centre
    do {
      u = 2 * this.random() - 1;
      v = 2 * this.random() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * f;
    this.hasSpare = true;
    return u * f;
  }

  // fill an array with normal values of mean 0 and standard deviation std (weight initialisation)
  fillNormal<A extends Float32Array | Float64Array>(array: A, std = 1): A {
    if (!(array instanceof Float32Array || array instanceof Float64Array)) {
      throw new TypeError('fillNormal: array must be a Float32Array or Float64Array');
    }
    if (typeof std !== 'number' || !Number.isFinite(std) || std < 0) {
      throw new RangeError(`fillNormal: std must be a finite number ≥ 0, got ${describe(std)}`);
    }
    for (let i = 0; i < array.length; i++) array[i] = std * this.normal();
    return array;
  }

  // fill out with uniform integers in [0, n), drawn with replacement (minibatch indices into a reused buffer)
  fillRandint<A extends Int32Array | Uint32Array>(out: A, n: number): A {
    if (!(out instanceof Int32Array || out instanceof Uint32Array)) {
      throw new TypeError('fillRandint: out must be an Int32Array or Uint32Array');
    }
    // an Int32Array cannot hold indices of 2^31 and above
    checkCount('fillRandint', n, out instanceof Int32Array ? 2147483648 : TWO_32);
    const limit = TWO_32 - (TWO_32 % n);
    // randint's rejection loop, written out here so V8 keeps every draw unboxed (no allocation)
    for (let i = 0; i < out.length; i++) {
      let x: number;
      do x = this.nextUint32();
      while (x >= limit);
      out[i] = x % n;
    }
    return out;
  }

  // Fisher–Yates, in place: each of the n! orders is equally likely
  shuffle<A extends MutableArrayLike<unknown>>(array: A): A {
    if (array === null || typeof array !== 'object' || typeof array.length !== 'number') {
      throw new TypeError('shuffle: expected an array or typed array');
    }
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.randint(i + 1);
      const tmp = array[i];
      array[i] = array[j];
      array[j] = tmp;
    }
    return array;
  }

  // a random order of 0..n-1
  permutation(n: number): Int32Array {
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 2147483647) {
      throw new RangeError(`permutation: n must be an integer in [0, 2^31), got ${describe(n)}`);
    }
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    return this.shuffle(out);
  }

  // the full state as plain JSON data: setState of it continues the exact same sequence
  getState(): RandomState {
    return {
      algorithm: 'xoshiro128**',
      s: [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0],
      spare: this.hasSpare ? this.spare : null,
    };
  }

  setState(state: RandomState): void {
    if (state === null || typeof state !== 'object') {
      throw new TypeError(`setState: expected a state object, got ${describe(state)}`);
    }
    if (state.algorithm !== 'xoshiro128**') {
      throw new TypeError(`setState: expected algorithm 'xoshiro128**', got ${describe(state.algorithm)}`);
    }
    const s: unknown = state.s;
    if (!Array.isArray(s) || s.length !== 4) {
      throw new TypeError('setState: s must be an array of 4 uint32 words');
    }
    for (let i = 0; i < 4; i++) {
      const w: unknown = s[i];
      if (typeof w !== 'number' || !Number.isInteger(w) || w < 0 || w >= TWO_32) {
        throw new RangeError(`setState: s[${i}] must be an integer in [0, 2^32), got ${describe(w)}`);
      }
    }
    // the all-zero state is a fixed point: the generator would return zeros forever
    if (s[0] === 0 && s[1] === 0 && s[2] === 0 && s[3] === 0) {
      throw new RangeError('setState: the all-zero state is invalid for xoshiro128**');
    }
    const spare: unknown = state.spare;
    if (spare !== null && (typeof spare !== 'number' || !Number.isFinite(spare))) {
      throw new TypeError(`setState: spare must be a finite number or null, got ${describe(spare)}`);
    }
    // everything checked: now commit, so a rejected state leaves the generator untouched
    this.s0 = s[0] | 0;
    this.s1 = s[1] | 0;
    this.s2 = s[2] | 0;
    this.s3 = s[3] | 0;
    this.hasSpare = spare !== null;
    this.spare = spare ?? 0;
  }
}
