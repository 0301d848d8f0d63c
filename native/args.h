// argument checks shared by every native entry point: each function opens with a column of these,
// so nothing touches memory before every type, dimension and length is known to be right
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace blasprop {

enum class DType { F32, F64 };

// a float typed array seen from C++: its element type, base pointer and length
struct FloatView {
  DType dtype;
  void* data;
  size_t length;
  const char* name;  // the argument's name, for messages
  // byte range inside its ArrayBuffer, to detect aliasing
  const uint8_t* begin() const { return static_cast<const uint8_t*>(data); }
  const uint8_t* end() const { return begin() + length * (dtype == DType::F32 ? 4 : 8); }
};

// the largest dimension BLAS's 32-bit integers can index
constexpr double kMaxDim = 2147483647.0;

std::string DescribeValue(const Napi::Value& v);
const char* DTypeName(DType d);

void CheckArgCount(const Napi::CallbackInfo& info, size_t expected, const char* fn, const char* signature);
FloatView FloatArg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name);
size_t DimArg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name);
bool BoolArg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name);
double NumberArg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name);
void CheckSameDType(const Napi::Env& env, const char* fn, const FloatView& first, const FloatView& other);
void CheckLength(const Napi::Env& env, const char* fn, const FloatView& v, size_t rows, size_t cols);
void CheckNoOverlap(const Napi::Env& env, const char* fn, const FloatView& out, const FloatView& in);

}  // namespace blasprop
