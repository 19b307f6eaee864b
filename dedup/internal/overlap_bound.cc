#include "dedup/internal/overlap_bound.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace factdedup::dedup::internal {

OverlapSummary Summarize(absl::Span<const uint64_t> tokens, absl::Span<const float> weights,
                         double total) {
  double sum[OverlapSummary::kBuckets];
  for (uint64_t t : tokens) sum[OverlapBucket(t)] = 0;
  for (size_t k = 0; k < tokens.size(); ++k) sum[OverlapBucket(tokens[k])] += weights[k];
  OverlapSummary s;            // buckets no token falls in stay 0
  for (uint64_t t : tokens) {  // a bucket of several tokens is set once per token, alike
    const int b = OverlapBucket(t);
    const double units = std::ceil(sum[b] * OverlapSummary::kScale);
    s.bucket[b] = units > 254 ? 255 : static_cast<uint8_t>(units);
  }
  auto low = static_cast<float>(total);
  if (static_cast<double>(low) > total) low = std::nextafter(low, 0.0f);
  s.total_low = std::max(0.0f, low);
  return s;
}

}  // namespace factdedup::dedup::internal
