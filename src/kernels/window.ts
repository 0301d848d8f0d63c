// the geometry of a sliding window (a convolution's kernel or a pooling window) over a batch of
// images stored as NCHW rows: each row of a Matrix is one sample, its values channel by channel,
// each channel row by row (see src/nn/convolution.ts for why)

export interface WindowGeometry {
  channels: number;
  height: number;
  width: number;
  kernelHeight: number;
  kernelWidth: number;
  stride: number;
  pad: number;
  outHeight: number;
  outWidth: number;
}

function checkPositive(where: string, name: string, n: unknown): asserts n is number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 2 ** 31 - 1) {
    throw new RangeError(`${where}: ${name} must be a positive integer, got ${typeof n === 'number' ? n : JSON.stringify(n)}`);
  }
}

// one output side: (size + 2·pad − kernel) / stride + 1, which must come out whole (the book's
// conv_output_size); the kernel must fit inside the padded input
function outputSide(where: string, side: string, size: number, kernel: number, stride: number, pad: number): number {
  const padded = size + 2 * pad;
  if (kernel > padded) {
    throw new RangeError(`${where}: kernel ${side} ${kernel} is larger than the padded input ${side} ${padded} (${size} + 2·${pad})`);
  }
  const span = padded - kernel;
  if (span % stride !== 0) {
    throw new RangeError(
      `${where}: output ${side} (${size} + 2·${pad} − ${kernel}) / ${stride} + 1 = ${span / stride + 1} is not an integer; change padding or stride`,
    );
  }
  return span / stride + 1;
}

// every dimension checked, the output size derived: the one place both layers and kernels get it from
export function windowGeometry(
  where: string,
  input: { channels: number; height: number; width: number },
  window: { kernelHeight: number; kernelWidth: number; stride: number; pad: number },
): WindowGeometry {
  const { channels, height, width } = input;
  const { kernelHeight, kernelWidth, stride, pad } = window;
  checkPositive(where, 'channels', channels);
  checkPositive(where, 'height', height);
  checkPositive(where, 'width', width);
  checkPositive(where, 'kernel height', kernelHeight);
  checkPositive(where, 'kernel width', kernelWidth);
  if (typeof stride !== 'number' || !Number.isInteger(stride) || stride < 1) {
    throw new RangeError(`${where}: stride must be a positive integer, got ${String(stride)}`);
  }
  if (typeof pad !== 'number' || !Number.isInteger(pad) || pad < 0) {
    throw new RangeError(`${where}: pad must be an integer ≥ 0, got ${String(pad)}`);
  }
  const outHeight = outputSide(where, 'height', height, kernelHeight, stride, pad);
  const outWidth = outputSide(where, 'width', width, kernelWidth, stride, pad);
  return Object.freeze({ channels, height, width, kernelHeight, kernelWidth, stride, pad, outHeight, outWidth });
}

// values per sample going in (C·H·W) and coming out per channel (OH·OW)
export function inputSize(g: WindowGeometry): number {
  return g.channels * g.height * g.width;
}

export function outputPlane(g: WindowGeometry): number {
  return g.outHeight * g.outWidth;
}

export function describeGeometry(g: WindowGeometry): string {
  return `${g.channels}×${g.height}×${g.width}`;
}
