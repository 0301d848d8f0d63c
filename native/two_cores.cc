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

// how long the helper watches for the next job before it sleeps (Loop)
constexpr auto kWatch = std::chrono::microseconds(500);

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

  Helper() { std::thread([this] { Loop(); }).detach(); }

  void Loop() {
    for (;;) {
      // a step posts its jobs close together (the optimizer's large parameter just after the products,
      // the next batch's blocks): after each job the helper keeps watching for a while before it
      // sleeps, since a sleeping thread here takes longer to wake (≈0.1 ms on this VM) than half of a
      // 0.2 ms pass. yielding each turn leaves the core to any other thread that wants it
      const auto until = std::chrono::steady_clock::now() + kWatch;
      while (state.load(std::memory_order_acquire) != kPosted && std::chrono::steady_clock::now() < until) std::this_thread::yield();
      {
        std::unique_lock<std::mutex> hold(lock);
        wake.wait(hold, [this] { return state.load(std::memory_order_acquire) == kPosted; });
      }
      int posted = kPosted;
      if (!state.compare_exchange_strong(posted, kTaken, std::memory_order_acq_rel)) continue;
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

// one caller at a time (another JavaScript thread arriving meanwhile runs its rows alone)
std::mutex& InUse() {
  static auto* lock = new std::mutex();
  return *lock;
}

}  // namespace

void RunRowsOnTwoCores(size_t rows, size_t elements, RowsCall call, const void* work) {
  if (rows < 2 || elements < kSplitElements || LargeProductThreads() < 2) return call(work, 0, rows);
  std::unique_lock<std::mutex> use(InUse(), std::try_to_lock);
  if (!use.owns_lock()) return call(work, 0, rows);
  Helper* helper = TheHelper();
  if (helper == nullptr) return call(work, 0, rows);
  Helper& h = *helper;
  // the caller takes the first half and the helper the second, as a two-thread product splits its
  // rows (the caller computes the first part): each core then reads the rows it has just written
  const size_t half = rows / 2;
  {
    std::lock_guard<std::mutex> hold(h.lock);
    h.call = call;
    h.work = work;
    h.begin = half;
    h.end = rows;
    h.state.store(kPosted, std::memory_order_release);
  }
  h.wake.notify_one();
  call(work, 0, half);
  // the second half: the helper's if it has taken it (wait for it), else ours
  int posted = kPosted;
  if (h.state.compare_exchange_strong(posted, kTaken, std::memory_order_acq_rel)) {
    call(work, half, rows);
  } else {
    while (h.state.load(std::memory_order_acquire) != kFinished) std::this_thread::yield();
  }
  h.state.store(kIdle, std::memory_order_release);
}

}  // namespace blasprop
