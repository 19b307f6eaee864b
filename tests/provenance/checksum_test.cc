#include "provenance/internal/checksum.h"

#include <cstdint>
#include <random>
#include <string>

#include "absl/strings/string_view.h"
#include "dedup/hash.h"
#include "gtest/gtest.h"

namespace factdedup::provenance::internal {
namespace {

// The checksum is XXH3-64 with seed 0 whichever code computes it: files written by one build
// load in another.
TEST(Checksum, IsXxh3WithSeedZeroAtEverySizeAndOffset) {
  std::mt19937_64 rng(7);
  std::string bytes(3 << 20, '\0');
  for (char& c : bytes) c = static_cast<char>(rng());
  const absl::string_view all(bytes);
  for (size_t size = 0; size <= 1100; ++size) {
    for (size_t offset : {0, 1, 7}) {
      const absl::string_view s = all.substr(offset, size);
      ASSERT_EQ(Checksum(s), dedup::Hash64(s, 0)) << size << " bytes at " << offset;
    }
  }
  for (size_t size : {size_t{4096}, size_t{65536} + 3, size_t{1} << 20, bytes.size() - 5}) {
    const absl::string_view s = all.substr(5, size);
    EXPECT_EQ(Checksum(s), dedup::Hash64(s, 0)) << size;
  }
  EXPECT_EQ(Checksum(""), 0x2d06800538d394c2ull) << "XXH3-64 of nothing";
}

}  // namespace
}  // namespace factdedup::provenance::internal
