// OsAllocator: memory for the engine's largest arrays (a few bytes to a few hundred per fact:
// features, summaries, band keys, the corpus state) taken from the operating system and given
// back to it when freed. A general-purpose allocator keeps freed pages for reuse (jemalloc,
// which the factdedup executable links, for about ten seconds): the engine's arrays, freed
// when it returns, stayed resident while the conflict pass that follows built its own, and
// that sum was a scan's peak memory.
//
//   OsVector<uint32_t> keys(n * bands);  // as std::vector; gone from the process when freed
//
// Allocations under kOsMinBytes go to std::allocator (small arrays are better reused). The
// contents are what std::vector makes of them; only where the bytes live differs.
#ifndef FACTDEDUP_DEDUP_INTERNAL_OS_MEMORY_H_
#define FACTDEDUP_DEDUP_INTERNAL_OS_MEMORY_H_

#include <sys/mman.h>

#include <cstddef>
#include <memory>
#include <new>
#include <vector>

namespace factdedup::dedup::internal {

inline constexpr size_t kOsMinBytes = size_t{1} << 20;

template <typename T>
struct OsAllocator {
  using value_type = T;
  OsAllocator() = default;
  template <typename U>
  OsAllocator(const OsAllocator<U>&) noexcept {}

  T* allocate(size_t n) {
    if (n > static_cast<size_t>(-1) / sizeof(T)) throw std::bad_array_new_length();
    const size_t bytes = n * sizeof(T);
    if (bytes < kOsMinBytes) return std::allocator<T>().allocate(n);
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
    // On huge pages where the kernel allows them, as jemalloc puts the rest of the heap
    // (fewer page faults); a failure only leaves small pages.
    (void)madvise(p, bytes, MADV_HUGEPAGE);
#endif
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t n) noexcept {
    const size_t bytes = n * sizeof(T);
    if (bytes < kOsMinBytes) {
      std::allocator<T>().deallocate(p, n);
      return;
    }
    munmap(p, bytes);
  }

  template <typename U>
  friend bool operator==(const OsAllocator&, const OsAllocator<U>&) noexcept {
    return true;
  }
};

template <typename T>
using OsVector = std::vector<T, OsAllocator<T>>;

}  // namespace factdedup::dedup::internal

#endif  // FACTDEDUP_DEDUP_INTERNAL_OS_MEMORY_H_
