// the native entry points; addon.cc only registers them
#pragma once

#include <napi.h>

namespace blasprop {

Napi::Value Gemm(const Napi::CallbackInfo& info);
Napi::Value AddBias(const Napi::CallbackInfo& info);
Napi::Value ColSum(const Napi::CallbackInfo& info);
Napi::Value GatherRows(const Napi::CallbackInfo& info);
Napi::Value Axpy(const Napi::CallbackInfo& info);
Napi::Value SgdStep(const Napi::CallbackInfo& info);
Napi::Value MomentumStep(const Napi::CallbackInfo& info);
Napi::Value AdaptiveStep(const Napi::CallbackInfo& info);
Napi::Value AdamStep(const Napi::CallbackInfo& info);
Napi::Value Relu(const Napi::CallbackInfo& info);
Napi::Value ReluBackward(const Napi::CallbackInfo& info);
Napi::Value Softmax(const Napi::CallbackInfo& info);
Napi::Value Im2col(const Napi::CallbackInfo& info);
Napi::Value Col2im(const Napi::CallbackInfo& info);
Napi::Value SwapAxes(const Napi::CallbackInfo& info);
Napi::Value MaxPool(const Napi::CallbackInfo& info);
Napi::Value MaxPoolBackward(const Napi::CallbackInfo& info);
Napi::Value ConvReluPool(const Napi::CallbackInfo& info);
Napi::Value ConvReluPoolBackward(const Napi::CallbackInfo& info);
Napi::Value HugePageAdvise(const Napi::CallbackInfo& info);
Napi::Value SetNumThreads(const Napi::CallbackInfo& info);
Napi::Value GetNumThreads(const Napi::CallbackInfo& info);
Napi::Value Info(const Napi::CallbackInfo& info);

}  // namespace blasprop
