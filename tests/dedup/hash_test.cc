#include "dedup/hash.h"

#include <algorithm>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace factdedup::dedup {
namespace {

struct ShingleCase {
  std::vector<std::string> tokens;
  int n;
  size_t want_size;
};

TEST(HashTest, ShingleCounts) {
  const ShingleCase kCases[] = {
      {{}, 1, 0},
      {{"a"}, 0, 0},  // n < 1: no shingles
      {{"a", "b", "c"}, 1, 3},
      {{"a", "b", "a"}, 1, 2},  // a set
      {{"a", "b", "c"}, 2, 2},
      {{"a", "b", "c"}, 3, 1},
      {{"a", "b", "c"}, 9, 1},       // shorter than n: one shingle of all tokens
      {{"a", "b", "a", "b"}, 2, 2},  // "a b" twice, "b a" once
                                     // Former bugs: none so far.
  };
  for (const ShingleCase& c : kCases) {
    const std::vector<uint64_t> got = ShingleHashes(c.tokens, c.n);
    EXPECT_EQ(got.size(), c.want_size) << c.tokens.size() << " tokens, n=" << c.n;
    EXPECT_TRUE(std::is_sorted(got.begin(), got.end()));
  }
}

TEST(HashTest, ShinglesKeepTokenBoundaries) {
  const std::vector<std::string> ab_c = {"ab", "c"};
  const std::vector<std::string> a_bc = {"a", "bc"};
  EXPECT_NE(ShingleHashes(ab_c, 2), ShingleHashes(a_bc, 2));
  const std::vector<std::string> one = {"x"};
  EXPECT_EQ(ShingleHashes(one, 1), std::vector<uint64_t>{Hash64("x")});
}

TEST(HashTest, SeedChangesHashes) {
  EXPECT_EQ(Hash64("fact"), Hash64("fact", kDefaultHashSeed));
  EXPECT_NE(Hash64("fact", 1), Hash64("fact", 2));
  const std::vector<std::string> tokens = {"azure", "vast", "deal"};
  EXPECT_NE(ShingleHashes(tokens, 1, 1), ShingleHashes(tokens, 1, 2));
}

}  // namespace
}  // namespace factdedup::dedup
