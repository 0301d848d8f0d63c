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

// how long the helper watches for the next job before it sleeps (Loop); after a look-ahead job
// (PostToSecondCore) longer, as the next one comes a whole training step later (a book float64 step
// is ≈ 0.45 ms)
constexpr auto kWatch = std::chrono::microseconds(500);
constexpr auto kWatchAhead = std::chrono::microseconds(1000);

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
  // set with a job posted by PostToSecondCore
  bool ahead = false;

  Helper() { std::thread([this] { Loop(); }).detach(); }

  void Loop() {
    bool wasAhead = false;
    for (;;) {
      // a step posts its jobs close together (the optimizer's large parameter just after the products,
      // the next batch's blocks): after each job the helper keeps watching for a while before it
      // sleeps, since a sleeping thread here takes longer to wake (≈0.1 ms on this VM) than half of a
      // 0.2 ms pass (and waking it cost the poster of a look-ahead gather ≈ 25 µs, more than the
      // 100-row gather it handed over). yielding each turn leaves the core to any other thread that wants it
      const auto until = std::chrono::steady_clock::now() + (wasAhead ? kWatchAhead : kWatch);
      while (state.load(std::memory_order_acquire) != kPosted && std::chrono::steady_clock::now() < until) std::this_thread::yield();
      {
        std::unique_lock<std::mutex> hold(lock);
        wake.wait(hold, [this] { return state.load(std::memory_order_acquire) == kPosted; });
      }
      int posted = kPosted;
      if (!state.compare_exchange_strong(posted, kTaken, std::memory_order_acq_rel)) continue;
      wasAhead = ahead;
      call(work, begin, end);
      state.store(kFinished, std::memory_order_release);
    }
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

void Post(Helper& h, RowsCall call, const void* work, size_t begin, size_t end, bool ahead) {
  {
    std::lock_guard<std::mutex> hold(h.lock);
    h.ahead = ahead;
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

// the helper PostToSecondCore posted to, until FinishOnSecondCore (one at a time: InUse is taken),
// and whether this thread is the one that posted
Helper* postedTo = nullptr;
thread_local bool postedHere = false;

}  // namespace

void RunRowsOnTwoCores(size_t rows, size_t elements, RowsCall call, const void* work) {
  if (rows < 2 || elements < kSplitElements || LargeProductThreads() < 2) return call(work, 0, rows);
  // this thread's look-ahead work (a 100-row gather, long done by the time a step needs a split) first
  FinishOnSecondCore();
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

bool PostToSecondCore(size_t rows, RowsCall call, const void* work) {
  if (LargeProductThreads() < 2) return false;
  Helper* helper = TheHelper();
  if (helper == nullptr || !TryUse()) return false;
  postedTo = helper;
  postedHere = true;
  Post(*helper, call, work, 0, rows, true);
  return true;
}

void FinishOnSecondCore() {
  if (!postedHere) return;
  Finish(*postedTo);
  postedTo = nullptr;
  postedHere = false;
  Release();
}

}  // namespace blasprop
