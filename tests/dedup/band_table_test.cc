// The LSH band table: the counting sort it buckets with, and the pairs it visits.
#include "dedup/internal/band_table.h"

#include <algorithm>
#include <mutex>
#include <random>
#include <set>
#include <utility>
#include <vector>

#include "dedup/internal/parallel.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
// The reference hash, compiled in as band_table.cc compiles it.
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace factdedup::dedup::internal {
namespace {

TEST(SortByKeyThenIndex, SameOrderAsStdSortSmallAndLarge) {
  std::mt19937 rng(3);
  for (size_t n : {0, 1, 100, 4095, 4096, 50000}) {
    std::vector<uint64_t> v;
    for (size_t i = 0; i < n; ++i) {
      // Few distinct keys, spread over both 16-bit halves: many ties broken by index.
      const uint32_t key = (rng() % 50) * 0x00010001u + (rng() % 2 == 0 ? 0 : 0xFFFF0000u);
      v.push_back(uint64_t{key} << 32 | i);
    }
    std::vector<uint64_t> want = v;
    std::sort(want.begin(), want.end());
    SortByKeyThenIndex(&v);
    EXPECT_EQ(v, want) << n << " entries";
  }
}

// A band's key is the top half of XXH3_64bits_withSeed over its rows, seeded with the band,
// for every row count (SetKeys calls the mid-size path directly for 3 to 16 rows); a signature
// too short for every band keeps the keys of the bands it fills and is marked empty.
TEST(BandTable, KeysAreXxh3OfEachBandsRows) {
  std::mt19937_64 rng(5);
  for (int rows = 1; rows <= 20; ++rows) {
    const int bands = 7;
    BandTable t(3, bands);
    std::vector<std::vector<uint64_t>> sigs(3);
    sigs[0].resize(static_cast<size_t>(bands * rows));
    for (uint64_t& x : sigs[0]) x = rng();
    sigs[1] = sigs[0];
    sigs[1].push_back(rng());                            // longer than the bands need
    sigs[2].assign(sigs[0].begin(), sigs[0].end() - 1);  // one short: the last band is missing
    for (size_t i = 0; i < 3; ++i) t.SetKeys(i, sigs[i], rows);
    for (size_t i = 0; i < 3; ++i) {
      EXPECT_EQ(t.empty(i), i == 2) << rows << " rows";
      for (int b = 0; b < (i == 2 ? bands - 1 : bands); ++b) {
        const uint64_t h =
            XXH3_64bits_withSeed(sigs[i].data() + b * rows, static_cast<size_t>(rows) * 8, b);
        EXPECT_EQ(t.key(i, b), static_cast<uint32_t>(h >> 32)) << rows << " rows, band " << b;
      }
    }
  }
}

// Items 0..3 share every band; 4 and 5 share band 1 only; 6 is empty.
BandTable Table() {
  BandTable t(7, 3);
  const std::vector<uint64_t> same = {1, 2, 3, 4, 5, 6};
  for (size_t i = 0; i < 4; ++i) t.SetKeys(i, same, 2);
  t.SetKeys(4, {10, 11, 3, 4, 12, 13}, 2);
  t.SetKeys(5, {20, 21, 3, 4, 22, 23}, 2);
  t.SetEmpty(6);
  return t;
}

// The pairs ForEachPair visits (sorted; a pair visited twice appears twice).
std::vector<std::pair<uint32_t, uint32_t>> Visited(BandTable* t, int threads, size_t cap,
                                                   std::vector<uint32_t>* oversized) {
  std::mutex mu;
  std::vector<std::pair<uint32_t, uint32_t>> seen;
  const uint64_t count = t->ForEachPair(
      threads, cap,
      [&](uint32_t i, uint32_t j) {
        std::lock_guard<std::mutex> lock(mu);
        seen.emplace_back(i, j);
      },
      oversized);
  EXPECT_EQ(count, seen.size()) << "the returned count is the number of visits";
  std::sort(seen.begin(), seen.end());
  return seen;
}

TEST(BandTable, EachCollidingPairVisitedOnceAndOversizedBucketsReported) {
  for (int threads : {1, 2}) {
    BandTable t = Table();
    std::vector<uint32_t> oversized;
    // 0..3 pairwise (in band 0 only), and 4..5 with each other and with 0..3 in band 1.
    std::set<std::pair<uint32_t, uint32_t>> want;
    for (uint32_t i = 0; i < 6; ++i) {
      for (uint32_t j = i + 1; j < 6; ++j) want.emplace(i, j);
    }
    const std::vector<std::pair<uint32_t, uint32_t>> want_pairs(want.begin(), want.end());
    EXPECT_EQ(Visited(&t, threads, /*cap=*/8, &oversized), want_pairs);
    EXPECT_THAT(oversized, testing::IsEmpty());
    EXPECT_TRUE(t.Collide(4, 5));
    EXPECT_FALSE(t.Collide(0, 6));

    BandTable small = Table();  // cap 3: the 6-item bucket of band 1 and the 4-item ones are out
    EXPECT_THAT(Visited(&small, threads, /*cap=*/3, &oversized), testing::IsEmpty());
    EXPECT_THAT(oversized, testing::ElementsAre(0, 1, 2, 3, 4, 5));
    EXPECT_FALSE(small.Collide(4, 5));
  }
}

// ForEachPair and Collide against brute force: a pair is visited once when some band puts the
// two in a bucket of at most `cap` non-empty items, and Collide says whether one does. Few
// distinct keys make many collisions and oversized buckets; band counts that are not a
// multiple of 8 and more than 64 bands reach every path of the key comparison.
// The same for a table whose keys were not cleared at construction (every item set, as
// DeduplicateAround's from a corpus state), and its copies.
TEST(BandTable, VisitsAndCollideMatchBruteForce) {
  std::mt19937 rng(11);
  for (const bool clear : {true, false})
    for (const int bands : {1, 5, 13, 42, 70}) {
      const size_t n = 60, cap = 6;
      BandTable t(n, bands, clear);
      std::vector<std::vector<uint32_t>> keys(n, std::vector<uint32_t>(bands));
      std::vector<bool> empty(n);
      for (size_t i = 0; i < n; ++i) {
        empty[i] = rng() % 10 == 0;
        for (int b = 0; b < bands; ++b) keys[i][b] = rng() % 8;
        t.SetRaw(i, keys[i].data(), empty[i]);
      }
      for (size_t i = 0; i < n; ++i) {
        for (int b = 0; b < bands; ++b) {
          ASSERT_EQ(t.key(i, b), keys[i][b]);
          ASSERT_EQ(t.raw_keys()[i * bands + b], keys[i][b]);
        }
      }
      auto shared_small_bucket = [&](uint32_t i, uint32_t j) {
        if (empty[i] || empty[j]) return false;
        for (int b = 0; b < bands; ++b) {
          if (keys[i][b] != keys[j][b]) continue;
          size_t size = 0;
          for (size_t k = 0; k < n; ++k) size += !empty[k] && keys[k][b] == keys[i][b] ? 1 : 0;
          if (size <= cap) return true;
        }
        return false;
      };
      std::vector<std::pair<uint32_t, uint32_t>> want;
      for (uint32_t i = 0; i < n; ++i) {
        for (uint32_t j = i + 1; j < n; ++j) {
          if (shared_small_bucket(i, j)) want.emplace_back(i, j);
        }
      }
      ASSERT_FALSE(want.empty());
      for (int threads : {1, 2}) {
        BandTable copy = t;
        EXPECT_EQ(Visited(&copy, threads, cap, nullptr), want) << bands << " bands";
        for (uint32_t i = 0; i < n; ++i) {
          for (uint32_t j = i + 1; j < n; ++j) {
            EXPECT_EQ(copy.Collide(i, j), shared_small_bucket(i, j))
                << bands << " bands, " << i << "-" << j;
          }
        }
      }
    }
}

// ForEachPairBatch hands over the pairs ForEachPair visits, each once, at most kPairBatch at
// a time and each batch within one band (band_done comes between bands; no bucket is
// oversized, so a pair's first equal key is its band): buckets of about 5
// items give some hundreds of pairs per share of buckets, so full batches and the remainder
// both occur.
TEST(BandTable, BatchesHoldEveryPairOnceWithinOneBand) {
  std::mt19937 rng(13);
  const size_t n = 3000;
  const int bands = 3;
  BandTable t(n, bands);
  std::vector<uint32_t> keys(bands);
  for (size_t i = 0; i < n; ++i) {
    for (int b = 0; b < bands; ++b) keys[b] = rng() % 600;
    t.SetRaw(i, keys.data(), rng() % 50 == 0);
  }
  for (int threads : {1, 2}) {
    BandTable single = t, batched = t;
    const std::vector<std::pair<uint32_t, uint32_t>> want =
        Visited(&single, threads, /*cap=*/64, nullptr);
    ASSERT_GT(want.size(), 2 * BandTable::kPairBatch);
    std::mutex mu;
    std::vector<std::pair<uint32_t, uint32_t>> got;
    size_t full = 0, partial = 0;
    int band = 0;
    bool mixed = false;
    const uint64_t count = batched.ForEachPairBatch(
        threads, /*cap=*/64,
        [&](absl::Span<const BandTable::Pair> pairs) {
          std::lock_guard<std::mutex> lock(mu);
          ASSERT_FALSE(pairs.empty());
          ASSERT_LE(pairs.size(), BandTable::kPairBatch);
          (pairs.size() == BandTable::kPairBatch ? full : partial) += 1;
          for (const auto& [i, j] : pairs) {
            // A pair's first shared band is the one being visited.
            int first = 0;
            while (batched.key(i, first) != batched.key(j, first)) ++first;
            mixed |= first != band;
            got.emplace_back(i, j);
          }
        },
        nullptr, [&](int b) { band = b + 1; });
    EXPECT_FALSE(mixed);
    EXPECT_EQ(count, got.size());
    EXPECT_GT(full, 0u);
    EXPECT_GT(partial, 0u);
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, want) << threads << " threads";
  }
}

}  // namespace
}  // namespace factdedup::dedup::internal

// ParallelSort (dedup/internal/parallel.h) gives std::sort's order for any thread count,
// including sizes that do not split evenly and runs of equal values.
TEST(ParallelSort, SameOrderAsStdSort) {
  std::mt19937_64 rng(7);
  for (size_t n : {size_t{0}, size_t{5}, size_t{65535}, size_t{65536}, size_t{200003}}) {
    std::vector<std::pair<uint64_t, uint32_t>> v(n);
    for (auto& [a, b] : v) {
      a = rng() % 1000;  // many equal keys
      b = static_cast<uint32_t>(rng());
    }
    std::vector<std::pair<uint64_t, uint32_t>> want = v;
    std::sort(want.begin(), want.end());
    for (int threads : {1, 2, 3, 7}) {
      std::vector<std::pair<uint64_t, uint32_t>> got = v;
      factdedup::dedup::internal::ParallelSort(&got, threads);
      EXPECT_EQ(got, want) << n << " values, " << threads << " threads";
    }
  }
}
