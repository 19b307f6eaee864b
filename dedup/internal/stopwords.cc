#include "dedup/internal/stopwords.h"

#include "absl/container/flat_hash_set.h"

namespace factdedup::dedup::internal {

bool IsStopword(absl::string_view folded_word) {
  static const auto* const kStopwords = new absl::flat_hash_set<absl::string_view>({
      "a",    "an",    "the",  "of",    "to",    "and",   "or",     "is",    "are",  "was",
      "were", "be",    "been", "being", "am",    "for",   "in",     "on",    "at",   "by",
      "with", "as",    "that", "this",  "these", "those", "it",     "its",   "it's", "from",
      "into", "onto",  "than", "then",  "there", "their", "they",   "them",  "he",   "she",
      "his",  "her",   "him",  "we",    "our",   "us",    "you",    "your",  "i",    "me",
      "my",   "so",    "such", "also",  "which", "who",   "whom",   "whose", "what", "while",
      "if",   "but",   "has",  "have",  "had",   "do",    "does",   "did",   "very", "just",
      "via",  "about", "upon", "per",   "each",  "both",  "either", "s",
  });
  if (folded_word.size() > 6) return false;  // the longest ("either") has six letters
  return kStopwords->contains(folded_word);
}

}  // namespace factdedup::dedup::internal
