// adaptiveStep: AdaGrad's and RMSprop's update as one pass over p, g and the squared-gradient sum h
//   g' = g + wd·p;  h = a·h + b·g'²;  p −= lr·g' / (√h + eps)
// AdaGrad passes a = b = 1, RMSprop a = α, b = 1 − α. double arithmetic for both dtypes, each stored
// value read back as stored, exactly as adaptiveStepImpl (src/kernels/adaptive-step.ts)
#include <cmath>

#include "args.h"
#include "ops.h"

namespace blasprop {

namespace {

// the arrays are disjoint (CheckUpdateArrays), so the pointers are __restrict and the loops vectorise
constexpr const char* kFn = "adaptiveStep";

template <typename T, bool kDecay>
void Step(size_t n, T* __restrict p, const T* __restrict g, T* __restrict h, double lr, double a, double b, double eps, double wd) {
  for (size_t i = 0; i < n; i++) {
    const double pi = p[i];
    const double gi = kDecay ? g[i] + wd * pi : static_cast<double>(g[i]);
    h[i] = static_cast<T>(a * h[i] + b * gi * gi);
    const double hi = h[i];
    p[i] = static_cast<T>(pi - (lr * gi) / (std::sqrt(hi) + eps));
  }
}

}  // namespace

Napi::Value AdaptiveStep(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckArgCount(info, 8, kFn, "(p, g, h, lr, a, b, eps, weightDecay)");
  FloatView p = FloatArg(info, 0, kFn, "p");
  FloatView g = FloatArg(info, 1, kFn, "g");
  FloatView h = FloatArg(info, 2, kFn, "h");
  double lr = NumberArg(info, 3, kFn, "lr");
  double a = NumberArg(info, 4, kFn, "a");
  double b = NumberArg(info, 5, kFn, "b");
  double eps = NumberArg(info, 6, kFn, "eps");
  double wd = NumberArg(info, 7, kFn, "weightDecay");
  CheckUpdateArrays(env, kFn, p, g, h, nullptr);

  ForDType(p.dtype, [&](auto zero) {
    using T = decltype(zero);
    if (wd == 0) Step<T, false>(p.length, p.as<T>(), g.as<const T>(), h.as<T>(), lr, a, b, eps, wd);
    else Step<T, true>(p.length, p.as<T>(), g.as<const T>(), h.as<T>(), lr, a, b, eps, wd);
  });
  return env.Undefined();
}

}  // namespace blasprop
