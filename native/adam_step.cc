// adamStep: Adam's update as one pass over p, g and the moment estimates m and v
//   g' = g + wd·p;  m = β1·m + (1 − β1)·g';  v = β2·v + (1 − β2)·g'²
//   p −= stepSize·m / (√v / bc2Sqrt + eps)
// the caller computes the bias corrections stepSize = lr / (1 − β1^t) and bc2Sqrt = √(1 − β2^t) once.
// double arithmetic for both dtypes, each stored value read back as stored, exactly as adamStepImpl
// (src/kernels/adam-step.ts)
#include <cmath>

#include "args.h"
#include "ops.h"

namespace blasprop {

namespace {

// the arrays are disjoint (CheckUpdateArrays), so the pointers are __restrict and the loops vectorise
constexpr const char* kFn = "adamStep";

template <typename T, bool kDecay>
void Step(size_t n, T* __restrict p, const T* __restrict g, T* __restrict m, T* __restrict v, double stepSize, double beta1, double beta2, double bc2Sqrt,
          double eps, double wd) {
  for (size_t i = 0; i < n; i++) {
    const double pi = p[i];
    const double gi = kDecay ? g[i] + wd * pi : static_cast<double>(g[i]);
    m[i] = static_cast<T>(beta1 * m[i] + (1 - beta1) * gi);
    v[i] = static_cast<T>(beta2 * v[i] + (1 - beta2) * gi * gi);
    const double mi = m[i];
    const double vi = v[i];
    p[i] = static_cast<T>(pi - (stepSize * mi) / (std::sqrt(vi) / bc2Sqrt + eps));
  }
}

}  // namespace

Napi::Value AdamStep(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckArgCount(info, 10, kFn, "(p, g, m, v, stepSize, beta1, beta2, bc2Sqrt, eps, weightDecay)");
  FloatView p = FloatArg(info, 0, kFn, "p");
  FloatView g = FloatArg(info, 1, kFn, "g");
  FloatView m = FloatArg(info, 2, kFn, "m");
  FloatView v = FloatArg(info, 3, kFn, "v");
  double stepSize = NumberArg(info, 4, kFn, "stepSize");
  double beta1 = NumberArg(info, 5, kFn, "beta1");
  double beta2 = NumberArg(info, 6, kFn, "beta2");
  double bc2Sqrt = NumberArg(info, 7, kFn, "bc2Sqrt");
  double eps = NumberArg(info, 8, kFn, "eps");
  double wd = NumberArg(info, 9, kFn, "weightDecay");
  CheckUpdateArrays(env, kFn, p, g, m, &v);

  ForDType(p.dtype, [&](auto zero) {
    using T = decltype(zero);
    if (wd == 0) Step<T, false>(p.length, p.as<T>(), g.as<const T>(), m.as<T>(), v.as<T>(), stepSize, beta1, beta2, bc2Sqrt, eps, wd);
    else Step<T, true>(p.length, p.as<T>(), g.as<const T>(), m.as<T>(), v.as<T>(), stepSize, beta1, beta2, bc2Sqrt, eps, wd);
  });
  return env.Undefined();
}

}  // namespace blasprop
