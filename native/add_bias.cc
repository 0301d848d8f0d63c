// out = X + b on every row: the Affine forward's broadcast
#include "args.h"
#include "ops.h"

namespace blasprop {

namespace {

constexpr const char* kFn = "addBias";

template <typename T>
void AddBiasImpl(const T* x, size_t rows, size_t cols, const T* b, T* out) {
  for (size_t i = 0; i < rows; i++) {
    const T* xr = x + i * cols;
    T* outr = out + i * cols;
    for (size_t j = 0; j < cols; j++) outr[j] = xr[j] + b[j];
  }
}

}  // namespace

Napi::Value AddBias(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckArgCount(info, 5, kFn, "(X, rows, cols, b, out)");
  FloatView X = FloatArg(info, 0, kFn, "X");
  size_t rows = DimArg(info, 1, kFn, "rows");
  size_t cols = DimArg(info, 2, kFn, "cols");
  FloatView b = FloatArg(info, 3, kFn, "b");
  FloatView out = FloatArg(info, 4, kFn, "out");
  CheckSameDType(env, kFn, X, b);
  CheckSameDType(env, kFn, X, out);
  CheckLength(env, kFn, X, rows, cols);
  CheckLength(env, kFn, b, 1, cols);
  CheckLength(env, kFn, out, rows, cols);
  // out may be X itself (an in-place add is element-wise safe), but never a partial overlap or b
  if (out.data != X.data) CheckNoOverlap(env, kFn, out, X);
  CheckNoOverlap(env, kFn, out, b);

  ForDType(X.dtype, [&](auto zero) {
    using T = decltype(zero);
    AddBiasImpl(X.as<const T>(), rows, cols, b.as<const T>(), out.as<T>());
  });
  return env.Undefined();
}

}  // namespace blasprop
