// A minimal parallel-for over [0, n): static chunks over `threads` std::threads. Results are
// written by index, so output never depends on scheduling.
#ifndef FACTDEDUP_DEDUP_INTERNAL_PARALLEL_H_
#define FACTDEDUP_DEDUP_INTERNAL_PARALLEL_H_

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

namespace factdedup::dedup::internal {

inline int ResolveThreads(int threads) {
  if (threads > 0) return threads;
  unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

// Calls fn(begin, end) on disjoint chunks covering [0, n). Chunks are handed out dynamically
// in units of `grain` to balance uneven work.
template <typename Fn>
void ParallelFor(size_t n, int threads, size_t grain, Fn fn) {
  threads =
      std::max(1, std::min<int>(ResolveThreads(threads),
                                static_cast<int>((n + grain - 1) / std::max<size_t>(grain, 1))));
  if (threads <= 1 || n <= grain) {
    if (n > 0) fn(size_t{0}, n);
    return;
  }
  std::atomic<size_t> next{0};
  auto work = [&] {
    while (true) {
      size_t b = next.fetch_add(grain);
      if (b >= n) break;
      fn(b, std::min(n, b + grain));
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(threads - 1);
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
}

}  // namespace factdedup::dedup::internal

#endif  // FACTDEDUP_DEDUP_INTERNAL_PARALLEL_H_
