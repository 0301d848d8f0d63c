// convReluPool(X, n, channels, height, width, kernelHeight, kernelWidth, stride, pad, poolHeight,
// poolWidth, poolStride, W, b, out, argmax) and convReluPoolBackward(X, n, …, poolStride, W, Y, dout,
// argmax, dW, db, dx | null): Convolution → Relu → max Pooling in one op, the maths of
// src/kernels/conv-relu-pool.ts.
//
// why fused: the three layers apart stream the whole N×filters×OH×OW convolution output through
// memory about ten times per step (SimpleConvNet: 6.9 MB, ~0.5 ms a pass here), several times the
// cost of the products themselves. here the batch goes through in blocks of samples small enough to
// stay in L2: per block im2col, one product W·col, then bias, the window maximum and relu straight
// from cache into the pooled rows; the convolution and relu outputs are never written out.
// relu(max(v)) = max(relu(v)) exactly, and for a positive maximum the first maximum of v is the first
// of relu(v), so outputs and the gradients they route equal the three layers' bit for bit (where the
// maximum is ≤ 0 no gradient flows, whichever position argmax names). for 2×2 windows at stride 2
// (SimpleConvNet's) the block's columns are put in window order, so the epilogues are long contiguous
// loops (see "2×2 windows" below).
//
// backward recomputes each block's columns (cheaper than keeping N·OH·OW columns in memory) and
// writes each block's dW and db into its own slot; the slots are then summed in block order, so the
// result does not depend on how the blocks were split over the cores (two_cores.h), nor on which ran which.
#include <algorithm>
#include <atomic>
#include <exception>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <string>
#include <type_traits>
#include <vector>

#include "args.h"
#include "blas.h"
#include "im2col.h"
#include "max_rule.h"
#include "multiversion.h"
#include "ops.h"
#include "threads.h"
#include "two_cores.h"
#include "window.h"

namespace blasprop {

namespace {

// the epilogues' loops are inlined whole into PoolBlock and ScatterBlock, whose AVX2 clones
// (multiversion.h) then compile them twice as wide
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

// body(blk) for every block, over two cores when the block work is large (two_cores.h; its measure is
// the convolution's output values), each block to whichever core asks next: the blocks are
// independent and each writes only its own outputs, so the split changes no bit. an exception (no
// memory for a thread's scratch) skips the blocks not yet started and is rethrown here, once both
// cores have stopped
template <typename Body>
void ForBlocks(const Plan& p, const Body& body) {
  std::exception_ptr failure;
  std::atomic<bool> failed{false};
  std::mutex lock;
  const auto run = [&](size_t blk) {
    if (failed.load(std::memory_order_relaxed)) return;
    try {
      body(blk);
    } catch (...) {
      std::lock_guard<std::mutex> hold(lock);
      if (!failure) failure = std::current_exception();
      failed.store(true, std::memory_order_relaxed);
    }
  };
  ForItemsOnTwoCores(p.blocks, p.conv.n * p.filters * p.plane, run);
  if (failure) std::rethrow_exception(failure);
}

// this thread's scratch, grown to the largest block it has seen and kept (helpers are long-lived);
// Tag tells apart buffers in use at the same time
template <typename T, int Tag = 0>
T* Scratch(size_t length) {
  thread_local std::vector<T> buffer;
  if (buffer.size() < length) buffer.resize(length);
  return buffer.data();
}

// ---- any pooling window: the products in their natural order, each window scanned ----

// one plane's pooled outputs, window by window, by max_rule.h's rule (NaN too); out and argmax point at
// the plane's first output, base is the plane's index in the convolution's output
template <typename T>
void PoolPlane(const T* plane, const Window& g, T bias, int32_t base, T* out, int32_t* argmax) {
  for (size_t oy = 0; oy < g.oh; oy++) {
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

// records pooled output o as a bad argmax (the lowest one wins, whichever thread saw it)
inline void Flag(std::atomic<size_t>& bad, size_t o) {
  size_t seen = bad.load();
  while (o < seen && !bad.compare_exchange_weak(seen, o)) {
  }
}

// one plane's pooled gradients added at their windows' maxima (windows may overlap), where the pooled
// output passed relu; returns their sum (the plane's share of db). each index is read once and checked
// where it is used (args.h): one outside the plane is flagged and skipped
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

// ---- 2×2 windows at stride 2 tiling the output (SimpleConvNet's): the products in window order ----
//
// a block's columns are laid out so that each window's four positions land in four segments of one
// product row: segment d = 2·dy + dx holds, for every sample s and window (oy, ox) in order, the
// position (2·oy + dy, 2·ox + dx). the product's columns are the same columns in another order, so each
// value is the same dot product (the tests hold it to the unfused layers bit for bit), and the window
// maximum becomes four contiguous loads per window: long loops the compiler vectorises, no shuffles.
// argmax keeps the natural index, as Pooling's

bool Tiled(const Plan& p) {
  return p.pool.kh == 2 && p.pool.kw == 2 && p.pool.stride == 2 && p.conv.oh == 2 * p.pool.oh && p.conv.ow == 2 * p.pool.ow;
}

// the input columns (of the padded image) sampled by window column ox ∈ [0, pw) at xx = ox·step + offset,
// that lie inside [0, w): ox ∈ [*begin, *end)
inline void TiledRange(long offset, size_t step, size_t pw, size_t w, size_t* begin, size_t* end) {
  long b = offset >= 0 ? 0 : (-offset + static_cast<long>(step) - 1) / static_cast<long>(step);
  long e = static_cast<long>(w) - offset <= 0 ? 0 : (static_cast<long>(w) - offset + static_cast<long>(step) - 1) / static_cast<long>(step);
  e = std::min(e, static_cast<long>(pw));
  *begin = static_cast<size_t>(std::min(b, e));
  *end = static_cast<size_t>(e);
}

// dst[i] = src[2·i] for i < n (restrict: the compiler vectorises it)
template <typename T>
BLASPROP_INLINE void EveryOther(const T* __restrict src, size_t n, T* __restrict dst) {
  for (size_t i = 0; i < n; i++) dst[i] = src[2 * i];
}

// im2col for g.n samples in window order; pw, ph: the pooled width and height
template <typename T>
void Im2colTiled(const T* x, const Window& g, size_t ph, size_t pw, T* col) {
  const size_t segment = g.n * ph * pw;
  if (g.stride == 1 && g.pad == 0) {
    // no padding, stride 1 (SimpleConvNet's): every value inside the image, and most segments equal
    // one already written: segment (dy, 0) of kernel entry (i, j) is segment (dy, 1) of (i, j − 1),
    // segment (0, dx) of (i, j) is (1, dx) of (i − 1, j). so 36 of SimpleConvNet's 100 are gathered
    // from the image and the rest copied
    const auto rowAt = [&](size_t c, size_t i, size_t j) { return col + ((c * g.kh + i) * g.kw + j) * 4 * segment; };
    for (size_t c = 0; c < g.c; c++) {
      for (size_t i = 0; i < g.kh; i++) {
        for (size_t j = 0; j < g.kw; j++) {
          for (size_t d = 0; d < 4; d++) {
            const size_t dy = d >> 1, dx = d & 1;
            T* dst = rowAt(c, i, j) + d * segment;
            if (dx == 0 && j > 0) {
              std::memcpy(dst, rowAt(c, i, j - 1) + (d + 1) * segment, segment * sizeof(T));
            } else if (dy == 0 && i > 0) {
              std::memcpy(dst, rowAt(c, i - 1, j) + (d + 2) * segment, segment * sizeof(T));
            } else {
              for (size_t s = 0; s < g.n; s++) {
                const T* plane = x + (s * g.c + c) * g.h * g.w;
                for (size_t oy = 0; oy < ph; oy++, dst += pw) EveryOther(plane + (2 * oy + dy + i) * g.w + dx + j, pw, dst);
              }
            }
          }
        }
      }
    }
    return;
  }
  for (size_t c = 0; c < g.c; c++) {
    for (size_t i = 0; i < g.kh; i++) {
      for (size_t j = 0; j < g.kw; j++) {
        T* row = col + ((c * g.kh + i) * g.kw + j) * 4 * segment;
        for (size_t d = 0; d < 4; d++) {
          const size_t dy = d >> 1, dx = d & 1;
          // input column of window column ox: (2·ox + dx)·stride + j − pad
          const long offset = static_cast<long>(dx * g.stride + j) - static_cast<long>(g.pad);
          size_t b, e;
          TiledRange(offset, 2 * g.stride, pw, g.w, &b, &e);
          T* dst = row + d * segment;
          for (size_t s = 0; s < g.n; s++) {
            const T* plane = x + (s * g.c + c) * g.h * g.w;
            for (size_t oy = 0; oy < ph; oy++, dst += pw) {
              const long y = static_cast<long>((2 * oy + dy) * g.stride + i) - static_cast<long>(g.pad);
              if (y < 0 || y >= static_cast<long>(g.h)) {
                std::fill(dst, dst + pw, T(0));
                continue;
              }
              const T* src = plane + y * static_cast<long>(g.w) + offset;
              std::fill(dst, dst + b, T(0));
              for (size_t ox = b; ox < e; ox++) dst[ox] = src[ox * 2 * g.stride];
              std::fill(dst + e, dst + pw, T(0));
            }
          }
        }
      }
    }
  }
}

// its adjoint: dx (g.n samples) = zero, then every column entry added back onto its pixel
template <typename T>
void Col2imTiled(const T* col, const Window& g, size_t ph, size_t pw, T* dx) {
  std::fill(dx, dx + g.n * g.inputSize(), T(0));
  const size_t segment = g.n * ph * pw;
  for (size_t c = 0; c < g.c; c++) {
    for (size_t i = 0; i < g.kh; i++) {
      for (size_t j = 0; j < g.kw; j++) {
        const T* row = col + ((c * g.kh + i) * g.kw + j) * 4 * segment;
        for (size_t d = 0; d < 4; d++) {
          const size_t dy = d >> 1, dx0 = d & 1;
          const long offset = static_cast<long>(dx0 * g.stride + j) - static_cast<long>(g.pad);
          size_t b, e;
          TiledRange(offset, 2 * g.stride, pw, g.w, &b, &e);
          const T* src = row + d * segment;
          for (size_t s = 0; s < g.n; s++) {
            T* plane = dx + (s * g.c + c) * g.h * g.w;
            for (size_t oy = 0; oy < ph; oy++, src += pw) {
              const long y = static_cast<long>((2 * oy + dy) * g.stride + i) - static_cast<long>(g.pad);
              if (y < 0 || y >= static_cast<long>(g.h)) continue;
              T* dst = plane + y * static_cast<long>(g.w) + offset;
              for (size_t ox = b; ox < e; ox++) dst[static_cast<long>(ox * 2 * g.stride)] += src[ox];
            }
          }
        }
      }
    }
  }
}

// each window's top-left position in its plane (window order): argmax = plane base + corner + offset
const int32_t* Corners(const Plan& p) {
  thread_local std::vector<int32_t> corners;
  corners.resize(p.pooled);
  for (size_t oy = 0; oy < p.pool.oh; oy++) {
    for (size_t ox = 0; ox < p.pool.ow; ox++) corners[oy * p.pool.ow + ox] = static_cast<int32_t>(2 * oy * p.conv.ow + 2 * ox);
  }
  return corners.data();
}

// one plane's windows from its four segments (a, b, c, d: each window's top-left, top-right,
// bottom-left, bottom-right): bias, the first maximum by a plain > chain (max_rule.h's rule when no value
// is NaN), relu. returns whether a value was NaN; the caller then redoes the plane by the rule.
// w is the convolution's output width
template <typename T>
BLASPROP_INLINE bool PoolTiled(const T* __restrict a, const T* __restrict b, const T* __restrict c, const T* __restrict d, size_t count, T bias,
                               const int32_t* __restrict corners, int32_t base, int32_t w, T* __restrict out, int32_t* __restrict argmax) {
  int32_t nan = 0;
  for (size_t q = 0; q < count; q++) {
    const T va = a[q] + bias, vb = b[q] + bias, vc = c[q] + bias, vd = d[q] + bias;
    T max = va;
    int32_t at = 0;
    bool win = vb > max;
    max = win ? vb : max;
    at = win ? 1 : at;
    win = vc > max;
    max = win ? vc : max;
    at = win ? w : at;
    win = vd > max;
    max = win ? vd : max;
    at = win ? w + 1 : at;
    out[q] = max > T(0) ? max : T(0);
    argmax[q] = base + corners[q] + at;
    nan |= static_cast<int32_t>(va != va) | static_cast<int32_t>(vb != vb) | static_cast<int32_t>(vc != vc) | static_cast<int32_t>(vd != vd);
  }
  return nan != 0;
}

// one plane's pooled gradients into its four segments of dconv (the windows tile the plane, so every
// position is written, not added to): g at the window's argmax, 0 at its other three, and g into gs
// for db. no address comes from argmax: a window whose argmax is none of its four positions gets
// zeros, and the plane reports it. loads unconditional and choices by bits, or the compiler would not
// vectorise it
template <typename T>
BLASPROP_INLINE bool ScatterTiled(T* __restrict a, T* __restrict b, T* __restrict c, T* __restrict d, size_t count, const T* __restrict y,
                                  const T* __restrict dout, const int32_t* __restrict argmax, const int32_t* __restrict corners, uint32_t base,
                                  uint32_t w, T* __restrict gs) {
  int32_t bad = 0;
  for (size_t q = 0; q < count; q++) {
    const T g = Keep(dout[q], !(y[q] <= T(0)));
    const uint32_t at = static_cast<uint32_t>(argmax[q]) - (base + static_cast<uint32_t>(corners[q]));
    a[q] = Keep(g, at == 0);
    b[q] = Keep(g, at == 1);
    c[q] = Keep(g, at == w);
    d[q] = Keep(g, at == w + 1);
    bad |= static_cast<int32_t>(at != 0) & static_cast<int32_t>(at != 1) & static_cast<int32_t>(at != w) & static_cast<int32_t>(at != w + 1);
    gs[q] = g;
  }
  return bad != 0;
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

// ---- the per-block work ----

// bias, window maximum and relu for one block's products (filters rows of count·plane values), into
// the pooled rows of samples first … first + count − 1
template <typename T>
BLASPROP_CLONES void PoolBlock(const Plan& p, const T* conv, size_t first, size_t count, const T* b, const int32_t* corners, T* out, int32_t* argmax) {
  const size_t row = count * p.plane, segment = count * p.pooled;
  const bool tiled = Tiled(p);
  for (size_t f = 0; f < p.filters; f++) {
    for (size_t s = 0; s < count; s++) {
      const size_t o = ((first + s) * p.filters + f) * p.pooled;
      const auto base = static_cast<int32_t>(((first + s) * p.filters + f) * p.plane);
      if (tiled) {
        const T* a = conv + f * row + s * p.pooled;
        if (!PoolTiled(a, a + segment, a + 2 * segment, a + 3 * segment, p.pooled, b[f], corners, base, static_cast<int32_t>(p.conv.ow), out + o,
                       argmax + o)) {
          continue;
        }
        // a NaN: the plane by the rule, from its values put back in their natural order
        T* plane = Scratch<T, 1>(p.plane);
        for (size_t q = 0; q < p.pooled; q++) {
          const size_t k = static_cast<size_t>(corners[q]);
          plane[k] = a[q];
          plane[k + 1] = a[segment + q];
          plane[k + p.conv.ow] = a[2 * segment + q];
          plane[k + p.conv.ow + 1] = a[3 * segment + q];
        }
        PoolPlane(plane, p.pool, b[f], base, out + o, argmax + o);
      } else {
        PoolPlane(conv + f * row + s * p.plane, p.pool, b[f], base, out + o, argmax + o);
      }
    }
  }
}

// dconv for one block (in the block's column order): each pooled gradient at its window's maximum,
// where the pooled output passed relu; the block's db (one per filter) on the way
template <typename T>
BLASPROP_CLONES void ScatterBlock(const Plan& p, T* dconv, size_t first, size_t count, const T* y, const T* dout, const int32_t* argmax,
                                  const int32_t* corners, T* gs, T* blockDb, std::atomic<size_t>& bad) {
  const size_t row = count * p.plane, segment = count * p.pooled;
  const bool tiled = Tiled(p);
  if (!tiled) std::fill(dconv, dconv + p.filters * row, T(0));
  for (size_t f = 0; f < p.filters; f++) {
    T sum = T(0);
    for (size_t s = 0; s < count; s++) {
      const size_t o = ((first + s) * p.filters + f) * p.pooled;
      const size_t base = ((first + s) * p.filters + f) * p.plane;
      if (!tiled) {
        sum += ScatterPlane(p, dconv + f * row + s * p.plane, base, o, y, dout, argmax, bad);
        continue;
      }
      T* a = dconv + f * row + s * p.pooled;
      const auto w = static_cast<uint32_t>(p.conv.ow);
      if (ScatterTiled(a, a + segment, a + 2 * segment, a + 3 * segment, p.pooled, y + o, dout + o, argmax + o, corners, static_cast<uint32_t>(base),
                       w, gs)) {
        // which one, for the message: the first whose offset in its window is none of the four
        for (size_t q = 0; q < p.pooled; q++) {
          const uint32_t at = static_cast<uint32_t>(argmax[o + q]) - static_cast<uint32_t>(base + static_cast<size_t>(corners[q]));
          if (at != 0 && at != 1 && at != w && at != w + 1) {
            Flag(bad, o + q);
            break;
          }
        }
      }
      sum += LaneSum(gs, p.pooled);
    }
    blockDb[f] = sum;
  }
}


template <typename T>
void Forward(const Plan& p, const T* x, const T* W, const T* b, T* out, int32_t* argmax) {
  const size_t inSize = p.conv.inputSize();
  const bool tiled = Tiled(p);
  const int32_t* corners = tiled ? Corners(p) : nullptr;
  ForBlocks(p, [&](size_t blk) {
    const size_t first = blk * p.block, count = std::min(p.block, p.conv.n - first);
    Window g = p.conv;
    g.n = count;
    const size_t row = count * p.plane;
    T* col = Scratch<T>((p.k + p.filters) * p.block * p.plane);
    T* conv = col + p.k * row;
    if (tiled) Im2colTiled(x + first * inSize, g, p.pool.oh, p.pool.ow, col);
    else Im2colImpl(x + first * inSize, g, col);
    BlasGemm(CblasNoTrans, CblasNoTrans, static_cast<blasint>(p.filters), static_cast<blasint>(row), static_cast<blasint>(p.k),
             T(1), W, static_cast<blasint>(p.k), col, static_cast<blasint>(row), T(0), conv, static_cast<blasint>(row));
    PoolBlock(p, conv, first, count, b, corners, out, argmax);
  });
}

// returns the first pooled output whose argmax lies outside its own plane (none: SIZE_MAX); those are
// skipped, never written through
template <typename T>
size_t Backward(const Plan& p, const T* x, const T* W, const T* y, const T* dout, const int32_t* argmax, T* dW, T* db, T* dx) {
  const size_t inSize = p.conv.inputSize();
  const size_t slot = p.filters * (p.k + 1);
  const bool tiled = Tiled(p);
  const int32_t* corners = tiled ? Corners(p) : nullptr;
  // each block's dW (filters × k) and db (filters), summed below in block order
  thread_local std::vector<T> slots;
  if (slots.size() < p.blocks * slot) slots.resize(p.blocks * slot);
  T* partial = slots.data();
  std::atomic<size_t> bad{SIZE_MAX};
  ForBlocks(p, [&](size_t blk) {
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
    if (tiled) Im2colTiled(x + first * inSize, g, p.pool.oh, p.pool.ow, col);
    else Im2colImpl(x + first * inSize, g, col);
    ScatterBlock(p, dconv, first, count, y, dout, argmax, corners, gs, blockDb, bad);
    // the block's dW = dconv·colᵀ (both in the block's column order)
    BlasGemm(CblasNoTrans, CblasTrans, static_cast<blasint>(p.filters), static_cast<blasint>(p.k), static_cast<blasint>(row),
             T(1), dconv, static_cast<blasint>(row), col, static_cast<blasint>(row), T(0), blockDW, static_cast<blasint>(p.k));
    if (dx == nullptr) return;
    // dx: dcol = Wᵀ·dconv, each column added back onto its pixels (the block's own rows of dx)
    BlasGemm(CblasTrans, CblasNoTrans, static_cast<blasint>(p.k), static_cast<blasint>(row), static_cast<blasint>(p.filters),
             T(1), W, static_cast<blasint>(p.k), dconv, static_cast<blasint>(row), T(0), dcol, static_cast<blasint>(row));
    if (tiled) Col2imTiled(dcol, g, p.pool.oh, p.pool.ow, dx + first * inSize);
    else Col2imImpl(dcol, g, dx + first * inSize);
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
  UseOneThread();
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

  UseOneThread();
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
