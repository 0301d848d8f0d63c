// out[j] = Σ_i X[i][j]: the Affine backward's db, summed row by row in order
#include "args.h"
#include "ops.h"

namespace blasprop {

namespace {

constexpr const char* kFn = "colSum";

template <typename T>
void ColSumImpl(const T* x, size_t rows, size_t cols, T* out) {
  for (size_t j = 0; j < cols; j++) out[j] = T(0);
  // row order keeps the memory walk contiguous and the sum order the same as the reference backend
  for (size_t i = 0; i < rows; i++) {
    const T* xr = x + i * cols;
    for (size_t j = 0; j < cols; j++) out[j] += xr[j];
  }
}

}  // namespace

Napi::Value ColSum(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckArgCount(info, 4, kFn, "(X, rows, cols, out)");
  FloatView X = FloatArg(info, 0, kFn, "X");
  size_t rows = DimArg(info, 1, kFn, "rows");
  size_t cols = DimArg(info, 2, kFn, "cols");
  FloatView out = FloatArg(info, 3, kFn, "out");
  CheckSameDType(env, kFn, X, out);
  CheckLength(env, kFn, X, rows, cols);
  CheckLength(env, kFn, out, 1, cols);
  CheckNoOverlap(env, kFn, out, X);

  ForDType(X.dtype, [&](auto zero) {
    using T = decltype(zero);
    ColSumImpl(X.as<const T>(), rows, cols, out.as<T>());
  });
  return env.Undefined();
}

}  // namespace blasprop
