// registers the native entry points; the work lives one function per file
#include <napi.h>

#include "ops.h"
#include "threads.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  blasprop::AddJsThread(env);
  exports.Set("gemm", Napi::Function::New(env, blasprop::Gemm, "gemm"));
  exports.Set("addBias", Napi::Function::New(env, blasprop::AddBias, "addBias"));
  exports.Set("colSum", Napi::Function::New(env, blasprop::ColSum, "colSum"));
  exports.Set("gatherRows", Napi::Function::New(env, blasprop::GatherRows, "gatherRows"));
  exports.Set("axpy", Napi::Function::New(env, blasprop::Axpy, "axpy"));
  exports.Set("sgdStep", Napi::Function::New(env, blasprop::SgdStep, "sgdStep"));
  exports.Set("momentumStep", Napi::Function::New(env, blasprop::MomentumStep, "momentumStep"));
  exports.Set("adaptiveStep", Napi::Function::New(env, blasprop::AdaptiveStep, "adaptiveStep"));
  exports.Set("adamStep", Napi::Function::New(env, blasprop::AdamStep, "adamStep"));
  exports.Set("relu", Napi::Function::New(env, blasprop::Relu, "relu"));
  exports.Set("reluBackward", Napi::Function::New(env, blasprop::ReluBackward, "reluBackward"));
  exports.Set("softmax", Napi::Function::New(env, blasprop::Softmax, "softmax"));
  exports.Set("im2col", Napi::Function::New(env, blasprop::Im2col, "im2col"));
  exports.Set("col2im", Napi::Function::New(env, blasprop::Col2im, "col2im"));
  exports.Set("swapAxes", Napi::Function::New(env, blasprop::SwapAxes, "swapAxes"));
  exports.Set("maxPool", Napi::Function::New(env, blasprop::MaxPool, "maxPool"));
  exports.Set("maxPoolBackward", Napi::Function::New(env, blasprop::MaxPoolBackward, "maxPoolBackward"));
  exports.Set("convReluPool", Napi::Function::New(env, blasprop::ConvReluPool, "convReluPool"));
  exports.Set("convReluPoolBackward", Napi::Function::New(env, blasprop::ConvReluPoolBackward, "convReluPoolBackward"));
  exports.Set("hugePageAdvise", Napi::Function::New(env, blasprop::HugePageAdvise, "hugePageAdvise"));
  exports.Set("setNumThreads", Napi::Function::New(env, blasprop::SetNumThreads, "setNumThreads"));
  exports.Set("getNumThreads", Napi::Function::New(env, blasprop::GetNumThreads, "getNumThreads"));
  exports.Set("info", Napi::Function::New(env, blasprop::Info, "info"));
  return exports;
}

}  // namespace

NODE_API_MODULE(blasprop, Init)
