// the file readers against seeded random damage: truncations, bit flips, huge counts. Every case must
// end in a clear error that names the file (or, for damage that leaves the file valid, in data), quickly
// and without taking memory the damaged file does not justify.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { referenceBackend } from '../src/backend/index.js';
import { IdxFormatError, loadMnist, readIdx } from '../src/data/index.js';
import { encodeModel, loadModel, ModelFileError } from '../src/io/model.js';
import { SafetensorsError } from '../src/io/safetensors.js';
import { mlp } from '../src/nn/index.js';
import { Random } from '../src/random.js';
import { CheckpointError, fit, readCheckpoint } from '../src/train/index.js';

const root = mkdtempSync(join(tmpdir(), 'blasprop-fuzz-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

type Damage = (bytes: Buffer, rng: Random) => Buffer;

// an integer in [lo, hi)
const between = (rng: Random, lo: number, hi: number): number => lo + rng.randint(hi - lo);

// cut the file anywhere, from nothing to one byte short
const truncate: Damage = (b, rng) => b.subarray(0, between(rng, 0, b.length));

// flip 1 to 8 random bits; half the time inside the first 64 bytes, where the headers are
const flip: Damage = (b, rng) => {
  const out = Buffer.from(b);
  const flips = between(rng, 1, 9);
  for (let i = 0; i < flips; i++) {
    const at = rng.random() < 0.5 ? between(rng, 0, Math.min(64, out.length)) : between(rng, 0, out.length);
    out[at]! ^= 1 << between(rng, 0, 8);
  }
  return out;
};

// a count made huge: a dimension of an IDX header, or a number in a safetensors header (length kept right)
const hugeIdxCount: Damage = (b, rng) => {
  const out = Buffer.from(b);
  const ndims = out[3]!;
  const huge = [0xffffffff, 0x80000000, 0x7fffffff, between(rng, 1, 2 ** 31) * 2][between(rng, 0, 4)]!;
  out.writeUInt32BE(huge >>> 0, 4 + 4 * between(rng, 0, Math.max(ndims, 1)));
  return out;
};

const hugeHeaderNumber: Damage = (b, rng) => {
  const n = Number(b.readBigUInt64LE(0));
  const header = b.subarray(8, 8 + n).toString('utf8');
  const numbers = [...header.matchAll(/\d+/g)];
  const pick = numbers[between(rng, 0, numbers.length)]!;
  const huge = ['4611686018427387904', '18446744073709551615', '99999999999', '2147483648'][between(rng, 0, 4)]!;
  const edited = Buffer.from(header.slice(0, pick.index) + huge + header.slice(pick.index! + pick[0].length), 'utf8');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(edited.length));
  return Buffer.concat([length, edited, b.subarray(8 + n)]);
};

// a file full of what a reader must refuse, or else valid data: never a crash, a hang or a stray error
async function expectClear(path: string, read: () => unknown, errors: (new (...a: never[]) => Error)[]): Promise<'ok' | 'refused'> {
  try {
    await read();
    return 'ok';
  } catch (e) {
    const err = e as Error;
    if (!errors.some((E) => err instanceof E)) throw new Error(`${path}: unexpected ${err.name}: ${err.message}`);
    expect(err.message).toContain(path);
    return 'refused';
  }
}

function runCases(name: string, base: Buffer, damages: Damage[], count: number, seed: number, read: (path: string) => unknown, errors: (new (...a: never[]) => Error)[]) {
  it(`${name}: ${count} damaged copies, each read or refused naming the file`, async () => {
    const rng = new Random(seed);
    const outcomes = { ok: 0, refused: 0 };
    const rss0 = process.memoryUsage().rss;
    for (let i = 0; i < count; i++) {
      const path = join(root, `${name}-${i}`);
      writeFileSync(path, damages[i % damages.length]!(base, rng));
      outcomes[await expectClear(path, () => read(path), errors)]++;
      rmSync(path);
    }
    // most damage must be caught; a little (a flipped pixel) is still a valid file
    expect(outcomes.refused).toBeGreaterThan(count * 0.6);
    // no case allocated what its header claimed
    expect(process.memoryUsage().rss - rss0).toBeLessThan(256 << 20);
  });
}

const idxFile = (code: number, dims: number[], payload: Uint8Array): Buffer => {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.set([0, 0, code, dims.length]);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, payload]);
};

describe('IDX', () => {
  const images = idxFile(0x08, [6, 5, 4], Uint8Array.from({ length: 120 }, (_, i) => i));
  const floats = idxFile(0x0e, [3, 2], new Uint8Array(48).fill(0x3f));
  const read = (path: string) => readIdx(path);
  runCases('idx-uint8', images, [truncate, flip, hugeIdxCount], 150, 1, read, [IdxFormatError]);
  runCases('idx-float64', floats, [truncate, flip, hugeIdxCount], 60, 2, read, [IdxFormatError]);
  runCases('idx-gzip', gzipSync(images), [truncate, flip], 100, 3, read, [IdxFormatError]);
  // the gzip of a header made huge: a small file that promises gigabytes
  runCases('idx-gzip-huge', images, [(b, rng) => gzipSync(hugeIdxCount(b, rng))], 20, 4, read, [IdxFormatError]);
});

describe('safetensors model', () => {
  const model = encodeModel(mlp({ sizes: [6, 5, 3], seed: 1, dtype: 'float32' }));
  runCases('model', model, [truncate, flip, hugeHeaderNumber], 200, 5, (path) => loadModel(path, { backend: referenceBackend }), [SafetensorsError, ModelFileError]);
});

describe('checkpoint', () => {
  let base: Buffer;
  beforeAll(async () => {
    const mnist = loadMnist({ dtype: 'float32', backend: referenceBackend });
    const data = { train: { ...mnist.train, count: 100 }, test: { ...mnist.test, count: 50 } };
    const dir = join(root, 'ckpt-base');
    await fit(mlp({ sizes: [784, 3, 10], seed: 1, dtype: 'float32', backend: referenceBackend }), data, {
      iterations: 3, batchSize: 20, sampling: 'shuffle', evaluate: false, checkpoint: { dir },
    });
    base = readFileSync(join(dir, 'checkpoint.safetensors'));
  });

  it('80 damaged copies, each refused naming the file', async () => {
    const rng = new Random(6);
    const damages = [truncate, flip, hugeHeaderNumber];
    for (let i = 0; i < 80; i++) {
      const dir = join(root, `ckpt-${i}`);
      const path = join(dir, 'checkpoint.safetensors');
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir);
      writeFileSync(path, damages[i % 3]!(base, rng));
      // the checksum covers every byte: no damage passes
      expect(await expectClear(path, () => readCheckpoint(dir, { backend: referenceBackend }), [CheckpointError])).toBe('refused');
      rmSync(dir, { recursive: true });
    }
  });
});
