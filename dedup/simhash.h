// 64-bit SimHash with token weights, and a Hamming-distance index over SimHashes.
//
//   uint64_t h = SimHash(token_hashes, weights);   // weights e.g. IDF over the corpus
//   SimHashIndex idx(/*max_distance=*/6);           // permutation-table index
//   idx.Add(id, h); ... idx.CandidatePairs();
#ifndef FACTDEDUP_DEDUP_SIMHASH_H_
#define FACTDEDUP_DEDUP_SIMHASH_H_

#include <cstdint>
#include <utility>
#include <vector>

#include "absl/types/span.h"

namespace factdedup::dedup {

// Weighted SimHash of token hashes; `weights` is empty (all 1) or the same size as `hashes`.
uint64_t SimHash(absl::Span<const uint64_t> hashes, absl::Span<const double> weights = {});

inline int HammingDistance(uint64_t a, uint64_t b) { return __builtin_popcountll(a ^ b); }

// Finds all pairs within `max_distance` bits without comparing all pairs: splits the 64 bits
// into max_distance + 1 blocks (pigeonhole: two hashes within d bits agree exactly on at least
// one block) and buckets by each block. Exact: returns every pair within the distance and no
// other. Bound: buckets larger than max_bucket_size are skipped and reported.
class SimHashIndex {
 public:
  explicit SimHashIndex(int max_distance = 6, int max_bucket_size = 2000);
  void Add(uint32_t id, uint64_t simhash);
  std::vector<std::pair<uint32_t, uint32_t>> CandidatePairs() const;
  std::vector<uint32_t> OversizedBucketIds() const;

 private:
  int max_distance_;
  int max_bucket_size_;
  std::vector<std::pair<uint32_t, uint64_t>> items_;
};

}  // namespace factdedup::dedup

#endif  // FACTDEDUP_DEDUP_SIMHASH_H_
