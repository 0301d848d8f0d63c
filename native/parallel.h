// runs an op's independent pieces of work on a few threads: the calling thread and helpers kept
// waiting between calls (starting a thread per call would cost more than a small piece of work)
#pragma once

#include <cstddef>
#include <functional>

namespace blasprop {

// body(i) for every i in [0, count), on at most `threads` threads (the caller is one of them), each
// taking the next i as it finishes one; the first exception a body throws is rethrown here, after
// every thread has stopped. with threads ≤ 1, or while another call
// has the helpers, everything runs on the calling thread. which thread runs which i varies, so body's
// results must not depend on it
void ParallelFor(int threads, size_t count, const std::function<void(size_t)>& body);

}  // namespace blasprop
