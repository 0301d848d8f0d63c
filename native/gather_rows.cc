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
  Table() = default;
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

// one gather, checked and ready to run on any thread (its second half may run on the helper). the
// quotient rule is picked once, here
struct GatherJob {
  const uint8_t* src = nullptr;
  size_t cols = 0;
  // the checked copy of the indices (its capacity kept from call to call: no allocation per step)
  std::vector<int32_t> idx;
  void* out = nullptr;
  DType dtype = DType::F32;
  enum { kSplit, kDivide, kTable } kind = kSplit;
  Split<float> splitF{};
  Split<double> splitD{};
  Divide<float> divideF{1};
  Table<float> tableF;
  Table<double> tableD;

  template <typename T>
  void RunAs(size_t begin, size_t end) const {
    T* dst = static_cast<T*>(out);
    const int32_t* at = idx.data();
    if constexpr (std::is_same_v<T, float>) {
      if (kind == kSplit) return GatherRange(src, cols, at, begin, end, splitF, dst);
      if (kind == kDivide) return GatherRange(src, cols, at, begin, end, divideF, dst);
      return GatherRange(src, cols, at, begin, end, tableF, dst);
    } else {
      if (kind == kSplit) return GatherRange(src, cols, at, begin, end, splitD, dst);
      return GatherRange(src, cols, at, begin, end, tableD, dst);
    }
  }

  void operator()(size_t begin, size_t end) const {
    ForDType(dtype, [&](auto zero) { RunAs<decltype(zero)>(begin, end); });
  }
  size_t rows() const { return idx.size(); }
};

// the column of checks gatherRows opens with, then the job it runs
void Prepare(const Napi::CallbackInfo& info, GatherJob* job) {
  const char* fn = kFn;
  Napi::Env env = info.Env();
  CheckArgCount(info, 5, fn, "(src, cols, indices, divisor, out)");
  ArrayView src = TypedArg(info, 0, napi_uint8_array, fn, "src");
  size_t cols = DimArg(info, 1, fn, "cols");
  ArrayView indices = TypedArg(info, 2, napi_int32_array, fn, "indices");
  double divisor = NumberArg(info, 3, fn, "divisor");
  FloatView out = FloatArg(info, 4, fn, "out");
  if (divisor == 0) throw Napi::RangeError::New(env, std::string(fn) + ": divisor must not be 0");
  if (cols == 0 || src.length % cols != 0) {
    std::ostringstream s;
    s << fn << ": src has " << src.length << " elements, not a whole number of rows of " << cols;
    throw Napi::RangeError::New(env, s.str());
  }
  size_t count = src.length / cols;
  size_t rows = indices.length;
  CheckLength(env, fn, out, rows, cols);
  // writing a row must not change an index still to be read, nor a source row
  CheckNoOverlap(env, fn, out, indices);
  CheckNoOverlap(env, fn, out, src);
  // each index is read once, into a copy no other thread can rewrite (indices may sit on a
  // SharedArrayBuffer), and every copied index is checked before any row is read
  const int32_t* given = indices.as<const int32_t>();
  job->idx.assign(given, given + rows);
  for (size_t r = 0; r < rows; r++) {
    if (job->idx[r] < 0 || static_cast<size_t>(job->idx[r]) >= count) {
      std::ostringstream s;
      s << fn << ": indices[" << r << "] is " << job->idx[r] << ", outside [0, " << count << ")";
      throw Napi::RangeError::New(env, s.str());
    }
  }
  job->src = src.as<const uint8_t>();
  job->cols = cols;
  job->out = out.data;
  job->dtype = out.dtype;
  // float division only when the divisor is exactly a float (255, 1, …); otherwise divide in double
  const bool exactFloat = static_cast<double>(static_cast<float>(divisor)) == divisor;
  if (out.dtype == DType::F32) {
    if (exactFloat ? SplitFor<float, float>(divisor, &job->splitF) : SplitFor<float, double>(divisor, &job->splitF)) job->kind = GatherJob::kSplit;
    else if (exactFloat) job->kind = GatherJob::kDivide, job->divideF = Divide<float>{static_cast<float>(divisor)};
    else job->kind = GatherJob::kTable, job->tableF = Table<float>(Divide<double, float>{divisor});
  } else {
    if (SplitFor<double, double>(divisor, &job->splitD)) job->kind = GatherJob::kSplit;
    else job->kind = GatherJob::kTable, job->tableD = Table<double>(Divide<double, double>{divisor});
  }
}

}  // namespace

Napi::Value GatherRows(const Napi::CallbackInfo& info) {
  // reused per thread: no allocation per call once the indices' copy has grown
  thread_local GatherJob job;
  Prepare(info, &job);
  // a gather is store-bound on one core: split over two by the rule of two_cores.h (an evaluation
  // chunk always, a training batch while the helper is awake from the step's products), cut where a
  // product cuts its rows, so each core's half of the next product reads rows it has just written;
  // each row is the same either way
  ForRowsOnTwoCores(job.rows(), job.rows() * job.cols, job);
  return info.Env().Undefined();
}

}  // namespace blasprop
