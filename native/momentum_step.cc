// momentumStep: SGD with momentum (or Nesterov's look-ahead) as one pass over p, g and the velocity v
//   g' = g + wd·p;  v = μ·v + g';  p −= lr·v   (nesterov: p −= lr·(g' + μ·v))
// the arithmetic is double for both dtypes and each stored value is read back as stored, exactly as
// momentumStepImpl (src/kernels/momentum-step.ts) runs it in JavaScript: both backends give the same bits
#include "args.h"
#include "ops.h"

namespace blasprop {

namespace {

// the arrays are disjoint (CheckUpdateArrays), so the pointers are __restrict and the loops vectorise
constexpr const char* kFn = "momentumStep";

template <typename T, bool kNesterov, bool kDecay>
void Step(size_t n, T* __restrict p, const T* __restrict g, T* __restrict v, double lr, double mu, double wd) {
  for (size_t i = 0; i < n; i++) {
    const double pi = p[i];
    const double gi = kDecay ? g[i] + wd * pi : static_cast<double>(g[i]);
    v[i] = static_cast<T>(mu * v[i] + gi);
    const double vi = v[i];
    p[i] = static_cast<T>(pi - (kNesterov ? lr * (gi + mu * vi) : lr * vi));
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
    // the branches out of the loop, so each variant vectorises on its own
    if (nesterov) {
      if (wd == 0) Step<T, true, false>(p.length, pp, gp, vp, lr, mu, wd);
      else Step<T, true, true>(p.length, pp, gp, vp, lr, mu, wd);
    } else {
      if (wd == 0) Step<T, false, false>(p.length, pp, gp, vp, lr, mu, wd);
      else Step<T, false, true>(p.length, pp, gp, vp, lr, mu, wd);
    }
  });
  return env.Undefined();
}

}  // namespace blasprop
