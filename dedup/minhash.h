// MinHash signatures and LSH banding over shingle-hash sets.
//
//   MinHasher mh({.num_perm = 128});
//   MinHashSignature a = mh.Sign(ShingleHashes(tokens_a, 1));
//   double j = EstimateJaccard(a, b);         // ~ exact Jaccard of the two shingle sets
//
//   LshIndex lsh(LshIndex::ParamsForThreshold(128, 0.3));   // b x r from the S-curve
//   lsh.Add(id, a);  ...  lsh.CandidatePairs(...)
//
// Thread-safety: MinHasher is immutable; LshIndex::Add is not thread-safe, queries are.
#ifndef FACTDEDUP_DEDUP_MINHASH_H_
#define FACTDEDUP_DEDUP_MINHASH_H_

#include <cstdint>
#include <utility>
#include <vector>

#include "absl/types/span.h"

namespace factdedup::dedup {

struct MinHashOptions {
  // Number of permutations K. More means a smaller estimation error (~1/sqrt(K)). Default 128,
  // bound [1, 1024].
  int num_perm = 128;
  // Seed of the permutation family; saved with signatures. Default: a fixed constant.
  uint64_t seed = 0x5eed5eed5eed5eedULL;
};

using MinHashSignature = std::vector<uint64_t>;  // K minimum values

class MinHasher {
 public:
  explicit MinHasher(MinHashOptions options = {});
  // Signature of a set of 64-bit shingle hashes. An empty set gives all-max values.
  MinHashSignature Sign(absl::Span<const uint64_t> shingles) const;
  const MinHashOptions& options() const { return options_; }

 private:
  MinHashOptions options_;
  std::vector<uint64_t> a_, b_;  // per-permutation multipliers/offsets
};

// Fraction of equal positions: an unbiased estimate of Jaccard similarity.
double EstimateJaccard(const MinHashSignature& a, const MinHashSignature& b);

struct LshParams {
  int bands = 32;  // b
  int rows = 4;    // r; b * r <= K
  // Buckets larger than this are not expanded into pairs (their ids are reported as oversized);
  // bounds memory and time on degenerate input. Default 2000.
  int max_bucket_size = 2000;
};

// Probability that two sets with Jaccard s become candidates: 1 - (1 - s^r)^b.
double LshCandidateProbability(double s, int bands, int rows);

class LshIndex {
 public:
  explicit LshIndex(LshParams params);
  // b x r with b * r <= num_perm that minimizes weighted false-positive + false-negative area
  // around `threshold` (the classic datasketch optimisation), favouring recall 2:1.
  static LshParams ParamsForThreshold(int num_perm, double threshold);

  void Add(uint32_t id, const MinHashSignature& sig);
  // All pairs (i < j) sharing at least one band bucket, sorted and deduplicated.
  std::vector<std::pair<uint32_t, uint32_t>> CandidatePairs() const;
  // Ids in buckets that exceeded max_bucket_size (sorted, deduplicated).
  std::vector<uint32_t> OversizedBucketIds() const;
  const LshParams& params() const { return params_; }

 private:
  LshParams params_;
  // band -> (band hash, id) pairs; sorted lazily for pair generation.
  std::vector<std::vector<std::pair<uint64_t, uint32_t>>> bands_;
};

}  // namespace factdedup::dedup

#endif  // FACTDEDUP_DEDUP_MINHASH_H_
