// y += alpha·x over whole arrays (BLAS axpy): the SGD update p -= lr·grad in one call
#include <cblas.h>

#include <sstream>

#include "args.h"
#include "ops.h"

namespace blasprop {

namespace {
constexpr const char* kFn = "axpy";
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
  if (x.dtype == DType::F32) {
    cblas_saxpy(n, static_cast<float>(alpha), static_cast<const float*>(x.data), 1, static_cast<float*>(y.data), 1);
  } else {
    cblas_daxpy(n, alpha, static_cast<const double*>(x.data), 1, static_cast<double*>(y.data), 1);
  }
  return env.Undefined();
}

}  // namespace blasprop
