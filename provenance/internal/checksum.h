// The incremental index's body checksum (docs/index-format.md): XXH3-64 with seed 0, the
// value dedup::Hash64(bytes, 0) gives, computed with the widest vector unit of the running CPU
// when the xxHash library can choose it at run time (on x86-64, AVX2 or AVX-512 instead of the
// SSE2 code compiled in: half the instructions or fewer over the tens of MB of an index).
#ifndef FACTDEDUP_PROVENANCE_INTERNAL_CHECKSUM_H_
#define FACTDEDUP_PROVENANCE_INTERNAL_CHECKSUM_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace factdedup::provenance::internal {

uint64_t Checksum(absl::string_view bytes);

}  // namespace factdedup::provenance::internal

#endif  // FACTDEDUP_PROVENANCE_INTERNAL_CHECKSUM_H_
