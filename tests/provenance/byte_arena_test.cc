#include "provenance/internal/byte_arena.h"

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace factdedup::provenance::internal {
namespace {

TEST(ByteArena, CopiesSurviveTheArenaAndLaterBlocks) {
  std::vector<std::string> originals;
  std::vector<absl::string_view> copies;
  std::vector<std::shared_ptr<const void>> owners;
  {
    ByteArena arena(/*block_size=*/64);
    for (int i = 0; i < 200; ++i) {
      originals.push_back(
          std::string(static_cast<size_t>(i % 37 + 1), static_cast<char>('a' + i % 26)) +
          std::to_string(i));
      std::shared_ptr<const void> owner;
      copies.push_back(arena.Add(originals.back(), &owner));
      ASSERT_NE(owner, nullptr);
      owners.push_back(std::move(owner));
    }
  }  // the arena is gone: the owners keep the blocks
  for (size_t i = 0; i < originals.size(); ++i) {
    EXPECT_EQ(copies[i], originals[i]) << i;
    EXPECT_NE(copies[i].data(), originals[i].data());
  }
}

TEST(ByteArena, PacksSmallStringsIntoOneBlockAndGivesLongOnesTheirOwn) {
  ByteArena arena(/*block_size=*/16);
  std::shared_ptr<const void> a, b, c, d;
  const absl::string_view x = arena.Add("12345", &a);
  const absl::string_view y = arena.Add("6789", &b);
  EXPECT_EQ(a, b);                    // one block
  EXPECT_EQ(y.data(), x.data() + 5);  // back to back
  EXPECT_EQ(arena.available(), 7u);
  const absl::string_view z = arena.Add("abcdefgh", &c);  // does not fit: a new block
  EXPECT_NE(c, a);
  EXPECT_EQ(z, "abcdefgh");
  EXPECT_EQ(arena.available(), 8u);
  const std::string long_one(40, 'L');
  EXPECT_EQ(arena.Add(long_one, &d), long_one);  // longer than a block: a block of its own
  EXPECT_EQ(arena.available(), 0u);
  EXPECT_EQ(x, "12345");
  EXPECT_EQ(y, "6789");
}

TEST(ByteArena, EmptyBytesTakeNothing) {
  ByteArena arena(/*block_size=*/16);
  std::shared_ptr<const void> owner = std::make_shared<int>(1);
  EXPECT_TRUE(arena.Add("", &owner).empty());
  EXPECT_EQ(owner, nullptr);
  EXPECT_EQ(arena.available(), 0u);  // no block made
}

TEST(ByteArena, ABlockIsFreedWithItsLastOwner) {
  ByteArena arena(/*block_size=*/8);
  std::shared_ptr<const void> first, second;
  arena.Add("1234", &first);
  arena.Add("5678", &second);
  std::weak_ptr<const void> block = first;
  first.reset();
  EXPECT_FALSE(block.expired());  // the second copy and the arena still hold it
  arena.Add("abcdefg", &first);   // the arena moves on to a new block
  EXPECT_FALSE(block.expired());
  second.reset();
  EXPECT_TRUE(block.expired());
}

}  // namespace
}  // namespace factdedup::provenance::internal
