// OpenBLAS's thread count, kept per JavaScript thread (the main thread and each worker).
//
// what OpenBLAS 0.3.21 (pthreads build, as Debian ships it) gives us:
// - its count is ONE process-wide variable, read by every BLAS call to decide whether to split the
//   work over its pool; this version has no per-call or per-thread count.
// - calls from several threads at once are safe: a single-threaded call runs entirely in the calling
//   thread, with its own buffer from a locked memory table; a threaded level-3 call takes gemm_driver's
//   level3_lock, so threaded products of different callers run one after another on the one pool;
//   level-1/2 calls queue on the pool under its server_lock. the pool is the threads it started at load
//   (one per core) plus any a larger count asked for; it never shrinks.
// - openblas_set_num_threads clamps to MAX_THREADS (64 in Debian's build) and grows the pool if needed.
// - a product split over 2 threads does not give the same bits as on 1 (measured: most elements of a
//   1000×333×517 sgemm differ in the last place), so a product must never pick up a count another
//   thread set for its own product.
// the rule that follows, enforced here: while more than one JavaScript thread has the addon loaded,
// OpenBLAS's count stays 1 and every product runs on its caller's thread, so N workers use N cores
// (never N × M threads) and no thread's results depend on another's settings. a thread alone uses its
// own setting (products under kSmallProduct still on one thread). each thread's setting is its own
// (thread_local: Node runs every worker on a thread of its own) and getNumThreads reports it.
#include <cblas.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
#include <string>

#include "args.h"
#include "ops.h"
#include "threads.h"

namespace blasprop {

namespace {

// 0: this thread has not chosen yet, and gets OpenBLAS's default
thread_local int t_threads = 0;

// Node environments (the main thread, workers) with the addon loaded; changed under the lock below
std::atomic<int> g_js_threads{0};

// serialises every change of OpenBLAS's count, and the check that only a lone thread may raise it
std::mutex& CountLock() {
  static std::mutex lock;
  return lock;
}

// the most threads OpenBLAS accepts (it clamps to this), from its build configuration
int OpenblasMaxThreads() {
  static const int most = [] {
    const char* config = openblas_get_config();
    const char* key = config == nullptr ? nullptr : std::strstr(config, "MAX_THREADS=");
    int n = key == nullptr ? 0 : std::atoi(key + std::strlen("MAX_THREADS="));
    return n > 0 ? n : 1024;
  }();
  return most;
}

}  // namespace

int OpenblasDefaultThreads() {
  // read once, before anything of ours has set a count (every setter calls this first)
  static const int threads = openblas_get_num_threads();
  return threads;
}

int ThreadSetting() {
  if (t_threads == 0) t_threads = OpenblasDefaultThreads();
  return t_threads;
}

void UseThreadsFor(size_t m, size_t n, size_t k) {
  bool small = static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k) < kSmallProduct;
  int want = small ? 1 : ThreadSetting();
  if (want > 1 && g_js_threads.load() > 1) want = 1;
  // changing OpenBLAS's count costs a lock and ~50 ns; skip it when it already holds this value
  // (with other threads about it holds 1, and nobody may raise it)
  if (openblas_get_num_threads() == want) return;
  std::lock_guard<std::mutex> hold(CountLock());
  // decided again under the lock: a thread that started meanwhile has set 1 and must keep it
  if (want > 1 && g_js_threads.load() > 1) want = 1;
  openblas_set_num_threads(want);
}

void AddJsThread(Napi::Env env) {
  OpenblasDefaultThreads();
  {
    std::lock_guard<std::mutex> hold(CountLock());
    // a second thread: from now on every product runs single-threaded
    if (g_js_threads.fetch_add(1) + 1 > 1) openblas_set_num_threads(1);
  }
  env.AddCleanupHook([] { g_js_threads.fetch_sub(1); });
}

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckArgCount(info, 1, "setNumThreads", "(threads)");
  size_t threads = DimArg(info, 0, "setNumThreads", "threads");
  if (threads < 1 || threads > 1024) {
    throw Napi::RangeError::New(env, "setNumThreads: threads must be an integer in [1, 1024], got " +
                                         std::to_string(threads));
  }
  OpenblasDefaultThreads();
  std::lock_guard<std::mutex> hold(CountLock());
  if (g_js_threads.load() > 1) {
    // others are computing: OpenBLAS's count stays 1, so take its clamp from its configuration
    t_threads = std::min(static_cast<int>(threads), OpenblasMaxThreads());
  } else {
    // alone: set it now and keep what OpenBLAS stored (1000 becomes its maximum), so getNumThreads
    // tells the truth
    openblas_set_num_threads(static_cast<int>(threads));
    t_threads = openblas_get_num_threads();
  }
  return Napi::Number::New(env, t_threads);
}

Napi::Value GetNumThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), ThreadSetting());
}

}  // namespace blasprop
