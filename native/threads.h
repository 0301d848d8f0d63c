// how many OpenBLAS threads a product runs with, per JavaScript thread (the main thread and each worker
// keep their own setting); small products never use OpenBLAS's threads (measured faster and steadier on
// 2 cores: a 100×50×784 sgemm takes 0.09 ms on one thread, 0.12–0.19 ms on two): from 1 M multiply-adds
// gemm.cc computes them as two single-threaded halves, one per core (HalvesFor)
#pragma once

#include <napi.h>

#include <cstddef>

namespace blasprop {

// products below this many multiply-adds (m·n·k) never use OpenBLAS's threads
constexpr double kSmallProduct = 8.0 * 1024 * 1024;

// products of at least this many multiply-adds with a narrow side are computed in two halves
constexpr double kHalvedProduct = 1024.0 * 1024;
// a product's side is narrow at this many rows or columns or fewer
constexpr size_t kNarrowSide = 128;

// where a product of op(A) (m×k) by op(B) (k×n) is cut in two along its longer side (rows of C when
// m ≥ n, else columns), or 0 to compute it in one call. measured here (2 cores, OpenBLAS 0.3.21):
// OpenBLAS's own two threads barely speed up a product with a narrow side (a 1000×784×50 sgemm 0.88 →
// 0.84 ms) and small ones always run on one, while two halves on two single-threaded calls, one per
// core, take 0.48–0.52 ms (100×784×50, the book step's largest: 0.100 → 0.052 ms). the cut is the
// multiple of 4 rows nearest the half, or a multiple of 16 columns (whole kernel blocks, where a cut
// elsewhere changes the bits), and does not depend on the thread setting
size_t HalvesFor(size_t m, size_t n, size_t k);

// set OpenBLAS's count for a product of this size that is computed in one call: 1 for a small one; for
// a large one the setting of the JavaScript thread when it is the only one with the addon loaded, else 1
// (threads.cc says why). a halved product's halves are single-threaded calls: UseOneThread
void UseThreadsFor(size_t m, size_t n, size_t k);

// set OpenBLAS's count to 1: for the halves of a halved product, a matrix-vector product, the products
// of the fused conv's blocks, and a level-1 call that splits its own work over the cores (axpy), where
// OpenBLAS would otherwise thread a long one over its pool inside each of our halves
void UseOneThread();

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
