// Internal entry points of the Normalizer, for tests and benchmarks.
#ifndef FACTDEDUP_DEDUP_INTERNAL_NORMALIZE_INTERNAL_H_
#define FACTDEDUP_DEDUP_INTERNAL_NORMALIZE_INTERNAL_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "dedup/normalize.h"

namespace factdedup::dedup::internal {

// Which implementation handles pure-ASCII input.
enum class AsciiPath {
  kFast,      // hand-written cleaning, segmentation and word folding (what Normalizer uses)
  kForceIcu,  // the general path (ICU) that other input takes, for every input and word;
              // tests compare the two
};

// Normalizer::Normalize without a Normalizer object.
absl::StatusOr<NormalizedText> NormalizeText(const NormalizeOptions& options,
                                             absl::string_view text, AsciiPath path);

// Normalizer::NormalizeInto without a Normalizer object.
absl::Status NormalizeTextInto(const NormalizeOptions& options, absl::string_view text,
                               AsciiPath path, NormalizedText* out);

}  // namespace factdedup::dedup::internal

#endif  // FACTDEDUP_DEDUP_INTERNAL_NORMALIZE_INTERNAL_H_
