#include "dedup/internal/stopwords.h"

#include <array>
#include <cstdint>

namespace factdedup::dedup::internal {
namespace {

constexpr absl::string_view kStopwords[] = {
    "a",    "an",    "the",  "of",    "to",    "and",   "or",     "is",    "are",  "was",
    "were", "be",    "been", "being", "am",    "for",   "in",     "on",    "at",   "by",
    "with", "as",    "that", "this",  "these", "those", "it",     "its",   "it's", "from",
    "into", "onto",  "than", "then",  "there", "their", "they",   "them",  "he",   "she",
    "his",  "her",   "him",  "we",    "our",   "us",    "you",    "your",  "i",    "me",
    "my",   "so",    "such", "also",  "which", "who",   "whom",   "whose", "what", "while",
    "if",   "but",   "has",  "have",  "had",   "do",    "does",   "did",   "very", "just",
    "via",  "about", "upon", "per",   "each",  "both",  "either", "s",
};
constexpr size_t kMaxLength = 6;  // the longest ("either") has six letters

// A word of at most kMaxLength bytes as one number: its bytes, and its length in the top byte
// (so that words with NUL bytes stay apart).
constexpr uint64_t Key(absl::string_view w) {
  uint64_t k = static_cast<uint64_t>(w.size()) << 56;
  for (size_t i = 0; i < w.size(); ++i) {
    k |= static_cast<uint64_t>(static_cast<unsigned char>(w[i])) << (8 * i);
  }
  return k;
}

// Open addressing over the keys; an empty slot holds 0 (no key is 0: the length is >= 1).
constexpr size_t kSlots = 256;
constexpr size_t Slot(uint64_t key) { return (key * 0x9E3779B97F4A7C15ULL) >> 56; }

constexpr std::array<uint64_t, kSlots> kTable = [] {
  std::array<uint64_t, kSlots> t{};
  for (absl::string_view w : kStopwords) {
    size_t s = Slot(Key(w));
    while (t[s] != 0) s = (s + 1) % kSlots;
    t[s] = Key(w);
  }
  return t;
}();

}  // namespace

bool IsStopword(absl::string_view folded_word) {
  if (folded_word.empty() || folded_word.size() > kMaxLength) return false;
  const uint64_t key = Key(folded_word);
  for (size_t s = Slot(key);; s = (s + 1) % kSlots) {
    if (kTable[s] == key) return true;
    if (kTable[s] == 0) return false;
  }
}

}  // namespace factdedup::dedup::internal
