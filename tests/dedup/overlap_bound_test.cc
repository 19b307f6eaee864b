#include "dedup/internal/overlap_bound.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace factdedup::dedup::internal {
namespace {

struct WeightedSet {
  std::vector<uint64_t> tokens;  // sorted, distinct
  std::vector<float> weights;
  double total = 0;  // summed in order, as the engine sums a fact's weights
};

// A set drawn from a vocabulary of `vocab` tokens whose weights are fixed per token (as IDF
// weights are), so two sets agree on the weight of every token they share.
WeightedSet Draw(std::mt19937_64& rng, const std::vector<uint64_t>& vocab,
                 const std::vector<float>& weight_of, int size) {
  std::vector<size_t> picks;
  std::uniform_int_distribution<size_t> pick(0, vocab.size() - 1);
  for (int k = 0; k < size; ++k) picks.push_back(pick(rng));
  std::sort(picks.begin(), picks.end(), [&](size_t x, size_t y) { return vocab[x] < vocab[y]; });
  picks.erase(std::unique(picks.begin(), picks.end()), picks.end());
  WeightedSet s;
  for (size_t p : picks) {
    s.tokens.push_back(vocab[p]);
    s.weights.push_back(weight_of[p]);
    s.total += weight_of[p];
  }
  return s;
}

// The shared weight as verification's merge computes it: `a`'s weights of shared tokens,
// summed in `a`'s order.
double ExactOverlap(const WeightedSet& a, const WeightedSet& b) {
  double inter = 0;
  size_t i = 0, j = 0;
  while (i < a.tokens.size() && j < b.tokens.size()) {
    if (a.tokens[i] == b.tokens[j]) inter += a.weights[i];
    const uint64_t x = a.tokens[i], y = b.tokens[j];
    i += x <= y ? 1 : 0;
    j += y <= x ? 1 : 0;
  }
  return inter;
}

OverlapSummary Of(const WeightedSet& s) { return Summarize(s.tokens, s.weights, s.total); }

TEST(OverlapBound, NeverUnderTheExactOverlapAndTightForDisjointSparseSets) {
  std::mt19937_64 rng(7);
  std::vector<uint64_t> vocab(300);
  std::vector<float> weight_of(vocab.size());
  std::uniform_real_distribution<float> w(0.0f, 14.0f);  // log(1 + n / df) up to ~1M facts
  for (size_t k = 0; k < vocab.size(); ++k) {
    vocab[k] = rng();
    weight_of[k] = w(rng);
  }
  std::uniform_int_distribution<int> size(0, 30);
  int tight = 0, disjoint = 0;
  for (int trial = 0; trial < 20000; ++trial) {
    const WeightedSet a = Draw(rng, vocab, weight_of, size(rng));
    const WeightedSet b = Draw(rng, vocab, weight_of, size(rng));
    const double exact = ExactOverlap(a, b);
    const double bound = OverlapUpperBound(Of(a), Of(b));
    ASSERT_GE(bound, exact) << "trial " << trial;
    EXPECT_EQ(bound, OverlapUpperBound(Of(b), Of(a)));
    if (exact == 0) {
      ++disjoint;
      if (bound < 0.25 * std::min(a.total, b.total) || bound == 0) ++tight;
    }
  }
  // The bound is useful, not just safe: most disjoint pairs get a small one.
  EXPECT_GT(disjoint, 1000);
  EXPECT_GT(tight, disjoint / 2);
}

TEST(OverlapBound, ASetBoundsItsOwnWeight) {
  std::mt19937_64 rng(11);
  std::vector<uint64_t> vocab(50);
  std::vector<float> weight_of(vocab.size());
  for (size_t k = 0; k < vocab.size(); ++k) {
    vocab[k] = rng();
    weight_of[k] = static_cast<float>(k % 7) + 0.3f;
  }
  for (int trial = 0; trial < 1000; ++trial) {
    const WeightedSet a = Draw(rng, vocab, weight_of, 1 + trial % 20);
    const OverlapSummary s = Of(a);
    EXPECT_GE(OverlapUpperBound(s, s), a.total);
    EXPECT_LE(static_cast<double>(s.total_low), a.total);
    EXPECT_GT(static_cast<double>(s.total_low), a.total * (1 - 1e-6));
  }
}

TEST(OverlapBound, SaturatedBucketsMakeItInfinite) {
  // Enough heavy tokens in one bucket to pass 254 steps: the bound gives up rather than
  // under-count.
  WeightedSet a;
  for (uint64_t t = 0; a.tokens.size() < 12; ++t) {
    const uint64_t token = t << 40;  // high bits 0..: bucket 0 for small t
    if (OverlapBucket(token) != 0) break;
    a.tokens.push_back(token);
    a.weights.push_back(13.0f);
    a.total += 13.0;
  }
  ASSERT_GE(a.total * OverlapSummary::kScale, 255);
  EXPECT_EQ(OverlapUpperBound(Of(a), Of(a)), std::numeric_limits<double>::infinity());
  // Saturated on one side only: the other side's bucket bounds the shared weight.
  WeightedSet b;
  b.tokens = {a.tokens[0]};
  b.weights = {13.0f};
  b.total = 13.0;
  const double bound = OverlapUpperBound(Of(a), Of(b));
  EXPECT_GE(bound, 13.0);
  EXPECT_LT(bound, 14.0);
}

TEST(OverlapBound, EmptySetsShareNothing) {
  const OverlapSummary empty = Summarize({}, {}, 0);
  WeightedSet a;
  a.tokens = {1, 2, 3};
  a.weights = {1, 2, 3};
  a.total = 6;
  EXPECT_EQ(OverlapUpperBound(empty, empty), 0);
  EXPECT_EQ(OverlapUpperBound(empty, Of(a)), 0);
  EXPECT_EQ(empty.total_low, 0);
}

}  // namespace
}  // namespace factdedup::dedup::internal
