// softmax(X, rows, cols, Y): each row's exp(x − max) / Σ, the max subtracted so exp never overflows.
// SoftmaxWithLoss's forward: the bench showed its exp per element at 14 µs of a 0.2 ms step in JavaScript
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "args.h"
#include "multiversion.h"
#include "ops.h"

namespace blasprop {

namespace {

constexpr const char* kFn = "softmax";

// e^x for kExpFloor ≤ x ≤ 0 in a form the compiler vectorises (glibc's exp is a call per element, a
// third of a 100×10 softmax): x = k·ln2 + r with |r| ≤ ln2/2 (ln2 in two parts, k·hi exact), e^r by
// its Taylor series to r^13 (the rest is below 2^-60), 2^k written into the exponent bits; within an
// ulp of glibc's (checked on 2·10^7 points). below kExpFloor 2^k would not be a normal number
constexpr double kExpFloor = -708.0;
inline double ExpNonPositive(double x) {
  constexpr double kLog2e = 1.4426950408889634;
  constexpr double kLn2Hi = 6.93147180369123816490e-01;
  constexpr double kLn2Lo = 1.90821492927058770002e-10;
  // adding 1.5·2^52 rounds x·log2(e) to the integer k, which then sits in the low bits of t
  constexpr double kShift = 0x1.8p52;
  const double t = x * kLog2e + kShift;
  const double k = t - kShift;
  const double r = (x - k * kLn2Hi) - k * kLn2Lo;
  double p = 1.0 / 6227020800.0;
  p = p * r + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  uint64_t bits;
  std::memcpy(&bits, &t, sizeof bits);
  bits = (bits + 1023) << 52;
  double scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

// e[k] = exp(e[k]) for the n differences x − max of a whole matrix, in the vectorised form (one long
// loop however short the rows); below kExpFloor (or NaN) its number is meaningless and the caller
// redoes it with the library
BLASPROP_CLONES void ExpInPlace(double* e, size_t n) {
  for (size_t k = 0; k < n; k++) e[k] = ExpNonPositive(e[k]);
}

// computed in double whatever T is, as the reference does: each e stored as T, the sum of the
// unrounded e in row order, then each stored e divided by it. the differences and their exps go
// through a per-thread buffer that only grows, so a call allocates nothing after the first
template <typename T>
void SoftmaxImpl(const T* x, size_t rows, size_t cols, T* y) {
  thread_local std::vector<double> buffer;
  if (buffer.size() < rows * cols + rows) buffer.resize(rows * cols + rows);
  double* e = buffer.data();
  double* maxes = e + rows * cols;
  for (size_t i = 0; i < rows; i++) {
    const T* xr = x + i * cols;
    double max = -INFINITY;
    for (size_t j = 0; j < cols; j++) max = static_cast<double>(xr[j]) > max ? static_cast<double>(xr[j]) : max;
    for (size_t j = 0; j < cols; j++) e[i * cols + j] = static_cast<double>(xr[j]) - max;
    maxes[i] = max;
  }
  ExpInPlace(e, rows * cols);
  for (size_t i = 0; i < rows; i++) {
    const T* xr = x + i * cols;
    double* er = e + i * cols;
    T* yr = y + i * cols;
    double sum = 0;
    for (size_t j = 0; j < cols; j++) {
      const double d = static_cast<double>(xr[j]) - maxes[i];
      if (!(d >= kExpFloor)) er[j] = std::exp(d);
      yr[j] = static_cast<T>(er[j]);
      sum += er[j];
    }
    for (size_t j = 0; j < cols; j++) yr[j] = static_cast<T>(static_cast<double>(yr[j]) / sum);
  }
}

}  // namespace

Napi::Value Softmax(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckArgCount(info, 4, kFn, "(X, rows, cols, Y)");
  FloatView X = FloatArg(info, 0, kFn, "X");
  size_t rows = DimArg(info, 1, kFn, "rows");
  size_t cols = DimArg(info, 2, kFn, "cols");
  FloatView Y = FloatArg(info, 3, kFn, "Y");
  CheckSameDType(env, kFn, X, Y);
  CheckLength(env, kFn, X, rows, cols);
  CheckLength(env, kFn, Y, rows, cols);
  // row by row in place is safe (each row's max and sum are read before it is overwritten)
  if (Y.data != X.data) CheckNoOverlap(env, kFn, Y, X);

  ForDType(X.dtype, [&](auto zero) {
    using T = decltype(zero);
    SoftmaxImpl(X.as<const T>(), rows, cols, Y.as<T>());
  });
  return env.Undefined();
}

}  // namespace blasprop
