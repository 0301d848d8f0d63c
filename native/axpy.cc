// y += alpha·x over whole arrays (BLAS axpy): the SGD update p -= lr·grad in one call
#include <cblas.h>

#include <sstream>

#include "args.h"
#include "ops.h"
#include "threads.h"
#include "two_cores.h"

namespace blasprop {

namespace {

constexpr const char* kFn = "axpy";

// one name for saxpy and daxpy, so the op is written once for both dtypes
void BlasAxpy(blasint n, float alpha, const float* x, float* y) { cblas_saxpy(n, alpha, x, 1, y, 1); }
void BlasAxpy(blasint n, double alpha, const double* x, double* y) { cblas_daxpy(n, alpha, x, 1, y, 1); }

}  // namespace

Napi::Value Axpy(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckArgCount(info, 3, kFn, "(alpha, x, y)");
  double alpha = NumberArg(info, 0, kFn, "alpha");
  FloatView x = FloatArg(info, 1, kFn, "x");
  FloatView y = FloatArg(info, 2, kFn, "y");
  CheckSameDType(env, kFn, x, y);
  if (x.length != y.length) {
    std::ostringstream s;
    s << kFn << ": x and y must have the same length, got " << x.length << " and " << y.length;
    throw Napi::RangeError::New(env, s.str());
  }
  CheckNoOverlap(env, kFn, y, x);
  if (x.length > 2147483647u) throw Napi::RangeError::New(env, std::string(kFn) + ": arrays longer than 2^31 - 1");

  auto n = static_cast<blasint>(x.length);
  if (n == 0) return env.Undefined();
  UseOneThread();
  ForDType(x.dtype, [&](auto zero) {
    using T = decltype(zero);
    const T* xs = x.as<const T>();
    T* ys = y.as<T>();
    // a large parameter's update over both cores (two_cores.h): in a training step the helper's part is
    // the part of the gradient it has just computed (the rows of dW in the second half of a halved
    // product), so each core reads what sits in its own cache; each element is its own, so the same bits
    ForElementsOnTwoCores(x.length, [&](size_t begin, size_t end) {
      BlasAxpy(static_cast<blasint>(end - begin), static_cast<T>(alpha), xs + begin, ys + begin);
    });
  });
  return env.Undefined();
}

}  // namespace blasprop
