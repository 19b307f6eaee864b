#include "dedup/simhash.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <mutex>

#include "dedup/internal/parallel.h"

namespace factdedup::dedup {

// Accumulates, per bit, the weight of the tokens with that bit set, and compares it with half
// of the total weight: 2 * set > total is the same test as sum(+-w) > 0 but needs one add per
// bit instead of a branch. Unit weights use integer counts (exact, and faster).
uint64_t SimHash(absl::Span<const uint64_t> hashes, absl::Span<const double> weights) {
  uint64_t out = 0;
  if (weights.empty()) {
    uint32_t set[64] = {};
    for (uint64_t h : hashes) {
      for (int bit = 0; bit < 64; ++bit) set[bit] += static_cast<uint32_t>((h >> bit) & 1);
    }
    const uint64_t total = hashes.size();
    for (int bit = 0; bit < 64; ++bit) {
      if (2 * static_cast<uint64_t>(set[bit]) > total) out |= uint64_t{1} << bit;
    }
    return out;
  }
  double set[64] = {};
  double total = 0.0;
  for (size_t i = 0; i < hashes.size(); ++i) {
    const double w = i < weights.size() ? weights[i] : 1.0;
    const uint64_t h = hashes[i];
    total += w;
    for (int bit = 0; bit < 64; ++bit) set[bit] += w * static_cast<double>((h >> bit) & 1);
  }
  for (int bit = 0; bit < 64; ++bit) {
    if (2.0 * set[bit] > total) out |= uint64_t{1} << bit;
  }
  return out;
}

SimHashIndex::SimHashIndex(int max_distance, int max_bucket_size, int key_blocks)
    : max_distance_(std::clamp(max_distance, 0, 63)),
      max_bucket_size_(std::max(max_bucket_size, 2)),
      key_blocks_(std::clamp(key_blocks, 1, 64 - max_distance_)) {}

void SimHashIndex::Add(uint32_t id, uint64_t simhash) { items_.emplace_back(id, simhash); }

namespace {

// Mask of bits [lo, hi), 0 <= lo < hi <= 64.
uint64_t BitRange(int lo, int hi) {
  const uint64_t upper = hi == 64 ? ~uint64_t{0} : (uint64_t{1} << hi) - 1;
  return upper & ~((uint64_t{1} << lo) - 1);
}

// Advances `c` (strictly increasing indices in [0, n)) to the next k-combination in
// lexicographic order; false after the last one.
bool NextCombination(std::vector<int>* c, int n) {
  const int k = static_cast<int>(c->size());
  int i = k - 1;
  while (i >= 0 && (*c)[i] == n - k + i) --i;
  if (i < 0) return false;
  ++(*c)[i];
  for (int j = i + 1; j < k; ++j) (*c)[j] = (*c)[j - 1] + 1;
  return true;
}

// One mask per table: the bits of each choice of `key_blocks` of the `num_blocks` blocks, in
// lexicographic order of the choices (FindCandidates and CandidatesOf must agree on them).
std::vector<uint64_t> TableMasks(int num_blocks, int key_blocks) {
  std::vector<uint64_t> masks;
  std::vector<int> combination(key_blocks);
  for (int i = 0; i < key_blocks; ++i) combination[i] = i;
  do {
    uint64_t mask = 0;
    for (int block : combination) {
      mask |= BitRange(block * 64 / num_blocks, (block + 1) * 64 / num_blocks);
    }
    masks.push_back(mask);
  } while (NextCombination(&combination, num_blocks));
  return masks;
}

}  // namespace

// One table per combination of key_blocks blocks out of max_distance + key_blocks: sort
// (hash & table mask, item index) and verify every pair inside a run of equal masked hashes.
// Verified pairs are few (only true near pairs, at most once per table), so they are
// collected and deduplicated once at the end.
void SimHashIndex::FindCandidates(std::vector<std::pair<uint32_t, uint32_t>>* pairs,
                                  std::vector<uint32_t>* oversized_ids, int threads) const {
  const std::vector<uint64_t> table_masks = TableMasks(max_distance_ + key_blocks_, key_blocks_);
  std::vector<uint64_t> found;  // i << 32 | j
  std::vector<uint32_t> oversized;
  std::mutex mu;
  const size_t cap = static_cast<size_t>(max_bucket_size_);
  // Tables are independent: each range of them on one thread, merged (then sorted) at the end.
  // Two ranges per thread: balanced enough, and one key array per range.
  const size_t grain = std::max<size_t>(
      1, table_masks.size() / (2 * static_cast<size_t>(internal::ResolveThreads(threads))));
  internal::ParallelFor(table_masks.size(), threads, grain, [&](size_t tb, size_t te) {
    std::vector<std::pair<uint64_t, uint32_t>> keys(items_.size());
    std::vector<uint64_t> my_found;
    std::vector<uint32_t> my_oversized;
    for (size_t t = tb; t < te; ++t) {
      const uint64_t mask = table_masks[t];
      for (size_t i = 0; i < items_.size(); ++i) {
        keys[i] = {items_[i].second & mask, static_cast<uint32_t>(i)};
      }
      std::sort(keys.begin(), keys.end());
      for (size_t begin = 0; begin < keys.size();) {
        size_t end = begin + 1;
        while (end < keys.size() && keys[end].first == keys[begin].first) ++end;
        if (end - begin > cap) {
          for (size_t p = begin; p < end; ++p) my_oversized.push_back(items_[keys[p].second].first);
        } else if (pairs != nullptr) {
          for (size_t p = begin; p < end; ++p) {
            const auto& [id_p, hash_p] = items_[keys[p].second];
            for (size_t q = p + 1; q < end; ++q) {
              const auto& [id_q, hash_q] = items_[keys[q].second];
              if (id_p == id_q || HammingDistance(hash_p, hash_q) > max_distance_) continue;
              const uint64_t lo = std::min(id_p, id_q), hi = std::max(id_p, id_q);
              my_found.push_back(lo << 32 | hi);
            }
          }
        }
        begin = end;
      }
    }
    std::lock_guard<std::mutex> lock(mu);
    found.insert(found.end(), my_found.begin(), my_found.end());
    oversized.insert(oversized.end(), my_oversized.begin(), my_oversized.end());
  });
  if (pairs != nullptr) {
    std::sort(found.begin(), found.end());
    found.erase(std::unique(found.begin(), found.end()), found.end());
    pairs->clear();
    pairs->reserve(found.size());
    for (uint64_t p : found) {
      pairs->emplace_back(static_cast<uint32_t>(p >> 32), static_cast<uint32_t>(p));
    }
  }
  if (oversized_ids != nullptr) {
    std::sort(oversized.begin(), oversized.end());
    oversized.erase(std::unique(oversized.begin(), oversized.end()), oversized.end());
    *oversized_ids = std::move(oversized);
  }
}

std::vector<uint32_t> SimHashIndex::CandidatesOf(uint32_t id, uint64_t simhash) const {
  const std::vector<uint64_t> masks = TableMasks(max_distance_ + key_blocks_, key_blocks_);
  const size_t cap = static_cast<size_t>(max_bucket_size_);
  std::vector<size_t> bucket(masks.size(), SIZE_MAX);  // size of simhash's bucket, capped
  auto small_bucket = [&](size_t t) {
    if (bucket[t] == SIZE_MAX) {
      size_t count = 0;
      for (size_t k = 0; k < items_.size() && count <= cap; ++k) {
        count += (items_[k].second & masks[t]) == (simhash & masks[t]);
      }
      bucket[t] = count;
    }
    return bucket[t] <= cap;
  };
  std::vector<uint32_t> out;
  for (const auto& [other, hash] : items_) {
    if (other == id || HammingDistance(hash, simhash) > max_distance_) continue;
    for (size_t t = 0; t < masks.size(); ++t) {
      if ((hash & masks[t]) == (simhash & masks[t]) && small_bucket(t)) {
        out.push_back(other);
        break;
      }
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<std::pair<uint32_t, uint32_t>> SimHashIndex::CandidatePairs() const {
  std::vector<std::pair<uint32_t, uint32_t>> pairs;
  FindCandidates(&pairs, nullptr);
  return pairs;
}

std::vector<uint32_t> SimHashIndex::OversizedBucketIds() const {
  std::vector<uint32_t> ids;
  FindCandidates(nullptr, &ids);
  return ids;
}

}  // namespace factdedup::dedup
