// a second core for the halved products and the passes a product does not cover (a batch's gather,
// the fused conv's blocks, the optimizer updates): one helper thread, started at first use, takes the
// second part of the rows (or, ForItemsOnTwoCores, the items it asks for)
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>

namespace blasprop {

// passes over fewer elements than this stay on the caller while the helper sleeps: waking it and
// waiting for it (tens of µs) would cost more than half the pass saves
constexpr size_t kSplitElements = 256 * 1024;
// the same while the helper is awake (it watches for work for a while after each job, as in a training
// step, whose halved products keep it busy): posting to it then costs about a microsecond, so a 100-row
// batch's gather (78 400 elements) and the update of a 784×50 weight (39 200) are split too
constexpr size_t kSplitElementsAwake = 32 * 1024;

// where work over rows [0, rows) is cut in two: the multiple of 4 rows nearest the half (a 100-row
// batch as 52 and 48), the same cut a product makes in its rows (threads.h: HalvesFor), so the core that
// wrote a row is the one that next reads it
size_t HalfOf(size_t rows);

// work(begin, end) over the rows [0, rows): split in two at HalfOf(rows), the first part on the caller
// and the second on the helper thread, when elements reaches kSplitElements (kSplitElementsAwake while
// the helper is awake) and this JavaScript thread may use two cores for a large product (the same rule
// as threads.cc: alone, with a setting of 2 or more); otherwise all of it on the caller. work must be
// safe to run on another thread, must not throw, and each row's result must not depend on the split
// (so the bits are the same either way)
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

// work(i) for each item i in [0, items), over two cores by ForRowsOnTwoCores's rule, the items handed
// out one at a time to whichever core asks next: a helper that wakes late (or a core another process
// holds) then leaves the other core at most one item to wait for, where fixed halves would keep it
// waiting for the whole late half. for items whose results do not depend on which core ran them
template <typename Work>
void ForItemsOnTwoCores(size_t items, size_t elements, const Work& work) {
  std::atomic<size_t> next{0};
  ForRowsOnTwoCores(items, elements, [&](size_t, size_t) {
    for (size_t i = next.fetch_add(1, std::memory_order_relaxed); i < items; i = next.fetch_add(1, std::memory_order_relaxed)) work(i);
  });
}

// work(begin, end) over the elements [0, n) of an element-wise pass whose every element's result is
// its own (the optimizer updates): over two cores by ForRowsOnTwoCores's rule, split at a multiple of
// 16 elements so neither core's half starts inside a cache line the other writes
template <typename Work>
void ForElementsOnTwoCores(size_t n, const Work& work) {
  constexpr size_t kChunk = 16;
  ForRowsOnTwoCores((n + kChunk - 1) / kChunk, n, [&](size_t begin, size_t end) { work(begin * kChunk, std::min(end * kChunk, n)); });
}

}  // namespace blasprop
