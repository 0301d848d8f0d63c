// the thread count each product runs with: one thread for small products (measured faster and steadier
// on 2 cores: a 100×50×784 sgemm takes 0.09 ms on one thread, 0.12–0.19 ms on two), all of them for large ones
#pragma once

#include <cstddef>

namespace blasprop {

// products below this many multiply-adds (m·n·k) run on one thread
constexpr double kSmallProduct = 8.0 * 1024 * 1024;

void UseThreadsFor(size_t m, size_t n, size_t k);

}  // namespace blasprop
