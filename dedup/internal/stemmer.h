// Snowball English stemming (Debian's libstemmer), one stemmer per thread.
#ifndef FACTDEDUP_DEDUP_INTERNAL_STEMMER_H_
#define FACTDEDUP_DEDUP_INTERNAL_STEMMER_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace factdedup::dedup::internal {

// OK if this thread's English stemmer could be created.
absl::Status StemmerStatus();

// The Snowball English stem of a lower-case word ("ramping" -> "ramp"). libstemmer is not
// thread-safe, so each thread owns its stemmer and a bounded cache of recent stems. Returns
// the word unchanged if the stemmer is unavailable.
std::string StemEnglish(absl::string_view word);

// StemEnglish without the copy: the stem stays valid until this thread's next call of either
// function.
absl::string_view StemEnglishView(absl::string_view word);

}  // namespace factdedup::dedup::internal

#endif  // FACTDEDUP_DEDUP_INTERNAL_STEMMER_H_
