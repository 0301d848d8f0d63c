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

// how long the helper watches for the next job before it sleeps (Loop): longer than any gap between
// two splits of a training step of the book net (its last, the weight update, is followed at once by
// the next step's gather)
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
  // while the helper watches for work (not asleep): posting to it is then cheap (kSplitElementsAwake)
  std::atomic<bool> awake{true};

  Helper() { std::thread([this] { Loop(); }).detach(); }

  void Loop() {
    for (;;) {
      // a step posts its jobs close together (the batch's gather, the halved products, the update):
      // after each job the helper keeps watching for a while before it sleeps, since a sleeping thread
      // here takes longer to wake (≈0.1 ms on this VM) than half of a 0.2 ms pass (waking it cost the
      // poster ≈ 25 µs, more than half a 100-row gather). yielding each turn leaves the core to any
      // other thread that wants it
      awake.store(true, std::memory_order_relaxed);
      const auto until = std::chrono::steady_clock::now() + kWatch;
      while (state.load(std::memory_order_acquire) != kPosted && std::chrono::steady_clock::now() < until) std::this_thread::yield();
      // from here a small pass is not worth waking it for (one posted meanwhile still wakes it)
      awake.store(false, std::memory_order_relaxed);
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

// one caller at a time (another JavaScript thread arriving meanwhile runs its rows alone): a flag, not a
// mutex, which a caller that finds it taken would wait on
std::atomic<bool>& InUse() {
  static auto* busy = new std::atomic<bool>(false);
  return *busy;
}

bool TryUse() {
  bool idle = false;
  return InUse().compare_exchange_strong(idle, true, std::memory_order_acquire);
}

void Release() { InUse().store(false, std::memory_order_release); }

void Post(Helper& h, RowsCall call, const void* work, size_t begin, size_t end) {
  {
    std::lock_guard<std::mutex> hold(h.lock);
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

size_t HalfOf(size_t rows) {
  return rows >= 8 ? (rows / 2 + 2) / 4 * 4 : rows / 2;
}

void RunRowsOnTwoCores(size_t rows, size_t elements, RowsCall call, const void* work) {
  if (rows < 2 || elements < kSplitElementsAwake || LargeProductThreads() < 2) return call(work, 0, rows);
  Helper* helper = TheHelper();
  if (helper == nullptr || (elements < kSplitElements && !helper->awake.load(std::memory_order_relaxed)) || !TryUse()) {
    return call(work, 0, rows);
  }
  // the caller takes the first part and the helper the second, as a two-thread product splits its
  // rows (the caller computes the first part): each core then reads the rows it has just written
  const size_t half = HalfOf(rows);
  Post(*helper, call, work, half, rows);
  call(work, 0, half);
  Finish(*helper);
  Release();
}

}  // namespace blasprop
