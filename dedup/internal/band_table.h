// Streaming LSH candidate enumeration with memory linear in the number of items.
//
// LshIndex (dedup/minhash.h) materializes every candidate pair, which is fine for thousands of
// facts and quadratic in memory for a million. BandTable keeps only each item's 32-bit band
// keys (bands x 4 bytes per item) and two bands' sorted keys at a time (the next one is
// sorted while this one's pairs are visited), and hands every pair
// that shares a bucket to a callback exactly once: in the first band (lowest index) where the
// two collide in a bucket that was not oversized. Callers verify pairs as they arrive and keep
// only what they need (duplicate edges), so nothing proportional to the candidate count is
// ever held.
//
//   BandTable table(n, params.bands);
//   for (i...) table.SetKeys(i, sig, params.rows);          // thread-safe for distinct i
//   table.ForEachPair(threads, cap, [&](uint32_t i, uint32_t j) { ... });  // i < j
//   (or ForEachPairBatch: the same pairs, a span of them per call)
#ifndef FACTDEDUP_DEDUP_INTERNAL_BAND_TABLE_H_
#define FACTDEDUP_DEDUP_INTERNAL_BAND_TABLE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "absl/types/span.h"
#include "dedup/internal/os_memory.h"

namespace factdedup::dedup::internal {

// Sorts entries (key << 32 | index) appended in ascending index order, as std::sort would:
// two stable counting passes over the key's 16-bit halves keep equal keys in index order.
// O(n) with a 65536-entry count table; arrays under 4096 entries go to std::sort.
void SortByKeyThenIndex(std::vector<uint64_t>* v);

class BandTable {
 public:
  // `clear_keys` false leaves the keys unwritten (not zeroed) until SetKeys or SetRaw, for a
  // caller that sets every item's keys or marks it empty, whose keys are then never read.
  explicit BandTable(size_t items, int bands, bool clear_keys = true);
  BandTable(BandTable&&) = default;
  BandTable& operator=(BandTable&&) = default;
  BandTable(const BandTable& other);
  BandTable& operator=(const BandTable& other);

  // Band keys of item `i` from its MinHash signature. A signature too short for every band
  // marks the item as colliding with nothing, as SetEmpty does (for an empty set).
  void SetKeys(size_t i, absl::Span<const uint64_t> signature, int rows);
  void SetEmpty(size_t i);
  // Item i's keys and emptiness as another table with the same bands held them (`keys`:
  // bands() of them).
  void SetRaw(size_t i, const uint32_t* keys, bool empty);
  // Moves every key (items x bands) and empty flag out; the table is left with no items.
  void TakeKeys(OsVector<uint32_t>* keys, OsVector<uint8_t>* empty);

  using Pair = std::pair<uint32_t, uint32_t>;
  // Pairs handed to ForEachPairBatch's callback at a time, at most.
  static constexpr size_t kPairBatch = 256;

  // Calls visit(i, j), i < j, once for every pair that shares a bucket of at most `cap` items
  // in some band, from up to `threads` threads concurrently. Pairs of one band are visited
  // before any pair of the next; within a band, in no particular order. Ids in buckets larger
  // than `cap` are appended to *oversized (sorted, deduplicated) if it is not null.
  // `band_done(b)`, if set, is called (from the calling thread) after band b. Returns the
  // number of pairs visited. The next band's buckets are sorted on a thread of their own
  // while this band's pairs are visited.
  uint64_t ForEachPair(int threads, size_t cap,
                       const std::function<void(uint32_t, uint32_t)>& visit,
                       std::vector<uint32_t>* oversized,
                       const std::function<void(int)>& band_done = nullptr) {
    return ForEachPairBatch(
        threads, cap,
        [&](absl::Span<const Pair> pairs) {
          for (const auto& [i, j] : pairs) visit(i, j);
        },
        oversized, band_done);
  }
  // ForEachPair with the pairs handed over up to kPairBatch at a time (one call, not one per
  // pair; the caller can fetch what it reads of the pairs ahead of testing them). Every pair
  // of a batch is of the same band.
  uint64_t ForEachPairBatch(int threads, size_t cap,
                            const std::function<void(absl::Span<const Pair>)>& visit,
                            std::vector<uint32_t>* oversized,
                            const std::function<void(int)>& band_done = nullptr);

  // Whether i and j share a non-oversized bucket in any band, i.e. ForEachPair visited (or
  // will visit) them. Valid after ForEachPair.
  bool Collide(uint32_t i, uint32_t j) const { return FirstCollision(i, j, bands_) < bands_; }

  // Item i's key in `band` (meaningless when empty(i)), and whether it collides with nothing.
  uint32_t key(size_t i, int band) const {
    return data_[i * static_cast<size_t>(bands_) + static_cast<size_t>(band)];
  }
  bool empty(size_t i) const { return empty_[i] != 0; }
  // Every key, item-major: item i's key in `band` is raw_keys()[i * bands() + band].
  const uint32_t* raw_keys() const { return data_; }

  size_t items() const { return items_; }
  int bands() const { return bands_; }

 private:
  // Lowest band < limit where i and j share a non-oversized bucket, or `limit`.
  int FirstCollision(uint32_t i, uint32_t j, int limit) const;
  // FirstCollision for two items that are not empty.
  int FirstSharedBand(uint32_t i, uint32_t j, int limit) const;
  // Whether item i's bucket in `band` was oversized (false before ForEachPair).
  bool Oversized(uint32_t i, int band) const {
    return !oversized_.empty() &&
           ((oversized_[i * words_ + static_cast<size_t>(band) / 64] >> (band % 64)) & 1) != 0;
  }

  size_t items_;
  int bands_;
  size_t words_;                           // 64-bit words of oversized_ per item: one per 64 bands
  OsVector<uint32_t> keys_;                // items x bands (when cleared at construction)
  std::unique_ptr<uint32_t[]> uncleared_;  // items x bands (when not)
  uint32_t* data_ = nullptr;               // the one of the two in use
  OsVector<uint8_t> empty_;                // per item
  OsVector<uint64_t> oversized_;           // items x words_: bit b, the item's bucket in band b
                                           // was oversized (set by ForEachPair)
};

}  // namespace factdedup::dedup::internal

#endif  // FACTDEDUP_DEDUP_INTERNAL_BAND_TABLE_H_
