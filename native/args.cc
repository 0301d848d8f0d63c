#include "args.h"

#include <cmath>
#include <cstring>
#include <sstream>

namespace blasprop {

namespace {

const char* TypedArrayName(napi_typedarray_type type) {
  switch (type) {
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

// "an Int32Array", "a Uint8Array" (said "you-int")
std::string Article(const char* noun) {
  return std::string(std::strchr("AEIO", noun[0]) != nullptr ? "an " : "a ") + noun;
}

size_t ItemSize(napi_typedarray_type type) {
  switch (type) {
    case napi_int16_array: case napi_uint16_array: return 2;
    case napi_int32_array: case napi_uint32_array: case napi_float32_array: return 4;
    case napi_float64_array: case napi_bigint64_array: case napi_biguint64_array: return 8;
    default: return 1;
  }
}

// one napi_get_typedarray_info call gives type, length and the data pointer (offset applied):
// node-addon-api's accessors would each ask again, on every call of a hot op. A detached buffer
// needs no case of its own: V8 reports its views as length 0 (test/native-args.test.ts checks it),
// so the length checks refuse it or nothing is read
bool ReadTypedArray(const Napi::CallbackInfo& info, size_t i, napi_typedarray_type* type, ArrayView* view) {
  Napi::Value v = info[i];
  return v.IsTypedArray() &&
         napi_get_typedarray_info(info.Env(), v, type, &view->length, &view->data, nullptr, nullptr) == napi_ok;
}

}  // namespace

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
  if (v.IsTypedArray()) return TypedArrayName(v.As<Napi::TypedArray>().TypedArrayType());
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
  napi_typedarray_type type = napi_int8_array;
  FloatView view{{nullptr, 0, 0, name}, DType::F32};
  if (!ReadTypedArray(info, i, &type, &view) || (type != napi_float32_array && type != napi_float64_array)) {
    throw Napi::TypeError::New(info.Env(), std::string(fn) + ": " + name +
                                               " must be a Float32Array or Float64Array, got " +
                                               DescribeValue(info[i]));
  }
  view.dtype = type == napi_float32_array ? DType::F32 : DType::F64;
  view.itemSize = ItemSize(type);
  return view;
}

ArrayView TypedArg(const Napi::CallbackInfo& info, size_t i, napi_typedarray_type want, const char* fn,
                   const char* name) {
  napi_typedarray_type type = napi_int8_array;
  ArrayView view{nullptr, 0, 0, name};
  if (!ReadTypedArray(info, i, &type, &view) || type != want) {
    throw Napi::TypeError::New(info.Env(), std::string(fn) + ": " + name + " must be " + Article(TypedArrayName(want)) +
                                               ", got " + DescribeValue(info[i]));
  }
  view.itemSize = ItemSize(type);
  return view;
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

void CheckLength(const Napi::Env& env, const char* fn, const ArrayView& v, size_t rows, size_t cols) {
  // rows and cols are each below 2^31, so the product fits in 64 bits
  uint64_t want = static_cast<uint64_t>(rows) * static_cast<uint64_t>(cols);
  if (v.length != want) {
    std::ostringstream s;
    s << fn << ": " << v.name << " has " << v.length << " elements, expected " << rows << "×" << cols
      << " = " << want;
    throw Napi::RangeError::New(env, s.str());
  }
}

void CheckSameLength(const Napi::Env& env, const char* fn, const ArrayView& first, const ArrayView& other) {
  if (first.length != other.length) {
    std::ostringstream s;
    s << fn << ": " << other.name << " has " << other.length << " elements, expected " << first.length
      << " like " << first.name;
    throw Napi::RangeError::New(env, s.str());
  }
}

void CheckNoOverlap(const Napi::Env& env, const char* fn, const ArrayView& out, const ArrayView& in) {
  if (out.length == 0 || in.length == 0) return;
  if (out.begin() < in.end() && in.begin() < out.end()) {
    throw Napi::RangeError::New(env, std::string(fn) + ": " + out.name + " must not share memory with " +
                                         in.name);
  }
}

void CheckUpdateArrays(const Napi::Env& env, const char* fn, const FloatView& p, const FloatView& g,
                       const FloatView& s1, const FloatView* s2) {
  CheckSameDType(env, fn, p, g);
  CheckSameLength(env, fn, p, g);
  CheckSameDType(env, fn, p, s1);
  CheckSameLength(env, fn, p, s1);
  if (s2 != nullptr) {
    CheckSameDType(env, fn, p, *s2);
    CheckSameLength(env, fn, p, *s2);
  }
  CheckNoOverlap(env, fn, p, g);
  CheckNoOverlap(env, fn, s1, p);
  CheckNoOverlap(env, fn, s1, g);
  if (s2 != nullptr) {
    CheckNoOverlap(env, fn, *s2, p);
    CheckNoOverlap(env, fn, *s2, g);
    CheckNoOverlap(env, fn, *s2, s1);
  }
}

}  // namespace blasprop
