import { describe, expect, it } from 'vitest';
import { Random, type RandomState } from '../src/random.js';

// a second, straightforward implementation in BigInt: 64-bit maths with masks, no 32-bit tricks
const M32 = 0xffffffffn;
const M64 = 0xffffffffffffffffn;

function splitMix64(seed: bigint): () => bigint {
  let x = seed;
  return () => {
    x = (x + 0x9e3779b97f4a7c15n) & M64;
    let z = x;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M64;
    return z ^ (z >> 31n);
  };
}

function rotl(x: bigint, k: bigint): bigint {
  return ((x << k) | (x >> (32n - k))) & M32;
}

// xoshiro128** 1.1 exactly as the C reference reads
function xoshiro128ss(state: bigint[]): () => bigint {
  const s = state.slice();
  return () => {
    const result = (rotl((s[1]! * 5n) & M32, 7n) * 9n) & M32;
    const t = (s[1]! << 9n) & M32;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11n);
    return result;
  };
}

// seeding as documented: two SplitMix64 outputs, low half first
function seededWords(seed: number): bigint[] {
  const next = splitMix64(BigInt(seed));
  const z0 = next();
  const z1 = next();
  return [z0 & M32, z0 >> 32n, z1 & M32, z1 >> 32n];
}

function draws(r: Random, n: number): number[] {
  return Array.from({ length: n }, () => r.nextUint32());
}

describe('seeding (SplitMix64 in 32-bit halves)', () => {
  it('the BigInt SplitMix64 reproduces published outputs', () => {
    // Rosetta Code "Pseudo-random numbers/Splitmix64", seed 1234567
    const a = splitMix64(1234567n);
    expect([a(), a(), a(), a(), a()]).toEqual([
      0x599ed017fb08fc85n, 0x2c73f08458540fa5n, 0x883ebce5a3f27c77n, 0x3fbef740e9177b3fn, 0xe3b8346708cb5ecdn,
    ]);
    // seed 0: the signed values -2152535657050944081 and 7960286522194355700
    const b = splitMix64(0n);
    expect([BigInt.asIntN(64, b()), BigInt.asIntN(64, b())]).toEqual([-2152535657050944081n, 7960286522194355700n]);
  });

  it('the state words are the first two SplitMix64 outputs of the seed, low half first', () => {
    expect(new Random(1234567).getState().s).toEqual([0xfb08fc85, 0x599ed017, 0x58540fa5, 0x2c73f084]);
    expect(new Random(0).getState().s).toEqual([0x7b1dcdaf, 0xe220a839, 0xa1b965f4, 0x6e789e6a]);
    for (const seed of [1, 42, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 53 - 1]) {
      expect(new Random(seed).getState().s).toEqual(seededWords(seed).map(Number));
    }
  });

  it('rejects seeds that are not integers in [0, 2^53)', () => {
    expect(() => new Random(-1)).toThrow(RangeError);
    expect(() => new Random(1.5)).toThrow(/integer in \[0, 2\^53\), got 1.5/);
    expect(() => new Random(NaN)).toThrow(RangeError);
    expect(() => new Random(Infinity)).toThrow(RangeError);
    expect(() => new Random(2 ** 53)).toThrow(RangeError);
    expect(() => new Random('1' as unknown as number)).toThrow(TypeError);
  });
});

describe('xoshiro128**', () => {
  it('matches the C reference implementation from a given state', () => {
    // values generated with the C reference (xoshiro-6502 test data, edorfaus/xoshiro-6502)
    const r = Random.fromState({ algorithm: 'xoshiro128**', s: [0x964d4a0c, 0xd40ab895, 0xad7fdecb, 0x3006f0f0], spare: null });
    const states = [
      [0x72410269, 0xef382c52, 0x2e43bec7, 0x62432f20],
      [0xff3a011b, 0xb33a90fc, 0x2c5a18ae, 0xd81b946b],
      [0x941b058c, 0x605a8949, 0xa641e1b5, 0x0824bb59],
      [0xfc65379c, 0x52006d70, 0x87487639, 0xf1908343],
    ];
    const outputs = [0xf1391922, 0x6fe53806, 0xa5be2840, 0xf510ee70];
    for (let i = 0; i < 4; i++) {
      expect(r.nextUint32()).toBe(outputs[i]);
      expect(r.getState().s).toEqual(states[i]);
    }
  });

  it('matches an independent BigInt implementation for the first 1000 outputs', () => {
    for (const seed of [0, 1, 42, 123456789, 2 ** 32, 2 ** 53 - 1]) {
      const ref = xoshiro128ss(seededWords(seed));
      const expected = Array.from({ length: 1000 }, () => Number(ref()));
      expect(draws(new Random(seed), 1000)).toEqual(expected);
    }
  });

  it('same seed gives the same sequence; different seeds differ', () => {
    expect(draws(new Random(7), 100)).toEqual(draws(new Random(7), 100));
    const base = draws(new Random(0), 100);
    // neighbouring seeds, and seeds differing only in the high half of the 64-bit SplitMix state
    for (const seed of [1, 2 ** 32, 2 ** 53 - 1]) {
      const other = draws(new Random(seed), 100);
      expect(other.filter((x, i) => x === base[i]).length).toBeLessThan(3);
    }
  });
});

describe('state for checkpoints', () => {
  // a mix of every kind of draw, so the whole state (including the normal spare) is exercised
  function mixed(r: Random): number[] {
    const out: number[] = [];
    for (let i = 0; i < 50; i++) {
      out.push(r.nextUint32(), r.random(), r.randint(1000), r.normal());
      if (i % 7 === 0) out.push(r.normal());
    }
    out.push(...r.permutation(20));
    return out;
  }

  it('setState mid-stream continues the exact sequence, also through JSON', () => {
    const r = new Random(2024);
    mixed(r);
    const saved = r.getState();
    const json = JSON.stringify(saved);
    const expected = mixed(r);
    // a fresh generator and a differently seeded one both pick up where r was
    expect(mixed(Random.fromState(JSON.parse(json) as RandomState))).toEqual(expected);
    const other = new Random(99);
    other.normal();
    other.setState(JSON.parse(json) as RandomState);
    expect(mixed(other)).toEqual(expected);
  });

  it('a cached Box–Muller/polar spare is saved and restored', () => {
    const r = new Random(5);
    r.normal();
    const saved = JSON.parse(JSON.stringify(r.getState())) as RandomState;
    expect(saved.spare).not.toBeNull();
    const expected = [r.normal(), r.normal(), r.normal()];
    // the first value after restoring is the spare itself
    expect(expected[0]).toBe(saved.spare);
    const restored = Random.fromState(saved);
    expect([restored.normal(), restored.normal(), restored.normal()]).toEqual(expected);
    // without the spare the stream would be different
    const dropped = Random.fromState({ ...saved, spare: null });
    expect(dropped.normal()).not.toBe(expected[0]);
  });

  it('getState returns plain JSON data that round-trips', () => {
    const state = new Random(3).getState();
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
  });

  it('setState rejects malformed states and leaves the generator untouched', () => {
    const r = new Random(11);
    const before = r.getState();
    const good = r.getState();
    const bad: unknown[] = [
      null,
      42,
      { ...good, algorithm: 'mt19937' },
      { ...good, s: [1, 2, 3] },
      { ...good, s: [1, 2, 3, 2 ** 32] },
      { ...good, s: [1, 2, 3, -1] },
      { ...good, s: [1, 2, 3, 1.5] },
      { ...good, s: [1, 2, 3, '4'] },
      { ...good, s: [0, 0, 0, 0] },
      { ...good, spare: NaN },
      { ...good, spare: '0.5' },
    ];
    for (const state of bad) {
      expect(() => r.setState(state as RandomState)).toThrow(/setState/);
      expect(r.getState()).toEqual(before);
    }
  });
});

describe('distributions', () => {
  const N = 100_000;

  it('random() is in [0, 1) with 53-bit resolution, built from two draws', () => {
    const r = new Random(1);
    const ref = xoshiro128ss(seededWords(1));
    for (let i = 0; i < 1000; i++) {
      const a = Number(ref()) >>> 5;
      const b = Number(ref()) >>> 6;
      expect(r.random()).toBe((a * 2 ** 26 + b) / 2 ** 53);
    }
    let sum = 0;
    let oddNumerators = 0;
    let outside = 0;
    for (let i = 0; i < N; i++) {
      const x = r.random();
      // every value is k/2^53 with 0 ≤ k < 2^53; odd k show the lowest bit is random too
      const k = x * 2 ** 53;
      if (!(x >= 0 && x < 1) || !Number.isInteger(k)) outside++;
      if (k % 2 === 1) oddNumerators++;
      sum += x;
    }
    expect(outside).toBe(0);
    // uniform on [0,1): variance 1/12, so the mean of N has standard deviation sqrt(1/(12N))
    expect(Math.abs(sum / N - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / N));
    expect(Math.abs(oddNumerators / N - 0.5)).toBeLessThan(5 * Math.sqrt(0.25 / N));
  });

  it('normal() has mean 0, variance 1 and normal tails', () => {
    const r = new Random(2);
    let sum = 0;
    let sumSq = 0;
    let beyond196 = 0;
    for (let i = 0; i < N; i++) {
      const z = r.normal();
      sum += z;
      sumSq += z * z;
      if (Math.abs(z) > 1.959963984540054) beyond196++;
    }
    const mean = sum / N;
    const variance = (sumSq - N * mean * mean) / (N - 1);
    // sd of the mean is 1/sqrt(N); of the sample variance, sqrt(2/(N-1)) for a normal
    expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(N));
    expect(Math.abs(variance - 1)).toBeLessThan(5 * Math.sqrt(2 / (N - 1)));
    // P(|z| > 1.96) = 0.05, a binomial count
    expect(Math.abs(beyond196 / N - 0.05)).toBeLessThan(5 * Math.sqrt((0.05 * 0.95) / N));
  });

  it('randint(10) is uniform: chi-square below the 99.99% quantile for 9 dof', () => {
    const r = new Random(3);
    const counts = new Array<number>(10).fill(0);
    let outside = 0;
    for (let i = 0; i < N; i++) {
      const k = r.randint(10);
      if (Number.isInteger(k) && k >= 0 && k < 10) counts[k]!++;
      else outside++;
    }
    expect(outside).toBe(0);
    const e = N / 10;
    const chi2 = counts.reduce((acc, c) => acc + (c - e) ** 2 / e, 0);
    expect(chi2).toBeLessThan(33.72);
  });

  it('randint has no modulo bias for an n that does not divide 2^32', () => {
    // n = 3·2^30: plain x % n would hit [0, 2^30) with probability 1/2 instead of 1/3
    const r = new Random(4);
    const n = 3 * 2 ** 30;
    const M = 20_000;
    let low = 0;
    for (let i = 0; i < M; i++) if (r.randint(n) < 2 ** 30) low++;
    expect(Math.abs(low / M - 1 / 3)).toBeLessThan(5 * Math.sqrt((1 / 3) * (2 / 3) / M));
  });

  it('randint covers its edge cases and rejects bad n', () => {
    const r = new Random(5);
    for (let i = 0; i < 100; i++) expect(r.randint(1)).toBe(0);
    const big = r.randint(2 ** 32);
    expect(Number.isInteger(big) && big >= 0 && big < 2 ** 32).toBe(true);
    for (const n of [0, -1, 2.5, NaN, 2 ** 32 + 1]) expect(() => r.randint(n)).toThrow(RangeError);
    expect(() => r.randint('3' as unknown as number)).toThrow(TypeError);
  });

  it('fillRandint draws the same values as repeated randint, into the given buffer', () => {
    const a = new Random(6);
    const b = new Random(6);
    const out = new Int32Array(500);
    expect(a.fillRandint(out, 7)).toBe(out);
    expect(Array.from(out)).toEqual(Array.from({ length: 500 }, () => b.randint(7)));
    const u = new Uint32Array(10);
    a.fillRandint(u, 2 ** 32);
    expect(() => a.fillRandint(new Int32Array(2), 2 ** 31 + 1)).toThrow(RangeError);
    expect(() => a.fillRandint([1, 2] as unknown as Int32Array, 3)).toThrow(TypeError);
  });

  it('fillNormal scales normal() by std and writes into the array', () => {
    const a = new Random(7);
    const b = new Random(7);
    const x64 = a.fillNormal(new Float64Array(9), 0.5);
    expect(Array.from(x64)).toEqual(Array.from({ length: 9 }, () => 0.5 * b.normal()));
    const x32 = a.fillNormal(new Float32Array(9));
    expect(Array.from(x32)).toEqual(Array.from({ length: 9 }, () => Math.fround(b.normal())));
    expect(() => a.fillNormal(new Float64Array(2), -1)).toThrow(RangeError);
    expect(() => a.fillNormal(new Float64Array(2), NaN)).toThrow(RangeError);
  });
});

describe('shuffle and permutation', () => {
  it('permutation(n) holds each of 0..n-1 exactly once', () => {
    const r = new Random(8);
    for (const n of [0, 1, 2, 10, 1000]) {
      const p = r.permutation(n);
      expect(p).toBeInstanceOf(Int32Array);
      expect(Array.from(p).sort((x, y) => x - y)).toEqual(Array.from({ length: n }, (_, i) => i));
    }
    expect(() => r.permutation(-1)).toThrow(RangeError);
    expect(() => r.permutation(1.5)).toThrow(RangeError);
  });

  it('shuffle works in place on plain arrays and keeps the elements', () => {
    const r = new Random(9);
    const a = ['a', 'b', 'c', 'd', 'e'];
    expect(r.shuffle(a)).toBe(a);
    expect([...a].sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('all 6 orders of 3 elements are equally likely (chi-square, 5 dof, 99.99% quantile)', () => {
    const r = new Random(10);
    const counts = new Map<string, number>();
    const M = 60_000;
    for (let i = 0; i < M; i++) {
      const key = r.shuffle([0, 1, 2]).join('');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(6);
    const e = M / 6;
    const chi2 = [...counts.values()].reduce((acc, c) => acc + (c - e) ** 2 / e, 0);
    expect(chi2).toBeLessThan(25.74);
  });
});
