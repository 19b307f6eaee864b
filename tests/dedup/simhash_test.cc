#include "dedup/simhash.h"

#include <algorithm>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace factdedup::dedup {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using Pairs = std::vector<std::pair<uint32_t, uint32_t>>;

constexpr uint64_t kH1 = 0xf0f0f0f0f0f0f0f0ULL;
constexpr uint64_t kH2 = 0xff00ff00ff00ff00ULL;
constexpr uint64_t kH3 = 0x0123456789abcdefULL;

struct SimHashCase {
  std::vector<uint64_t> hashes;
  std::vector<double> weights;
  uint64_t want;
};

TEST(SimHashTest, Table) {
  const SimHashCase kCases[] = {
      {{}, {}, 0},
      {{kH1}, {}, kH1},       // one token: its own hash
      {{kH1, kH1}, {}, kH1},  // repeats count repeatedly, same majority
      {{kH1, ~kH1}, {}, 0},   // every bit tied: 0
      {{kH1, kH2, kH3}, {}, (kH1 & kH2) | (kH1 & kH3) | (kH2 & kH3)},  // bitwise majority
      {{kH1, kH2}, {3.0, 1.0}, kH1},  // the heavier token wins every disagreeing bit
      {{kH1, kH2}, {1.0, 3.0}, kH2},
      {{kH1, kH2}, {2.0, 2.0}, kH1 & kH2},  // weighted tie: 0 where they disagree
      {{kH1, kH2, kH3}, {1.0, 1.0, 1.0}, (kH1 & kH2) | (kH1 & kH3) | (kH2 & kH3)},
      {{kH1, kH2, kH3}, {1.0}, (kH1 & kH2) | (kH1 & kH3) | (kH2 & kH3)},  // missing = 1
      {{kH1}, {0.0}, 0},                // zero weight: nothing outweighs nothing
      {{kH1, kH2}, {-1.0, 0.5}, ~kH1},  // a negative weight votes for the complement
                                        // Former bugs: none so far.
  };
  for (const SimHashCase& c : kCases) {
    EXPECT_EQ(SimHash(c.hashes, c.weights), c.want)
        << c.hashes.size() << " hashes, " << c.weights.size() << " weights";
  }
}

TEST(SimHashTest, SimilarSetsAreCloserThanUnrelated) {
  std::mt19937_64 rng(1);
  std::vector<uint64_t> base(40);
  for (uint64_t& h : base) h = rng();
  int near_total = 0, far_total = 0;
  for (int t = 0; t < 200; ++t) {
    std::vector<uint64_t> near = base, far(40);
    for (int k = 0; k < 4; ++k) near[rng() % near.size()] = rng();
    for (uint64_t& h : far) h = rng();
    near_total += HammingDistance(SimHash(base), SimHash(near));
    far_total += HammingDistance(SimHash(base), SimHash(far));
  }
  EXPECT_LT(near_total / 200, 16);  // 10% of tokens changed: ~13 bits in expectation
  EXPECT_GT(far_total / 200, 28);   // unrelated: ~32 bits
}

// A few thousand hashes: random bases, each with variants at 0..10 flipped bits, some exact
// duplicates; the brute-force all-pairs set is the oracle.
std::vector<uint64_t> NearHashes(int bases, int variants, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint64_t> out;
  for (int b = 0; b < bases; ++b) {
    const uint64_t base = rng();
    out.push_back(base);
    for (int v = 1; v < variants; ++v) {
      uint64_t h = base;
      const int flips = static_cast<int>(rng() % 11);
      for (int f = 0; f < flips; ++f) h ^= uint64_t{1} << (rng() % 64);
      out.push_back(h);
    }
  }
  return out;
}

Pairs BruteForce(const std::vector<uint64_t>& hashes, int d) {
  Pairs out;
  for (uint32_t i = 0; i < hashes.size(); ++i) {
    for (uint32_t j = i + 1; j < hashes.size(); ++j) {
      if (HammingDistance(hashes[i], hashes[j]) <= d) out.emplace_back(i, j);
    }
  }
  return out;
}

struct IndexCase {
  int max_distance;
  int key_blocks;
};

TEST(SimHashIndexTest, MatchesBruteForce) {
  const std::vector<uint64_t> hashes = NearHashes(300, 10, 5);  // 3000
  const IndexCase kCases[] = {
      {0, 1}, {1, 1}, {3, 1}, {6, 1}, {10, 1}, {3, 2}, {6, 2}, {6, 3}, {10, 2}, {0, 3},
      // Former bugs: none so far.
  };
  for (const IndexCase& c : kCases) {
    SCOPED_TRACE(testing::Message() << "d=" << c.max_distance << " k=" << c.key_blocks);
    SimHashIndex index(c.max_distance, /*max_bucket_size=*/3000, c.key_blocks);
    for (uint32_t i = 0; i < hashes.size(); ++i) index.Add(i, hashes[i]);
    std::vector<uint32_t> oversized;
    Pairs pairs;
    index.FindCandidates(&pairs, &oversized);
    const Pairs want = BruteForce(hashes, c.max_distance);
    EXPECT_GT(want.size(), 100u);
    EXPECT_EQ(pairs, want);
    EXPECT_THAT(oversized, IsEmpty());
    for (int threads : {2, 3, 0}) {  // tables split over threads: same pairs
      Pairs threaded;
      index.FindCandidates(&threaded, nullptr, threads);
      EXPECT_EQ(threaded, want) << threads << " threads";
    }
  }
}

TEST(SimHashIndexTest, HammingDistanceCountsDifferingBits) {
  std::mt19937_64 rng(7);
  for (int k = 0; k < 1000; ++k) {
    const uint64_t a = rng(), b = k % 3 == 0 ? a ^ (uint64_t{1} << (k % 64)) : rng();
    int want = 0;
    for (int bit = 0; bit < 64; ++bit) want += static_cast<int>(((a ^ b) >> bit) & 1);
    EXPECT_EQ(HammingDistance(a, b), want);
  }
  EXPECT_EQ(HammingDistance(0, ~uint64_t{0}), 64);
  EXPECT_EQ(HammingDistance(kH1, kH1), 0);
}

TEST(SimHashIndexTest, PairSetDoesNotDependOnInsertionOrderOrIds) {
  const std::vector<uint64_t> hashes = NearHashes(100, 10, 9);
  std::vector<uint32_t> order(hashes.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), std::mt19937(4));
  SimHashIndex forward(6), shuffled(6);
  for (uint32_t i = 0; i < hashes.size(); ++i) forward.Add(i, hashes[i]);
  for (uint32_t i : order) shuffled.Add(i, hashes[i]);
  const Pairs pairs = forward.CandidatePairs();
  EXPECT_EQ(pairs, BruteForce(hashes, 6));
  EXPECT_EQ(shuffled.CandidatePairs(), pairs);
  EXPECT_EQ(forward.CandidatePairs(), pairs);
}

TEST(SimHashIndexTest, OversizedBucketsAreSkippedAndReported) {
  SimHashIndex index(/*max_distance=*/3, /*max_bucket_size=*/5);
  for (uint32_t id = 10; id < 20; ++id) index.Add(id, kH3);  // 10 identical: every bucket
  index.Add(1, kH1);
  index.Add(2, kH1 ^ 0x7);  // 3 bits away
  index.Add(3, kH1 ^ 0xf);  // 4 bits from kH1, 1 from id 2
  Pairs pairs;
  std::vector<uint32_t> oversized;
  index.FindCandidates(&pairs, &oversized);
  EXPECT_THAT(pairs, ElementsAre(std::make_pair(1u, 2u), std::make_pair(2u, 3u)));
  EXPECT_THAT(oversized, ElementsAre(10, 11, 12, 13, 14, 15, 16, 17, 18, 19));
  Pairs threaded;
  std::vector<uint32_t> threaded_oversized;
  index.FindCandidates(&threaded, &threaded_oversized, 4);
  EXPECT_EQ(threaded, pairs);
  EXPECT_EQ(threaded_oversized, oversized);
  EXPECT_EQ(index.OversizedBucketIds(), oversized);
  EXPECT_EQ(index.CandidatePairs(), pairs);
}

TEST(SimHashIndexTest, EdgeCases) {
  SimHashIndex empty;
  EXPECT_THAT(empty.CandidatePairs(), IsEmpty());
  EXPECT_THAT(empty.OversizedBucketIds(), IsEmpty());

  SimHashIndex dup(0);
  dup.Add(7, kH1);
  dup.Add(7, kH1);  // same id twice: no self pair
  dup.Add(8, kH1);
  EXPECT_THAT(dup.CandidatePairs(), ElementsAre(std::make_pair(7u, 8u)));

  // Bounds are clamped: everything is within 63 bits except complements (64 bits).
  SimHashIndex all(100, 2000, 100);
  EXPECT_EQ(all.max_distance(), 63);
  EXPECT_EQ(all.key_blocks(), 1);
  all.Add(1, 0);
  all.Add(2, ~uint64_t{0});
  all.Add(3, kH1);
  EXPECT_THAT(all.CandidatePairs(), ElementsAre(std::make_pair(1u, 3u), std::make_pair(2u, 3u)));
  EXPECT_EQ(SimHashIndex(-3).max_distance(), 0);
}

}  // namespace
}  // namespace factdedup::dedup
