// A minimal parallel-for over [0, n): static chunks over `threads` std::threads. Results are
// written by index, so output never depends on scheduling.
#ifndef FACTDEDUP_DEDUP_INTERNAL_PARALLEL_H_
#define FACTDEDUP_DEDUP_INTERNAL_PARALLEL_H_

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <iterator>
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

// Sorts *v ascending: equal to std::sort for a total order (a sorted order of values is
// unique), with the parts sorted on `threads` threads and merged pairwise.
template <typename T>
void ParallelSort(std::vector<T>* v, int threads) {
  threads = ResolveThreads(threads);
  const size_t n = v->size();
  if (threads <= 1 || n < (size_t{1} << 16)) {
    std::sort(v->begin(), v->end());
    return;
  }
  const size_t parts = static_cast<size_t>(std::min(threads, 16));
  std::vector<size_t> bounds(parts + 1);
  for (size_t k = 0; k <= parts; ++k) bounds[k] = n * k / parts;
  const auto at = [&](size_t k) { return v->begin() + static_cast<std::ptrdiff_t>(bounds[k]); };
  ParallelFor(parts, threads, 1, [&](size_t b, size_t e) {
    for (size_t k = b; k < e; ++k) std::sort(at(k), at(k + 1));
  });
  for (size_t width = 1; width < parts; width *= 2) {
    const size_t merges = (parts + 2 * width - 1) / (2 * width);
    ParallelFor(merges, threads, 1, [&](size_t b, size_t e) {
      for (size_t m = b; m < e; ++m) {
        const size_t lo = m * 2 * width, mid = lo + width;
        if (mid < parts) std::inplace_merge(at(lo), at(mid), at(std::min(parts, mid + width)));
      }
    });
  }
}

}  // namespace factdedup::dedup::internal

#endif  // FACTDEDUP_DEDUP_INTERNAL_PARALLEL_H_
