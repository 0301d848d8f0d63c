// adamStep: Adam's update as one pass over p, g and the moment estimates m and v
//   g' = g + wd·p;  m = β1·m + (1 − β1)·g';  v = β2·v + (1 − β2)·g'²
//   p −= stepSize·m / (√v · (1 / bc2Sqrt) + eps)
// the caller computes the bias corrections stepSize = lr / (1 − β1^t) and bc2Sqrt = √(1 − β2^t) once.
// arithmetic in the arrays' own dtype (float32 in float, as torch.optim computes float32 tensors, with
// subnormals flushed: flush_subnormals.h), each operation rounded once, exactly as adamStepImpl
// (src/kernels/adam-step.ts). in double, a float32 update's two divisions and square root cost 4× as
// much: more than the rest of a training step. torch divides √v by bc2Sqrt; multiplying by its
// reciprocal (made once per call) saves a third of the float32 update's time, for ≤ 1 ulp in the sum
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
constexpr const char* kFn = "adamStep";

template <typename T, bool kDecay>
BLASPROP_CLONES void Step(size_t n, T* __restrict p, const T* __restrict g, T* __restrict m, T* __restrict v, T stepSize, T beta1, T oneMinusBeta1, T beta2,
          T oneMinusBeta2, T invBc2Sqrt, T eps, T wd) {
  for (size_t i = 0; i < n; i++) {
    const T pi = p[i];
    const T gi = kDecay ? g[i] + wd * pi : g[i];
    const T mi = beta1 * m[i] + oneMinusBeta1 * gi;
    const T vi = beta2 * v[i] + oneMinusBeta2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] = pi - (stepSize * mi) / (std::sqrt(vi) * invBc2Sqrt + eps);
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
    // the hyperparameters rounded to the dtype once (1 − β and 1 / bc2Sqrt computed in double first, all
    // before the flush modes), as the reference does
    const T stepSizeT = static_cast<T>(stepSize), beta1T = static_cast<T>(beta1), oneMinusBeta1 = static_cast<T>(1 - beta1);
    const T beta2T = static_cast<T>(beta2), oneMinusBeta2 = static_cast<T>(1 - beta2), invBc2Sqrt = static_cast<T>(1 / bc2Sqrt);
    const T epsT = static_cast<T>(eps), wdT = static_cast<T>(wd);
    auto step = wdT == 0 ? Step<T, false> : Step<T, true>;
    T* pp = p.as<T>();
    const T* gp = g.as<const T>();
    T* mp = m.as<T>();
    T* vp = v.as<T>();
    // a large parameter (SimpleConvNet's 432 000 dense weights) over two cores, each element's update
    // its own (two_cores.h); the flush modes are per thread, so each part sets them
    ForElementsOnTwoCores(p.length, [&](size_t begin, size_t end) {
      FlushSubnormals flush(std::is_same_v<T, float>);
      step(end - begin, pp + begin, gp + begin, mp + begin, vp + begin, stepSizeT, beta1T, oneMinusBeta1, beta2T, oneMinusBeta2, invBc2Sqrt, epsT, wdT);
    });
  });
  return env.Undefined();
}

}  // namespace blasprop
