// swapAxes(X, d0, d1, bias | null, out): X as [d0, d1, inner] → out as [d1, d0, inner], adding bias[i]
// to X's block i when given (src/kernels/swap-axes.ts): the convolution's result into NCHW rows with its
// bias, and dout back into the product's orientation. Each inner block is one contiguous run
#include <algorithm>

#include "args.h"
#include "ops.h"

namespace blasprop {

namespace {

template <typename T>
void SwapAxesImpl(const T* x, size_t d0, size_t d1, size_t inner, const T* bias, T* out) {
  for (size_t i = 0; i < d0; i++) {
    const T add = bias == nullptr ? T(0) : bias[i];
    for (size_t j = 0; j < d1; j++) {
      const T* src = x + (i * d1 + j) * inner;
      T* dst = out + (j * d0 + i) * inner;
      if (bias == nullptr) std::copy(src, src + inner, dst);
      else for (size_t k = 0; k < inner; k++) dst[k] = src[k] + add;
    }
  }
}

}  // namespace

Napi::Value SwapAxes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  constexpr const char* kFn = "swapAxes";
  CheckArgCount(info, 5, kFn, "(X, d0, d1, bias, out)");
  FloatView X = FloatArg(info, 0, kFn, "X");
  size_t d0 = DimArg(info, 1, kFn, "d0");
  size_t d1 = DimArg(info, 2, kFn, "d1");
  // bias: a typed array, or null for none
  const bool hasBias = !info[3].IsNull();
  FloatView bias{};
  if (hasBias) bias = FloatArg(info, 3, kFn, "bias");
  FloatView out = FloatArg(info, 4, kFn, "out");
  CheckSameDType(env, kFn, X, out);
  if (hasBias) CheckSameDType(env, kFn, X, bias);
  if (d0 == 0 || d1 == 0) throw Napi::RangeError::New(env, "swapAxes: d0 and d1 must be positive integers");
  if (X.length % (d0 * d1) != 0) {
    throw Napi::RangeError::New(env, "swapAxes: X has " + std::to_string(X.length) + " values, not a multiple of " +
                                         std::to_string(d0) + "×" + std::to_string(d1));
  }
  size_t inner = X.length / (d0 * d1);
  CheckLength(env, kFn, out, d0 * d1, inner);
  if (hasBias) CheckLength(env, kFn, bias, 1, d0);
  CheckNoOverlap(env, kFn, out, X);
  if (hasBias) CheckNoOverlap(env, kFn, out, bias);

  ForDType(X.dtype, [&](auto zero) {
    using T = decltype(zero);
    SwapAxesImpl(X.as<const T>(), d0, d1, inner, hasBias ? bias.as<const T>() : nullptr, out.as<T>());
  });
  return env.Undefined();
}

}  // namespace blasprop
