#include "dedup/internal/overlap_bound.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace factdedup::dedup::internal {

OverlapSummary Summarize(absl::Span<const uint64_t> tokens, absl::Span<const float> weights,
                         double total) {
  double sum[OverlapSummary::kBuckets] = {};
  for (size_t k = 0; k < tokens.size(); ++k) sum[OverlapBucket(tokens[k])] += weights[k];
  OverlapSummary s;
  for (int b = 0; b < OverlapSummary::kBuckets; ++b) {
    const double units = std::ceil(sum[b] * OverlapSummary::kScale);
    s.bucket[b] = units > 254 ? 255 : static_cast<uint8_t>(units);
  }
  auto low = static_cast<float>(total);
  if (static_cast<double>(low) > total) low = std::nextafter(low, 0.0f);
  s.total_low = std::max(0.0f, low);
  return s;
}

double OverlapUpperBound(const OverlapSummary& a, const OverlapSummary& b) {
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
