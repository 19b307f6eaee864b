// 64-bit SimHash with token weights, and a Hamming-distance index over SimHashes.
//
//   uint64_t h = SimHash(token_hashes, weights);   // weights e.g. IDF over the corpus
//   SimHashIndex idx(/*max_distance=*/6);           // pigeonhole block index
//   idx.Add(id, h); ... idx.CandidatePairs();       // exactly the pairs within 6 bits
//
// Thread-safety: SimHash is a pure function; SimHashIndex::Add is not thread-safe, the const
// queries are.
#ifndef FACTDEDUP_DEDUP_SIMHASH_H_
#define FACTDEDUP_DEDUP_SIMHASH_H_

#include <cstdint>
#include <utility>
#include <vector>

#include "absl/types/span.h"

namespace factdedup::dedup {

// Weighted SimHash of token hashes: bit k is 1 iff the weights of the tokens whose hash has bit
// k set outweigh those whose hash has it clear (ties give 0). `weights` is empty (all 1) or the
// same size as `hashes`; if it is shorter, missing weights count as 1, extra ones are ignored.
// Token hashes should be well mixed (e.g. Hash64 output); repeated hashes count repeatedly, so
// pass a set for set semantics. Empty input gives 0.
uint64_t SimHash(absl::Span<const uint64_t> hashes, absl::Span<const double> weights = {});

// Without a popcount instruction in the target (-mpopcnt), __builtin_popcountll is a libgcc
// call; the inline bit-count below is as fast and lets the index's inner loop stay inline.
inline int HammingDistance(uint64_t a, uint64_t b) {
#if defined(__POPCNT__)
  return __builtin_popcountll(a ^ b);
#else
  uint64_t x = a ^ b;
  x -= (x >> 1) & 0x5555555555555555ULL;
  x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
  x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
  return static_cast<int>((x * 0x0101010101010101ULL) >> 56);
#endif
}

// Finds all pairs within `max_distance` bits without comparing all pairs: splits the 64 bits
// into max_distance + key_blocks blocks; two hashes within d bits differ in at most d blocks,
// so they agree exactly on at least key_blocks of them (pigeonhole). For every choice of
// key_blocks blocks (C(d + key_blocks, key_blocks) tables) hashes are bucketed by those
// blocks, and pairs sharing a bucket are verified. key_blocks = 1 is the classic d + 1 tables
// keyed on ~64/(d+1) bits: at d = 6 buckets hold ~n/2^9 hashes, so at 1M hashes they exceed
// the default cap (measured). The default key_blocks = 2 (28 tables of ~16 bits at d = 6)
// costs the same at 100k and stays exact at 1M (~3.5 s on one core). Exact: returns every pair
// within the distance and no other, except that buckets larger than max_bucket_size are skipped and
// their ids reported (a pair is then missed only if all its shared buckets were oversized).
//
// Bounds (clamped): max_distance [0, 63], key_blocks [1, 64 - max_distance],
// max_bucket_size >= 2. Time and memory per table O(n log n) plus the verified bucket pairs.
class SimHashIndex {
 public:
  explicit SimHashIndex(int max_distance = 6, int max_bucket_size = 2000, int key_blocks = 2);
  // Adding an id twice is harmless (no self pairs).
  void Add(uint32_t id, uint64_t simhash);
  // Pairs (i < j) within max_distance, sorted and deduplicated.
  std::vector<std::pair<uint32_t, uint32_t>> CandidatePairs() const;
  // Ids in buckets that exceeded max_bucket_size (sorted, deduplicated).
  std::vector<uint32_t> OversizedBucketIds() const;
  // Both of the above in one pass; either pointer may be null. The tables are built on up to
  // `threads` threads (0: one per core); the result is the same for any count.
  void FindCandidates(std::vector<std::pair<uint32_t, uint32_t>>* pairs,
                      std::vector<uint32_t>* oversized_ids, int threads = 1) const;

  // The ids FindCandidates pairs with `id` (added with `simhash`), sorted: within
  // max_distance and sharing some table's bucket that is not oversized. One pass over every
  // hash, plus one per table bucket whose size it needs: for a few queries, not all.
  std::vector<uint32_t> CandidatesOf(uint32_t id, uint64_t simhash) const;

  int max_distance() const { return max_distance_; }
  int key_blocks() const { return key_blocks_; }
  size_t size() const { return items_.size(); }

 private:
  int max_distance_;
  int max_bucket_size_;
  int key_blocks_;
  std::vector<std::pair<uint32_t, uint64_t>> items_;  // (id, simhash)
};

}  // namespace factdedup::dedup

#endif  // FACTDEDUP_DEDUP_SIMHASH_H_
