// momentumStep: SGD with momentum (or Nesterov's look-ahead) as one pass over p, g and the velocity v
//   g' = g + wd·p;  v = μ·v + g';  p −= lr·v   (nesterov: p −= lr·(g' + μ·v))
// the arithmetic is in the arrays' own dtype (float32 in float, as torch.optim computes float32 tensors,
// with subnormals flushed: flush_subnormals.h), each operation rounded once, exactly as
// momentumStepImpl (src/kernels/momentum-step.ts) runs it in JavaScript: both backends give the same
// bits. double arithmetic on float32 arrays cost twice as much
#include "args.h"
#include "ops.h"
#include "flush_subnormals.h"
#include "multiversion.h"
#include "two_cores.h"

namespace blasprop {

namespace {

// the arrays are disjoint (CheckUpdateArrays), so the pointers are __restrict and the loops vectorise
// (with an AVX2 clone on x86-64 Linux: multiversion.h)
constexpr const char* kFn = "momentumStep";

template <typename T, bool kNesterov, bool kDecay>
BLASPROP_CLONES void Step(size_t n, T* __restrict p, const T* __restrict g, T* __restrict v, T lr, T mu, T wd) {
  for (size_t i = 0; i < n; i++) {
    const T pi = p[i];
    const T gi = kDecay ? g[i] + wd * pi : g[i];
    const T vi = mu * v[i] + gi;
    v[i] = vi;
    p[i] = pi - (kNesterov ? lr * (gi + mu * vi) : lr * vi);
  }
}

}  // namespace

Napi::Value MomentumStep(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckArgCount(info, 7, kFn, "(p, g, v, lr, momentum, weightDecay, nesterov)");
  FloatView p = FloatArg(info, 0, kFn, "p");
  FloatView g = FloatArg(info, 1, kFn, "g");
  FloatView v = FloatArg(info, 2, kFn, "v");
  double lr = NumberArg(info, 3, kFn, "lr");
  double mu = NumberArg(info, 4, kFn, "momentum");
  double wd = NumberArg(info, 5, kFn, "weightDecay");
  bool nesterov = BoolArg(info, 6, kFn, "nesterov");
  CheckUpdateArrays(env, kFn, p, g, v, nullptr);

  ForDType(p.dtype, [&](auto zero) {
    using T = decltype(zero);
    T* pp = p.as<T>();
    const T* gp = g.as<const T>();
    T* vp = v.as<T>();
    // the hyperparameters rounded to the dtype once (before the flush modes), as the reference does
    const T lrT = static_cast<T>(lr), muT = static_cast<T>(mu), wdT = static_cast<T>(wd);
    // the branches out of the loop, so each variant vectorises on its own
    auto step = nesterov ? (wdT == 0 ? Step<T, true, false> : Step<T, true, true>) : (wdT == 0 ? Step<T, false, false> : Step<T, false, true>);
    // a large parameter over two cores, each element's update its own (two_cores.h); the flush modes
    // are per thread, so each part sets them
    ForElementsOnTwoCores(p.length, [&](size_t begin, size_t end) {
      FlushSubnormals flush(std::is_same_v<T, float>);
      step(end - begin, pp + begin, gp + begin, vp + begin, lrT, muT, wdT);
    });
  });
  return env.Undefined();
}

}  // namespace blasprop
