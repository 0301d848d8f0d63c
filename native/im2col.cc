// im2col(X, n, channels, height, width, kh, kw, stride, pad, col) and its adjoint
// col2im(col, n, …, dx): the layout and maths of src/kernels/im2col.ts and col2im.ts. col is
// (C·KH·KW) × (N·OH·OW); each of its rows is written (or read) in runs of OW, the part of a run that
// falls inside the image found once per run instead of tested per value
#include <algorithm>
#include <cstring>

#include "args.h"
#include "im2col.h"
#include "ops.h"
#include "window.h"

namespace blasprop {

namespace {

// the output columns ox whose input column ox·stride + j − pad lies inside [0, w)
inline void InsideRange(const Window& g, size_t j, size_t* begin, size_t* end) {
  // ox ≥ ceil((pad − j) / stride) and ox·stride + j − pad < w
  long lo = static_cast<long>(g.pad) - static_cast<long>(j);
  size_t b = lo <= 0 ? 0 : (static_cast<size_t>(lo) + g.stride - 1) / g.stride;
  long hiNum = static_cast<long>(g.w) + static_cast<long>(g.pad) - static_cast<long>(j);  // ox·stride < hiNum
  size_t e = hiNum <= 0 ? 0 : (static_cast<size_t>(hiNum) + g.stride - 1) / g.stride;
  e = std::min(e, g.ow);
  *begin = std::min(b, e);
  *end = e;
}

}  // namespace

template <typename T>
void Im2colImpl(const T* x, const Window& g, T* col) {
  const size_t rowLength = g.positions();
  for (size_t c = 0; c < g.c; c++) {
    for (size_t i = 0; i < g.kh; i++) {
      for (size_t j = 0; j < g.kw; j++) {
        size_t b, e;
        InsideRange(g, j, &b, &e);
        T* dst = col + ((c * g.kh + i) * g.kw + j) * rowLength;
        for (size_t s = 0; s < g.n; s++) {
          const T* plane = x + (s * g.c + c) * g.h * g.w;
          for (size_t oy = 0; oy < g.oh; oy++, dst += g.ow) {
            long y = static_cast<long>(oy * g.stride + i) - static_cast<long>(g.pad);
            if (y < 0 || y >= static_cast<long>(g.h)) {
              std::fill(dst, dst + g.ow, T(0));
              continue;
            }
            // the input index of output column ox is base + ox·stride (in range for ox in [b, e))
            const long base = y * static_cast<long>(g.w) + static_cast<long>(j) - static_cast<long>(g.pad);
            std::fill(dst, dst + b, T(0));
            if (g.stride == 1) {
              if (e > b) std::memcpy(dst + b, plane + (base + static_cast<long>(b)), (e - b) * sizeof(T));
            } else {
              for (size_t ox = b; ox < e; ox++) dst[ox] = plane[base + static_cast<long>(ox * g.stride)];
            }
            std::fill(dst + e, dst + g.ow, T(0));
          }
        }
      }
    }
  }
}

template <typename T>
void Col2imImpl(const T* col, const Window& g, T* dx) {
  std::fill(dx, dx + g.n * g.inputSize(), T(0));
  const size_t rowLength = g.positions();
  for (size_t c = 0; c < g.c; c++) {
    for (size_t i = 0; i < g.kh; i++) {
      for (size_t j = 0; j < g.kw; j++) {
        size_t b, e;
        InsideRange(g, j, &b, &e);
        const T* src = col + ((c * g.kh + i) * g.kw + j) * rowLength;
        for (size_t s = 0; s < g.n; s++) {
          T* plane = dx + (s * g.c + c) * g.h * g.w;
          for (size_t oy = 0; oy < g.oh; oy++, src += g.ow) {
            long y = static_cast<long>(oy * g.stride + i) - static_cast<long>(g.pad);
            if (y < 0 || y >= static_cast<long>(g.h)) continue;
            const long base = y * static_cast<long>(g.w) + static_cast<long>(j) - static_cast<long>(g.pad);
            for (size_t ox = b; ox < e; ox++) plane[base + static_cast<long>(ox * g.stride)] += src[ox];
          }
        }
      }
    }
  }
}

template void Im2colImpl(const float*, const Window&, float*);
template void Im2colImpl(const double*, const Window&, double*);
template void Col2imImpl(const float*, const Window&, float*);
template void Col2imImpl(const double*, const Window&, double*);

Napi::Value Im2col(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  constexpr const char* kFn = "im2col";
  CheckArgCount(info, 10, kFn, "(X, n, channels, height, width, kernelHeight, kernelWidth, stride, pad, col)");
  FloatView X = FloatArg(info, 0, kFn, "X");
  Window g = WindowArgs(info, 1, kFn);
  FloatView col = FloatArg(info, 9, kFn, "col");
  CheckSameDType(env, kFn, X, col);
  CheckLength(env, kFn, X, g.n, g.inputSize());
  CheckLength(env, kFn, col, g.c * g.kh * g.kw, g.positions());
  CheckNoOverlap(env, kFn, col, X);

  ForDType(X.dtype, [&](auto zero) {
    using T = decltype(zero);
    Im2colImpl(X.as<const T>(), g, col.as<T>());
  });
  return env.Undefined();
}

Napi::Value Col2im(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  constexpr const char* kFn = "col2im";
  CheckArgCount(info, 10, kFn, "(col, n, channels, height, width, kernelHeight, kernelWidth, stride, pad, dx)");
  FloatView col = FloatArg(info, 0, kFn, "col");
  Window g = WindowArgs(info, 1, kFn);
  FloatView dx = FloatArg(info, 9, kFn, "dx");
  CheckSameDType(env, kFn, col, dx);
  CheckLength(env, kFn, col, g.c * g.kh * g.kw, g.positions());
  CheckLength(env, kFn, dx, g.n, g.inputSize());
  CheckNoOverlap(env, kFn, dx, col);

  ForDType(col.dtype, [&](auto zero) {
    using T = decltype(zero);
    Col2imImpl(col.as<const T>(), g, dx.as<T>());
  });
  return env.Undefined();
}

}  // namespace blasprop
