// the window geometry's checks, in the same words as src/kernels/window.ts
#include "window.h"

#include <sstream>
#include <string>

#include "args.h"

namespace blasprop {

namespace {

size_t OutputSide(const Napi::Env& env, const char* fn, const char* side, size_t size, size_t kernel, size_t stride, size_t pad) {
  size_t padded = size + 2 * pad;
  if (kernel > padded) {
    std::ostringstream s;
    s << fn << ": kernel " << side << " " << kernel << " is larger than the padded input " << side << " " << padded << " ("
      << size << " + 2·" << pad << ")";
    throw Napi::RangeError::New(env, s.str());
  }
  if ((padded - kernel) % stride != 0) {
    std::ostringstream s;
    s << fn << ": output " << side << " (" << size << " + 2·" << pad << " − " << kernel << ") / " << stride
      << " + 1 is not an integer; change padding or stride";
    throw Napi::RangeError::New(env, s.str());
  }
  return (padded - kernel) / stride + 1;
}

void CheckPositive(const Napi::Env& env, const char* fn, const char* name, size_t v) {
  if (v == 0) throw Napi::RangeError::New(env, std::string(fn) + ": " + name + " must be a positive integer, got 0");
}

void CheckFits(const Napi::Env& env, const char* fn, const char* what, double v) {
  if (v > kMaxDim) throw Napi::RangeError::New(env, std::string(fn) + ": " + what + " exceeds 2147483647");
}

// every size checked, the output sides derived
Window Checked(const Napi::Env& env, const char* fn, Window g) {
  CheckPositive(env, fn, "channels", g.c);
  CheckPositive(env, fn, "height", g.h);
  CheckPositive(env, fn, "width", g.w);
  CheckPositive(env, fn, "kernel height", g.kh);
  CheckPositive(env, fn, "kernel width", g.kw);
  CheckPositive(env, fn, "stride", g.stride);
  g.oh = OutputSide(env, fn, "height", g.h, g.kh, g.stride, g.pad);
  g.ow = OutputSide(env, fn, "width", g.w, g.kw, g.stride, g.pad);
  // every length the ops index with stays below 2^31, so size_t arithmetic never wraps
  CheckFits(env, fn, "channels×height×width", double(g.c) * double(g.h) * double(g.w));
  CheckFits(env, fn, "channels×kernel height×kernel width", double(g.c) * double(g.kh) * double(g.kw));
  CheckFits(env, fn, "n×output height×output width", double(g.n) * double(g.oh) * double(g.ow));
  CheckFits(env, fn, "n×channels×height×width", double(g.n) * double(g.c) * double(g.h) * double(g.w));
  CheckFits(env, fn, "n×channels×output height×output width", double(g.n) * double(g.c) * double(g.oh) * double(g.ow));
  return g;
}

}  // namespace

Window WindowArgs(const Napi::CallbackInfo& info, size_t first, const char* fn) {
  Window g{};
  g.n = DimArg(info, first, fn, "n");
  g.c = DimArg(info, first + 1, fn, "channels");
  g.h = DimArg(info, first + 2, fn, "height");
  g.w = DimArg(info, first + 3, fn, "width");
  g.kh = DimArg(info, first + 4, fn, "kernelHeight");
  g.kw = DimArg(info, first + 5, fn, "kernelWidth");
  g.stride = DimArg(info, first + 6, fn, "stride");
  g.pad = DimArg(info, first + 7, fn, "pad");
  return Checked(info.Env(), fn, g);
}

Window PoolWindowArgs(const Napi::CallbackInfo& info, size_t first, const char* fn, const Window& conv, size_t filters) {
  Window g{};
  g.n = conv.n;
  g.c = filters;
  g.h = conv.oh;
  g.w = conv.ow;
  g.kh = DimArg(info, first, fn, "poolHeight");
  g.kw = DimArg(info, first + 1, fn, "poolWidth");
  g.stride = DimArg(info, first + 2, fn, "poolStride");
  g.pad = 0;
  return Checked(info.Env(), fn, g);
}

}  // namespace blasprop
