// the helper thread behind ForRowsOnTwoCores (two_cores.h says when it is used)
#include "two_cores.h"

#include <atomic>
#include <chrono>
#include <exception>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "threads.h"

namespace blasprop {

namespace {

// a job's life: posted by the caller, then taken by the helper or, if the helper has not started it
// by the time the caller's own part is done, by the caller itself (so a helper kept off its core by
// other processes never makes the caller wait)
enum : int { kIdle, kPosted, kTaken, kFinished };

// how long the helper watches for the next look-ahead job: a book step (0.2–0.5 ms) posts well within it
constexpr std::chrono::microseconds kWatch{1000};

// one helper thread, made at first use and never destroyed (like OpenBLAS's own pool): the process
// may exit, or a worker's environment be torn down, while it waits
struct Helper {
  std::mutex lock;
  std::condition_variable wake;
  std::atomic<int> state{kIdle};
  // the posted job, rows [begin, end): written before state becomes kPosted, read after taking it
  RowsCall call = nullptr;
  const void* work = nullptr;
  size_t begin = 0;
  size_t end = 0;
  // set with a job posted by PostToSecondCore: another is likely to follow within a training step
  bool watchAfter = false;

  Helper() { std::thread([this] { Loop(); }).detach(); }

  void Loop() {
    bool watch = false;
    for (;;) {
      // after a look-ahead job, watch for the next one a while before sleeping: waking a sleeping
      // thread cost the poster ≈ 25 µs here (a futex wake, and the VM's wake-up of an idle core),
      // more than the 100-row gather it hands over. the watch yields, so a runnable thread (OpenBLAS's
      // second one) still gets this core
      if (!(watch && WatchFor(kWatch))) {
        std::unique_lock<std::mutex> hold(lock);
        wake.wait(hold, [this] { return state.load(std::memory_order_acquire) == kPosted; });
      }
      int posted = kPosted;
      if (!state.compare_exchange_strong(posted, kTaken, std::memory_order_acq_rel)) continue;
      watch = watchAfter;
      call(work, begin, end);
      state.store(kFinished, std::memory_order_release);
    }
  }

  // true when a job was posted within the time given
  bool WatchFor(std::chrono::microseconds span) {
    const auto until = std::chrono::steady_clock::now() + span;
    while (state.load(std::memory_order_acquire) != kPosted) {
      if (std::chrono::steady_clock::now() >= until) return false;
      std::this_thread::yield();
    }
    return true;
  }
};

// nullptr when no thread could be started: then every caller works alone
Helper* TheHelper() {
  static Helper* helper = []() -> Helper* {
    try {
      return new Helper();
    } catch (const std::exception&) {
      return nullptr;
    }
  }();
  return helper;
}

// one caller at a time (another JavaScript thread arriving meanwhile runs its rows alone): a flag, not a
// mutex, as work posted by PostToSecondCore keeps it taken across calls of the same thread
std::atomic<bool>& InUse() {
  static auto* busy = new std::atomic<bool>(false);
  return *busy;
}

bool TryUse() {
  bool idle = false;
  return InUse().compare_exchange_strong(idle, true, std::memory_order_acquire);
}

void Release() { InUse().store(false, std::memory_order_release); }

void Post(Helper& h, RowsCall call, const void* work, size_t begin, size_t end, bool watchAfter) {
  {
    std::lock_guard<std::mutex> hold(h.lock);
    h.watchAfter = watchAfter;
    h.call = call;
    h.work = work;
    h.begin = begin;
    h.end = end;
    h.state.store(kPosted, std::memory_order_release);
  }
  h.wake.notify_one();
}

// the posted rows: the helper's if it has taken them (wait for it), else run here
void Finish(Helper& h) {
  int posted = kPosted;
  if (h.state.compare_exchange_strong(posted, kTaken, std::memory_order_acq_rel)) {
    h.call(h.work, h.begin, h.end);
  } else {
    while (h.state.load(std::memory_order_acquire) != kFinished) std::this_thread::yield();
  }
  h.state.store(kIdle, std::memory_order_release);
}

}  // namespace

void RunRowsOnTwoCores(size_t rows, size_t elements, RowsCall call, const void* work) {
  if (rows < 2 || elements < kSplitElements || LargeProductThreads() < 2) return call(work, 0, rows);
  Helper* helper = TheHelper();
  if (helper == nullptr || !TryUse()) return call(work, 0, rows);
  // the caller takes the first half and the helper the second, as a two-thread product splits its
  // rows (the caller computes the first part): each core then reads the rows it has just written
  const size_t half = rows / 2;
  Post(*helper, call, work, half, rows, false);
  call(work, 0, half);
  Finish(*helper);
  Release();
}

// the work posted by PostToSecondCore, until FinishOnSecondCore (one at a time: InUse is taken)
namespace {
Helper* postedTo = nullptr;
}

bool PostToSecondCore(size_t rows, RowsCall call, const void* work) {
  if (LargeProductThreads() < 2) return false;
  Helper* helper = TheHelper();
  if (helper == nullptr || !TryUse()) return false;
  postedTo = helper;
  Post(*helper, call, work, 0, rows, true);
  return true;
}

void FinishOnSecondCore() {
  if (postedTo == nullptr) return;
  Finish(*postedTo);
  postedTo = nullptr;
  Release();
}

}  // namespace blasprop
