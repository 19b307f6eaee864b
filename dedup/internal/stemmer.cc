#include "dedup/internal/stemmer.h"

#include <libstemmer.h>

#include <cstdint>
#include <cstring>

#include "absl/container/flat_hash_map.h"

namespace factdedup::dedup::internal {
namespace {

// Bound on cached stems per thread; the cache is dropped when it fills (facts in one vault
// reuse a small vocabulary, so this rarely happens).
constexpr size_t kMaxCachedStems = 1 << 16;

// A cheap hash of a short word (the cache is hit once per word of every fact): its bytes in
// at most two overlapping 64-bit loads, then one strong mix. Transparent, so string_views
// look up std::string keys.
struct WordHash {
  using is_transparent = void;
  size_t operator()(absl::string_view w) const {
    const char* p = w.data();
    const size_t n = w.size();
    uint64_t x = 0;
    uint64_t y = 0;
    if (n >= 8) {
      std::memcpy(&x, p, 8);
      std::memcpy(&y, p + n - 8, 8);
      for (size_t k = 8; k + 8 < n; k += 8) {  // words of more than 16 bytes
        uint64_t z;
        std::memcpy(&z, p + k, 8);
        x = (x ^ z) * 0x9E3779B97F4A7C15ULL;
        x ^= x >> 32;
      }
    } else if (n >= 4) {
      uint32_t lo, hi;
      std::memcpy(&lo, p, 4);
      std::memcpy(&hi, p + n - 4, 4);
      x = lo;
      y = hi;
    } else if (n > 0) {
      x = static_cast<unsigned char>(p[0]) |
          static_cast<uint64_t>(static_cast<unsigned char>(p[n / 2])) << 8 |
          static_cast<uint64_t>(static_cast<unsigned char>(p[n - 1])) << 16;
    }
    uint64_t h = (x ^ (y * 0xC2B2AE3D27D4EB4FULL)) + n * 0x9E3779B97F4A7C15ULL;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return static_cast<size_t>(h);
  }
};

struct WordEq {
  using is_transparent = void;
  bool operator()(absl::string_view a, absl::string_view b) const { return a == b; }
};

struct ThreadStemmer {
  sb_stemmer* stemmer = sb_stemmer_new("english", nullptr);
  absl::flat_hash_map<std::string, std::string, WordHash, WordEq> cache;
  ~ThreadStemmer() {
    if (stemmer != nullptr) sb_stemmer_delete(stemmer);
  }
};

ThreadStemmer& Get() {
  thread_local ThreadStemmer s;
  return s;
}

}  // namespace

absl::Status StemmerStatus() {
  if (Get().stemmer == nullptr) {
    return absl::InternalError("libstemmer: sb_stemmer_new(\"english\") failed");
  }
  return absl::OkStatus();
}

absl::string_view StemEnglishView(absl::string_view word) {
  ThreadStemmer& s = Get();
  if (s.stemmer == nullptr) return word;
  if (auto it = s.cache.find(word); it != s.cache.end()) return it->second;
  const sb_symbol* stem = sb_stemmer_stem(
      s.stemmer, reinterpret_cast<const sb_symbol*>(word.data()), static_cast<int>(word.size()));
  if (stem == nullptr) return word;  // out of memory in libstemmer
  if (s.cache.size() >= kMaxCachedStems) s.cache.clear();
  return s.cache
      .try_emplace(word, reinterpret_cast<const char*>(stem),
                   static_cast<size_t>(sb_stemmer_length(s.stemmer)))
      .first->second;
}

std::string StemEnglish(absl::string_view word) { return std::string(StemEnglishView(word)); }

}  // namespace factdedup::dedup::internal
