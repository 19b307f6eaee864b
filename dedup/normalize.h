// Unicode normalization of short facts for matching.
//
// A Normalizer turns one fact's display text into the token sequence that every later stage
// (shingles, MinHash, SimHash, verification) works on. It knows nothing of Markdown or vaults.
//
//   Normalizer n;                                   // default NormalizeOptions
//   absl::StatusOr<NormalizedText> t = n.Normalize("Microsoftâ€™s $250B deal ...");
//   // t->clean     == "Microsoft's $250B deal"      (mojibake repaired, NFKC, ASCII quotes)
//   // t->tokens    == {"microsoft", "$250000000000", "deal"}   (stemmed, folded, canonical)
//   // t->truncated == true, t->repaired_mojibake == true
//
// Thread-safety: a Normalizer is immutable after construction; Normalize() is safe to call
// from many threads at once (ICU objects are cloned per thread internally).
#ifndef FACTDEDUP_DEDUP_NORMALIZE_H_
#define FACTDEDUP_DEDUP_NORMALIZE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace factdedup::dedup {

// Bumped whenever a change to normalization changes any token; saved indexes record it.
inline constexpr int kNormalizerVersion = 1;

struct NormalizeOptions {
  // Repair UTF-8 that was decoded as Windows-1252/Latin-1 ("â€™" -> "’", "Ã©" -> "é"), only
  // where the repair is unambiguous (the re-encoded bytes form valid UTF-8). Default: true.
  bool repair_mojibake = true;
  // Fold accents for matching tokens ("José" ~ "Jose"). Default: true.
  bool fold_accents = true;
  // Snowball English stemming of word tokens ("ramping" ~ "ramp"). Default: true.
  bool stem = true;
  // Rewrite numbers, money, percentages and dates to canonical tokens ("$250B" ~
  // "250 billion dollars"; "January 6, 2026" ~ "2026-01-06"). Default: true.
  bool canonicalize_numbers = true;
  // Drop English stop words from `tokens` (they stay in `all_tokens`). Default: true.
  bool drop_stopwords = true;
};

// Kinds of canonical token, for verification (agreement of numbers/dates/names).
enum class TokenKind : uint8_t {
  kWord,     // an ordinary word, case folded, accent folded, stemmed
  kNumber,   // a plain number: "3", "2.5", "1,000" -> "1000"; with a unit, value in base
             // units ":" unit: "2EB" / "2 exabytes" -> "2000000000000000000:byte", "10x" -> "10:x"
  kMoney,    // "$250B", "250 billion dollars" -> "$250000000000"; "€3M" -> "€3000000"
  kPercent,  // "15%", "15 percent" -> "15%"
  kDate,     // "2026-01-06", "2026-01", "--10-28" (no year), "2026" (year), "2026-q1"
             // (quarter), "2025-h2" (half), "fy2026". Full list: dedup/internal/numbers.h
  kName,     // a capitalized word not at sentence start (before folding): "Manish", "VAST"
};

struct Token {
  std::string text;  // the canonical matching form
  TokenKind kind = TokenKind::kWord;
  // How the word was written: "storage" is lowercase; "Storage" (anywhere) is capitalized.
  // A sentence-initial capitalized word is kWord: one text cannot tell "Contoso said" from
  // "Sharing slides"; a corpus can (dedup/engine.h: a word never written in lowercase).
  bool lowercase = false;
  bool capitalized = false;
};

struct NormalizedText {
  // Display-quality cleaned text: mojibake repaired, NFKC, quotes/dashes/NBSP folded to
  // ASCII equivalents, runs of white space collapsed, trailing ellipsis removed. Not case folded.
  std::string clean;
  // Matching tokens in text order, stop words dropped (if so configured). A word cut off by
  // a trailing ellipsis ("now scr...") is in `clean` but in neither token list.
  std::vector<Token> tokens;
  // Every token in text order, stop words included (for order-sensitive checks).
  std::vector<Token> all_tokens;
  // The input ended with "..." or "…": the fact was cut off.
  bool truncated = false;
  // A mojibake repair was applied.
  bool repaired_mojibake = false;
  // Mojibake-looking sequences remain that could not be repaired unambiguously.
  bool suspect_mojibake = false;
};

class Normalizer {
 public:
  explicit Normalizer(NormalizeOptions options = {});
  ~Normalizer();
  Normalizer(const Normalizer&) = delete;
  Normalizer& operator=(const Normalizer&) = delete;

  // Normalizes one fact. Invalid UTF-8 is a defined case: invalid bytes become U+FFFD in
  // `clean` and split tokens; it is not an error. Errors come only from ICU failing to load.
  absl::StatusOr<NormalizedText> Normalize(absl::string_view text) const;

  // Normalize into *out, whatever it held: the result equals Normalize(text)'s, and *out's
  // buffers (the token vectors, `clean`) are reused, so a loop over many texts with one
  // NormalizedText saves their allocations. On error *out is unspecified.
  absl::Status NormalizeInto(absl::string_view text, NormalizedText* out) const;

  const NormalizeOptions& options() const { return options_; }

 private:
  struct Impl;
  NormalizeOptions options_;
  std::unique_ptr<Impl> impl_;
};

// Repairs mojibake in `text` (see NormalizeOptions::repair_mojibake). Returns the repaired
// text and sets *repaired when anything changed. Exposed for tests and fuzzing.
std::string RepairMojibake(absl::string_view text, bool* repaired);

}  // namespace factdedup::dedup

#endif  // FACTDEDUP_DEDUP_NORMALIZE_H_
