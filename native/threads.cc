// OpenBLAS's thread pool and build facts, as JavaScript sees them
#include <cblas.h>

#include <string>

#include "args.h"
#include "ops.h"
#include "threads.h"

namespace blasprop {

namespace {
// the most threads a product may use (setNumThreads) and what OpenBLAS is set to right now;
// 0 until first read, since OpenBLAS picks its default (the core count) when it loads
int g_max_threads = 0;
int g_current_threads = 0;

int MaxThreads() {
  if (g_max_threads == 0) g_max_threads = g_current_threads = openblas_get_num_threads();
  return g_max_threads;
}
}  // namespace

void UseThreadsFor(size_t m, size_t n, size_t k) {
  // read the maximum first: it must be OpenBLAS's default, not a count this function set
  int most = MaxThreads();
  int want = static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k) < kSmallProduct ? 1 : most;
  // changing OpenBLAS's count costs ~50 ns; skip it when nothing changes
  if (want != g_current_threads) {
    openblas_set_num_threads(want);
    g_current_threads = want;
  }
}

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckArgCount(info, 1, "setNumThreads", "(threads)");
  size_t threads = DimArg(info, 0, "setNumThreads", "threads");
  if (threads < 1 || threads > 1024) {
    throw Napi::RangeError::New(env, "setNumThreads: threads must be an integer in [1, 1024], got " +
                                         std::to_string(threads));
  }
  openblas_set_num_threads(static_cast<int>(threads));
  g_max_threads = g_current_threads = static_cast<int>(threads);
  return env.Undefined();
}

Napi::Value GetNumThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), MaxThreads());
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("blas", "OpenBLAS");
  out.Set("config", openblas_get_config());
  out.Set("corename", openblas_get_corename());
  out.Set("threads", MaxThreads());
  out.Set("singleThreadBelow", kSmallProduct);
  int parallel = openblas_get_parallel();
  out.Set("parallel", parallel == 0 ? "sequential" : parallel == 1 ? "pthreads" : "openmp");
  out.Set("napiVersion", NAPI_VERSION);
#ifdef BLASPROP_BUILD_SYSTEM
  out.Set("buildSystem", BLASPROP_BUILD_SYSTEM);
#endif
#ifdef BLASPROP_OPENBLAS_LINK
  out.Set("openblasLink", BLASPROP_OPENBLAS_LINK);
#endif
  return out;
}

}  // namespace blasprop
