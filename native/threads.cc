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
// own setting (products under kSmallProduct, or halved by HalvesFor, still on one OpenBLAS thread).
// each thread's setting is its own, kept per Node environment (the main thread's, each worker's), and
// getNumThreads reports it.
#include <cblas.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "args.h"
#include "ops.h"
#include "threads.h"
#include "two_cores.h"

namespace blasprop {

namespace {

// a JavaScript thread (Node environment) with the addon loaded, and its setting (0: not chosen yet,
// OpenBLAS's default)
struct JsThread {
  napi_env env;
  int threads;
};

// serialises every change of OpenBLAS's count and of the registry below. both are made once and never
// destroyed: a worker's cleanup hook may still run while the process exits
std::mutex& CountLock() {
  static auto* lock = new std::mutex();
  return *lock;
}

// every JavaScript thread with the addon loaded; changed under CountLock
std::vector<JsThread>& Registry() {
  static auto* threads = new std::vector<JsThread>();
  return *threads;
}

// the most threads a large product may use right now: the setting of the one JavaScript thread, or 1
// when there are several. products read it without the lock; it changes under the lock
std::atomic<int> g_large_product_threads{1};

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

int SettingOf(const JsThread& t) {
  return t.threads == 0 ? OpenblasDefaultThreads() : t.threads;
}

// under CountLock: the registry changed, so may the count large products get
void Recount() {
  auto& threads = Registry();
  g_large_product_threads.store(threads.size() == 1 ? SettingOf(threads[0]) : 1);
}

// under CountLock: this environment's entry (every environment registers in Init before any call)
JsThread* Find(napi_env env) {
  for (auto& t : Registry()) {
    if (t.env == env) return &t;
  }
  return nullptr;
}

}  // namespace

int OpenblasDefaultThreads() {
  // read once, before anything of ours has set a count (Init calls this before any setter can run)
  static const int threads = openblas_get_num_threads();
  return threads;
}

int LargeProductThreads() {
  return g_large_product_threads.load();
}

int ThreadSetting(napi_env env) {
  std::lock_guard<std::mutex> hold(CountLock());
  JsThread* t = Find(env);
  return t == nullptr ? OpenblasDefaultThreads() : SettingOf(*t);
}

size_t HalvesFor(size_t m, size_t n, size_t k) {
  const double macs = static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  const size_t longer = std::max(m, n);
  // a large product with no narrow side keeps OpenBLAS's own threads, which do well there
  if (macs < kHalvedProduct || (macs >= kSmallProduct && std::min(m, n) > kNarrowSide) || longer < 32) return 0;
  // rows of C (m ≥ n) are columns of OpenBLAS's column-major view, where any cut gives the same bits
  // (measured: cuts at multiples of 1, 2, 4, 8 and 16 rows agree bit for bit), so cut them where the
  // other passes over a batch cut its rows (HalfOf: the book step's 100 rows as 52 and 48, where a
  // multiple of 16 gave 64 and 36 and left the helper waiting: 100×784×50 sgemm 62 → 52 µs). its
  // columns are OpenBLAS's vector dimension, where a cut inside a 16-wide kernel block changes the
  // bits: a multiple of 16
  if (m >= n) return HalfOf(m);
  return (longer / 2 + 15) / 16 * 16;
}

namespace {

void UseThreads(bool small) {
  int want = small ? 1 : g_large_product_threads.load();
  // changing OpenBLAS's count costs a lock and ~50 ns; skip it when it already holds this value
  // (with several JavaScript threads about it holds 1, and nobody may raise it)
  if (openblas_get_num_threads() == want) return;
  std::lock_guard<std::mutex> hold(CountLock());
  // decided again under the lock: a thread that started meanwhile has set 1 and must keep it
  if (!small) want = g_large_product_threads.load();
  openblas_set_num_threads(want);
}

}  // namespace

void UseThreadsFor(size_t m, size_t n, size_t k) {
  UseThreads(static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k) < kSmallProduct);
}

void UseOneThread() { UseThreads(true); }

void AddJsThread(Napi::Env env) {
  OpenblasDefaultThreads();
  napi_env raw = env;
  {
    std::lock_guard<std::mutex> hold(CountLock());
    Registry().push_back({raw, 0});
    // a second thread: from now on every product runs single-threaded
    if (Registry().size() > 1) openblas_set_num_threads(1);
    Recount();
  }
  env.AddCleanupHook([raw] {
    std::lock_guard<std::mutex> hold(CountLock());
    auto& threads = Registry();
    for (size_t i = 0; i < threads.size(); i++) {
      if (threads[i].env == raw) {
        threads.erase(threads.begin() + static_cast<std::ptrdiff_t>(i));
        break;
      }
    }
    Recount();
  });
}

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckArgCount(info, 1, "setNumThreads", "(threads)");
  size_t threads = DimArg(info, 0, "setNumThreads", "threads");
  if (threads < 1 || threads > 1024) {
    throw Napi::RangeError::New(env, "setNumThreads: threads must be an integer in [1, 1024], got " +
                                         std::to_string(threads));
  }
  std::lock_guard<std::mutex> hold(CountLock());
  JsThread* self = Find(env);
  int stored;
  if (Registry().size() > 1 || self == nullptr) {
    // others are computing: OpenBLAS's count stays 1, so take its clamp from its configuration
    stored = std::min(static_cast<int>(threads), OpenblasMaxThreads());
  } else {
    // alone: set it now and keep what OpenBLAS stored (1000 becomes its maximum), so getNumThreads
    // tells the truth
    openblas_set_num_threads(static_cast<int>(threads));
    stored = openblas_get_num_threads();
  }
  if (self != nullptr) self->threads = stored;
  Recount();
  return Napi::Number::New(env, stored);
}

Napi::Value GetNumThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), ThreadSetting(info.Env()));
}

}  // namespace blasprop
