// maxPool(X, n, channels, height, width, kh, kw, stride, pad, out, argmax) and
// maxPoolBackward(dout, argmax, dx): src/kernels/max_pool.ts in C++. Padding never wins, the first
// maximum wins ties, a NaN wins and stays; argmax holds each maximum's index in X
#include <algorithm>
#include <cmath>
#include <string>

#include "args.h"
#include "ops.h"
#include "window.h"

namespace blasprop {

namespace {

// an Int32Array argument, its elements and length
int32_t* Int32Arg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name, size_t* length) {
  Napi::Value v = info[i];
  napi_typedarray_type type = napi_int8_array;
  void* data = nullptr;
  bool ok = v.IsTypedArray() && napi_get_typedarray_info(info.Env(), v, &type, length, &data, nullptr, nullptr) == napi_ok;
  if (!ok || type != napi_int32_array) {
    throw Napi::TypeError::New(info.Env(), std::string(fn) + ": " + name + " must be an Int32Array, got " + DescribeValue(v));
  }
  if (data == nullptr && *length != 0) throw Napi::TypeError::New(info.Env(), std::string(fn) + ": " + name + "'s ArrayBuffer is detached");
  return static_cast<int32_t*>(data);
}

template <typename T>
void MaxPoolImpl(const T* x, const Window& g, T* out, int32_t* argmax) {
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
            if (v > max || (std::isnan(v) && !std::isnan(max))) {
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

template <typename T>
void MaxPoolBackwardImpl(const T* dout, const int32_t* argmax, size_t count, T* dx, size_t dxLength) {
  std::fill(dx, dx + dxLength, T(0));
  for (size_t o = 0; o < count; o++) dx[argmax[o]] += dout[o];
}

}  // namespace

Napi::Value MaxPool(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  constexpr const char* kFn = "maxPool";
  CheckArgCount(info, 11, kFn, "(X, n, channels, height, width, kernelHeight, kernelWidth, stride, pad, out, argmax)");
  FloatView X = FloatArg(info, 0, kFn, "X");
  Window g = WindowArgs(info, 1, kFn);
  FloatView out = FloatArg(info, 9, kFn, "out");
  size_t argmaxLength = 0;
  int32_t* argmax = Int32Arg(info, 10, kFn, "argmax", &argmaxLength);
  CheckSameDType(env, kFn, X, out);
  CheckLength(env, kFn, X, g.n, g.inputSize());
  CheckLength(env, kFn, out, g.n, g.c * g.oh * g.ow);
  if (argmaxLength != out.length) {
    throw Napi::RangeError::New(env, "maxPool: argmax has " + std::to_string(argmaxLength) + " entries, expected " + std::to_string(out.length) + " (one per output)");
  }
  CheckNoOverlap(env, kFn, out, X);
  // a window entirely in the padding would have no maximum
  if (2 * g.pad > g.kh || 2 * g.pad > g.kw) throw Napi::RangeError::New(env, "maxPool: pad must be at most half the window");

  if (X.dtype == DType::F32) MaxPoolImpl(static_cast<const float*>(X.data), g, static_cast<float*>(out.data), argmax);
  else MaxPoolImpl(static_cast<const double*>(X.data), g, static_cast<double*>(out.data), argmax);
  return env.Undefined();
}

Napi::Value MaxPoolBackward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  constexpr const char* kFn = "maxPoolBackward";
  CheckArgCount(info, 3, kFn, "(dout, argmax, dx)");
  FloatView dout = FloatArg(info, 0, kFn, "dout");
  size_t argmaxLength = 0;
  const int32_t* argmax = Int32Arg(info, 1, kFn, "argmax", &argmaxLength);
  FloatView dx = FloatArg(info, 2, kFn, "dx");
  CheckSameDType(env, kFn, dout, dx);
  if (argmaxLength != dout.length) {
    throw Napi::RangeError::New(env, "maxPoolBackward: argmax has " + std::to_string(argmaxLength) + " entries, expected " + std::to_string(dout.length) + " (one per dout value)");
  }
  CheckNoOverlap(env, kFn, dx, dout);
  // every index must land inside dx: checked before anything is written
  for (size_t o = 0; o < argmaxLength; o++) {
    if (argmax[o] < 0 || static_cast<size_t>(argmax[o]) >= dx.length) {
      throw Napi::RangeError::New(env, "maxPoolBackward: argmax[" + std::to_string(o) + "] is " + std::to_string(argmax[o]) + ", outside dx's " + std::to_string(dx.length) + " elements");
    }
  }

  if (dout.dtype == DType::F32) MaxPoolBackwardImpl(static_cast<const float*>(dout.data), argmax, argmaxLength, static_cast<float*>(dx.data), dx.length);
  else MaxPoolBackwardImpl(static_cast<const double*>(dout.data), argmax, argmaxLength, static_cast<double*>(dx.data), dx.length);
  return env.Undefined();
}

}  // namespace blasprop
