// convReluPool(X, n, channels, height, width, kernelHeight, kernelWidth, stride, pad, poolHeight,
// poolWidth, poolStride, W, b, out, argmax) and convReluPoolBackward(X, n, …, poolStride, W, Y, dout,
// argmax, dW, db, dx | null): Convolution → Relu → max Pooling in one op, the maths of
// src/kernels/conv_relu_pool.ts.
//
// why fused: the three layers apart stream the whole N×filters×OH×OW convolution output through
// memory about ten times per step (SimpleConvNet: 6.9 MB, ~0.5 ms a pass here), several times the
// cost of the products themselves. here the batch goes through in blocks of samples small enough to
// stay in L2: per block im2col, one product W·col, then bias, the window maximum and relu straight
// from cache into the pooled rows; the convolution and relu outputs are never written out.
// relu(max(v)) = max(relu(v)) exactly, and for a positive maximum the first maximum of v is the first
// of relu(v), so outputs and the gradients they route equal the three layers' bit for bit (where the
// maximum is ≤ 0 no gradient flows, whichever position argmax names).
//
// backward recomputes each block's columns (cheaper than keeping N·OH·OW columns in memory) and
// writes each block's dW and db into its own slot; the slots are then summed in block order, so the
// result does not depend on how many threads ran the blocks, nor on which ran which.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "args.h"
#include "blas.h"
#include "im2col.h"
#include "ops.h"
#include "parallel.h"
#include "threads.h"
#include "window.h"

namespace blasprop {

namespace {

// the epilogues are inlined whole into their callers, so the AVX2 copies below compile them for AVX2
#if defined(__GNUC__) || defined(__clang__)
#define BLASPROP_INLINE inline __attribute__((always_inline))
#else
#define BLASPROP_INLINE inline
#endif

// a block's columns and products stay in a core's L2 (2 MB here) with room to spare: measured on
// SimpleConvNet, blocks of 128–256 KB (1–2 samples) ran forward and backward ~1.4× faster than 512 KB
// to 1 MB, whose products fell out of cache. src/bench/conv.ts's floor uses the same blocks
constexpr size_t kBlockBytes = 256 * 1024;

// the shapes one call works with
struct Plan {
  Window conv;   // the convolution over the input
  Window pool;   // the pooling over the convolution's output (c = filters)
  size_t filters, k, plane, pooled;  // W is filters × k; plane = OH·OW; pooled = pool OH·OW
  size_t block, blocks;              // samples per block, and how many blocks
};

Plan MakePlan(const Window& conv, const Window& pool, size_t itemSize) {
  Plan p{conv, pool, pool.c, conv.c * conv.kh * conv.kw, conv.oh * conv.ow, pool.oh * pool.ow, 1, 0};
  // per sample: its columns and its products (backward with dx adds the columns' gradient)
  size_t perSample = (p.k + p.filters) * p.plane * itemSize;
  p.block = std::max<size_t>(1, kBlockBytes / perSample);
  p.blocks = conv.n == 0 ? 0 : (conv.n + p.block - 1) / p.block;
  return p;
}

// v when keep, else +0, chosen by masking bits (a branch on keep would mispredict half the time)
template <typename T>
BLASPROP_INLINE T Keep(T v, bool keep) {
  using Bits = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
  Bits bits;
  std::memcpy(&bits, &v, sizeof v);
  bits &= Bits(0) - static_cast<Bits>(keep);
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

// threads for the whole call: one when the work is small (as for a small product), else the setting
int ThreadsFor(const Plan& p) {
  double work = double(p.conv.n) * double(p.plane) * double(p.filters) * double(p.k);
  return work < kSmallProduct ? 1 : LargeProductThreads();
}

// this thread's scratch, grown to the largest block it has seen and kept (helpers are long-lived)
template <typename T>
T* Scratch(size_t length) {
  thread_local std::vector<T> buffer;
  if (buffer.size() < length) buffer.resize(length);
  return buffer.data();
}

// v replaces the running max when larger, or when it is NaN and the max is not (max_pool.cc's rule);
// & rather than &&, so no branch is taken on the data (which wins is a coin toss on real activations)
template <typename T>
BLASPROP_INLINE bool Wins(T v, T max) {
  return !(v <= max) & (max == max);
}

// pooled rows oy0 … oy1 − 1 of one plane, window by window, by the rule above (any window, NaN too);
// out and argmax point at the plane's first output
template <typename T>
void PoolRows(const T* plane, const Window& g, T bias, int32_t base, size_t oy0, size_t oy1, T* out, int32_t* argmax) {
  for (size_t oy = oy0; oy < oy1; oy++) {
    for (size_t ox = 0; ox < g.ow; ox++) {
      const size_t k0 = oy * g.stride * g.w + ox * g.stride;
      T max = plane[k0] + bias;
      size_t best = k0;
      for (size_t y = 0; y < g.kh; y++) {
        for (size_t x = 0; x < g.kw; x++) {
          const size_t k = k0 + y * g.w + x;
          const T v = plane[k] + bias;
          const bool win = Wins(v, max);
          max = win ? v : max;
          best = win ? k : best;
        }
      }
      out[oy * g.ow + ox] = max <= T(0) ? T(0) : max;
      argmax[oy * g.ow + ox] = base + static_cast<int32_t>(best);
    }
  }
}

// one pooled row of 2×2 windows at stride 2 (SimpleConvNet's) from input rows r0 and r1, written so the
// compiler vectorises it (the windows are independent, the selects become blends; the build passes
// -fno-trapping-math, without which it would not): a plain > chain, which is the rule above when no
// value is NaN. returns whether one was, and then the caller redoes the row by the rule.
// first is r0[0]'s index in the convolution's output, w the distance from r0 to r1
template <typename T>
BLASPROP_INLINE bool PoolRow2x2(const T* __restrict r0, const T* __restrict r1, size_t ow, T bias, int32_t first, int32_t w, T* __restrict out,
                int32_t* __restrict argmax) {
  int32_t nan = 0;
  for (size_t ox = 0; ox < ow; ox++) {
    const T a = r0[2 * ox] + bias, b = r0[2 * ox + 1] + bias, c = r1[2 * ox] + bias, d = r1[2 * ox + 1] + bias;
    T max = a;
    int32_t at = 0;
    bool win = b > max;
    max = win ? b : max;
    at = win ? 1 : at;
    win = c > max;
    max = win ? c : max;
    at = win ? w : at;
    win = d > max;
    max = win ? d : max;
    at = win ? w + 1 : at;
    out[ox] = max > T(0) ? max : T(0);
    argmax[ox] = first + 2 * static_cast<int32_t>(ox) + at;
    nan |= static_cast<int32_t>(a != a) | static_cast<int32_t>(b != b) | static_cast<int32_t>(c != c) | static_cast<int32_t>(d != d);
  }
  return nan != 0;
}

// bias, window maximum and relu for one block's products (filters rows of count·plane values), into
// the pooled rows of samples first … first + count − 1
template <typename T>
BLASPROP_INLINE void PoolBlock(const Plan& p, const T* conv, size_t first, size_t count, const T* b, T* out, int32_t* argmax) {
  const Window g = p.pool;
  const bool twoByTwo = g.kh == 2 && g.kw == 2 && g.stride == 2;
  const size_t row = count * p.plane;
  for (size_t s = 0; s < count; s++) {
    for (size_t f = 0; f < p.filters; f++) {
      const T* plane = conv + f * row + s * p.plane;
      const size_t o = ((first + s) * p.filters + f) * p.pooled;
      const auto base = static_cast<int32_t>(((first + s) * p.filters + f) * p.plane);
      if (!twoByTwo) {
        PoolRows(plane, g, b[f], base, 0, g.oh, out + o, argmax + o);
        continue;
      }
      for (size_t oy = 0; oy < g.oh; oy++) {
        const size_t top = 2 * oy * g.w;
        if (PoolRow2x2(plane + top, plane + top + g.w, g.ow, b[f], base + static_cast<int32_t>(top), static_cast<int32_t>(g.w), out + o + oy * g.ow,
                       argmax + o + oy * g.ow)) {
          PoolRows(plane, g, b[f], base, oy, oy + 1, out + o, argmax + o);
        }
      }
    }
  }
}

template <typename T>
void Forward(const Plan& p, const T* x, const T* W, const T* b, T* out, int32_t* argmax) {
  const size_t inSize = p.conv.inputSize();
  ParallelFor(ThreadsFor(p), p.blocks, [&](size_t blk) {
    const size_t first = blk * p.block, count = std::min(p.block, p.conv.n - first);
    Window g = p.conv;
    g.n = count;
    const size_t row = count * p.plane;
    T* col = Scratch<T>((p.k + p.filters) * p.block * p.plane);
    T* conv = col + p.k * row;
    Im2colImpl(x + first * inSize, g, col);
    BlasGemm(CblasNoTrans, CblasNoTrans, static_cast<blasint>(p.filters), static_cast<blasint>(row), static_cast<blasint>(p.k),
             T(1), W, static_cast<blasint>(p.k), col, static_cast<blasint>(row), T(0), conv, static_cast<blasint>(row));
    PoolBlockBest(p, conv, first, count, b, out, argmax);
  });
}

// records pooled output o as a bad argmax (the lowest one wins, whichever thread saw it)
inline void Flag(std::atomic<size_t>& bad, size_t o) {
  size_t seen = bad.load();
  while (o < seen && !bad.compare_exchange_weak(seen, o)) {
  }
}

// Σ v[0 … n − 1] over 8 lanes, so the compiler vectorises it; a fixed order, so the same bits each run
template <typename T>
BLASPROP_INLINE T LaneSum(const T* v, size_t n) {
  T lanes[8] = {};
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (size_t l = 0; l < 8; l++) lanes[l] += v[i + l];
  }
  T sum = T(0);
  for (size_t l = 0; l < 8; l++) sum += lanes[l];
  for (; i < n; i++) sum += v[i];
  return sum;
}

// one plane's pooled gradients added at their windows' maxima (any window; windows may overlap),
// where the pooled output passed relu; returns their sum (the plane's share of db). each index is read
// once and checked where it is used (args.h): one outside the plane is flagged and skipped
template <typename T>
T ScatterPlane(const Plan& p, T* plane, size_t base, size_t o0, const T* y, const T* dout, const int32_t* argmax, std::atomic<size_t>& bad) {
  T sum = T(0);
  for (size_t o = o0; o < o0 + p.pooled; o++) {
    const size_t k = static_cast<size_t>(static_cast<uint32_t>(argmax[o])) - base;
    if (argmax[o] < 0 || k >= p.plane) {
      Flag(bad, o);
      continue;
    }
    // relu's mask (NaN lets the gradient through, as Relu does), by bits rather than a branch
    const T g = Keep(dout[o], !(y[o] <= T(0)));
    plane[k] += g;
    sum += g;
  }
  return sum;
}

// one pooled row's gradients into its two input rows r0, r1 of dconv, for 2×2 windows at stride 2
// (which never overlap, so each position is written, not added to): the window's gradient at its
// argmax, 0 at its other three, and the gradient into gs for db. written so the compiler vectorises
// it; no address comes from argmax: a window whose argmax is none of its four positions gets zeros,
// and the row reports it. first is r0[0]'s index in the convolution's output, w the row length
template <typename T>
BLASPROP_INLINE bool ScatterRow2x2(T* __restrict r0, T* __restrict r1, size_t ow, const T* __restrict y, const T* __restrict dout, const int32_t* __restrict argmax,
                   uint32_t first, uint32_t w, T* __restrict gs) {
  int32_t bad = 0;
  for (size_t ox = 0; ox < ow; ox++) {
    // both loads unconditional and the choices by bits: either kind of condition keeps the
    // compiler from vectorising the loop
    const T d = dout[ox];
    const T g = Keep(d, !(y[ox] <= T(0)));
    const uint32_t at = static_cast<uint32_t>(argmax[ox]) - (first + 2 * static_cast<uint32_t>(ox));
    r0[2 * ox] = Keep(g, at == 0);
    r0[2 * ox + 1] = Keep(g, at == 1);
    r1[2 * ox] = Keep(g, at == w);
    r1[2 * ox + 1] = Keep(g, at == w + 1);
    bad |= static_cast<int32_t>(at != 0) & static_cast<int32_t>(at != 1) & static_cast<int32_t>(at != w) & static_cast<int32_t>(at != w + 1);
    gs[ox] = g;
  }
  return bad != 0;
}

// dconv for one block: each pooled gradient at its window's maximum, where the pooled output passed
// relu; the block's db (one per filter) on the way
template <typename T>
BLASPROP_INLINE void ScatterBlock(const Plan& p, T* dconv, size_t first, size_t count, const T* y, const T* dout, const int32_t* argmax, T* gs,
                                  T* blockDb, std::atomic<size_t>& bad) {
  const size_t row = count * p.plane;
  const bool twoByTwo = p.pool.kh == 2 && p.pool.kw == 2 && p.pool.stride == 2;
  // 2×2 windows at stride 2 write every position they cover; the rest must be zero
  if (!twoByTwo || 2 * p.pool.oh != p.pool.h || 2 * p.pool.ow != p.pool.w) std::fill(dconv, dconv + p.filters * row, T(0));
  for (size_t s = 0; s < count; s++) {
    for (size_t f = 0; f < p.filters; f++) {
      const size_t o0 = ((first + s) * p.filters + f) * p.pooled;
      const size_t base = ((first + s) * p.filters + f) * p.plane;
      T* plane = dconv + f * row + s * p.plane;
      if (!twoByTwo) {
        blockDb[f] = (s == 0 ? T(0) : blockDb[f]) + ScatterPlane(p, plane, base, o0, y, dout, argmax, bad);
        continue;
      }
      const Window& pw = p.pool;
      for (size_t oy = 0; oy < pw.oh; oy++) {
        const size_t top = 2 * oy * pw.w, o = o0 + oy * pw.ow;
        if (ScatterRow2x2(plane + top, plane + top + pw.w, pw.ow, y + o, dout + o, argmax + o, static_cast<uint32_t>(base + top),
                          static_cast<uint32_t>(pw.w), gs + oy * pw.ow)) {
          // which one, for the message: the first whose offset in its window is none of the four
          for (size_t ox = 0; ox < pw.ow; ox++) {
            const uint32_t at = static_cast<uint32_t>(argmax[o + ox]) - static_cast<uint32_t>(base + top + 2 * ox);
            if (at != 0 && at != 1 && at != pw.w && at != pw.w + 1) {
              Flag(bad, o + ox);
              break;
            }
          }
        }
      }
      blockDb[f] = (s == 0 ? T(0) : blockDb[f]) + LaneSum(gs, p.pooled);
    }
  }
}

// the epilogues once more, compiled for AVX2 (x86-64 with GCC or Clang): the same code, so the same
// results, twice as wide. picked at run time by what the processor has
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
template <typename T>
__attribute__((target("avx2"))) void PoolBlockAvx2(const Plan& p, const T* conv, size_t first, size_t count, const T* b, T* out, int32_t* argmax) {
  PoolBlock(p, conv, first, count, b, out, argmax);
}
template <typename T>
__attribute__((target("avx2"))) void ScatterBlockAvx2(const Plan& p, T* dconv, size_t first, size_t count, const T* y, const T* dout,
                                                      const int32_t* argmax, T* gs, T* blockDb, std::atomic<size_t>& bad) {
  ScatterBlock(p, dconv, first, count, y, dout, argmax, gs, blockDb, bad);
}
bool HasAvx2() {
  static const bool avx2 = __builtin_cpu_supports("avx2");
  return avx2;
}
#define BLASPROP_AVX2(call_avx2, call) (HasAvx2() ? call_avx2 : call)
#else
#define BLASPROP_AVX2(call_avx2, call) (call)
#endif

template <typename T>
void PoolBlockBest(const Plan& p, const T* conv, size_t first, size_t count, const T* b, T* out, int32_t* argmax) {
  BLASPROP_AVX2(PoolBlockAvx2(p, conv, first, count, b, out, argmax), PoolBlock(p, conv, first, count, b, out, argmax));
}

template <typename T>
void ScatterBlockBest(const Plan& p, T* dconv, size_t first, size_t count, const T* y, const T* dout, const int32_t* argmax, T* gs, T* blockDb,
                      std::atomic<size_t>& bad) {
  BLASPROP_AVX2(ScatterBlockAvx2(p, dconv, first, count, y, dout, argmax, gs, blockDb, bad), ScatterBlock(p, dconv, first, count, y, dout, argmax, gs, blockDb, bad));
}

// returns the first pooled output whose argmax lies outside its own plane (none: SIZE_MAX); those are
// skipped, never written through
template <typename T>
size_t Backward(const Plan& p, const T* x, const T* W, const T* y, const T* dout, const int32_t* argmax, T* dW, T* db, T* dx) {
  const size_t inSize = p.conv.inputSize();
  const size_t slot = p.filters * (p.k + 1);
  // each block's dW (filters × k) and db (filters), summed below in block order
  thread_local std::vector<T> slots;
  if (slots.size() < p.blocks * slot) slots.resize(p.blocks * slot);
  T* partial = slots.data();
  std::atomic<size_t> bad{SIZE_MAX};
  ParallelFor(ThreadsFor(p), p.blocks, [&](size_t blk) {
    const size_t first = blk * p.block, count = std::min(p.block, p.conv.n - first);
    Window g = p.conv;
    g.n = count;
    const size_t row = count * p.plane;
    T* col = Scratch<T>((2 * p.k + p.filters) * p.block * p.plane + p.pooled);
    T* dconv = col + p.k * row;
    T* dcol = dconv + p.filters * row;
    // one plane's pooled gradients after relu's mask, summed into db
    T* gs = dcol + p.k * row;
    T* blockDW = partial + blk * slot;
    T* blockDb = blockDW + p.filters * p.k;
    Im2colImpl(x + first * inSize, g, col);
    ScatterBlockBest(p, dconv, first, count, y, dout, argmax, gs, blockDb, bad);
    // the block's dW = dconv·colᵀ
    BlasGemm(CblasNoTrans, CblasTrans, static_cast<blasint>(p.filters), static_cast<blasint>(p.k), static_cast<blasint>(row),
             T(1), dconv, static_cast<blasint>(row), col, static_cast<blasint>(row), T(0), blockDW, static_cast<blasint>(p.k));
    if (dx == nullptr) return;
    // dx: dcol = Wᵀ·dconv, each column added back onto its pixels (the block's own rows of dx)
    BlasGemm(CblasTrans, CblasNoTrans, static_cast<blasint>(p.k), static_cast<blasint>(row), static_cast<blasint>(p.filters),
             T(1), W, static_cast<blasint>(p.k), dconv, static_cast<blasint>(row), T(0), dcol, static_cast<blasint>(row));
    Col2imImpl(dcol, g, dx + first * inSize);
  });
  const size_t weights = p.filters * p.k;
  std::fill(dW, dW + weights, T(0));
  std::fill(db, db + p.filters, T(0));
  for (size_t blk = 0; blk < p.blocks; blk++) {
    const T* part = partial + blk * slot;
    for (size_t i = 0; i < weights; i++) dW[i] += part[i];
    for (size_t f = 0; f < p.filters; f++) db[f] += part[weights + f];
  }
  return bad.load();
}

// the arguments both ops share: X, the two windows, W; filters from W's length and k
struct Common {
  FloatView X, W;
  Plan plan;
};

Common CommonArgs(const Napi::CallbackInfo& info, const char* fn, size_t filters) {
  Napi::Env env = info.Env();
  FloatView X = FloatArg(info, 0, fn, "X");
  Window conv = WindowArgs(info, 1, fn);
  if (filters == 0) throw Napi::RangeError::New(env, std::string(fn) + ": filters (b's length) must be at least 1, got 0");
  Window pool = PoolWindowArgs(info, 9, fn, conv, filters);
  FloatView W = FloatArg(info, 12, fn, "W");
  CheckSameDType(env, fn, X, W);
  CheckLength(env, fn, X, conv.n, conv.inputSize());
  CheckLength(env, fn, W, filters, conv.c * conv.kh * conv.kw);
  return {X, W, MakePlan(conv, pool, X.itemSize)};
}

}  // namespace

Napi::Value ConvReluPool(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  constexpr const char* kFn = "convReluPool";
  CheckArgCount(info, 16, kFn, "(X, n, channels, height, width, kernelHeight, kernelWidth, stride, pad, poolHeight, poolWidth, poolStride, W, b, out, argmax)");
  FloatView b = FloatArg(info, 13, kFn, "b");
  Common c = CommonArgs(info, kFn, b.length);
  const Plan& p = c.plan;
  FloatView out = FloatArg(info, 14, kFn, "out");
  ArrayView argmax = TypedArg(info, 15, napi_int32_array, kFn, "argmax");
  CheckSameDType(env, kFn, c.X, b);
  CheckSameDType(env, kFn, c.X, out);
  CheckLength(env, kFn, out, p.conv.n, p.filters * p.pooled);
  CheckSameLength(env, kFn, out, argmax);
  for (const ArrayView* in : {static_cast<const ArrayView*>(&c.X), static_cast<const ArrayView*>(&c.W), static_cast<const ArrayView*>(&b)}) {
    CheckNoOverlap(env, kFn, out, *in);
    CheckNoOverlap(env, kFn, argmax, *in);
  }
  CheckNoOverlap(env, kFn, argmax, out);

  // the blocks' products run single-threaded, side by side
  UseThreadsFor(1, 1, 1);
  ForDType(c.X.dtype, [&](auto zero) {
    using T = decltype(zero);
    Forward(p, c.X.as<const T>(), c.W.as<const T>(), b.as<const T>(), out.as<T>(), argmax.as<int32_t>());
  });
  return env.Undefined();
}

Napi::Value ConvReluPoolBackward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  constexpr const char* kFn = "convReluPoolBackward";
  CheckArgCount(info, 19, kFn, "(X, n, channels, height, width, kernelHeight, kernelWidth, stride, pad, poolHeight, poolWidth, poolStride, W, Y, dout, argmax, dW, db, dx)");
  FloatView db = FloatArg(info, 17, kFn, "db");
  Common c = CommonArgs(info, kFn, db.length);
  const Plan& p = c.plan;
  FloatView Y = FloatArg(info, 13, kFn, "Y");
  FloatView dout = FloatArg(info, 14, kFn, "dout");
  ArrayView argmax = TypedArg(info, 15, napi_int32_array, kFn, "argmax");
  FloatView dW = FloatArg(info, 16, kFn, "dW");
  // dx is null when nobody reads the input's gradient (a network's first layer)
  const bool withDx = !info[18].IsNull();
  FloatView dx = withDx ? FloatArg(info, 18, kFn, "dx") : FloatView{};
  for (const FloatView* v : {&Y, &dout, &dW, &db}) CheckSameDType(env, kFn, c.X, *v);
  CheckLength(env, kFn, Y, p.conv.n, p.filters * p.pooled);
  CheckSameLength(env, kFn, Y, dout);
  CheckSameLength(env, kFn, Y, argmax);
  CheckSameLength(env, kFn, c.W, dW);
  if (withDx) {
    CheckSameDType(env, kFn, c.X, dx);
    CheckSameLength(env, kFn, c.X, dx);
  }
  std::vector<const ArrayView*> ins{&c.X, &c.W, &Y, &dout, &argmax};
  std::vector<const ArrayView*> outs{&dW, &db};
  if (withDx) outs.push_back(&dx);
  for (size_t i = 0; i < outs.size(); i++) {
    for (const ArrayView* in : ins) CheckNoOverlap(env, kFn, *outs[i], *in);
    for (size_t j = i + 1; j < outs.size(); j++) CheckNoOverlap(env, kFn, *outs[i], *outs[j]);
  }

  UseThreadsFor(1, 1, 1);
  size_t bad = SIZE_MAX;
  ForDType(c.X.dtype, [&](auto zero) {
    using T = decltype(zero);
    bad = Backward(p, c.X.as<const T>(), c.W.as<const T>(), Y.as<const T>(), dout.as<const T>(), argmax.as<const int32_t>(),
                   dW.as<T>(), db.as<T>(), withDx ? dx.as<T>() : nullptr);
  });
  if (bad != SIZE_MAX) {
    throw Napi::RangeError::New(env, std::string(kFn) + ": argmax[" + std::to_string(bad) + "] is " + std::to_string(argmax.as<const int32_t>()[bad]) +
                                         ", not a position in its window (dW, db and dx are not valid)");
  }
  return env.Undefined();
}

}  // namespace blasprop
