// how many OpenBLAS threads a product runs with, per JavaScript thread (the main thread and each worker
// keep their own setting); small products always run on one thread (measured faster and steadier on
// 2 cores: a 100×50×784 sgemm takes 0.09 ms on one thread, 0.12–0.19 ms on two)
#pragma once

#include <napi.h>

#include <cstddef>

namespace blasprop {

// products below this many multiply-adds (m·n·k) run on one thread
constexpr double kSmallProduct = 8.0 * 1024 * 1024;

// set OpenBLAS's count for a product of this size: 1 for a small one; for a large one the setting of
// the JavaScript thread when it is the only one with the addon loaded, else 1 (threads.cc says why)
void UseThreadsFor(size_t m, size_t n, size_t k);

// the most threads a large product may use right now: the one JavaScript thread's setting, or 1 while
// there are several (the same rule for any other work split over cores)
int LargeProductThreads();

// this JavaScript thread's setting: the most threads its products may use
int ThreadSetting(napi_env env);

// counts the JavaScript thread loading the addon (until its environment is torn down); with more than
// one, every product runs single-threaded (see threads.cc for why)
void AddJsThread(Napi::Env env);

// the count OpenBLAS picked when it loaded (the cores, or OPENBLAS_NUM_THREADS, capped by its MAX_THREADS)
int OpenblasDefaultThreads();

}  // namespace blasprop
