// feature standardisation: (x − mean)/std per column, with mean and std measured on the training rows
// only, then applied unchanged to validation, test and every later prediction (a saved model keeps them)

import { Matrix, type DType } from '../matrix.js';
import { describe } from '../describe.js';

export interface Standardization {
  mean: number[];
  std: number[];
}

// the population std (numpy's default, sklearn's StandardScaler); a constant column gets std 1, so it
// becomes 0 instead of NaN
export function fitStandardization(x: Matrix): Standardization {
  const { rows, cols, data } = x;
  if (rows === 0) throw new RangeError('fitStandardization: x has no rows');
  const mean = new Array<number>(cols).fill(0);
  const std = new Array<number>(cols).fill(0);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) mean[j]! += data[i * cols + j]! / rows;
  // two passes: the squares of deviations, not E[x²] − E[x]², which cancels for large means
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const d = data[i * cols + j]! - mean[j]!;
      std[j]! += (d * d) / rows;
    }
  }
  for (let j = 0; j < cols; j++) std[j] = std[j]! > 0 ? Math.sqrt(std[j]!) : 1;
  return { mean, std };
}

// a standardisation read from a file or given by a caller: one finite mean and positive std per column
export function checkStandardization(where: string, s: unknown, cols?: number): asserts s is Standardization {
  const v = s as Standardization | null;
  if (v === null || typeof v !== 'object' || !Array.isArray(v.mean) || !Array.isArray(v.std)) throw new TypeError(`${where}: standardization must be { mean: number[], std: number[] }, got ${describe(s)}`);
  if (v.mean.length !== v.std.length) throw new RangeError(`${where}: standardization has ${v.mean.length} means but ${v.std.length} stds`);
  if (cols !== undefined && v.mean.length !== cols) throw new RangeError(`${where}: standardization is for ${v.mean.length} features, the data has ${cols}`);
  v.mean.forEach((m, j) => {
    if (typeof m !== 'number' || !Number.isFinite(m)) throw new RangeError(`${where}: standardization mean[${j}] is ${describe(m)}, expected a finite number`);
  });
  v.std.forEach((d, j) => {
    if (typeof d !== 'number' || !Number.isFinite(d) || d <= 0) throw new RangeError(`${where}: standardization std[${j}] is ${describe(d)}, expected a positive number`);
  });
}

// (x − mean)/std into a new matrix of the given dtype (x's by default); x is not changed
export function standardize(x: Matrix, s: Standardization, dtype: DType = x.dtype): Matrix {
  checkStandardization('standardize', s, x.cols);
  const out = Matrix.zeros(x.rows, x.cols, dtype);
  const { cols } = x;
  for (let k = 0; k < x.data.length; k++) {
    const j = k % cols;
    out.data[k] = (x.data[k]! - s.mean[j]!) / s.std[j]!;
  }
  return out;
}
