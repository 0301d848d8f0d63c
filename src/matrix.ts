// a dense row-major matrix: the one data type every layer, backend and optimizer shares

export type DType = 'float32' | 'float64';
export type FloatArray = Float32Array | Float64Array;

export const DTYPES: readonly DType[] = ['float32', 'float64'];

// the one default, for matrices, networks, data and labels alike: float32, like PyTorch (float64 is
// numpy's precision, and the book's; ask for it by name)
export const DEFAULT_DTYPE: DType = 'float32';

export function arrayFor(dtype: DType, length: number): FloatArray {
  return dtype === 'float32' ? new Float32Array(length) : new Float64Array(length);
}

export function dtypeOf(data: FloatArray): DType {
  return data instanceof Float32Array ? 'float32' : 'float64';
}

export function assertDType(dtype: unknown): asserts dtype is DType {
  if (dtype !== 'float32' && dtype !== 'float64') {
    throw new TypeError(`dtype must be 'float32' or 'float64', got ${JSON.stringify(dtype)}`);
  }
}

export class Matrix {
  readonly rows: number;
  readonly cols: number;
  readonly dtype: DType;
  readonly data: FloatArray;

  constructor(rows: number, cols: number, data: FloatArray) {
    if (!Number.isInteger(rows) || rows < 0 || !Number.isInteger(cols) || cols < 0) {
      throw new RangeError(`Matrix: dimensions must be non-negative integers, got ${rows}×${cols}`);
    }
    if (!(data instanceof Float32Array || data instanceof Float64Array)) {
      throw new TypeError('Matrix: data must be a Float32Array or Float64Array');
    }
    if (data.length !== rows * cols) {
      throw new RangeError(`Matrix: ${rows}×${cols} needs ${rows * cols} values, got ${data.length}`);
    }
    this.rows = rows;
    this.cols = cols;
    this.dtype = dtypeOf(data);
    this.data = data;
  }

  static zeros(rows: number, cols: number, dtype: DType = DEFAULT_DTYPE): Matrix {
    assertDType(dtype);
    return new Matrix(rows, cols, arrayFor(dtype, rows * cols));
  }

  // rows of plain numbers, as a person writes a matrix in a test or an example
  static from(rows: readonly (readonly number[])[], dtype: DType = DEFAULT_DTYPE): Matrix {
    assertDType(dtype);
    const r = rows.length;
    const c = r === 0 ? 0 : rows[0]!.length;
    const m = Matrix.zeros(r, c, dtype);
    rows.forEach((row, i) => {
      if (row.length !== c) throw new RangeError(`Matrix.from: row ${i} has ${row.length} values, expected ${c}`);
      m.data.set(row, i * c);
    });
    return m;
  }

  // a 1×n matrix: how biases and single samples are stored
  static row(values: readonly number[] | FloatArray, dtype: DType = DEFAULT_DTYPE): Matrix {
    assertDType(dtype);
    const m = Matrix.zeros(1, values.length, dtype);
    m.data.set(values);
    return m;
  }

  get size(): number {
    return this.data.length;
  }

  get(i: number, j: number): number {
    return this.data[i * this.cols + j]!;
  }

  set(i: number, j: number, value: number): void {
    this.data[i * this.cols + j] = value;
  }

  clone(): Matrix {
    return new Matrix(this.rows, this.cols, this.data.slice());
  }

  sameShape(other: Matrix): boolean {
    return this.rows === other.rows && this.cols === other.cols;
  }

  toArray(): number[][] {
    const out: number[][] = [];
    for (let i = 0; i < this.rows; i++) out.push(Array.from(this.data.subarray(i * this.cols, (i + 1) * this.cols)));
    return out;
  }
}
