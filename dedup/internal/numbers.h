// Canonical tokens for numbers, money, percentages, quantities with units, and dates.
//
// Canonical forms (the `text` of the Token; see also dedup/normalize.h):
//   plain number  kNumber   "1,000" -> "1000", "2.50" -> "2.5", "06" -> "6",
//                           "1.5 million" / "1.5M" -> "1500000", "3rd" -> "3rd"
//   money         kMoney    currency symbol + exact value: "$250B", "$250 billion",
//                           "250 billion dollars", "USD 250B", "+$250B", "$250B+"
//                           -> "$250000000000"; "€3M" / "EUR 3M" / "3 million euros"
//                           -> "€3000000"; "£" / GBP -> "£". The sign is dropped.
//   percent       kPercent  "15%", "15 percent", "15 per cent", "15 pct" -> "15%"
//   quantity      kNumber   "<value in base unit>:<unit>", SI prefixes applied exactly:
//                           "2EB" / "2 exabytes" / "2,000 PB" -> "2000000000000000000:byte",
//                           "1.5 GW" -> "1500000000:w", "400Gbps" -> "400000000000:bps",
//                           "3GHz" -> "3000000000:hz", "10x" -> "10:x";
//                           binary prefixes keep their unit: "5 TiB" -> "5:tib"
//   date          kDate     "2026-01-06", "January 6, 2026", "Jan. 6th 2026", "6 January 2026",
//                           "1/6/2026" (US order unless the first part is > 12) -> "2026-01-06";
//                           "February 2026" / "Feb 2026" / "2026-02" -> "2026-02";
//                           "Oct 28" / "28 October" -> "--10-28" (ISO 8601 without year);
//                           a bare four-digit 1900..2100 -> "2026"; "2020s" -> "2020s"
//   quarter/half  kDate     "Q1 2026", "Q1'26", "Q1 '26", "1Q26", "2026 Q1", "2026Q1"
//                           -> "2026-q1"; "H2 2025" -> "2025-h2"; a lone "Q3" -> "q3";
//                           "FY26" / "FY2026" -> "fy2026" (a quarter followed by FY26 takes
//                           its year: "Q1 FY26" -> "2026-q1")
// Ranges are two numbers ("2-3" -> "2", "3"). Month names must be capitalized ("May",
// "Jan") so the verb "may" and "march" stay words. Number words (one..twenty, thirty..ninety,
// hundred, dozen) become numbers only before a scale, unit, currency or percent word
// ("two billion dollars" -> "$2000000000").
#ifndef FACTDEDUP_DEDUP_INTERNAL_NUMBERS_H_
#define FACTDEDUP_DEDUP_INTERNAL_NUMBERS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "dedup/internal/unicode.h"
#include "dedup/normalize.h"

namespace factdedup::dedup::internal {

// One output of Canonicalize: either a canonical token, or a word passed through for the
// caller to fold and stem (`is_word`: its raw text is word span `span`; `token` is empty).
struct CanonPiece {
  Token token;
  bool is_word = false;
  uint32_t span = 0;  // index of the first word span this piece came from
};

// Rewrites the words `spans` of `text` (as found by segmentation) into canonical pieces, in
// text order. Looks at the characters between spans ("$", "%", "-", ", ") for context.
void Canonicalize(absl::string_view text, absl::Span<const WordSpan> spans,
                  std::vector<CanonPiece>* out);

// Exact decimal value digits * 10^exp, printed without exponent, leading zeros or trailing
// fractional zeros ("2.50" -> "2.5", "0250" -> "250").
struct Decimal {
  std::string digits;
  int exp = 0;
};
std::string FormatDecimal(const Decimal& d);

// Whether Canonicalize passes the non-empty word `t` through as a word without trying any
// canonical form at it: it starts with no digit, period label ("q1", "h2", "fy"), capitalized
// month, currency code or number word. PlainWord takes a shortcut (MayBeNamedWord) for most
// words; PlainWordReference is the plain version, for tests. Both give the same answer.
bool PlainWord(absl::string_view t);
bool PlainWordReference(absl::string_view t);
// False for every word no month name, currency code or number word can be (a filter on its
// length and first and last letters); true for each of them in any case.
bool MayBeNamedWord(absl::string_view t);

}  // namespace factdedup::dedup::internal

#endif  // FACTDEDUP_DEDUP_INTERNAL_NUMBERS_H_
