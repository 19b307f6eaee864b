// Claim slot extraction and comparison (the contract is in claim_slots.h).
#include "provenance/internal/claim_slots.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/inlined_vector.h"
#include "absl/container/node_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/types/span.h"
#include "dedup/hash.h"

namespace factdedup::provenance::internal {
namespace {

using dedup::Token;
using dedup::TokenKind;

constexpr absl::string_view kMonths[] = {"january",   "february", "march",    "april",
                                         "may",       "june",     "july",     "august",
                                         "september", "october",  "november", "december"};

// A few short words, each with a value, looked up without hashing: by length and first byte,
// then compared (most words looked up have no entry of their length and first byte).
class SmallWordMap {
 public:
  static constexpr size_t kLongest = 15;
  // Adds `w` (at most kLongest bytes) with `value` ORed into any value it has.
  void Add(absl::string_view w, uint8_t value) {
    present_[Key(w) >> 6] |= uint64_t{1} << (Key(w) & 63);
    for (auto& [word, v] : table_[Key(w)]) {
      if (word == w) {
        v |= value;
        return;
      }
    }
    table_[Key(w)].emplace_back(w, value);
  }
  // The value of `w`, 0 when it has none.
  uint8_t Find(absl::string_view w) const {
    if (w.empty() || w.size() > kLongest) return 0;
    // Most words looked up have no entry of their length and first byte: one bit tells.
    if (!(present_[Key(w) >> 6] >> (Key(w) & 63) & 1)) return 0;
    for (const auto& [word, v] : table_[Key(w)]) {
      if (word == w) return v;
    }
    return 0;
  }

 private:
  static size_t Key(absl::string_view w) {
    return w.size() << 8 | static_cast<unsigned char>(w[0]);
  }
  std::vector<std::pair<std::string, uint8_t>> table_[(kLongest + 1) << 8];
  uint64_t present_[((kLongest + 1) << 8) / 64] = {};  // whether table_[key] has an entry
};

int ParseInt(absl::string_view s) {
  // Up to nine ASCII digits (most calls: years, months, days) read without absl::SimpleAtoi,
  // which takes them alike (and signs and white space, read by it).
  if (!s.empty() && s.size() <= 9) {
    int v = 0;
    size_t i = 0;
    while (i < s.size() && IsDigit(s[i])) v = v * 10 + (s[i++] - '0');
    if (i == s.size()) return v;
  }
  int v = 0;
  if (!absl::SimpleAtoi(s, &v)) return -1;
  return v;
}

// absl::SimpleAtod, with the usual canonical number (up to 15 digits, no point: exact as a
// double, so the same value) read without it.
bool ParseNumber(absl::string_view v, double* out) {
  if (!v.empty() && v.size() <= 15) {
    uint64_t x = 0;
    size_t i = 0;
    while (i < v.size() && IsDigit(v[i])) x = x * 10 + static_cast<uint64_t>(v[i++] - '0');
    if (i == v.size()) {
      *out = static_cast<double>(x);
      return true;
    }
  }
  return absl::SimpleAtod(v, out);
}

bool IsYear(absl::string_view w) {
  // Four digits (ParseInt of four bytes succeeds on digits only), read without parsing.
  if (w.size() != 4 || !IsDigit(w[0]) || !IsDigit(w[1]) || !IsDigit(w[2]) || !IsDigit(w[3])) {
    return false;
  }
  const int y = (w[0] - '0') * 1000 + (w[1] - '0') * 100 + (w[2] - '0') * 10 + (w[3] - '0');
  return y >= 1990 && y <= 2100;
}

// "this|next|last" + "year|month|quarter" against the reference month index.
std::optional<Interval> RelativePeriod(absl::string_view which, absl::string_view unit, int ref) {
  using absl::EqualsIgnoreCase;
  const int d = EqualsIgnoreCase(which, "this")   ? 0
                : EqualsIgnoreCase(which, "next") ? 1
                : EqualsIgnoreCase(which, "last") ? -1
                                                  : 2;
  if (d == 2) return std::nullopt;
  if (EqualsIgnoreCase(unit, "year")) {
    int y = ref / 12 + d;
    return Interval{y * 12, y * 12 + 11};
  }
  if (EqualsIgnoreCase(unit, "month")) return Interval{ref + d, ref + d};
  if (EqualsIgnoreCase(unit, "quarter")) {
    int q = ref / 3 * 3 + 3 * d;
    return Interval{q, q + 2};
  }
  return std::nullopt;
}

// The year that puts `month` nearest to the reference month index.
int NearestMonthIndex(int month, int ref) {
  if (ref <= 0) return 0;
  int year = ref / 12;
  int best = 0, best_d = 1 << 30;
  for (int y = year - 1; y <= year + 1; ++y) {
    int idx = y * 12 + month - 1;
    int d = std::abs(idx - ref);
    if (d < best_d) best = idx, best_d = d;
  }
  return best;
}

// The event a date is attached to: the role word nearest to it within its clause (up to 8
// words before, 4 after). Only dates with the same role are compared across clusters.
struct RoleWord {
  absl::string_view prefix;
  absl::string_view role;
};
constexpr RoleWord kRoleWords[] = {
    {"deploy", "deploy"},  {"live", "deploy"},    {"deliver", "deploy"},  {"floor", "deploy"},
    {"ready", "deploy"},   {"rollout", "deploy"}, {"launch", "deploy"},   {"ship", "deploy"},
    {"install", "deploy"}, {"decid", "decide"},   {"decision", "decide"}, {"order", "order"},
    {"purchas", "order"},  {"meet", "meet"},      {"call", "meet"},       {"keynote", "meet"},
    {"workshop", "meet"},  {"session", "meet"},   {"present", "meet"},    {"roadshow", "meet"},
    {"sync", "meet"},      {"schedul", "meet"},   {"deal", "deal"},       {"contract", "deal"},
    {"return", "return"},  {"poc", "poc"},        {"test", "poc"},
};

// The role of word `w` ("" for none): a view of kRoleWords.
absl::string_view RoleOf(absl::string_view w) {
  if (w.empty()) return "";
  // The role words by their (lowercase) first letter, in table order: a word is compared
  // only with those that can match, and the first match is the table's first match.
  static const auto* by_letter = [] {
    auto* t = new std::array<std::vector<const RoleWord*>, 256>();
    for (const RoleWord& r : kRoleWords) {
      (*t)[static_cast<unsigned char>(absl::ascii_tolower(r.prefix[0]))].push_back(&r);
    }
    return t;
  }();
  for (const RoleWord* r : (*by_letter)[static_cast<unsigned char>(absl::ascii_tolower(w[0]))]) {
    // StartsWithIgnoreCase(w, r->prefix): the prefixes are lowercase, their first letter is
    // w's (folded).
    const absl::string_view p = r->prefix;
    if (w.size() < p.size()) continue;
    size_t k = 1;
    while (k < p.size() && absl::ascii_tolower(w[k]) == p[k]) ++k;
    if (k == p.size()) return r->role;
  }
  return "";
}

// `w` is Words(text).
// `bounded`: whether `text` may have a byte that bounds a clause (';', '(', ')', ':'); when it
// has none, a date's clause is the whole text.
void AssignRoles(absl::string_view text, const std::vector<Word>& w, bool bounded,
                 std::vector<DateHit>* dates) {
  if (dates->empty()) return;  // most facts
  // Each word's role, computed on first use ("" for none). One date asks about each word once
  // at most (the words before it and those after it, each at its distance): kept only for more.
  const bool memo = dates->size() > 1;
  absl::InlinedVector<absl::string_view, 32> roles(memo ? w.size() : 0);
  absl::InlinedVector<bool, 32> known(memo ? w.size() : 0, false);
  auto role_of = [&](int i) {
    if (!memo) return RoleOf(w[i].text);
    if (!known[i]) roles[i] = RoleOf(w[i].text), known[i] = true;
    return roles[i];
  };
  for (DateHit& h : *dates) {
    // Clause bounds around the date.
    size_t lo = 0, hi = text.size();
    for (size_t i = bounded ? h.begin : 0; i > 0; --i) {
      char c = text[i - 1];
      if (c == ';' || c == '(' || (c == ':' && i < text.size() && text[i] == ' ')) {
        lo = i;
        break;
      }
    }
    for (size_t i = bounded ? h.end : text.size(); i < text.size(); ++i) {
      char c = text[i];
      if (c == ';' || c == ')' || c == '(' ||
          (c == ':' && i + 1 < text.size() && text[i + 1] == ' ')) {
        hi = i;
        break;
      }
    }
    // The last word before the date in its clause, the first after it (words ascend, and
    // do not overlap: those ending by h.begin are a prefix, those beginning at h.end or
    // later a suffix).
    int before = -1, after = -1;
    {
      const auto first_after_begin =
          std::partition_point(w.begin(), w.end(), [&](const Word& x) { return x.end <= h.begin; });
      if (first_after_begin != w.begin() && std::prev(first_after_begin)->begin >= lo) {
        before = static_cast<int>(first_after_begin - w.begin()) - 1;
      }
      const auto first_after_end = std::partition_point(
          first_after_begin, w.end(), [&](const Word& x) { return x.begin < h.end; });
      if (first_after_end != w.end() && first_after_end->end <= hi) {
        after = static_cast<int>(first_after_end - w.begin());
      }
    }
    absl::string_view role;
    for (int d = 0; d < 8 && role.empty(); ++d) {
      if (before >= 0 && before - d >= 0 && w[before - d].begin >= lo) {
        role = role_of(before - d);
      }
      if (role.empty() && d < 4 && after >= 0 && after + d < static_cast<int>(w.size()) &&
          w[after + d].end <= hi) {
        role = role_of(after + d);
      }
    }
    h.role = role;
  }
}

// Whether lowercase `lower` holds lowercase `phrase` as whole words; *at gets where.
bool HasWord(absl::string_view lower, absl::string_view phrase, size_t* at = nullptr) {
  size_t pos = 0;
  while ((pos = lower.find(phrase, pos)) != absl::string_view::npos) {
    bool left = pos == 0 || !IsWordByte(lower, pos - 1);
    size_t e = pos + phrase.size();
    bool right = e >= lower.size() || !IsWordByte(lower, e);
    if (left && right) {
      if (at) *at = pos;
      return true;
    }
    ++pos;
  }
  return false;
}

// End of the clause that starts at `from`: the next ';', ')', ". " or end.
size_t ClauseEnd(absl::string_view s, size_t from) {
  for (size_t i = from; i < s.size(); ++i) {
    if (s[i] == ';' || s[i] == ')') return i;
    if (s[i] == '.' && (i + 1 == s.size() || s[i + 1] == ' ')) return i;
  }
  return s.size();
}

size_t ClauseStart(absl::string_view s, size_t before) {
  for (size_t i = before; i > 0; --i) {
    char c = s[i - 1];
    if (c == ';' || c == '(' || c == ':' || c == ',') return i;
    if (c == '.' && i < s.size() && s[i] == ' ') return i;
  }
  return 0;
}

// The pairs of adjacent bytes of a text (hashed into 4096 bits), to tell at once that it
// cannot hold a phrase: most texts hold none of the few phrases looked for, each a scan.
class BytePairs {
 public:
  BytePairs() = default;
  explicit BytePairs(absl::string_view s) {
    for (size_t i = 1; i < s.size(); ++i) Add(s[i - 1], s[i]);
  }
  // Adds the pair (a, b).
  void Add(char a, char b) {
    const unsigned k = Key(a, b);
    bits_[k >> 6] |= uint64_t{1} << (k & 63);
  }
  // False when `s` surely does not contain `phrase`.
  bool MayContain(absl::string_view phrase) const {
    for (size_t i = 1; i < phrase.size(); ++i) {
      const unsigned k = Key(phrase[i - 1], phrase[i]);
      if (!(bits_[k >> 6] >> (k & 63) & 1)) return false;
    }
    return true;
  }

 private:
  static unsigned Key(char a, char b) {
    return (static_cast<unsigned char>(a) & 63u) << 6 | (static_cast<unsigned char>(b) & 63u);
  }
  uint64_t bits_[64] = {};
};

// The bytes of `v` that are ASCII capitals ('A'..'Z') with their high bit set, the others 0.
uint64_t AsciiCapitals(uint64_t v) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
  const uint64_t low7 = v & ~kHigh;                 // each byte's low seven bits: no carry
  const uint64_t ge = low7 + kOnes * (0x80 - 'A');  // high bit: low7 >= 'A'
  const uint64_t gt = low7 + kOnes * (0x7F - 'Z');  // high bit: low7 > 'Z'
  return ge & ~gt & ~v & kHigh;                     // ~v: not a byte of 0x80 or more
}

// Superseded regions: "previously X" (to the end of its clause), "X is no longer ..."
// (the clause), "moved ... from X to Y" (X).
// `lower` is `s` lowercased; `pairs` its BytePairs.
std::vector<std::pair<size_t, size_t>> SupersededRegions(absl::string_view s,
                                                         absl::string_view lower,
                                                         const BytePairs& pairs) {
  std::vector<std::pair<size_t, size_t>> out;
  // (Arrays of constants: a braced list of literals would measure each one per call.)
  static constexpr absl::string_view kMarkers[] = {"previously", "formerly", "originally"};
  static constexpr absl::string_view kVerbs[] = {"moved", "moving", "rescheduled", "postponed",
                                                 "shifted"};
  static constexpr absl::string_view kNoLonger = "no longer";
  for (absl::string_view marker : kMarkers) {
    if (!pairs.MayContain(marker)) continue;
    size_t pos = 0;
    while ((pos = lower.find(marker, pos)) != absl::string_view::npos) {
      // "previously worked together" is history, not a superseded value: require a value.
      size_t e = ClauseEnd(s, pos);
      out.push_back({pos, e});
      pos = e;
    }
  }
  size_t pos = 0;
  while (pairs.MayContain(kNoLonger) &&
         (pos = lower.find(kNoLonger, pos)) != absl::string_view::npos) {
    out.push_back({ClauseStart(s, pos), ClauseEnd(s, pos)});
    pos += 9;
  }
  for (absl::string_view verb : kVerbs) {
    size_t at = 0;
    if (!pairs.MayContain(verb) || !HasWord(lower, verb, &at)) continue;
    size_t from = lower.find(" from ", at);
    if (from == absl::string_view::npos) continue;
    size_t to = lower.find(" to ", from + 6);
    if (to == absl::string_view::npos) continue;
    out.push_back({from + 1, to});
  }
  return out;
}

constexpr absl::string_view kOnWords[] = {"continues", "continue", "continued", "remains",
                                          "remain",    "retained", "persists",  "still"};
constexpr absl::string_view kOffWords[] = {
    "removed",     "removal",      "ended",     "lifted",   "terminated",   "termination",
    "revoked",     "revocation",   "cancelled", "canceled", "cancellation", "eliminated",
    "elimination", "discontinued", "dropped",   "scrapped"};
constexpr absl::string_view kSkipAfterNot[] = {"yet",   "currently", "always", "be",  "been",
                                               "being", "a",         "an",     "the", "to",
                                               "ever",  "even",      "fully"};

bool InList(absl::string_view w, absl::Span<const absl::string_view> list) {
  for (absl::string_view x : list) {
    if (w == x) return true;
  }
  return false;
}

// Which of kOnWords, kOffWords and kSkipAfterNot a lowercase word is in (one lookup).
constexpr uint8_t kOnWord = 1, kOffWord = 2, kSkipWord = 4;
uint8_t StateWordKind(absl::string_view w) {
  static const auto* kinds = [] {
    auto* m = new SmallWordMap();
    for (absl::string_view x : kOnWords) m->Add(x, kOnWord);
    for (absl::string_view x : kOffWords) m->Add(x, kOffWord);
    for (absl::string_view x : kSkipAfterNot) m->Add(x, kSkipWord);
    return m;
  }();
  return kinds->Find(w);
}

// Per initial (a..z), the lengths of the words a clause's polarity reads (the on- and
// off-words and the negations IsNegation knows), as bits: most words are none of them.
constexpr auto kStateWordLengths = [] {
  std::array<uint32_t, 26> t{};
  auto add = [&](absl::string_view w) { t[w[0] - 'a'] |= uint32_t{1} << w.size(); };
  for (absl::string_view w : kOnWords) add(w);
  for (absl::string_view w : kOffWords) add(w);
  for (absl::string_view w : {"not", "never", "cannot", "no", "t"}) add(w);
  return t;
}();

// False when lowercase word `w` is surely neither an on- or off-word nor a negation.
bool MayBeStateWord(absl::string_view w) {
  return !w.empty() && w.size() < 32 && w[0] >= 'a' && w[0] <= 'z' &&
         (kStateWordLengths[w[0] - 'a'] >> w.size() & 1);
}

// "won't", "didn't", "isn't": Words() splits at the apostrophe, leaving these before "t".
constexpr absl::string_view kNtStems[] = {"don",    "doesn",   "didn",  "won",   "isn",
                                          "aren",   "wasn",    "weren", "can",   "couldn",
                                          "wouldn", "shouldn", "hasn",  "haven", "hadn"};

// Whether lowercase word `i` negates what follows: "not", "never", "cannot", "no" (but not
// "no longer", an update, nor "no more/less than", a qualifier) and "n't" forms.
// Whether lowercase word `w` is one IsNegation may hold for (in some context).
bool MayBeNegation(absl::string_view w) {
  return w == "not" || w == "never" || w == "cannot" || w == "no" || w == "t";
}

bool IsNegation(const std::vector<absl::string_view>& lw, size_t i) {
  const absl::string_view w = lw[i];
  if (w == "not" || w == "never" || w == "cannot") return true;
  if (w == "no") {
    return i + 1 < lw.size() && lw[i + 1] != "longer" && lw[i + 1] != "more" && lw[i + 1] != "less";
  }
  return w == "t" && i > 0 && InList(lw[i - 1], kNtStems);
}

std::string VerbBase(absl::string_view w) {
  if (w == "has" || w == "had" || w == "having") return "have";
  if (w == "is" || w == "are" || w == "was" || w == "were") return "be";
  std::string s(w);
  if (s.size() > 4 && absl::EndsWith(s, "ing"))
    s.resize(s.size() - 3);
  else if (s.size() > 3 && absl::EndsWith(s, "ed"))
    s.resize(s.size() - 2);
  else if (s.size() > 3 && absl::EndsWith(s, "es"))
    s.resize(s.size() - 2);
  else if (s.size() > 3 && absl::EndsWith(s, "s"))
    s.resize(s.size() - 1);
  return s;
}

// The content tokens of normalized text: words and names of two or more letters that are
// not month or weekday names, sorted and distinct.
// Sorts hashes and drops repeats.
void SortUnique(std::vector<uint64_t>* v) {
  std::sort(v->begin(), v->end());
  v->erase(std::unique(v->begin(), v->end()), v->end());
}

// Whether a truncated ASCII text's tokens are those of its cleaned text normalized again
// (ContentTokens(clean)): its ellipsis followed white space ("evaluate CDN for ..."), so it
// cut no word, and `clean` has no trailing dots that normalizing again would strip. The
// normalizer reads an ASCII text and its cleaned text alike (white space is collapsed already).
bool TruncationCutNoWord(absl::string_view display, absl::string_view clean) {
  if (clean.empty() || clean.back() == '.') return false;
  for (char c : display) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  // CollapseSpace's white space.
  auto space = [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7F; };
  size_t e = display.size();
  while (e > 0 && space(display[e - 1])) --e;
  size_t dots = 0;
  while (e > 0 && display[e - 1] == '.') --e, ++dots;
  return dots >= 3 && e > 0 && space(display[e - 1]);
}

std::vector<uint64_t> ContentTokensOf(const dedup::NormalizedText& t) {
  std::vector<uint64_t> out;
  for (const Token& tok : t.tokens) {
    if (tok.kind != TokenKind::kWord && tok.kind != TokenKind::kName) continue;
    if (tok.text.size() < 2 || IsMonthOrDayWord(tok.text)) continue;
    out.push_back(TokenHash(tok.text));
  }
  SortUnique(&out);
  return out;
}

absl::StatusOr<std::vector<uint64_t>> ContentTokens(const dedup::Normalizer& n,
                                                    absl::string_view text) {
  absl::StatusOr<dedup::NormalizedText> t = n.Normalize(text);
  if (!t.ok()) return t.status();
  return ContentTokensOf(*t);
}

bool Close(double a, double b) { return std::fabs(a - b) <= 1e-9 * std::max(1.0, std::fabs(a)); }

bool Compatible(double a, Qualifier qa, double b, Qualifier qb) {
  if (Close(a, b))
    return !((qa == Qualifier::kAtLeast && qb == Qualifier::kAtMost) ||
             (qa == Qualifier::kAtMost && qb == Qualifier::kAtLeast));
  if (qa == Qualifier::kAtLeast && b > a) return true;
  if (qb == Qualifier::kAtLeast && a > b) return true;
  if (qa == Qualifier::kAtMost && b < a) return true;
  if (qb == Qualifier::kAtMost && a < b) return true;
  if ((qa == Qualifier::kAbout || qb == Qualifier::kAbout) &&
      std::fabs(a - b) <= 0.1 * std::max(std::fabs(a), std::fabs(b))) {
    return true;
  }
  return false;
}

// Tokens two sorted, distinct token lists share.
size_t SharedCount(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b) {
  size_t n = 0;
  for (size_t i = 0, j = 0; i < a.size() && j < b.size();) {
    if (a[i] == b[j]) ++n;
    const bool le = a[i] <= b[j], ge = a[i] >= b[j];
    i += le;
    j += ge;
  }
  return n;
}

}  // namespace

// Letters for word splitting: ASCII letters and any byte of a multi-byte UTF-8 sequence,
// except the bytes of the typographic apostrophe and quotes (U+2018/2019/201C/201D).
bool IsWordByte(absl::string_view s, size_t i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return IsUpper(s[i]) || IsLower(s[i]);
  // U+2018..U+201D are E2 80 98..9D.
  auto quote_at = [&](size_t start) {
    return start + 2 < s.size() && static_cast<unsigned char>(s[start]) == 0xE2 &&
           static_cast<unsigned char>(s[start + 1]) == 0x80 &&
           static_cast<unsigned char>(s[start + 2]) >= 0x98 &&
           static_cast<unsigned char>(s[start + 2]) <= 0x9D;
  };
  for (size_t back = 0; back < 3 && back <= i; ++back) {
    if (quote_at(i - back)) return false;
  }
  return true;
}

// Runs of letters/digits: the maximal runs of word bytes (an ASCII letter or digit, or a
// non-ASCII byte that IsWordByte takes), found from a bit per byte, 64 bytes at a time (the
// bits of ASCII bytes sixteen at a time with SSE2).
std::vector<Word> Words(absl::string_view s) {
  std::vector<Word> out;
  WordsInto(s, &out);
  return out;
}

void WordsInto(absl::string_view s, std::vector<Word>* into) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  // The word bytes of s[at, at + 64) as bits (none past the end).
  auto word_bits = [&](size_t at) {
    const size_t len = std::min<size_t>(64, n - at);
#ifdef __SSE2__
    // The last bytes of a text are read from a copy padded with zeros (not word bytes).
    alignas(16) unsigned char padded[64];
    const unsigned char* q = p + at;
    if (len < 64) {
      std::memcpy(padded, q, len);
      std::memset(padded + len, 0, 64 - len);
      q = padded;
    }
    uint64_t bits = 0, high = 0;
    for (size_t k = 0; k < 4; ++k) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q + 16 * k));
      // ASCII letters and digits (signed compares: bytes of 0x80 or more are in no range).
      // v | 0x20 folds 'A'..'Z' onto 'a'..'z' and nothing else onto them.
      auto in = [](__m128i x, char lo, char hi) {
        return _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8(static_cast<char>(lo - 1))),
                             _mm_cmplt_epi8(x, _mm_set1_epi8(static_cast<char>(hi + 1))));
      };
      const __m128i word =
          _mm_or_si128(in(v, '0', '9'), in(_mm_or_si128(v, _mm_set1_epi8(0x20)), 'a', 'z'));
      bits |= static_cast<uint64_t>(static_cast<uint16_t>(_mm_movemask_epi8(word))) << (16 * k);
      high |= static_cast<uint64_t>(static_cast<uint16_t>(_mm_movemask_epi8(v))) << (16 * k);
    }
    // Non-ASCII bytes: IsWordByte decides, one by one.
    for (; high != 0; high &= high - 1) {
      const size_t k = static_cast<size_t>(__builtin_ctzll(high));
      bits |= static_cast<uint64_t>(IsWordByte(s, at + k)) << k;
    }
    return bits;
#else
    uint64_t bits = 0;
    for (size_t k = 0; k < len; ++k) {
      const unsigned char c = p[at + k];
      const bool word = c < 0x80 ? (IsUpper(static_cast<char>(c)) ||
                                    IsLower(static_cast<char>(c)) || IsDigit(static_cast<char>(c)))
                                 : IsWordByte(s, at + k);
      bits |= static_cast<uint64_t>(word) << k;
    }
    return bits;
#endif
  };
  std::vector<Word>& out = *into;
  out.clear();
  out.reserve(n / 6 + 1);
  size_t begin = 0;
  bool open = false;  // a word began at `begin` and has not ended
  for (size_t at = 0; at < n; at += 64) {
    const uint64_t m = word_bits(at);
    // Starts: word bytes after a non-word byte; ends: non-word bytes after a word byte (the
    // bits past the end are non-word bytes: a word ending at n ends there, unless n is a
    // multiple of 64).
    const uint64_t prev = m << 1 | static_cast<uint64_t>(open);
    uint64_t starts = m & ~prev, ends = ~m & prev;
    while (starts | ends) {
      if (open) {
        const size_t e = at + static_cast<size_t>(__builtin_ctzll(ends));
        out.push_back({begin, e, absl::string_view(s.data() + begin, e - begin)});
        ends &= ends - 1;
      } else {
        begin = at + static_cast<size_t>(__builtin_ctzll(starts));
        starts &= starts - 1;
      }
      open = !open;
    }
  }
  if (open) out.push_back({begin, n, absl::string_view(s.data() + begin, n - begin)});
}

std::vector<std::string> LowerWords(absl::string_view s) {
  std::vector<std::string> out;
  for (const Word& w : Words(s)) out.push_back(absl::AsciiStrToLower(w.text));
  return out;
}

// MonthOf without its first tests.
int MonthLookup(absl::string_view w) {
  constexpr size_t kLongest = 9;  // "september"
  if (w.size() < 3 || w.size() > kLongest || !IsUpper(w[0])) return 0;
  // Full names, their first three letters and "sept", in any (ASCII) case: one lookup.
  static const auto* months = [] {
    auto* m = new SmallWordMap();
    for (int k = 0; k < 12; ++k) {
      m->Add(kMonths[k], static_cast<uint8_t>(k + 1));
      if (kMonths[k].size() > 3) m->Add(kMonths[k].substr(0, 3), static_cast<uint8_t>(k + 1));
    }
    m->Add("sept", 9);
    return m;
  }();
  char lower[kLongest];
  for (size_t i = 0; i < w.size(); ++i) lower[i] = absl::ascii_tolower(w[i]);
  return months->Find(absl::string_view(lower, w.size()));
}

// Dates and periods in `text`, ranges ("May to June 2026", "2026-01 - 2026-03") merged.
// `ref` is the note's date as a month index (0 if unknown): bare months resolve to the
// nearest such month; without a reference they are dropped.
std::vector<DateHit> ExtractDates(absl::string_view text, int ref) {
  return ExtractDatesIn(text, Words(text), ref);
}

namespace {

// A DateHit of bytes [begin, end) (a text is under 4 GiB: a note is).
DateHit Hit(Interval iv, size_t begin, size_t end, bool bare_month, int month) {
  return {iv, static_cast<uint32_t>(begin), static_cast<uint32_t>(end), bare_month, month, {}};
}

// ExtractDatesIn; with `quick`, words that can start no date are passed at once.
// Into `*out` (replacing what it held; its capacity is reused).
template <bool quick>
void ExtractDatesWith(absl::string_view text, const std::vector<Word>& w, int ref,
                      std::vector<DateHit>* out_dates) {
  std::vector<DateHit>& out = *out_dates;
  out.clear();
  absl::InlinedVector<DateHit, 4> hits;  // most texts have a date or two, if any
  auto between = [&](size_t a, size_t b) { return text.substr(a, b - a); };
  for (size_t i = 0; i < w.size(); ++i) {
    absl::string_view t = w[i].text;
    // Most words start no date: a date starts at a year (four digits), a quarter ("Q1",
    // "q1"), "this/next/last" (four letters) or a capitalized month name (three to nine
    // letters). Words that can be none of them are passed at once (every branch below would
    // pass them too).
    if (quick) {
      const char c0 = t[0];
      const size_t size = t.size();
      const bool may_start = IsDigit(c0)   ? size == 4
                             : IsLower(c0) ? (size == 4 && (c0 == 't' || c0 == 'n' || c0 == 'l')) ||
                                                 (size == 2 && c0 == 'q')
                             : IsUpper(c0) ? size >= 2 && size <= 9
                                           : false;
      if (!may_start) continue;
    }
    // ISO yyyy-mm(-dd).
    if (IsYear(t) && i + 1 < w.size() && between(w[i].end, w[i + 1].begin) == "-" &&
        w[i + 1].text.size() == 2 && IsDigit(w[i + 1].text[0])) {
      int y = ParseInt(t), m = ParseInt(w[i + 1].text);
      if (m >= 1 && m <= 12) {
        size_t end = w[i + 1].end;
        size_t skip = 1;
        if (i + 2 < w.size() && between(w[i + 1].end, w[i + 2].begin) == "-" &&
            w[i + 2].text.size() == 2) {
          end = w[i + 2].end;
          skip = 2;
        }
        int idx = y * 12 + m - 1;
        hits.push_back(Hit({idx, idx}, w[i].begin, end, false, m));
        i += skip;
        continue;
      }
    }
    // Q1 2026 / 2026 Q1.
    if (t.size() == 2 && (t[0] == 'Q' || t[0] == 'q') && t[1] >= '1' && t[1] <= '4' &&
        i + 1 < w.size() && IsYear(w[i + 1].text)) {
      int q = t[1] - '1', y = ParseInt(w[i + 1].text);
      hits.push_back(Hit({y * 12 + q * 3, y * 12 + q * 3 + 2}, w[i].begin, w[i + 1].end, false, 0));
      ++i;
      continue;
    }
    // "this year", "next month", "last quarter": relative to the note's date.
    // ("this", "next" and "last" have four letters.)
    const char initial = absl::ascii_tolower(t[0]);  // "this", "next", "last"
    if (ref > 0 && t.size() == 4 && (initial == 't' || initial == 'n' || initial == 'l') &&
        i + 1 < w.size() && between(w[i].end, w[i + 1].begin) == " ") {
      if (std::optional<Interval> iv = RelativePeriod(t, w[i + 1].text, ref)) {
        hits.push_back(Hit(*iv, w[i].begin, w[i + 1].end, false, 0));
        ++i;
        continue;
      }
    }
    if (int m = MonthOf(t); m > 0) {
      size_t end = w[i].end;
      size_t j = i + 1;
      if (j < w.size() && w[j].text.size() <= 2 && IsDigit(w[j].text[0])) {
        int d = ParseInt(w[j].text);
        if (d >= 1 && d <= 31) end = w[j].end, ++j;
      } else if (j < w.size() && w[j].text.size() >= 3 && IsDigit(w[j].text[0]) &&
                 !IsYear(w[j].text) &&
                 (absl::EndsWith(w[j].text, "th") || absl::EndsWith(w[j].text, "st") ||
                  absl::EndsWith(w[j].text, "nd") || absl::EndsWith(w[j].text, "rd"))) {
        end = w[j].end, ++j;
      }
      if (j < w.size() && IsYear(w[j].text) && w[j].begin - end <= 2) {
        int idx = ParseInt(w[j].text) * 12 + m - 1;
        hits.push_back(Hit({idx, idx}, w[i].begin, w[j].end, false, m));
        i = j;
        continue;
      }
      int idx = NearestMonthIndex(m, ref);
      hits.push_back(Hit({idx, idx}, w[i].begin, end, true, m));
      i = j - 1;
      continue;
    }
    if (IsYear(t)) {
      // Not part of a longer number ("1,2026") or a path-like token.
      int y = ParseInt(t);
      hits.push_back(Hit({y * 12, y * 12 + 11}, w[i].begin, w[i].end, false, 0));
    }
  }
  // Merge ranges; a bare month on the left of a range takes the right side's year.
  if (!hits.empty()) out.reserve(hits.size());
  for (size_t k = 0; k < hits.size(); ++k) {
    DateHit h = hits[k];
    if (k + 1 < hits.size()) {
      std::string sep(absl::StripAsciiWhitespace(between(h.end, hits[k + 1].begin)));
      if (sep == "to" || sep == "through" || sep == "until" || sep == "-" || sep == "\u2013" ||
          sep == "\u2014" || sep == "and") {
        const DateHit& r = hits[k + 1];
        if (h.bare_month && !r.bare_month) {
          int idx = (r.iv.lo / 12) * 12 + h.month - 1;
          h.iv = {idx, idx};
        }
        if (sep != "and" || h.bare_month) {
          DateHit m{
              {std::min(h.iv.lo, r.iv.lo), std::max(h.iv.hi, r.iv.hi)}, h.begin, r.end, false, 0};
          if (sep == "and") {  // "April and May 2026": two months, same year
            out.push_back(h);
            out.push_back(r);
          } else {
            out.push_back(m);
          }
          ++k;
          continue;
        }
      }
    }
    if (h.bare_month && ref <= 0) continue;
    out.push_back(h);
  }
}

}  // namespace

std::vector<DateHit> ExtractDatesIn(absl::string_view text, const std::vector<Word>& w, int ref) {
  std::vector<DateHit> out;
  ExtractDatesWith<true>(text, w, ref, &out);
  return out;
}

std::vector<DateHit> ExtractDatesEveryWord(absl::string_view text, int ref) {
  std::vector<DateHit> out;
  ExtractDatesWith<false>(text, Words(text), ref, &out);
  return out;
}

bool Overlap(const Interval& a, const Interval& b) { return a.lo <= b.hi && b.lo <= a.hi; }

// "2025-12-16" (quotes allowed) -> month index; 0 if not a date. *day gets yyyymmdd.
int ParseIsoDate(absl::string_view v, int* day) {
  v = absl::StripAsciiWhitespace(v);
  if (!v.empty() && (v.front() == '\'' || v.front() == '"')) v.remove_prefix(1);
  if (!v.empty() && (v.back() == '\'' || v.back() == '"')) v.remove_suffix(1);
  if (v.size() < 10 || v[4] != '-' || v[7] != '-') return 0;
  int y = ParseInt(v.substr(0, 4)), m = ParseInt(v.substr(5, 2)), d = ParseInt(v.substr(8, 2));
  if (y < 1900 || m < 1 || m > 12 || d < 1 || d > 31) return 0;
  if (day) *day = y * 10000 + m * 100 + d;
  return y * 12 + m - 1;
}

std::string Unquote(absl::string_view v) {
  v = absl::StripAsciiWhitespace(v);
  if (v.size() >= 2 && (v.front() == '\'' || v.front() == '"') && v.back() == v.front()) {
    v = v.substr(1, v.size() - 2);
  }
  return std::string(v);
}

int DayToMonthIndex(int day) { return day ? (day / 10000) * 12 + (day / 100 % 100) - 1 : 0; }

std::string DayString(int day) {
  char buf[16];
  snprintf(buf, sizeof(buf), "%04d-%02d-%02d", day / 10000, day / 100 % 100, day % 100);
  return buf;
}

// A milestone happens once for its subject (a go-live, a decision, an order, a deal), so two
// dates for it disagree; meetings and calls recur, so theirs are compared only within a
// cluster (the same meeting).
bool IsMilestoneRole(absl::string_view role) { return !role.empty() && role != "meet"; }

uint64_t TokenHash(absl::string_view token) { return dedup::Hash64(token); }

int TokenIds::IdOf(uint64_t token) {
  if (token == 0) {
    if (zero_id_ < 0) zero_id_ = size_++;
    return zero_id_;
  }
  if (2 * (used_ + 1) > slots_.size()) Grow();
  const size_t mask = slots_.size() - 1;
  for (size_t i = token & mask;; i = (i + 1) & mask) {
    Slot& slot = slots_[i];
    if (slot.key == token) return slot.id;
    if (slot.key == 0) {
      slot = {token, size_++};
      ++used_;
      return slot.id;
    }
  }
}

void TokenIds::Grow() {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(std::max<size_t>(1024, old.size() * 2), Slot{});
  const size_t mask = slots_.size() - 1;
  for (const Slot& slot : old) {
    if (slot.key == 0) continue;
    size_t i = slot.key & mask;
    while (slots_[i].key != 0) i = (i + 1) & mask;
    slots_[i] = slot;
  }
}

void PendingTokens::Add(uint64_t t) {
  // The table grows as keys are added (kept at most half full here), so that a repeat is
  // found by a probe.
  if (2 * (keys_.size() + 1) > slots_.size()) {
    const size_t capacity = std::max<size_t>(64, 2 * slots_.size());
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
    for (size_t x = 0; x < keys_.size(); ++x) {
      size_t s = Mix(keys_[x]) & mask_;
      while (slots_[s].index >= 0) s = (s + 1) & mask_;
      slots_[s] = {keys_[x], static_cast<int>(x)};
    }
  }
  size_t s = Mix(t) & mask_;
  for (; slots_[s].index >= 0; s = (s + 1) & mask_) {
    if (slots_[s].key == t) return;
  }
  slots_[s] = {t, static_cast<int>(keys_.size())};
  keys_.push_back(t);
}

void PendingTokens::Seal() {
  size_t capacity = 64;
  while (capacity < 4 * keys_.size()) capacity *= 2;
  mask_ = capacity - 1;
  slots_.assign(capacity, Slot{});
  for (size_t x = 0; x < keys_.size(); ++x) {
    size_t s = Mix(keys_[x]) & mask_;
    while (slots_[s].index >= 0) s = (s + 1) & mask_;
    slots_[s] = {keys_[x], static_cast<int>(x)};
  }
  int bits = 12;  // 4096 flags at least, 2^24 at most (16 MB: for 256k tokens)
  while ((size_t{1} << bits) < 64 * keys_.size() && bits < 24) ++bits;
  filter_shift_ = 64 - bits;
  filter_.assign(size_t{1} << bits, 0);
  for (uint64_t t : keys_) filter_[t >> filter_shift_] = 1;
}

bool MonthOrDayLookup(absl::string_view t) {
  static const auto* words = [] {
    auto* w = new SmallWordMap();
    for (std::string_view x : kMonthOrDayWords) w->Add(absl::string_view(x.data(), x.size()), 1);
    return w;
  }();
  return words->Find(t) != 0;
}

absl::string_view InternUnit(absl::string_view unit) {
  // The units dedup::Normalizer writes (numbers.cc), found without a lock.
  static constexpr absl::string_view kKnown[] = {"",    "%",   "$",   "\u20ac", "\u00a3", "byte",
                                                 "x",   "10x", "bps", "hz",     "w",      "kib",
                                                 "mib", "gib", "tib", "pib",    "eib"};
  for (absl::string_view k : kKnown) {
    if (k == unit) return k;
  }
  static std::mutex* mu = new std::mutex();
  static auto* others = new absl::node_hash_set<std::string>();
  std::lock_guard<std::mutex> lock(*mu);
  return *others->insert(std::string(unit)).first;
}

absl::StatusOr<Slots> ExtractSlots(const dedup::Normalizer& n, absl::string_view display,
                                   int note_day, const dedup::NormalizedText* normalized,
                                   bool plain_clauses) {
  Slots s;
  absl::StatusOr<dedup::NormalizedText> normalized_here;
  if (normalized == nullptr) {
    normalized_here = n.Normalize(display);
    if (!normalized_here.ok()) return normalized_here.status();
    normalized = &*normalized_here;
  }
  const dedup::NormalizedText* norm = normalized;
  // The slots are gathered in vectors (the dates and amounts in vectors of the thread kept
  // between calls), then fixed (PairSlots' FixedArrays) at the end.
  const std::string& clean = norm->clean;
  thread_local std::vector<DateHit> dates;
  thread_local std::vector<Amount> amounts;
  amounts.clear();
  std::vector<Clause> clauses;
  std::vector<Update> updates;
  s.clean_hash = TokenHash(clean);
  absl::string_view text = clean;
  // A leading record date ("2025-12-27: ...", "On 2025-10-28, ...") dates the statement and
  // is not a claim slot.
  size_t body = 0;
  {
    absl::string_view t = text;
    size_t skip = 0;
    if (absl::StartsWith(t, "On ")) skip = 3;
    int day = 0;
    // (ParseIsoDate takes ten bytes only when they are the date itself: '-' at 4 and 7.)
    if (t.size() > skip + 10 && t[skip + 4] == '-' && t[skip + 7] == '-' &&
        ParseIsoDate(t.substr(skip, 10), &day) > 0 &&
        (t[skip + 10] == ':' || t[skip + 10] == ',')) {
      s.fact_day = day;
      // "2025-12-27: ..." records when; "On 2025-10-28, ..." is part of the claim.
      if (skip == 0) body = 11;
    }
  }
  if (!s.fact_day) s.fact_day = note_day;
  // `text` lowercased (eight bytes at a time), and its BytePairs.
  // (In a string of the thread kept between calls: no allocation per fact.)
  thread_local std::string lower_scratch;
  lower_scratch.resize(text.size());
  std::string& lower = lower_scratch;
  {
    size_t i = 0;
    for (; i + 8 <= text.size(); i += 8) {
      uint64_t v;
      std::memcpy(&v, text.data() + i, 8);
      v |= AsciiCapitals(v) >> 2;  // 0x80 at a capital: 0x20, its lowercase bit
      std::memcpy(&lower[i], &v, 8);
    }
    for (; i < text.size(); ++i) lower[i] = absl::ascii_tolower(text[i]);
  }
  BytePairs pairs;
  for (size_t i = 1; i < lower.size(); ++i) pairs.Add(lower[i - 1], lower[i]);
  std::vector<std::pair<size_t, size_t>> superseded = SupersededRegions(text, lower, pairs);
  for (const auto& [b, e] : superseded)
    updates.push_back({std::string(absl::StripAsciiWhitespace(text.substr(b, e - b)))});
  // The words of `text`, in a vector of the thread kept between calls (no allocation per
  // fact; read only in this call).
  thread_local std::vector<Word> words_scratch;
  WordsInto(text, &words_scratch);
  const std::vector<Word>& words = words_scratch;
  // (In vectors of the thread kept between calls, as the words: the fact keeps a copy.)
  thread_local std::vector<DateHit> found;
  ExtractDatesWith<true>(text, words, DayToMonthIndex(note_day), &found);
  if (body == 0 && superseded.empty()) {
    std::swap(dates, found);  // most facts: every date is kept
  } else {
    dates.clear();
    for (DateHit& h : found) {
      if (h.begin < body) continue;
      bool gone = false;
      for (size_t u = 0; u < superseded.size(); ++u) {
        if (h.begin >= superseded[u].first && h.begin < superseded[u].second) {
          updates[u].dates.push_back(h.iv);
          gone = true;
        }
      }
      if (!gone) dates.push_back(std::move(h));
    }
  }
  // Most texts have no byte that bounds a clause (strcspn on `clean`, which ends in a NUL; a
  // NUL inside it counts as one).
  const bool bounded = std::strcspn(clean.c_str(), ";():") < clean.size();
  AssignRoles(text, words, bounded, &dates);
  // The tokens of the one normalization give the body's content tokens (ContentTokensOf)
  // unless a date opens the text, or the text ends in a cut word (the normalizer drops it
  // from the tokens but keeps it in `clean`, where normalizing again finds it). Both lists
  // are read in one pass, each token hashed once.
  const bool own_content =
      body == 0 && (!norm->truncated || TruncationCutNoWord(display, norm->clean));
  // Gathered in scratch vectors of the thread, then copied at their size (one allocation each;
  // the fact's claim keeps them).
  thread_local std::vector<uint64_t> names_scratch, tokens_scratch;
  names_scratch.clear();
  tokens_scratch.clear();
  for (const Token& tok : norm->tokens) {
    if (tok.kind != TokenKind::kName && (!own_content || tok.kind != TokenKind::kWord)) continue;
    // Month and weekday names are capitalized but name no subject.
    if (IsMonthOrDayWord(tok.text)) continue;
    const uint64_t h = TokenHash(tok.text);
    if (tok.kind == TokenKind::kName) names_scratch.push_back(h);
    if (own_content && tok.text.size() >= 2) tokens_scratch.push_back(h);
  }
  SortUnique(&names_scratch);
  s.names.assign(names_scratch.begin(), names_scratch.end());
  std::vector<uint64_t> own_tokens;
  if (own_content) {
    SortUnique(&tokens_scratch);
    own_tokens.assign(tokens_scratch.begin(), tokens_scratch.end());
  }
  // Amounts from canonical tokens.
  for (const Token& tok : norm->tokens) {
    Amount a;
    std::string_view v = tok.text;
    if (tok.kind == TokenKind::kMoney) {
      size_t d = 0;
      while (d < v.size() && !IsDigit(v[d])) ++d;
      a.unit = InternUnit(absl::string_view(v.data(), d));
      v = v.substr(d);
    } else if (tok.kind == TokenKind::kPercent) {
      a.unit = "%";
      v = v.substr(0, v.size() - 1);
    } else if (tok.kind == TokenKind::kNumber) {
      size_t colon = v.find(':');
      if (colon != std::string_view::npos) {
        a.unit = InternUnit(absl::string_view(v.data() + colon + 1, v.size() - colon - 1));
        v = v.substr(0, colon);
      }
    } else {
      continue;
    }
    if (!ParseNumber(absl::string_view(v.data(), v.size()), &a.value)) continue;
    // Years are dates, not amounts.
    if (a.unit.empty() && a.value >= 1990 && a.value <= 2100 && a.value == std::floor(a.value)) {
      continue;
    }
    amounts.push_back(a);
  }
  // The qualifier of the fact's amounts (none without amounts: nothing reads it then).
  if (!amounts.empty()) {
    // (Arrays of constants: a braced list of literals would measure each one per call.)
    static constexpr absl::string_view kAtLeast[] = {
        "more than", "at least", "over $", "above", "exceeding", "+$", "b+", "m+", "k+", "t+"};
    static constexpr absl::string_view kAtMost[] = {"up to", "at most", "less than", "under $",
                                                    "no more than"};
    static constexpr absl::string_view kAbout[] = {"about", "around", "approximately", "roughly",
                                                   "~"};
    for (absl::string_view q : kAtLeast) {
      if (pairs.MayContain(q) && lower.find(q.data(), 0, q.size()) != std::string::npos) {
        s.qualifier = Qualifier::kAtLeast;
      }
    }
    for (absl::string_view q : kAtMost) {
      if (pairs.MayContain(q) && lower.find(q.data(), 0, q.size()) != std::string::npos) {
        s.qualifier = Qualifier::kAtMost;
      }
    }
    for (absl::string_view q : kAbout) {
      if (pairs.MayContain(q) && HasWord(lower, q) && s.qualifier == Qualifier::kNone) {
        s.qualifier = Qualifier::kAbout;
      }
    }
  }
  // The body's content tokens, computed at most once.
  std::optional<absl::StatusOr<std::vector<uint64_t>>> body_content;
  auto BodyContent = [&]() -> absl::StatusOr<std::vector<uint64_t>>& {
    if (!body_content) {
      body_content = own_content ? std::move(own_tokens) : ContentTokens(n, text.substr(body));
    }
    return *body_content;
  };
  // Clauses and their polarity, then (for a fact with a stated state, or with
  // `plain_clauses`) their tokens.
  // Clauses: split at ';', ': ' and parentheses ("loosens constraints (via removal of X)"
  // states the removal of X, not of the constraints).
  // A clause's words are the words of `text` inside it (its bounds are never word bytes),
  // lowercase: views of `lower`. Clause texts are built only for the clauses kept.
  struct ClauseDraft {
    absl::string_view text;  // of `text`
    Polarity polarity = Polarity::kNone;
    uint64_t predicate = 0, object = 0;
  };
  absl::InlinedVector<ClauseDraft, 4> drafts;
  std::vector<absl::string_view> lw;  // the clause's words, lowercase (reserved when split)
  auto add_clause = [&](absl::string_view c) {
    const absl::string_view t = absl::StripAsciiWhitespace(c);
    const size_t from = static_cast<size_t>(t.data() - text.data()), to = from + t.size();
    lw.clear();
    for (auto w = std::lower_bound(words.begin(), words.end(), from,
                                   [](const Word&x, size_t b) { return x.begin < b; });
         w != words.end() && w->end <= to; ++w) {
      lw.push_back(absl::string_view(lower).substr(w->begin, w->end - w->begin));
    }
    if (lw.empty()) return;
    ClauseDraft cl;
    cl.text = t;
    bool in_superseded = false;
    for (const Update& u : updates) in_superseded |= absl::StrContains(u.value, t);
    for (size_t i = 0; i < lw.size() && !in_superseded; ++i) {
      if (!MayBeStateWord(lw[i])) continue;  // no state, no negation
      const uint8_t kind = StateWordKind(lw[i]);
      if (kind & kOnWord) cl.polarity = Polarity::kOn;
      if (kind & kOffWord) cl.polarity = Polarity::kOff;
      if (IsNegation(lw, i) && cl.polarity == Polarity::kNone) {
        size_t j = i + 1;
        while (j < lw.size() && (StateWordKind(lw[j]) & kSkipWord)) ++j;
        if (j < lw.size()) {
          cl.polarity = Polarity::kNot;
          cl.predicate = TokenHash(VerbBase(lw[j]));
          for (size_t k = j + 1; k < lw.size(); ++k) {
            if (!(StateWordKind(lw[k]) & kSkipWord) && lw[k].size() > 2) {
              cl.object = TokenHash(lw[k]);
              break;
            }
          }
        }
      }
    }
    drafts.push_back(cl);
  };
  bool polar = false;
  // Without `plain_clauses`, a text none of whose words can give a clause a state keeps no
  // clauses, and is not split into them: a clause's polarity comes from an on- or off-word or
  // a negation (IsNegation holds only for these words) among its words, which are words of
  // `text`. Most facts have none.
  bool may_be_polar = plain_clauses;
  for (size_t k = 0; k < words.size() && !may_be_polar; ++k) {
    const absl::string_view w =
        absl::string_view(lower).substr(words[k].begin, words[k].end - words[k].begin);
    if (!MayBeStateWord(w)) continue;
    may_be_polar = (StateWordKind(w) & (kOnWord | kOffWord)) || MayBeNegation(w);
  }
  if (may_be_polar) {
    lw.reserve(words.size());  // (at most all of them: one allocation)
    // Split at ';', '(' and ')', then each part at ": " (empty pieces are kept: they have no
    // words).
    const absl::string_view rest = text.substr(body);
    // The next ';', '(' or ')' at or after `from`, or rest.size(): strcspn, since `rest` ends
    // where `clean` does, at its terminating NUL (a NUL inside it is stepped over).
    auto next_break = [&](size_t from) {
      // A text without a byte that bounds a clause (nor a NUL: `bounded`) has no break.
      if (!bounded) return rest.size();
      while (from < rest.size()) {
        from += std::strcspn(rest.data() + from, ";()");
        if (from >= rest.size() || rest[from] != '\0') break;
        ++from;
      }
      return std::min(from, rest.size());
    };
    size_t start = 0;
    for (size_t i = next_break(0);; i = next_break(i + 1)) {
      const absl::string_view part = rest.substr(start, i - start);
      for (size_t from = 0;;) {
        const size_t colon = part.find(": ", from);
        if (colon == absl::string_view::npos) {
          add_clause(part.substr(from));
          break;
        }
        add_clause(part.substr(from, colon - from));
        from = colon + 2;
      }
      if (i == rest.size()) break;
      start = i + 1;
    }
    for (const ClauseDraft& d : drafts) polar |= d.polarity != Polarity::kNone;
    if (plain_clauses || polar) {
      clauses.reserve(drafts.size());
      for (const ClauseDraft& d : drafts) {
        Clause cl;
        cl.text = std::string(d.text);
        cl.polarity = d.polarity;
        cl.predicate = d.predicate;
        cl.object = d.object;
        clauses.push_back(std::move(cl));
      }
    }
  }
  if (!plain_clauses && !polar) {
    clauses.clear();
  } else {
    for (Clause& cl : clauses) {
      // A fact of one clause (most of them) has the body's own tokens: normalize it once.
      std::optional<absl::StatusOr<std::vector<uint64_t>>> own;
      if (cl.text != text.substr(body)) own = ContentTokens(n, cl.text);
      const absl::StatusOr<std::vector<uint64_t>>& toks = own ? *own : BodyContent();
      if (!toks.ok()) return toks.status();
      // The state words as tokens: an on-word or its base form, or a stem of four letters or
      // more of an off-word (the normalizer's stems: "remov", "cancel"). Built once.
      static const absl::flat_hash_set<uint64_t>* markers = [] {
        auto* m = new absl::flat_hash_set<uint64_t>();
        for (absl::string_view w : kOnWords) {
          m->insert(TokenHash(VerbBase(w)));
          m->insert(TokenHash(w));
        }
        for (absl::string_view w : kOffWords) {
          for (size_t len = 4; len <= w.size(); ++len) m->insert(TokenHash(w.substr(0, len)));
        }
        return m;
      }();
      for (uint64_t t : *toks) {
        if (!markers->contains(t)) cl.tokens.push_back(t);  // `toks` is sorted and distinct
      }
    }
  }
  absl::StatusOr<std::vector<uint64_t>>& content = BodyContent();
  if (!content.ok()) return content.status();
  s.content = *std::move(content);  // nothing reads the body's tokens after this
  // The dates' bytes, one after the other (their offsets moved to match).
  thread_local std::string kept;
  kept.clear();
  for (DateHit& h : dates) {
    const uint32_t begin = static_cast<uint32_t>(kept.size());
    kept.append(clean.data() + h.begin, h.end - h.begin);
    h.begin = begin;
    h.end = static_cast<uint32_t>(kept.size());
  }
  s.dates_written = FixedArray<char>(kept.data(), kept.size());
  s.dates = FixedArray<DateHit>(dates.data(), dates.size());
  s.amounts = FixedArray<Amount>(amounts.data(), amounts.size());
  s.clauses = std::move(clauses);
  s.updates = std::move(updates);
  return s;
}

// Whether the dates (of `role`, or all when role is null) disagree: both sides have some and
// no interval of one overlaps an interval of the other; `by_year` widens every interval to
// whole years first. *va/*vb get the dates as written.
bool DatesDisagree(const PairSlots& a, const PairSlots& b, const absl::string_view* role,
                   bool by_year, std::string* va, std::string* vb) {
  if (a.dates.empty() || b.dates.empty()) return false;  // most pairs: nothing to gather
  absl::InlinedVector<const DateHit*, 8> xa, xb;         // no allocation per pair
  for (const DateHit& h : a.dates) {
    if (!role || h.role == *role) xa.push_back(&h);
  }
  for (const DateHit& h : b.dates) {
    if (!role || h.role == *role) xb.push_back(&h);
  }
  if (xa.empty() || xb.empty()) return false;
  auto widen = [by_year](Interval iv) {
    return by_year ? Interval{iv.lo / 12 * 12, iv.hi / 12 * 12 + 11} : iv;
  };
  // A month written without a year took its year from the note's date: it agrees with the
  // same month written with another year ("ahead of November" / "November 28, 2027").
  auto same_month = [](const DateHit* bare, const DateHit* full) {
    return bare->bare_month && full->iv.lo == full->iv.hi && full->iv.lo % 12 == bare->iv.lo % 12;
  };
  for (const DateHit* x : xa) {
    for (const DateHit* y : xb) {
      if (Overlap(widen(x->iv), widen(y->iv)) || same_month(x, y) || same_month(y, x)) {
        return false;
      }
    }
  }
  auto text = [](const PairSlots& s, absl::Span<const DateHit* const> hs) {
    std::vector<std::string> parts;
    for (const DateHit* h : hs) {
      parts.push_back(std::string(s.dates_text().substr(h->begin, h->end - h->begin)));
    }
    return absl::StrJoin(parts, ", ");
  };
  *va = text(a, xa);
  *vb = text(b, xb);
  return true;
}

namespace {

// The amounts AmountsDisagree compares: all, or those with a unit.
bool Counted(const Amount& x, bool plain_numbers) { return plain_numbers || !x.unit.empty(); }

using Values = absl::InlinedVector<double, 8>;  // a fact's values of one unit, in order

std::string FormatValues(absl::string_view unit, const Values& v, Qualifier q) {
  std::vector<std::string> p;
  for (double d : v) p.push_back(FormatAmount({unit, d}));
  const char* prefix = q == Qualifier::kAtLeast  ? "at least "
                       : q == Qualifier::kAtMost ? "at most "
                       : q == Qualifier::kAbout  ? "about "
                                                 : "";
  return absl::StrCat(prefix, absl::StrJoin(p, ", "));
}

}  // namespace

// Amounts of one unit disagree: no pair compatible and neither side's range holds the other.
// Units are tried in their (byte) order, each unit's values in their order in the fact.
bool AmountsDisagree(const PairSlots& a, const PairSlots& b, bool plain_numbers, std::string* va,
                     std::string* vb) {
  if (a.amounts.empty() || b.amounts.empty()) return false;  // most pairs
  // The units of `a`, smallest first, each once: the next is the smallest unit greater than
  // the last (a fact has few amounts; no map per pair).
  const absl::string_view* last = nullptr;
  Values xs, ys;
  while (true) {
    const absl::string_view* unit = nullptr;
    for (const Amount& x : a.amounts) {
      if (!Counted(x, plain_numbers) || (last != nullptr && x.unit <= *last)) continue;
      if (unit == nullptr || x.unit < *unit) unit = &x.unit;
    }
    if (unit == nullptr) return false;
    last = unit;
    ys.clear();
    for (const Amount& y : b.amounts) {
      if (Counted(y, plain_numbers) && y.unit == *unit) ys.push_back(y.value);
    }
    if (ys.empty()) continue;
    xs.clear();
    for (const Amount& x : a.amounts) {
      if (Counted(x, plain_numbers) && x.unit == *unit) xs.push_back(x.value);
    }
    bool ok = false;
    for (double x : xs) {
      for (double y : ys) ok |= Compatible(x, a.qualifier, y, b.qualifier);
    }
    auto in_range = [](const Values& r, const Values& v) {
      if (r.size() < 2) return false;
      auto [lo, hi] = std::minmax_element(r.begin(), r.end());
      for (double x : v) {
        if (x >= *lo && x <= *hi) return true;
      }
      return false;
    };
    ok |= in_range(xs, ys) || in_range(ys, xs);
    if (ok) continue;
    if (va != nullptr) *va = FormatValues(*unit, xs, a.qualifier);
    if (vb != nullptr) *vb = FormatValues(*unit, ys, b.qualifier);
    return true;
  }
}

// A clause pair with opposite state, or "X not P O" vs "X P O".
bool ClausesOppose(const Clause& a, const Clause& b, double min_overlap) {
  auto overlap_ok = [&]() {
    size_t shared = SharedCount(a.tokens, b.tokens);
    size_t smaller = std::min(a.tokens.size(), b.tokens.size());
    return shared >= 2 && smaller > 0 && static_cast<double>(shared) / smaller >= min_overlap;
  };
  if ((a.polarity == Polarity::kOn && b.polarity == Polarity::kOff) ||
      (a.polarity == Polarity::kOff && b.polarity == Polarity::kOn)) {
    return overlap_ok();
  }
  auto negates = [&](const Clause& neg, const Clause& pos) {
    // The other clause states P O plainly: "removal of O" agrees with "no O".
    if (neg.polarity != Polarity::kNot || pos.polarity != Polarity::kNone) return false;
    if (neg.predicate == 0 || neg.object == 0) return false;
    bool has_pred = false, has_obj = false;
    for (const std::string& w : LowerWords(pos.text)) {
      has_pred |= TokenHash(VerbBase(w)) == neg.predicate;
      has_obj |= TokenHash(w) == neg.object;
    }
    return has_pred && has_obj && overlap_ok();
  };
  return negates(a, b) || negates(b, a);
}

bool Supersedes(const PairSlots& newer, const PairSlots& older) {
  for (const Update& u : newer.updates) {
    for (const Interval& iv : u.dates) {
      for (const DateHit& h : older.dates) {
        if (Overlap(iv, h.iv)) return true;
      }
    }
  }
  return false;
}

std::string FormatAmount(const Amount& a) {
  struct Scale {
    double factor;
    const char* suffix;
  };
  static constexpr Scale kMoney[] = {{1e12, "T"}, {1e9, "B"}, {1e6, "M"}, {1e3, "K"}};
  static constexpr Scale kBytes[] = {{1e18, "EB"}, {1e15, "PB"}, {1e12, "TB"},
                                     {1e9, "GB"},  {1e6, "MB"},  {1e3, "KB"}};
  auto scaled = [&](absl::Span<const Scale> scales, const char* base) {
    for (const Scale& s : scales) {
      if (std::fabs(a.value) >= s.factor) {
        return absl::StrCat(absl::StrFormat("%.15g", a.value / s.factor), s.suffix);
      }
    }
    return absl::StrCat(absl::StrFormat("%.15g", a.value), base);
  };
  if (a.unit == "byte") return scaled(kBytes, "B");
  if (a.unit.empty() || a.unit == "%" || IsLower(a.unit[0])) {
    return absl::StrCat(absl::StrFormat("%.15g", a.value), a.unit);
  }
  return absl::StrCat(a.unit, scaled(kMoney, ""));  // a currency symbol or code
}

}  // namespace factdedup::provenance::internal
