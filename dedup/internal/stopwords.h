// The fixed English stop-word list used by the Normalizer.
#ifndef FACTDEDUP_DEDUP_INTERNAL_STOPWORDS_H_
#define FACTDEDUP_DEDUP_INTERNAL_STOPWORDS_H_

#include "absl/strings/string_view.h"

namespace factdedup::dedup::internal {

// True for a case-folded English function word ("the", "of", "is", "its", ...). Negations
// (not, no, never, without, nor), modals (may, will, can, ...) and quantifiers (more, less,
// all, some, only) are deliberately absent: they change what a fact says.
bool IsStopword(absl::string_view folded_word);

}  // namespace factdedup::dedup::internal

#endif  // FACTDEDUP_DEDUP_INTERNAL_STOPWORDS_H_
