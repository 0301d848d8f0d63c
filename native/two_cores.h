// a second core for the element-wise passes a product does not cover (the gather of a 1000-row
// evaluation chunk): one helper thread, started at first use, takes the second half of the rows
#pragma once

#include <cstddef>

namespace blasprop {

// passes over fewer elements than this stay on the caller: waking the helper and waiting for it
// (tens of µs) would cost more than half the pass saves (a 100-row training batch is 78 400)
constexpr size_t kSplitElements = 256 * 1024;

// work(begin, end) over the rows [0, rows): split in two, the first half on the caller and the second
// on the helper thread, when elements reaches kSplitElements and this JavaScript thread may use two
// cores for a large product (the same rule as threads.cc: alone, with a setting of 2 or more);
// otherwise all of it on the caller. work must be safe to run on another thread, must not throw,
// and each row's result must not depend on the split (so the bits are the same either way)
template <typename Work>
void ForRowsOnTwoCores(size_t rows, size_t elements, const Work& work);

// what ForRowsOnTwoCores runs: work behind a plain pointer (no std::function, whose captures would
// be allocated per call)
using RowsCall = void (*)(const void* work, size_t begin, size_t end);
void RunRowsOnTwoCores(size_t rows, size_t elements, RowsCall call, const void* work);

template <typename Work>
void ForRowsOnTwoCores(size_t rows, size_t elements, const Work& work) {
  RunRowsOnTwoCores(rows, elements, [](const void* w, size_t begin, size_t end) { (*static_cast<const Work*>(w))(begin, end); }, &work);
}

}  // namespace blasprop
