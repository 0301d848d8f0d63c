// OpenBLAS's build facts and this thread's thread count, as JavaScript sees them
#include <cblas.h>

#include "ops.h"
#include "threads.h"

namespace blasprop {

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("blas", "OpenBLAS");
  out.Set("config", openblas_get_config());
  out.Set("corename", openblas_get_corename());
  out.Set("threads", ThreadSetting(env));
  out.Set("defaultThreads", OpenblasDefaultThreads());
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
