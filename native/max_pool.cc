// maxPool(X, n, channels, height, width, kh, kw, stride, pad, out, argmax) and
// maxPoolBackward(dout, argmax, dx): src/kernels/max-pool.ts in C++. Padding never wins, the first
// maximum wins ties, a NaN wins and stays; argmax holds each maximum's index in X
#include <algorithm>
#include <cmath>
#include <string>

#include "args.h"
#include "max_rule.h"
#include "ops.h"
#include "window.h"

namespace blasprop {

namespace {

// no padding: every window lies inside its plane, so no clamping per window (SimpleConvNet's 2×2/2)
template <typename T>
void MaxPoolInside(const T* x, const Window& g, T* out, int32_t* argmax) {
  size_t o = 0;
  for (size_t plane = 0; plane < g.n * g.c; plane++) {
    const size_t base = plane * g.h * g.w;
    for (size_t oy = 0; oy < g.oh; oy++) {
      const size_t row = base + oy * g.stride * g.w;
      for (size_t ox = 0; ox < g.ow; ox++, o++) {
        size_t best = row + ox * g.stride;
        T max = x[best];
        for (size_t y = 0; y < g.kh; y++) {
          const size_t line = row + y * g.w + ox * g.stride;
          // selects, not branches: on real activations which entry wins is a coin toss, and a
          // mispredicted branch per entry made this 7 ms for SimpleConvNet's 432 000 windows
          for (size_t xc = 0; xc < g.kw; xc++) {
            const T v = x[line + xc];
            const bool win = Wins(v, max);
            max = win ? v : max;
            best = win ? line + xc : best;
          }
        }
        out[o] = max;
        argmax[o] = static_cast<int32_t>(best);
      }
    }
  }
}

// 2×2 windows without padding, unrolled: the book's pooling
template <typename T>
void MaxPool2x2(const T* x, const Window& g, T* out, int32_t* argmax) {
  size_t o = 0;
  for (size_t plane = 0; plane < g.n * g.c; plane++) {
    const size_t base = plane * g.h * g.w;
    for (size_t oy = 0; oy < g.oh; oy++) {
      const size_t row = base + oy * g.stride * g.w;
      for (size_t ox = 0; ox < g.ow; ox++, o++) {
        const size_t k0 = row + ox * g.stride, k1 = k0 + 1, k2 = k0 + g.w, k3 = k2 + 1;
        T max = x[k0];
        size_t best = k0;
        bool win = Wins(x[k1], max);
        max = win ? x[k1] : max;
        best = win ? k1 : best;
        win = Wins(x[k2], max);
        max = win ? x[k2] : max;
        best = win ? k2 : best;
        win = Wins(x[k3], max);
        max = win ? x[k3] : max;
        best = win ? k3 : best;
        out[o] = max;
        argmax[o] = static_cast<int32_t>(best);
      }
    }
  }
}

template <typename T>
void MaxPoolImpl(const T* x, const Window& g, T* out, int32_t* argmax) {
  if (g.pad == 0 && g.kh == 2 && g.kw == 2) return MaxPool2x2(x, g, out, argmax);
  if (g.pad == 0) return MaxPoolInside(x, g, out, argmax);
  size_t o = 0;
  for (size_t plane = 0; plane < g.n * g.c; plane++) {
    const size_t base = plane * g.h * g.w;
    for (size_t oy = 0; oy < g.oh; oy++) {
      const long top = static_cast<long>(oy * g.stride) - static_cast<long>(g.pad);
      const size_t y0 = static_cast<size_t>(std::max(0L, top));
      const size_t y1 = static_cast<size_t>(std::min(static_cast<long>(g.h), top + static_cast<long>(g.kh)));
      for (size_t ox = 0; ox < g.ow; ox++, o++) {
        const long left = static_cast<long>(ox * g.stride) - static_cast<long>(g.pad);
        const size_t x0 = static_cast<size_t>(std::max(0L, left));
        const size_t x1 = static_cast<size_t>(std::min(static_cast<long>(g.w), left + static_cast<long>(g.kw)));
        size_t best = base + y0 * g.w + x0;
        T max = x[best];
        for (size_t y = y0; y < y1; y++) {
          for (size_t xc = x0; xc < x1; xc++) {
            const size_t k = base + y * g.w + xc;
            const T v = x[k];
            if (Wins(v, max)) {
              max = v;
              best = k;
            }
          }
        }
        out[o] = max;
        argmax[o] = static_cast<int32_t>(best);
      }
    }
  }
}

// each index is read once and bounds-checked where it is used: argmax may sit on shared memory
// another thread rewrites (args.h), and no address may come from unchecked array contents
template <typename T>
void MaxPoolBackwardImpl(const T* dout, const int32_t* argmax, size_t count, T* dx, size_t dxLength) {
  std::fill(dx, dx + dxLength, T(0));
  for (size_t o = 0; o < count; o++) {
    const int32_t k = argmax[o];
    if (k >= 0 && static_cast<size_t>(k) < dxLength) dx[k] += dout[o];
  }
}

}  // namespace

Napi::Value MaxPool(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  constexpr const char* kFn = "maxPool";
  CheckArgCount(info, 11, kFn, "(X, n, channels, height, width, kernelHeight, kernelWidth, stride, pad, out, argmax)");
  FloatView X = FloatArg(info, 0, kFn, "X");
  Window g = WindowArgs(info, 1, kFn);
  FloatView out = FloatArg(info, 9, kFn, "out");
  ArrayView argmax = TypedArg(info, 10, napi_int32_array, kFn, "argmax");
  CheckSameDType(env, kFn, X, out);
  CheckLength(env, kFn, X, g.n, g.inputSize());
  CheckLength(env, kFn, out, g.n, g.c * g.oh * g.ow);
  CheckSameLength(env, kFn, out, argmax);
  CheckNoOverlap(env, kFn, out, X);
  // a window entirely in the padding would have no maximum
  if (2 * g.pad > g.kh || 2 * g.pad > g.kw) throw Napi::RangeError::New(env, "maxPool: pad must be at most half the window");

  ForDType(X.dtype, [&](auto zero) {
    using T = decltype(zero);
    MaxPoolImpl(X.as<const T>(), g, out.as<T>(), argmax.as<int32_t>());
  });
  return env.Undefined();
}

Napi::Value MaxPoolBackward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  constexpr const char* kFn = "maxPoolBackward";
  CheckArgCount(info, 3, kFn, "(dout, argmax, dx)");
  FloatView dout = FloatArg(info, 0, kFn, "dout");
  ArrayView argmax = TypedArg(info, 1, napi_int32_array, kFn, "argmax");
  FloatView dx = FloatArg(info, 2, kFn, "dx");
  CheckSameDType(env, kFn, dout, dx);
  CheckSameLength(env, kFn, dout, argmax);
  CheckNoOverlap(env, kFn, dx, dout);
  CheckNoOverlap(env, kFn, dx, argmax);
  // every index must land inside dx: checked before anything is written
  const int32_t* idx = argmax.as<const int32_t>();
  for (size_t o = 0; o < argmax.length; o++) {
    if (idx[o] < 0 || static_cast<size_t>(idx[o]) >= dx.length) {
      throw Napi::RangeError::New(env, "maxPoolBackward: argmax[" + std::to_string(o) + "] is " + std::to_string(idx[o]) + ", outside dx's " + std::to_string(dx.length) + " elements");
    }
  }

  ForDType(dout.dtype, [&](auto zero) {
    using T = decltype(zero);
    MaxPoolBackwardImpl(dout.as<const T>(), idx, argmax.length, dx.as<T>(), dx.length);
  });
  return env.Undefined();
}

}  // namespace blasprop
