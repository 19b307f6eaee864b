// OsVector against std::vector: the same contents through the same operations, on both sides
// of the size from which the memory comes from the operating system (kOsMinBytes).
#include "dedup/internal/os_memory.h"

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

#include "gtest/gtest.h"

namespace factdedup::dedup::internal {
namespace {

TEST(OsVector, HoldsWhatStdVectorHoldsOnBothSidesOfTheThreshold) {
  const size_t big = kOsMinBytes / sizeof(uint64_t) + 3;  // from the operating system
  for (const size_t n : {size_t{0}, size_t{1}, size_t{1000}, big}) {
    OsVector<uint64_t> os(n, 7);
    std::vector<uint64_t> plain(n, 7);
    std::iota(os.begin(), os.end(), 11);
    std::iota(plain.begin(), plain.end(), 11);
    for (size_t k = 0; k < 2 * big; ++k) {  // grows across the threshold by reallocating
      os.push_back(k * 3);
      plain.push_back(k * 3);
    }
    ASSERT_EQ(os.size(), plain.size());
    EXPECT_TRUE(std::equal(os.begin(), os.end(), plain.begin())) << n;
    OsVector<uint64_t> moved = std::move(os);
    EXPECT_TRUE(std::equal(moved.begin(), moved.end(), plain.begin())) << n;
    moved.resize(1);
    moved.shrink_to_fit();  // back under the threshold
    EXPECT_EQ(moved[0], plain[0]);
  }
}

TEST(OsVector, LargeArraysStartZeroedAsStdVectorMakesThem) {
  const OsVector<uint32_t> keys(kOsMinBytes);  // 4 MiB of value-initialized entries
  EXPECT_EQ(std::count(keys.begin(), keys.end(), 0u), static_cast<long>(keys.size()));
}

}  // namespace
}  // namespace factdedup::dedup::internal
