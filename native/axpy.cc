// y += alpha·x over whole arrays (BLAS axpy): the SGD update p -= lr·grad in one call
#include <cblas.h>

#include <sstream>

#include "args.h"
#include "ops.h"

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
  ForDType(x.dtype, [&](auto zero) {
    using T = decltype(zero);
    BlasAxpy(n, static_cast<T>(alpha), x.as<const T>(), y.as<T>());
  });
  return env.Undefined();
}

}  // namespace blasprop
