// the sliding-window geometry the conv ops share (im2col, col2im, maxPool), read from eight
// arguments (n, channels, height, width, kernelHeight, kernelWidth, stride, pad) and checked
#pragma once

#include <napi.h>

#include <cstddef>

namespace blasprop {

struct Window {
  size_t n, c, h, w, kh, kw, stride, pad, oh, ow;
  size_t inputSize() const { return c * h * w; }    // values per sample
  size_t positions() const { return n * oh * ow; }  // output positions over the batch
};

// reads arguments first … first+7; RangeError for a zero size or stride, a kernel larger than the
// padded input, an output size that is not whole, or a derived size beyond 2^31 − 1
Window WindowArgs(const Napi::CallbackInfo& info, size_t first, const char* fn);

// a max pooling window over a convolution's output (filters planes of conv.oh × conv.ow, no padding):
// reads poolHeight, poolWidth, poolStride from arguments first … first+2, checked the same way
Window PoolWindowArgs(const Napi::CallbackInfo& info, size_t first, const char* fn, const Window& conv, size_t filters);

}  // namespace blasprop
