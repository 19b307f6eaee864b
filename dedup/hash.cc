#include "dedup/hash.h"

#include <algorithm>

// XXH3 compiled in (the header's implementation, the same version as the library): a call
// through the shared library's PLT cost as much as hashing a short word.
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace factdedup::dedup {

uint64_t Hash64(absl::string_view bytes, uint64_t seed) {
  return XXH3_64bits_withSeed(bytes.data(), bytes.size(), seed);
}

std::vector<uint64_t> ShingleHashes(absl::Span<const std::string> tokens, int n, uint64_t seed) {
  std::vector<uint64_t> out;
  if (tokens.empty() || n < 1) return out;
  const size_t width = std::min<size_t>(static_cast<size_t>(n), tokens.size());
  out.reserve(tokens.size() - width + 1);
  if (width == 1) {  // unigrams: same bytes as the general path, without the copy
    for (const std::string& token : tokens) out.push_back(Hash64(token, seed));
  }
  std::string buf;
  for (size_t i = 0; width > 1 && i + width <= tokens.size(); ++i) {
    buf.clear();
    for (size_t k = 0; k < width; ++k) {
      if (k) buf.push_back('\x1f');  // unit separator: tokens never contain it
      buf.append(tokens[i + k]);
    }
    out.push_back(Hash64(buf, seed));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace factdedup::dedup
