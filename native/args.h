// argument checks shared by every native entry point: each function opens with a column of these,
// so nothing touches memory before every type, dimension and length is known to be right.
//
// shared memory: a typed array may sit on a SharedArrayBuffer that another thread rewrites while an op
// runs. The ops assume only that its length and address stay put (a growable SharedArrayBuffer only
// grows; a resizable ArrayBuffer is resized only by this thread, which is inside the call). Its contents
// are plain numbers: a rewrite mid-call gives unspecified numbers in the output, never an access out of
// bounds, because no address is computed from array contents, except gatherRows' indices, which it
// copies out of the array once and checks in the copy.
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace blasprop {

enum class DType { F32, F64 };

// any typed array seen from C++: base pointer (offset applied), element count and size
struct ArrayView {
  void* data;
  size_t length;
  size_t itemSize;
  const char* name;  // the argument's name, for messages
  // byte range inside its ArrayBuffer, to detect aliasing
  const uint8_t* begin() const { return static_cast<const uint8_t*>(data); }
  const uint8_t* end() const { return begin() + length * itemSize; }
  template <typename T>
  T* as() const { return static_cast<T*>(data); }
};

// a Float32Array or Float64Array
struct FloatView : ArrayView {
  DType dtype;
};

// calls f(float{}) or f(double{}) by dtype: the one place an op branches on its element type
template <typename F>
void ForDType(DType dtype, F&& f) {
  if (dtype == DType::F32) f(float{});
  else f(double{});
}

// the largest dimension BLAS's 32-bit integers can index
constexpr double kMaxDim = 2147483647.0;

std::string DescribeValue(const Napi::Value& v);
const char* DTypeName(DType d);

void CheckArgCount(const Napi::CallbackInfo& info, size_t expected, const char* fn, const char* signature);
FloatView FloatArg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name);
// a typed array of exactly one element type (Uint8Array, Int32Array, …)
ArrayView TypedArg(const Napi::CallbackInfo& info, size_t i, napi_typedarray_type type, const char* fn,
                   const char* name);
size_t DimArg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name);
bool BoolArg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name);
double NumberArg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name);
void CheckSameDType(const Napi::Env& env, const char* fn, const FloatView& first, const FloatView& other);
void CheckLength(const Napi::Env& env, const char* fn, const ArrayView& v, size_t rows, size_t cols);
void CheckSameLength(const Napi::Env& env, const char* fn, const ArrayView& first, const ArrayView& other);
// an output must not share a byte with an input (in place, out == in exactly, is the caller's choice)
void CheckNoOverlap(const Napi::Env& env, const char* fn, const ArrayView& out, const ArrayView& in);
// an optimizer update's arrays: p, g and its state (s2 may be null), all of p's dtype and length,
// no two sharing a byte (each is read and written element by element)
void CheckUpdateArrays(const Napi::Env& env, const char* fn, const FloatView& p, const FloatView& g,
                       const FloatView& s1, const FloatView* s2);

}  // namespace blasprop
