// shared test helpers: both backends (the native one must really load), seeded data, tolerances

import { nativeBackendOrError, referenceBackend } from '../src/backend/index.js';
import type { Backend } from '../src/backend/types.js';
import { arrayFor, Matrix, type DType } from '../src/matrix.js';

// the native backend or a failing test: on a machine that built the addon nothing is skipped
export function nativeBackend(): Backend {
  const native = nativeBackendOrError();
  if (native instanceof Error) throw native;
  return native;
}

export function allBackends(): Backend[] {
  return [referenceBackend, nativeBackend()];
}

export const BACKEND_NAMES = ['reference', 'native'] as const;
export function backendNamed(name: (typeof BACKEND_NAMES)[number]): Backend {
  return name === 'native' ? nativeBackend() : referenceBackend;
}

// a tiny seeded generator for test data (mulberry32), independent of the library's own Random
export function testRng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomMatrix(rng: () => number, rows: number, cols: number, dtype: DType, scale = 1): Matrix {
  const data = arrayFor(dtype, rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = (rng() * 2 - 1) * scale;
  return new Matrix(rows, cols, data);
}

// machine epsilon of each dtype
export const EPS: Record<DType, number> = { float32: 2 ** -23, float64: 2 ** -52 };
