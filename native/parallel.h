// runs an op's independent pieces of work on a few threads: the calling thread and helpers kept
// waiting between calls (starting a thread per call would cost more than a small piece of work)
#pragma once

#include <cstddef>
#include <type_traits>

namespace blasprop {

// the type-erased body: call(context, i)
using ParallelBody = void (*)(void* context, size_t i);
void ParallelForEach(int threads, size_t count, ParallelBody call, void* context);

// body(i) for every i in [0, count), on at most `threads` threads (the caller is one of them), each
// taking the next i as it finishes one; the first exception a body throws is rethrown here, after
// every thread has stopped. with threads ≤ 1, or while another call has the helpers, everything runs
// on the calling thread. which thread runs which i varies, so body's results must not depend on it.
// body is passed by reference, never copied (no allocation per call)
template <typename F>
void ParallelFor(int threads, size_t count, F&& body) {
  using Body = std::remove_reference_t<F>;
  ParallelForEach(threads, count, [](void* context, size_t i) { (*static_cast<Body*>(context))(i); }, const_cast<void*>(static_cast<const void*>(&body)));
}

}  // namespace blasprop
