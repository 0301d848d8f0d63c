// out[r] = src[indices[r]] / divisor: gathers a minibatch of uint8 rows (pixels) into floats,
// normalising on the way, so the data set stays compact and the batch costs one pass
#include <sstream>
#include <type_traits>
#include <vector>

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
  ArrayView src = TypedArg(info, 0, napi_uint8_array, kFn, "src");
  size_t cols = DimArg(info, 1, kFn, "cols");
  ArrayView indices = TypedArg(info, 2, napi_int32_array, kFn, "indices");
  double divisor = NumberArg(info, 3, kFn, "divisor");
  FloatView out = FloatArg(info, 4, kFn, "out");
  if (divisor == 0) throw Napi::RangeError::New(env, std::string(kFn) + ": divisor must not be 0");
  if (cols == 0 || src.length % cols != 0) {
    std::ostringstream s;
    s << kFn << ": src has " << src.length << " elements, not a whole number of rows of " << cols;
    throw Napi::RangeError::New(env, s.str());
  }
  size_t count = src.length / cols;
  size_t rows = indices.length;
  CheckLength(env, kFn, out, rows, cols);
  // writing a row must not change an index still to be read, nor a source row
  CheckNoOverlap(env, kFn, out, indices);
  CheckNoOverlap(env, kFn, out, src);
  // each index is read once, into a copy no other thread can rewrite (indices may sit on a
  // SharedArrayBuffer), and every copied index is checked before any row is read
  std::vector<int32_t> idx(indices.as<const int32_t>(), indices.as<const int32_t>() + rows);
  for (size_t r = 0; r < rows; r++) {
    if (idx[r] < 0 || static_cast<size_t>(idx[r]) >= count) {
      std::ostringstream s;
      s << kFn << ": indices[" << r << "] is " << idx[r] << ", outside [0, " << count << ")";
      throw Napi::RangeError::New(env, s.str());
    }
  }

  ForDType(out.dtype, [&](auto zero) {
    using T = decltype(zero);
    // float division only when the divisor is exactly a float (255, 1, …); otherwise divide in double
    if (std::is_same_v<T, float> && static_cast<double>(static_cast<float>(divisor)) == divisor) {
      GatherImpl<float, T>(src.as<const uint8_t>(), cols, idx.data(), rows, divisor, out.as<T>());
    } else {
      GatherImpl<double, T>(src.as<const uint8_t>(), cols, idx.data(), rows, divisor, out.as<T>());
    }
  });
  return env.Undefined();
}

}  // namespace blasprop
