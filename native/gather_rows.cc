// out[r] = src[indices[r]] / divisor: gathers a minibatch of uint8 rows (pixels) into floats,
// normalising on the way, so the data set stays compact and the batch costs one pass
#include <cmath>
#include <limits>
#include <sstream>
#include <type_traits>
#include <vector>

#include "args.h"
#include "multiversion.h"
#include "ops.h"
#include "two_cores.h"

namespace blasprop {

namespace {

constexpr const char* kFn = "gatherRows";

// divided in C: for float32 a correctly rounded float division equals JavaScript's double division
// rounded to float (double rounding is innocuous for division when 53 >= 2·24 + 2), and it vectorises
template <typename C, typename T = C>
struct Divide {
  C d;
  T operator()(uint8_t v) const { return static_cast<T>(static_cast<C>(v) / d); }
};

// the same quotients looked up: a double division costs more than the store it feeds, and a pixel has
// only 256 values, each divided once here exactly as Divide would
template <typename T>
struct Table {
  T q[256];
  template <typename C>
  explicit Table(Divide<C, T> divide) {
    for (int v = 0; v < 256; v++) q[v] = divide(static_cast<uint8_t>(v));
  }
  T operator()(uint8_t v) const { return q[v]; }
};

// v / d as v·hi + v·lo, where hi + lo is 1/d to twice T's precision and hi has so few significant bits
// that v·hi (v < 256) is exact: two multiplies and an add, a fraction of a division's cost (the division
// was the float32 batch gather's bottleneck: 14 µs of a 100-row batch). it is used only for a divisor
// where it was checked to equal Divide's quotient for all 256 pixel values (see SplitFor); for v / 255
// it always does, as no such quotient lies near enough to a rounding boundary for the tiny error to tell
template <typename T>
struct Split {
  T hi, lo;
  T operator()(uint8_t v) const {
    const T x = static_cast<T>(v);
    return x * hi + x * lo;
  }
};

// the split for divisor d, or nothing when it would not give Divide's bits for every pixel; kept per
// thread for the last divisor, as a gather is called with the same one every step
template <typename T, typename C>
bool SplitFor(double d, Split<T>* out) {
  thread_local double last = std::numeric_limits<double>::quiet_NaN();
  thread_local bool lastOk = false;
  thread_local Split<T> lastSplit{};
  if (d == last) {
    *out = lastSplit;
    return lastOk;
  }
  // hi: 1/d cut to digits − 8 significant bits; lo: the rest, from the exact remainder 1 − d·hi
  const int digits = std::numeric_limits<T>::digits;
  int e;
  const double frac = std::frexp(1.0 / d, &e);
  const double hi = std::ldexp(std::trunc(std::ldexp(frac, digits - 8)), e - (digits - 8));
  const Split<T> split{static_cast<T>(hi), static_cast<T>(std::fma(-d, hi, 1.0) / d)};
  const Divide<C, T> divide{static_cast<C>(d)};
  bool ok = std::isfinite(hi) && hi != 0;
  for (int v = 0; ok && v < 256; v++) ok = split(static_cast<uint8_t>(v)) == divide(static_cast<uint8_t>(v));
  last = d;
  lastOk = ok;
  lastSplit = split;
  *out = split;
  return ok;
}

template <typename T, typename Scale>
BLASPROP_CLONES void GatherImpl(const uint8_t* src, size_t cols, const int32_t* idx, size_t rows, Scale scale, T* out) {
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
    for (size_t j = 0; j < cols; j++) dst[j] = scale(row[j]);
  }
}

// rows [begin, end) of the gather
template <typename T, typename Scale>
void GatherRange(const uint8_t* src, size_t cols, const int32_t* idx, size_t begin, size_t end, Scale scale, T* out) {
  GatherImpl<T>(src, cols, idx + begin, end - begin, scale, out + begin * cols);
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

  // a large gather (an evaluation chunk) is store-bound on one core: split over two when the products
  // may use two (two_cores.h); each row is the same either way
  const uint8_t* pixels = src.as<const uint8_t>();
  const int32_t* at = idx.data();
  ForDType(out.dtype, [&](auto zero) {
    using T = decltype(zero);
    T* dst = out.as<T>();
    // float division only when the divisor is exactly a float (255, 1, …); otherwise divide in double
    Split<T> split;
    const bool exactFloat = static_cast<double>(static_cast<float>(divisor)) == divisor;
    if (std::is_same_v<T, float> && exactFloat ? SplitFor<T, float>(divisor, &split) : SplitFor<T, double>(divisor, &split)) {
      ForRowsOnTwoCores(rows, rows * cols, [&](size_t begin, size_t end) { GatherRange(pixels, cols, at, begin, end, split, dst); });
    } else if (std::is_same_v<T, float> && exactFloat) {
      const Divide<float, T> scale{static_cast<float>(divisor)};
      ForRowsOnTwoCores(rows, rows * cols, [&](size_t begin, size_t end) { GatherRange(pixels, cols, at, begin, end, scale, dst); });
    } else {
      const Table<T> scale(Divide<double, T>{divisor});
      ForRowsOnTwoCores(rows, rows * cols, [&](size_t begin, size_t end) { GatherRange(pixels, cols, at, begin, end, scale, dst); });
    }
  });
  return env.Undefined();
}

}  // namespace blasprop
