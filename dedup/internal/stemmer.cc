#include "dedup/internal/stemmer.h"

#include <libstemmer.h>

#include "absl/container/flat_hash_map.h"

namespace factdedup::dedup::internal {
namespace {

// Bound on cached stems per thread; the cache is dropped when it fills (facts in one vault
// reuse a small vocabulary, so this rarely happens).
constexpr size_t kMaxCachedStems = 1 << 16;

struct ThreadStemmer {
  sb_stemmer* stemmer = sb_stemmer_new("english", nullptr);
  absl::flat_hash_map<std::string, std::string> cache;
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

std::string StemEnglish(absl::string_view word) {
  ThreadStemmer& s = Get();
  if (s.stemmer == nullptr) return std::string(word);
  if (auto it = s.cache.find(word); it != s.cache.end()) return it->second;
  const sb_symbol* stem = sb_stemmer_stem(
      s.stemmer, reinterpret_cast<const sb_symbol*>(word.data()), static_cast<int>(word.size()));
  if (stem == nullptr) return std::string(word);  // out of memory in libstemmer
  std::string out(reinterpret_cast<const char*>(stem),
                  static_cast<size_t>(sb_stemmer_length(s.stemmer)));
  if (s.cache.size() >= kMaxCachedStems) s.cache.clear();
  s.cache.emplace(word, out);
  return out;
}

}  // namespace factdedup::dedup::internal
