// The one place where factdedup talks to ICU for normalization: UTF-8 hygiene, NFKC plus
// punctuation folding, case and accent folding, and word segmentation. ICU UErrorCode values
// become absl::Status only through IcuStatus().
//
// Thread-safety: every function here is safe to call from many threads at once. ICU
// Normalizer2 singletons are immutable; the word BreakIterator is created once per thread.
#ifndef FACTDEDUP_DEDUP_INTERNAL_UNICODE_H_
#define FACTDEDUP_DEDUP_INTERNAL_UNICODE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace factdedup::dedup::internal {

// The ICU adapter: OK for U_SUCCESS (warnings included), otherwise an Internal error naming
// `what` and the ICU error name.
absl::Status IcuStatus(int /*UErrorCode*/ code, absl::string_view what);

// True when every byte is < 0x80.
bool IsAscii(absl::string_view text);

// Replaces every maximal ill-formed subsequence (Unicode's "maximal subpart" practice, as
// ICU's U8_NEXT defines it) with U+FFFD. Sets *had_invalid if anything was replaced.
std::string SanitizeUtf8(absl::string_view text, bool* had_invalid);

// NFKC, then: curly/angle quotes -> ' or ", dashes and minus signs -> '-', every space,
// line break and control character -> ' ', invisible format characters (ZWSP, BOM, soft
// hyphen, bidi marks) removed. White space is not collapsed. Input must be valid UTF-8.
absl::StatusOr<std::string> NfkcAndFoldPunctuation(absl::string_view utf8);

// Collapses runs of ASCII white space and control bytes to one ' ' and trims both ends.
std::string CollapseSpace(absl::string_view text);

// The cleaning of the Normalizer's pipeline in one pass, for the text most facts are: ASCII,
// with at most these code points besides, which mojibake repair and detection never touch
// and whose NFKC plus punctuation folding is a fixed ASCII string: U+00A0 (-> ' '),
// U+2010..U+2015 (-> '-'), U+2018 U+2019 (-> '\''), U+201C U+201D (-> '"'), U+2026 (-> "...").
// For such text, writes to *out exactly what CollapseSpace(NfkcAndFoldPunctuation(
// RepairMojibakeAll(SanitizeUtf8(text)))) gives (pure ASCII: CollapseSpace(text)), which is
// ASCII, and returns true. Returns false (*out unspecified) for any other text.
bool CleanSimpleText(absl::string_view text, std::string* out);

// Full Unicode case folding ("Straße" -> "strasse"); ASCII input takes a fast path.
std::string FoldCase(absl::string_view utf8);

// Removes Latin/Greek/Cyrillic diacritics: NFD, drop U+0300..U+036F, NFC, and a few
// letters without a decomposition (ł->l, ø->o, đ->d, æ->ae, œ->oe, ı->i, ð->d, þ->th).
// Other scripts' marks (kana voicing, Indic vowel signs) are kept: they are not accents.
std::string FoldAccents(absl::string_view utf8);

// True if the first code point is an upper- or title-case letter.
bool StartsUpper(absl::string_view utf8);
// True if any code point after the first is upper case ("OpenAI", "VAST").
bool HasInnerUpper(absl::string_view utf8);

// A word found by segmentation: bytes [begin, end) of the segmented text.
struct WordSpan {
  uint32_t begin = 0;
  uint32_t end = 0;
  friend bool operator==(const WordSpan& a, const WordSpan& b) {
    return a.begin == b.begin && a.end == b.end;
  }
};

// ICU word segmentation (root locale, dictionary-based for CJK/Thai), keeping only segments
// whose rule status marks a word (numbers, letters, kana, ideographs), except runs of only
// '_' and '@'.
absl::Status SegmentWordsIcu(absl::string_view utf8, std::vector<WordSpan>* out);

// Hand-written equivalent of SegmentWordsIcu for pure-ASCII text: UAX #29 rules WB5-WB13b
// restricted to ASCII, as ICU's root locale applies them. Letters (and '@', which ICU counts
// as a letter) and digits run together; ' and . join letter-letter and digit-digit; , and ;
// join digit-digit; _ joins anything. Runs of only '_' and '@' are not words in either
// function.
void SegmentWordsAscii(absl::string_view ascii, std::vector<WordSpan>* out);

// SegmentWordsAscii of a whole std::string, using its terminating NUL (not a word character)
// to end each run without a bounds check. Same spans.
void SegmentWordsAsciiString(const std::string& ascii, std::vector<WordSpan>* out);

}  // namespace factdedup::dedup::internal

#endif  // FACTDEDUP_DEDUP_INTERNAL_UNICODE_H_
