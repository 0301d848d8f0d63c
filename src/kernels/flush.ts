// float32 rounding with subnormals flushed to zero: the rule the native optimizer updates run under
// (native/flush_subnormals.h; x86's FTZ and DAZ, as torch.set_flush_denormal(True)). x is the double
// result of one operation on float32 values (for + − × ÷ √ a double result of float32 operands,
// rounded to float32, is the correctly rounded float32 result), or a float32 value read as an input.
// a result is flushed when it is still below 2^-126 after rounding to float32's 24 bits with no
// lower limit on the exponent (x86 detects tininess after rounding); flushed, it keeps its sign

const MIN_NORMAL = 2 ** -126;
// the midpoint between 2^-126 and the 24-bit number below it: from here up x rounds to 2^-126
const ROUNDS_TO_MIN_NORMAL = 2 ** -126 - 2 ** -151;

export function flushFloat32(x: number): number {
  const a = Math.abs(x);
  if (a >= MIN_NORMAL) return Math.fround(x);
  if (a >= ROUNDS_TO_MIN_NORMAL) return x < 0 ? -MIN_NORMAL : MIN_NORMAL;
  // a signed zero (NaN stays NaN)
  return x * 0;
}

// a hyperparameter as the native op sees it: rounded to float32 on the way in (outside the flush
// modes), then read as an input (a subnormal counts as zero)
export function float32Hyper(x: number): number {
  return flushFloat32(Math.fround(x));
}
