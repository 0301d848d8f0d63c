#include "args.h"

#include <cmath>
#include <sstream>

namespace blasprop {

const char* DTypeName(DType d) { return d == DType::F32 ? "Float32Array" : "Float64Array"; }

// a short description of whatever arrived, for "expected X, got Y" messages
std::string DescribeValue(const Napi::Value& v) {
  if (v.IsUndefined()) return "undefined";
  if (v.IsNull()) return "null";
  if (v.IsBoolean()) return v.As<Napi::Boolean>().Value() ? "true" : "false";
  if (v.IsNumber()) {
    std::ostringstream s;
    s << v.As<Napi::Number>().DoubleValue();
    return s.str();
  }
  if (v.IsString()) return "a string";
  if (v.IsTypedArray()) {
    switch (v.As<Napi::TypedArray>().TypedArrayType()) {
      case napi_int8_array: return "Int8Array";
      case napi_uint8_array: return "Uint8Array";
      case napi_uint8_clamped_array: return "Uint8ClampedArray";
      case napi_int16_array: return "Int16Array";
      case napi_uint16_array: return "Uint16Array";
      case napi_int32_array: return "Int32Array";
      case napi_uint32_array: return "Uint32Array";
      case napi_float32_array: return "Float32Array";
      case napi_float64_array: return "Float64Array";
      case napi_bigint64_array: return "BigInt64Array";
      case napi_biguint64_array: return "BigUint64Array";
      default: return "a typed array";
    }
  }
  if (v.IsArray()) return "an Array";
  if (v.IsArrayBuffer()) return "an ArrayBuffer";
  if (v.IsFunction()) return "a function";
  if (v.IsObject()) return "an object";
  return "an unsupported value";
}

void CheckArgCount(const Napi::CallbackInfo& info, size_t expected, const char* fn, const char* signature) {
  if (info.Length() < expected) {
    std::ostringstream s;
    s << fn << ": expected " << expected << " arguments " << signature << ", got " << info.Length();
    throw Napi::TypeError::New(info.Env(), s.str());
  }
}

FloatView FloatArg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name) {
  Napi::Value v = info[i];
  // one napi_get_typedarray_info call gives type, length and the data pointer (offset applied):
  // node-addon-api's accessors would each ask again, on every call of a hot op
  napi_typedarray_type type = napi_int8_array;
  size_t length = 0;
  void* data = nullptr;
  bool ok = v.IsTypedArray() &&
            napi_get_typedarray_info(info.Env(), v, &type, &length, &data, nullptr, nullptr) == napi_ok;
  if (!ok || (type != napi_float32_array && type != napi_float64_array)) {
    throw Napi::TypeError::New(info.Env(), std::string(fn) + ": " + name +
                                               " must be a Float32Array or Float64Array, got " +
                                               DescribeValue(v));
  }
  // a detached buffer has no memory; only an empty view of it is usable
  if (data == nullptr && length != 0) {
    throw Napi::TypeError::New(info.Env(), std::string(fn) + ": " + name + "'s ArrayBuffer is detached");
  }
  return FloatView{type == napi_float32_array ? DType::F32 : DType::F64, data, length, name};
}

size_t DimArg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name) {
  Napi::Value v = info[i];
  if (!v.IsNumber()) {
    throw Napi::TypeError::New(info.Env(), std::string(fn) + ": " + name +
                                               " must be a non-negative integer, got " + DescribeValue(v));
  }
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d != std::floor(d) || d > kMaxDim) {
    throw Napi::RangeError::New(info.Env(), std::string(fn) + ": " + name +
                                                " must be an integer in [0, 2147483647], got " +
                                                DescribeValue(v));
  }
  return static_cast<size_t>(d);
}

bool BoolArg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name) {
  Napi::Value v = info[i];
  if (!v.IsBoolean()) {
    throw Napi::TypeError::New(info.Env(), std::string(fn) + ": " + name + " must be a boolean, got " +
                                               DescribeValue(v));
  }
  return v.As<Napi::Boolean>().Value();
}

double NumberArg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name) {
  Napi::Value v = info[i];
  if (!v.IsNumber()) {
    throw Napi::TypeError::New(info.Env(), std::string(fn) + ": " + name + " must be a number, got " +
                                               DescribeValue(v));
  }
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d)) {
    throw Napi::RangeError::New(info.Env(), std::string(fn) + ": " + name + " must be finite, got " +
                                                DescribeValue(v));
  }
  return d;
}

void CheckSameDType(const Napi::Env& env, const char* fn, const FloatView& first, const FloatView& other) {
  if (first.dtype != other.dtype) {
    throw Napi::TypeError::New(env, std::string(fn) + ": " + other.name + " must be a " +
                                        DTypeName(first.dtype) + " like " + first.name + ", got " +
                                        DTypeName(other.dtype) + " (mixed dtypes)");
  }
}

void CheckLength(const Napi::Env& env, const char* fn, const FloatView& v, size_t rows, size_t cols) {
  // rows and cols are each below 2^31, so the product fits in 64 bits
  uint64_t want = static_cast<uint64_t>(rows) * static_cast<uint64_t>(cols);
  if (v.length != want) {
    std::ostringstream s;
    s << fn << ": " << v.name << " has " << v.length << " elements, expected " << rows << "×" << cols
      << " = " << want;
    throw Napi::RangeError::New(env, s.str());
  }
}

void CheckNoOverlap(const Napi::Env& env, const char* fn, const FloatView& out, const FloatView& in) {
  if (out.length == 0 || in.length == 0) return;
  if (out.begin() < in.end() && in.begin() < out.end()) {
    throw Napi::RangeError::New(env, std::string(fn) + ": " + out.name + " must not share memory with " +
                                         in.name);
  }
}

}  // namespace blasprop
