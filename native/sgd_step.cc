// sgdStep: SGD with weight decay as one pass over p and g (without decay the update is axpy)
//   p −= lr·(g + wd·p)
// arithmetic in the arrays' own dtype (float32 in float with subnormals flushed: flush_subnormals.h),
// each operation rounded once, exactly as sgdStepImpl (src/kernels/sgd-step.ts)
#include "args.h"
#include "flush_subnormals.h"
#include "multiversion.h"
#include "ops.h"
#include "two_cores.h"

namespace blasprop {

namespace {

// p and g are disjoint (checked), so the pointers are __restrict and the loop vectorises (with an AVX2
// clone on x86-64 Linux: multiversion.h)
constexpr const char* kFn = "sgdStep";

template <typename T>
BLASPROP_CLONES void Step(size_t n, T* __restrict p, const T* __restrict g, T lr, T wd) {
  for (size_t i = 0; i < n; i++) {
    const T pi = p[i];
    p[i] = pi - lr * (g[i] + wd * pi);
  }
}

}  // namespace

Napi::Value SgdStep(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckArgCount(info, 4, kFn, "(p, g, lr, weightDecay)");
  FloatView p = FloatArg(info, 0, kFn, "p");
  FloatView g = FloatArg(info, 1, kFn, "g");
  double lr = NumberArg(info, 2, kFn, "lr");
  double wd = NumberArg(info, 3, kFn, "weightDecay");
  CheckSameDType(env, kFn, p, g);
  CheckSameLength(env, kFn, p, g);
  CheckNoOverlap(env, kFn, p, g);

  ForDType(p.dtype, [&](auto zero) {
    using T = decltype(zero);
    // the hyperparameters rounded to the dtype once (before the flush modes), as the reference does
    const T lrT = static_cast<T>(lr), wdT = static_cast<T>(wd);
    T* pp = p.as<T>();
    const T* gp = g.as<const T>();
    // a large parameter over two cores, each element's update its own (two_cores.h); the flush modes
    // are per thread, so each part sets them
    ForElementsOnTwoCores(p.length, [&](size_t begin, size_t end) {
      FlushSubnormals flush(std::is_same_v<T, float>);
      Step<T>(end - begin, pp + begin, gp + begin, lrT, wdT);
    });
  });
  return env.Undefined();
}

}  // namespace blasprop
