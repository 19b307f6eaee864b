// MinHash signatures and LSH banding over shingle-hash sets.
//
//   MinHasher mh({.num_perm = 128});
//   MinHashSignature a = mh.Sign(ShingleHashes(tokens_a, 1));
//   double j = EstimateJaccard(a, b);         // ~ exact Jaccard of the two shingle sets
//
//   LshIndex lsh(LshIndex::ParamsForThreshold(128, kDefaultLshThreshold));  // 26 x 2
//   lsh.Add(id, a);  ...  lsh.CandidatePairs();
//
// Signatures are comparable only when they were made with the same num_perm and seed (and the
// same shingle hashing); callers that save signatures must save both. docs/lsh.md explains the
// permutation family, the S-curve and the recommended parameters.
//
// Thread-safety: MinHasher is immutable; LshIndex::Add is not thread-safe, the const queries
// are (they do not mutate the index).
#ifndef FACTDEDUP_DEDUP_MINHASH_H_
#define FACTDEDUP_DEDUP_MINHASH_H_

#include <cstdint>
#include <utility>
#include <vector>

#include "absl/types/span.h"

namespace factdedup::dedup {

inline constexpr int kMaxNumPerm = 1024;

struct MinHashOptions {
  // Number of permutations K. More means a smaller estimation error (standard error
  // sqrt(J(1-J)/K)). Default 128, bound [1, kMaxNumPerm]; values outside are clamped.
  int num_perm = 128;
  // Seed of the permutation family; saved with signatures. Default: a fixed constant.
  uint64_t seed = 0x5eed5eed5eed5eedULL;
};

using MinHashSignature = std::vector<uint64_t>;  // K minimum values

class MinHasher {
 public:
  explicit MinHasher(MinHashOptions options = {});
  // Signature of a set of 64-bit shingle hashes (duplicates are harmless; order does not
  // matter). An empty set gives all-max values. Cost O(|shingles| * K), one allocation (the
  // result).
  MinHashSignature Sign(absl::Span<const uint64_t> shingles) const;
  const MinHashOptions& options() const { return options_; }

 private:
  MinHashOptions options_;       // num_perm already clamped
  uint64_t premix_ = 0;          // per-seed key of the one strong mix applied to each shingle
  std::vector<uint64_t> a_, b_;  // per-permutation odd multipliers / offsets (mod 2^64)
};

// Fraction of equal positions: an unbiased estimate of Jaccard similarity. Two empty-set
// signatures compare as 1.0. Signatures of different length (different K) or of length 0 give
// 0.0: they are not comparable.
double EstimateJaccard(const MinHashSignature& a, const MinHashSignature& b);

// Recommended LSH threshold for our facts (stemmed, stop-word-free unigram sets): paraphrases
// have Jaccard 0.3-0.6, unrelated facts on one page 0.05-0.15. See docs/lsh.md.
inline constexpr double kDefaultLshThreshold = 0.25;

struct LshParams {
  // Defaults are ParamsForThreshold(128, kDefaultLshThreshold).
  int bands = 26;  // b, bound [1, kMaxNumPerm]
  int rows = 2;    // r, bound [1, kMaxNumPerm]; b * r <= K of the signatures added
  // Buckets with more ids than this are not expanded into pairs (their ids are reported as
  // oversized); bounds memory and time on degenerate input: one band emits at most
  // max_bucket_size^2 / 2 pairs per bucket. Default 2000, bound >= 2.
  int max_bucket_size = 2000;
};

// Probability that two sets with Jaccard s become candidates: 1 - (1 - s^r)^b.
double LshCandidateProbability(double s, int bands, int rows);

class LshIndex {
 public:
  // Out-of-bound params are clamped to their bounds.
  explicit LshIndex(LshParams params = {});
  // b x r with b * r <= num_perm that minimizes FP + 2 * FN, where FP is the area under the
  // S-curve over [0, threshold] and FN the area above it over [threshold, 1] (the classic
  // datasketch optimisation, favouring recall 2:1). Deterministic; threshold is clamped to
  // [0, 1] and num_perm to [1, kMaxNumPerm]. max_bucket_size keeps its default.
  static LshParams ParamsForThreshold(int num_perm, double threshold);

  // Indexes `sig` under `id`. Precondition: sig.size() >= bands * rows; bands that do not fit
  // in a shorter signature are skipped for it. Adding an id twice is harmless.
  void Add(uint32_t id, const MinHashSignature& sig);
  // All pairs (i < j) sharing at least one band bucket, sorted and deduplicated. Pairs are
  // only ever lost through oversized buckets. About 2^-32 of unrelated pairs per band collide
  // spuriously (32-bit band keys); candidates are meant to be verified.
  std::vector<std::pair<uint32_t, uint32_t>> CandidatePairs() const;
  // Ids in buckets that exceeded max_bucket_size (sorted, deduplicated).
  std::vector<uint32_t> OversizedBucketIds() const;
  // Both of the above in one pass over the index; either pointer may be null.
  void FindCandidates(std::vector<std::pair<uint32_t, uint32_t>>* pairs,
                      std::vector<uint32_t>* oversized_ids) const;

  size_t size() const { return num_added_; }
  const LshParams& params() const { return params_; }

 private:
  LshParams params_;
  size_t num_added_ = 0;
  // band -> (32-bit band hash << 32 | id), sorted per band at query time (8 bytes per id and
  // band: 1M facts x 26 bands = 208 MB).
  std::vector<std::vector<uint64_t>> bands_;
};

}  // namespace factdedup::dedup

#endif  // FACTDEDUP_DEDUP_MINHASH_H_
