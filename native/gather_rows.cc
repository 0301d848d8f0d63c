// out[r] = src[indices[r]] / divisor: gathers a minibatch of uint8 rows (pixels) into floats,
// normalising on the way, so the data set stays compact and the batch costs one pass
#include <sstream>

#include "args.h"
#include "ops.h"

namespace blasprop {

namespace {

constexpr const char* kFn = "gatherRows";

// divided in C: for float32 a correctly rounded float division equals JavaScript's double division
// rounded to float (double rounding is innocuous for division when 53 >= 2·24 + 2), and it vectorises
template <typename C, typename T = C>
void GatherImpl(const uint8_t* src, size_t cols, const int32_t* idx, size_t rows, double divisor, T* out) {
  const C d = static_cast<C>(divisor);
  // the rows sit at random places in a 47 MB set: ask for a few rows ahead so their cache misses
  // overlap the copying instead of stalling it one by one
  constexpr size_t kAhead = 4;
  auto prefetch = [&](size_t r) {
    const uint8_t* row = src + static_cast<size_t>(idx[r]) * cols;
    for (size_t off = 0; off < cols; off += 64) __builtin_prefetch(row + off);
  };
  for (size_t r = 0; r < rows && r < kAhead; r++) prefetch(r);
  for (size_t r = 0; r < rows; r++) {
    if (r + kAhead < rows) prefetch(r + kAhead);
    const uint8_t* row = src + static_cast<size_t>(idx[r]) * cols;
    T* dst = out + r * cols;
    for (size_t j = 0; j < cols; j++) dst[j] = static_cast<T>(static_cast<C>(row[j]) / d);
  }
}

}  // namespace

Napi::Value GatherRows(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckArgCount(info, 5, kFn, "(src, cols, indices, divisor, out)");
  Napi::Value srcValue = info[0];
  if (!srcValue.IsTypedArray() || srcValue.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw Napi::TypeError::New(env, std::string(kFn) + ": src must be a Uint8Array, got " + DescribeValue(srcValue));
  }
  Napi::Uint8Array src = srcValue.As<Napi::Uint8Array>();
  size_t cols = DimArg(info, 1, kFn, "cols");
  Napi::Value idxValue = info[2];
  if (!idxValue.IsTypedArray() || idxValue.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    throw Napi::TypeError::New(env, std::string(kFn) + ": indices must be an Int32Array, got " + DescribeValue(idxValue));
  }
  Napi::Int32Array indices = idxValue.As<Napi::Int32Array>();
  double divisor = NumberArg(info, 3, kFn, "divisor");
  FloatView out = FloatArg(info, 4, kFn, "out");
  if (divisor == 0) throw Napi::RangeError::New(env, std::string(kFn) + ": divisor must not be 0");
  if (src.ElementLength() > 0 && src.Data() == nullptr) {
    throw Napi::TypeError::New(env, std::string(kFn) + ": src's ArrayBuffer is detached");
  }
  if (cols == 0 || src.ElementLength() % cols != 0) {
    std::ostringstream s;
    s << kFn << ": src has " << src.ElementLength() << " elements, not a whole number of rows of " << cols;
    throw Napi::RangeError::New(env, s.str());
  }
  size_t count = src.ElementLength() / cols;
  size_t rows = indices.ElementLength();
  CheckLength(env, kFn, out, rows, cols);
  // every index is checked before any row is read
  const int32_t* idx = indices.Data();
  for (size_t r = 0; r < rows; r++) {
    if (idx[r] < 0 || static_cast<size_t>(idx[r]) >= count) {
      std::ostringstream s;
      s << kFn << ": indices[" << r << "] is " << idx[r] << ", outside [0, " << count << ")";
      throw Napi::RangeError::New(env, s.str());
    }
  }

  // float division only when the divisor is exactly a float (255, 1, …); otherwise divide in double
  if (out.dtype == DType::F32 && static_cast<double>(static_cast<float>(divisor)) == divisor) {
    GatherImpl<float>(src.Data(), cols, idx, rows, divisor, static_cast<float*>(out.data));
  } else if (out.dtype == DType::F32) {
    GatherImpl<double, float>(src.Data(), cols, idx, rows, divisor, static_cast<float*>(out.data));
  } else {
    GatherImpl<double>(src.Data(), cols, idx, rows, divisor, static_cast<double*>(out.data));
  }
  return env.Undefined();
}

}  // namespace blasprop
