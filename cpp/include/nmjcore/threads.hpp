// A minimal fork-join helper shared by every kernel.
//
// Kernels split their work into independent index ranges (rows, columns, slabs) and call
// parallel_for. Threads are started per call: kernels run for milliseconds or more, so the
// ~20 us start cost is noise, and a per-call pool cannot clash with torch's or NumPy's own
// thread pools the way a process-wide OpenMP runtime can.
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace nmjcore {

// threads <= 0 means "every hardware thread".
inline int resolve_threads(int threads) {
  if (threads > 0) return threads;
  const unsigned hw = std::thread::hardware_concurrency();
  return hw ? static_cast<int>(hw) : 1;
}

// Calls fn(lo, hi, worker) over disjoint chunks [lo, hi) covering [begin, end).
// Chunks of `grain` items are handed out dynamically so uneven work balances; worker is in
// [0, threads) and lets the caller keep per-thread scratch buffers (no two calls of fn with
// the same worker overlap). With one thread (or one chunk) everything runs on the calling
// thread. Returns when every chunk is done.
template <class Fn>
void parallel_for(int64_t begin, int64_t end, int threads, Fn&& fn, int64_t grain = 1) {
  const int64_t n = end - begin;
  if (n <= 0) return;
  grain = std::max<int64_t>(grain, 1);
  const int64_t chunks = (n + grain - 1) / grain;
  const int workers = static_cast<int>(std::min<int64_t>(resolve_threads(threads), chunks));
  if (workers <= 1) {
    fn(begin, end, 0);
    return;
  }
  // The state lives on the heap and helpers are detached: the caller waits only for chunks
  // in progress, never for a helper that has not started yet (on a busy machine that can take
  // a whole time slice). A helper that starts after the last chunk was claimed touches only
  // this state, never fn.
  struct State {
    std::atomic<int64_t> next{0}, done{0};
    std::mutex mutex;
    std::condition_variable finished;
  };
  auto state = std::make_shared<State>();
  auto work = [state, chunks, begin, end, grain, &fn](int worker) {
    for (;;) {
      const int64_t c = state->next.fetch_add(1, std::memory_order_relaxed);
      if (c >= chunks) break;
      const int64_t lo = begin + c * grain;
      fn(lo, std::min(end, lo + grain), worker);
      if (state->done.fetch_add(1, std::memory_order_acq_rel) + 1 == chunks) {
        std::lock_guard<std::mutex> lock(state->mutex);
        state->finished.notify_all();
      }
    }
  };
  for (int w = 1; w < workers; ++w) std::thread(work, w).detach();
  work(0);
  std::unique_lock<std::mutex> lock(state->mutex);
  state->finished.wait(lock, [&] { return state->done.load(std::memory_order_acquire) == chunks; });
}

// Number of workers parallel_for will use for n items: for sizing per-thread scratch.
inline int worker_count(int64_t n, int threads, int64_t grain = 1) {
  grain = std::max<int64_t>(grain, 1);
  const int64_t chunks = (n + grain - 1) / grain;
  return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(resolve_threads(threads), chunks)));
}

}  // namespace nmjcore
