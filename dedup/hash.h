// 64-bit hashing of tokens and shingles with XXH3. The seed is part of every saved signature.
#ifndef FACTDEDUP_DEDUP_HASH_H_
#define FACTDEDUP_DEDUP_HASH_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace factdedup::dedup {

inline constexpr uint64_t kDefaultHashSeed = 0x6661637464656475ULL;  // "factdedu"

// XXH3-64 of `bytes` with `seed`.
uint64_t Hash64(absl::string_view bytes, uint64_t seed = kDefaultHashSeed);

// Shingles: hashes of every run of `n` consecutive tokens (n >= 1). A sequence shorter than
// `n` yields one shingle of all its tokens; an empty one yields none. The result is sorted
// and deduplicated (a set).
std::vector<uint64_t> ShingleHashes(absl::Span<const std::string> tokens, int n,
                                    uint64_t seed = kDefaultHashSeed);

}  // namespace factdedup::dedup

#endif  // FACTDEDUP_DEDUP_HASH_H_
