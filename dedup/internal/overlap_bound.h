// An upper bound on the weighted overlap of two token sets, read from a 64-byte summary of
// each set instead of the sets themselves.
//
// Verification merges two facts' sorted token lists to find their shared weight. Most
// candidate pairs share little (at 100k generated facts, 93% are rejected by that merge), and
// reading two facts' lists costs cache misses on objects scattered over gigabytes. A summary
// spreads a set's weight over kBuckets buckets by token hash: tokens both sets hold fall in
// the same bucket of each, so the shared weight is at most the sum over buckets of the smaller
// side's bucket weight. Bucket weights are kept in 8 bits, rounded up, so the bound stays
// above the exact overlap; a bucket too heavy for 8 bits saturates and makes the bound
// infinite.
//
//   OverlapSummary sa = Summarize(tokens_a, weights_a, total_a);
//   OverlapSummary sb = Summarize(tokens_b, weights_b, total_b);
//   if (OverlapUpperBound(sa, sb) < needed) ...  // the exact overlap is under `needed` too
#ifndef FACTDEDUP_DEDUP_INTERNAL_OVERLAP_BOUND_H_
#define FACTDEDUP_DEDUP_INTERNAL_OVERLAP_BOUND_H_

#include <algorithm>
#include <cstdint>
#include <limits>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "absl/types/span.h"

namespace factdedup::dedup::internal {

struct alignas(64) OverlapSummary {
  static constexpr int kBuckets = 60;
  // Weight units per bucket step: a bucket of weight w holds ceil(w * kScale), at most 254;
  // 255 marks a saturated bucket.
  static constexpr double kScale = 6.0;
  uint8_t bucket[kBuckets] = {};
  // The set's total weight, rounded down to a float (a lower bound of the exact total).
  float total_low = 0;
};

// The bucket of a token hash (hashes are uniform: the high bits pick it).
inline int OverlapBucket(uint64_t token) {
  return static_cast<int>(((token >> 32) * OverlapSummary::kBuckets) >> 32);
}

// The summary of a set: `tokens` (distinct) with their weights (non-negative), and its total
// weight as the caller computed it.
OverlapSummary Summarize(absl::Span<const uint64_t> tokens, absl::Span<const float> weights,
                         double total);

// At least the sum of the weights of the tokens both sets hold, however summed (the bound
// carries a relative slack of 1e-4 for rounding); +infinity when a bucket holding weight in
// both is saturated. Inline: verification calls it for every candidate pair.
inline double OverlapUpperBound(const OverlapSummary& a, const OverlapSummary& b) {
  static_assert(sizeof(OverlapSummary) == 64 && OverlapSummary::kBuckets == 60);
  uint32_t units = 0;
  bool saturated = false;
#ifdef __SSE2__
  // Four 16-byte blocks; the last one's final four bytes are total_low's, masked out.
  const __m128i zero = _mm_setzero_si128();
  const __m128i full = _mm_set1_epi8(static_cast<char>(0xFF));
  __m128i sums = zero;
  __m128i sat = zero;
  for (int k = 0; k < 4; ++k) {
    __m128i x = _mm_load_si128(reinterpret_cast<const __m128i*>(a.bucket) + k);
    __m128i y = _mm_load_si128(reinterpret_cast<const __m128i*>(b.bucket) + k);
    __m128i m = _mm_min_epu8(x, y);
    if (k == 3) m = _mm_and_si128(m, _mm_set_epi32(0, -1, -1, -1));
    sat = _mm_or_si128(sat, _mm_cmpeq_epi8(m, full));
    sums = _mm_add_epi64(sums, _mm_sad_epu8(m, zero));
  }
  units = static_cast<uint32_t>(_mm_cvtsi128_si32(sums)) +
          static_cast<uint32_t>(_mm_cvtsi128_si32(_mm_srli_si128(sums, 8)));
  saturated = _mm_movemask_epi8(sat) != 0;
#else
  for (int k = 0; k < OverlapSummary::kBuckets; ++k) {
    const uint8_t m = std::min(a.bucket[k], b.bucket[k]);
    units += m;
    saturated |= m == 255;
  }
#endif
  if (saturated) return std::numeric_limits<double>::infinity();
  return static_cast<double>(units) / OverlapSummary::kScale * (1 + 1e-4);
}

}  // namespace factdedup::dedup::internal

#endif  // FACTDEDUP_DEDUP_INTERNAL_OVERLAP_BOUND_H_
