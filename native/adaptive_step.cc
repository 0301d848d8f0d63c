// adaptiveStep: AdaGrad's and RMSprop's update as one pass over p, g and the squared-gradient sum h
//   g' = g + wd·p;  h = a·h + b·g'²;  p −= lr·g' / (√h + eps)
// AdaGrad passes a = b = 1, RMSprop a = α, b = 1 − α. arithmetic in the arrays' own dtype (float32
// with subnormals flushed: flush_subnormals.h), each operation rounded once, exactly as
// adaptiveStepImpl (src/kernels/adaptive-step.ts); in double a float32 update cost 4× as much
// (double division and square root)
#include <cmath>

#include "args.h"
#include "ops.h"
#include "flush_subnormals.h"
#include "multiversion.h"
#include "two_cores.h"

namespace blasprop {

namespace {

// the arrays are disjoint (CheckUpdateArrays), so the pointers are __restrict and the loops vectorise
// (with an AVX2 clone on x86-64 Linux: multiversion.h)
constexpr const char* kFn = "adaptiveStep";

template <typename T, bool kDecay>
BLASPROP_CLONES void Step(size_t n, T* __restrict p, const T* __restrict g, T* __restrict h, T lr, T a, T b, T eps, T wd) {
  for (size_t i = 0; i < n; i++) {
    const T pi = p[i];
    const T gi = kDecay ? g[i] + wd * pi : g[i];
    const T hi = a * h[i] + b * gi * gi;
    h[i] = hi;
    p[i] = pi - (lr * gi) / (std::sqrt(hi) + eps);
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
    // the hyperparameters rounded to the dtype once (before the flush modes), as the reference does
    const T lrT = static_cast<T>(lr), aT = static_cast<T>(a), bT = static_cast<T>(b), epsT = static_cast<T>(eps), wdT = static_cast<T>(wd);
    auto step = wdT == 0 ? Step<T, false> : Step<T, true>;
    T* pp = p.as<T>();
    const T* gp = g.as<const T>();
    T* hp = h.as<T>();
    // a large parameter over two cores, each element's update its own (two_cores.h); the flush modes
    // are per thread, so each part sets them
    ForElementsOnTwoCores(p.length, [&](size_t begin, size_t end) {
      FlushSubnormals flush(std::is_same_v<T, float>);
      step(end - begin, pp + begin, gp + begin, hp + begin, lrT, aT, bT, epsT, wdT);
    });
  });
  return env.Undefined();
}

}  // namespace blasprop
