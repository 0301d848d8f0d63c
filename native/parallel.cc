// the helper threads of ParallelFor: started on first use, up to the most a call has asked for, then
// kept, each waiting on a condition variable for the next call. they are never joined (a worker
// thread's environment may be torn down while the process lives on; the helpers belong to no
// environment and hold nothing of one)
#include "parallel.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>

namespace blasprop {

namespace {

struct Helpers {
  std::mutex lock;
  std::condition_variable wake;
  std::condition_variable finished;
  // the current call: its body and count, the next index to take, how many helpers it wants and how
  // many of those have not finished yet; generation counts calls, so a helper sees each once
  ParallelBody call = nullptr;
  void* context = nullptr;
  size_t count = 0;
  std::atomic<size_t> next{0};
  size_t wanted = 0;
  size_t running = 0;
  unsigned long generation = 0;
  size_t started = 0;
  // the first exception a body threw on a helper, rethrown by the caller
  std::exception_ptr failure;
};

Helpers& TheHelpers() {
  // made once, never destroyed: a helper may still wait on it while the process exits
  static auto* helpers = new Helpers();
  return *helpers;
}

// takes indices until none is left; an exception (out of memory) stops this thread and is kept
void Drain(Helpers& h) {
  try {
    for (size_t i = h.next.fetch_add(1); i < h.count; i = h.next.fetch_add(1)) h.call(h.context, i);
  } catch (...) {
    std::lock_guard<std::mutex> hold(h.lock);
    if (!h.failure) h.failure = std::current_exception();
  }
}

void HelperLoop(size_t index) {
  Helpers& h = TheHelpers();
  unsigned long seen = 0;
  std::unique_lock<std::mutex> hold(h.lock);
  for (;;) {
    h.wake.wait(hold, [&] { return h.generation != seen; });
    seen = h.generation;
    // this call wants fewer helpers than have been started
    if (index >= h.wanted) continue;
    hold.unlock();
    Drain(h);
    hold.lock();
    if (--h.running == 0) h.finished.notify_one();
  }
}

// one call at a time uses the helpers
std::mutex& CallLock() {
  static auto* lock = new std::mutex();
  return *lock;
}

}  // namespace

void ParallelForEach(int threads, size_t count, ParallelBody call, void* context) {
  std::unique_lock<std::mutex> calling(CallLock(), std::defer_lock);
  if (threads <= 1 || count <= 1 || !calling.try_lock()) {
    for (size_t i = 0; i < count; i++) call(context, i);
    return;
  }
  Helpers& h = TheHelpers();
  size_t helpers = std::min(static_cast<size_t>(threads) - 1, count - 1);
  {
    std::lock_guard<std::mutex> hold(h.lock);
    while (h.started < helpers) {
      std::thread(HelperLoop, h.started).detach();
      h.started++;
    }
    h.call = call;
    h.context = context;
    h.count = count;
    h.next.store(0);
    h.wanted = helpers;
    h.running = helpers;
    h.generation++;
  }
  h.wake.notify_all();
  Drain(h);
  std::unique_lock<std::mutex> hold(h.lock);
  h.finished.wait(hold, [&] { return h.running == 0; });
  h.call = nullptr;
  h.context = nullptr;
  std::exception_ptr failure = h.failure;
  h.failure = nullptr;
  hold.unlock();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace blasprop
