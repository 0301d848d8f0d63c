// hugePageAdvise(bytes) -> offset: asks the kernel to back the 2 MB-aligned part of a Uint8Array with
// transparent huge pages, and returns the byte offset where that part starts (-1 when this platform has
// no such advice). A training batch reads 100 rows at random places in a 47 MB image set; with 4 KB
// pages each row costs a TLB miss whose page walk, after the gemms have flushed the caches, goes to
// DRAM. 2 MB pages make the whole set a few dozen TLB entries.
//
// the memory stays V8's own (JavaScript allocates a little more than it needs and views the aligned
// part), so V8 counts its real size and frees it at garbage collection like any other buffer: nothing
// here owns memory, and nothing waits for a finalizer or a turn of the event loop.
#include <sys/mman.h>

#include <cstdint>
#include <string>

#include "args.h"
#include "ops.h"

namespace blasprop {

namespace {

constexpr uintptr_t kHugePage = 2u * 1024 * 1024;

}  // namespace

Napi::Value HugePageAdvise(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  constexpr const char* kFn = "hugePageAdvise";
  CheckArgCount(info, 1, kFn, "(bytes)");
  // a Uint8Array: type, length and data pointer in one query
  napi_typedarray_type type = napi_int8_array;
  size_t length = 0;
  void* data = nullptr;
  bool ok = info[0].IsTypedArray() &&
            napi_get_typedarray_info(env, info[0], &type, &length, &data, nullptr, nullptr) == napi_ok;
  if (!ok || type != napi_uint8_array) {
    throw Napi::TypeError::New(env, std::string(kFn) + ": bytes must be a Uint8Array, got " + DescribeValue(info[0]));
  }
  // the whole huge pages inside the view: from the first 2 MB boundary to the last one
  uintptr_t begin = reinterpret_cast<uintptr_t>(data);
  uintptr_t first = (begin + kHugePage - 1) / kHugePage * kHugePage;
  uintptr_t last = (begin + length) / kHugePage * kHugePage;
  if (data == nullptr || last <= first) {
    throw Napi::RangeError::New(env, std::string(kFn) + ": bytes (" + std::to_string(length) +
                                         ") must span at least one aligned 2 MB page");
  }
#ifdef MADV_HUGEPAGE
  // advice only: where huge pages are off or short, this stays ordinary memory
  madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
  return Napi::Number::New(env, static_cast<double>(first - begin));
#else
  return Napi::Number::New(env, -1);
#endif
}

}  // namespace blasprop
