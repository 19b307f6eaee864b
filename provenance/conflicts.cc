// How conflicts are found (the contract is in conflicts.h; the rules in docs/conflicts.md).
//
// Facts (the scan's compared facts) get claim slots: date intervals in months (own parser, so
// that ranges "May to June 2026" and bare months resolved against the note's date work),
// amounts from dedup::Normalizer's canonical tokens (money, percentages, quantities with
// units, plain numbers) with a qualifier, clauses with a polarity marker, and content tokens.
// Candidate pairs come from an inverted index over content tokens; value and polarity
// conflicts found on pairs are joined into connected groups. Names and acronyms are read from
// every line of every note (frontmatter values, paragraphs and wikilinks included).
#include "provenance/conflicts.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <numeric>
#include <set>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "dedup/normalize.h"
#include "provenance/sources.h"

namespace factdedup::provenance {
namespace {

using dedup::Token;
using dedup::TokenKind;

bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
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

struct Word {
  size_t begin = 0, end = 0;
  absl::string_view text;
};

// Runs of letters/digits.
std::vector<Word> Words(absl::string_view s) {
  std::vector<Word> out;
  size_t i = 0;
  while (i < s.size()) {
    if (!IsWordByte(s, i) && !IsDigit(s[i])) {
      ++i;
      continue;
    }
    size_t b = i;
    while (i < s.size() && (IsWordByte(s, i) || IsDigit(s[i]))) ++i;
    out.push_back({b, i, s.substr(b, i - b)});
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Dates

constexpr const char* kMonths[] = {"january",   "february", "march",    "april",
                                   "may",       "june",     "july",     "august",
                                   "september", "october",  "november", "december"};

// 1..12 for a capitalized month name or 3-letter abbreviation ("Sept" too), else 0.
int MonthOf(absl::string_view w) {
  if (w.size() < 3 || !IsUpper(w[0])) return 0;
  std::string lower = absl::AsciiStrToLower(w);
  for (int m = 0; m < 12; ++m) {
    absl::string_view full = kMonths[m];
    if (lower == full) return m + 1;
    if (lower.size() == 3 && full.substr(0, 3) == lower) return m + 1;
    if (lower == "sept" && m == 8) return 9;
  }
  return 0;
}

int ParseInt(absl::string_view s) {
  int v = 0;
  if (!absl::SimpleAtoi(s, &v)) return -1;
  return v;
}

bool IsYear(absl::string_view w) {
  if (w.size() != 4) return false;
  int y = ParseInt(w);
  return y >= 1990 && y <= 2100;
}

// A month interval [lo, hi], months counted as year * 12 + (month - 1).
struct Interval {
  int lo = 0, hi = 0;
};

struct DateHit {
  Interval iv;
  size_t begin = 0, end = 0;  // bytes in the text
  bool bare_month = false;    // year guessed from the reference date
  int month = 0;
  std::string role;  // the event the date belongs to ("deploy", "decide", ...), or ""
};

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

// Dates and periods in `text`, ranges ("May to June 2026", "2026-01 - 2026-03") merged.
// `ref` is the note's date as a month index (0 if unknown): bare months resolve to the
// nearest such month; without a reference they are dropped.
std::vector<DateHit> ExtractDates(absl::string_view text, int ref) {
  std::vector<Word> w = Words(text);
  std::vector<DateHit> hits;
  auto between = [&](size_t a, size_t b) { return text.substr(a, b - a); };
  for (size_t i = 0; i < w.size(); ++i) {
    absl::string_view t = w[i].text;
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
        hits.push_back({{idx, idx}, w[i].begin, end, false, m});
        i += skip;
        continue;
      }
    }
    // Q1 2026 / 2026 Q1.
    if (t.size() == 2 && (t[0] == 'Q' || t[0] == 'q') && t[1] >= '1' && t[1] <= '4' &&
        i + 1 < w.size() && IsYear(w[i + 1].text)) {
      int q = t[1] - '1', y = ParseInt(w[i + 1].text);
      hits.push_back({{y * 12 + q * 3, y * 12 + q * 3 + 2}, w[i].begin, w[i + 1].end, false, 0});
      ++i;
      continue;
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
        hits.push_back({{idx, idx}, w[i].begin, w[j].end, false, m});
        i = j;
        continue;
      }
      int idx = NearestMonthIndex(m, ref);
      hits.push_back({{idx, idx}, w[i].begin, end, true, m});
      i = j - 1;
      continue;
    }
    if (IsYear(t)) {
      // Not part of a longer number ("1,2026") or a path-like token.
      int y = ParseInt(t);
      hits.push_back({{y * 12, y * 12 + 11}, w[i].begin, w[i].end, false, 0});
    }
  }
  // Merge ranges; a bare month on the left of a range takes the right side's year.
  std::vector<DateHit> out;
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
  return out;
}

bool Overlap(const Interval& a, const Interval& b) { return a.lo <= b.hi && b.lo <= a.hi; }

// "2025-12-16" (quotes allowed) -> month index; 0 if not a date. *day gets yyyymmdd.
int ParseIsoDate(absl::string_view v, int* day = nullptr) {
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

// The note's own date: frontmatter date, else last_contact, else created. yyyymmdd or 0.
int NoteDay(const Note& note) {
  for (const char* key : {"date", "last_contact", "created"}) {
    if (const FrontmatterKey* k = note.frontmatter.Find(key)) {
      int day = 0;
      if (ParseIsoDate(k->value, &day) > 0) return day;
    }
  }
  return 0;
}

int DayToMonthIndex(int day) { return day ? (day / 10000) * 12 + (day / 100 % 100) - 1 : 0; }

std::string DayString(int day) {
  char buf[16];
  snprintf(buf, sizeof(buf), "%04d-%02d-%02d", day / 10000, day / 100 % 100, day % 100);
  return buf;
}

// The event a date is attached to: the role word nearest to it within its clause (up to 8
// words before, 4 after). Only dates with the same role are compared across clusters.
struct RoleWord {
  const char* prefix;
  const char* role;
};
constexpr RoleWord kRoleWords[] = {
    {"deploy", "deploy"}, {"live", "deploy"},     {"deliver", "deploy"},  {"floor", "deploy"},
    {"ready", "deploy"},  {"rollout", "deploy"},  {"launch", "deploy"},   {"ship", "deploy"},
    {"install", "deploy"}, {"decid", "decide"},   {"decision", "decide"}, {"order", "order"},
    {"purchas", "order"}, {"meet", "meet"},       {"call", "meet"},       {"keynote", "meet"},
    {"workshop", "meet"}, {"session", "meet"},    {"present", "meet"},    {"roadshow", "meet"},
    {"sync", "meet"},     {"schedul", "meet"},    {"deal", "deal"},       {"contract", "deal"},
    {"return", "return"}, {"poc", "poc"},         {"test", "poc"},
};

std::string RoleOf(absl::string_view w) {
  std::string lower = absl::AsciiStrToLower(w);
  for (const RoleWord& r : kRoleWords) {
    if (absl::StartsWith(lower, r.prefix)) return r.role;
  }
  return "";
}

void AssignRoles(absl::string_view text, std::vector<DateHit>* dates) {
  std::vector<Word> w = Words(text);
  for (DateHit& h : *dates) {
    // Clause bounds around the date.
    size_t lo = 0, hi = text.size();
    for (size_t i = h.begin; i > 0; --i) {
      char c = text[i - 1];
      if (c == ';' || c == '(' || (c == ':' && i < text.size() && text[i] == ' ')) {
        lo = i;
        break;
      }
    }
    for (size_t i = h.end; i < text.size(); ++i) {
      char c = text[i];
      if (c == ';' || c == ')' || c == '(' || (c == ':' && i + 1 < text.size() && text[i + 1] == ' ')) {
        hi = i;
        break;
      }
    }
    int before = -1, after = -1;
    for (int i = 0; i < static_cast<int>(w.size()); ++i) {
      if (w[i].end <= h.begin && w[i].begin >= lo) before = i;
      if (w[i].begin >= h.end && w[i].end <= hi && after < 0) after = i;
    }
    std::string role;
    for (int d = 0; d < 8 && role.empty(); ++d) {
      if (before >= 0 && before - d >= 0 && w[before - d].begin >= lo) {
        role = RoleOf(w[before - d].text);
      }
      if (role.empty() && d < 4 && after >= 0 && after + d < static_cast<int>(w.size()) &&
          w[after + d].end <= hi) {
        role = RoleOf(w[after + d].text);
      }
    }
    h.role = role;
  }
}

// ---------------------------------------------------------------------------------------
// Slots of one fact

struct Amount {
  std::string unit;  // "$", "%", "byte", ... ; "" for a plain number
  double value = 0;
};

enum class Qualifier { kNone, kAtLeast, kAtMost, kAbout };

enum class Polarity { kNone, kOn, kOff, kNot };

struct Clause {
  std::string text;
  Polarity polarity = Polarity::kNone;
  std::set<std::string> tokens;  // content tokens, stemmed
  std::string predicate;         // for kNot: the word negated (lowercase)
  std::string object;            // for kNot: the first content token after it
  std::vector<std::string> lower_words;
};

struct Update {
  std::string value;  // the superseded part as written
};

struct Slots {
  std::string clean;
  std::vector<DateHit> dates;  // superseded ones removed
  std::vector<Amount> amounts;
  Qualifier qualifier = Qualifier::kNone;
  std::vector<Clause> clauses;
  std::vector<std::string> content;  // distinct content tokens
  std::vector<std::string> names;    // distinct name tokens (capitalized, acronyms), folded
  std::vector<Update> updates;
  int fact_day = 0;  // the statement's own date (leading "On 2025-10-28," / "2025-12-27:")
};

bool HasWordCI(absl::string_view text, absl::string_view phrase, size_t* at = nullptr) {
  std::string lower = absl::AsciiStrToLower(text);
  size_t pos = 0;
  while ((pos = lower.find(std::string(phrase), pos)) != std::string::npos) {
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

// Superseded regions: "previously X" (to the end of its clause), "X is no longer ..."
// (the clause), "moved ... from X to Y" (X).
std::vector<std::pair<size_t, size_t>> SupersededRegions(absl::string_view s) {
  std::vector<std::pair<size_t, size_t>> out;
  std::string lower = absl::AsciiStrToLower(s);
  for (absl::string_view marker : {"previously", "formerly", "originally"}) {
    size_t pos = 0;
    while ((pos = lower.find(std::string(marker), pos)) != std::string::npos) {
      // "previously worked together" is history, not a superseded value: require a value.
      size_t e = ClauseEnd(s, pos);
      out.push_back({pos, e});
      pos = e;
    }
  }
  size_t pos = 0;
  while ((pos = lower.find("no longer", pos)) != std::string::npos) {
    out.push_back({ClauseStart(s, pos), ClauseEnd(s, pos)});
    pos += 9;
  }
  for (absl::string_view verb : {"moved", "moving", "rescheduled", "postponed", "shifted"}) {
    size_t at = 0;
    if (!HasWordCI(s, verb, &at)) continue;
    size_t from = lower.find(" from ", at);
    if (from == std::string::npos) continue;
    size_t to = lower.find(" to ", from + 6);
    if (to == std::string::npos) continue;
    out.push_back({from + 1, to});
  }
  return out;
}

constexpr const char* kOnWords[] = {"continues", "continue", "continued", "remains",
                                    "remain",    "retained", "persists",  "still"};
constexpr const char* kOffWords[] = {"removed",      "ended",     "lifted",   "terminated",
                                     "revoked",      "cancelled", "canceled", "eliminated",
                                     "discontinued", "dropped",   "scrapped"};
constexpr const char* kSkipAfterNot[] = {"yet", "currently", "always", "be",   "been", "being", "a",
                                         "an",  "the",       "to",     "ever", "even", "fully"};

bool InList(absl::string_view w, absl::Span<const char* const> list) {
  for (const char* x : list) {
    if (w == x) return true;
  }
  return false;
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

bool IsMonthOrDayWord(absl::string_view t) {
  static const char* kExtra[] = {
      "jan",    "feb",      "mar",    "apr",     "jun",      "jul",     "aug",       "sep",
      "sept",   "oct",      "nov",    "dec",     "monday",   "tuesday", "wednesday", "thursday",
      "friday", "saturday", "sunday", "januari", "februari", "juli",    "octob",     "novemb",
      "decemb", "septemb",  "march",  "april",   "may",      "june",    "august"};
  for (const char* m : kMonths) {
    if (t == m) return true;
  }
  return InList(t, kExtra);
}

absl::StatusOr<std::vector<std::string>> ContentTokens(const dedup::Normalizer& n,
                                                       absl::string_view text) {
  absl::StatusOr<dedup::NormalizedText> t = n.Normalize(text);
  if (!t.ok()) return t.status();
  std::vector<std::string> out;
  for (const Token& tok : t->tokens) {
    if (tok.kind != TokenKind::kWord && tok.kind != TokenKind::kName) continue;
    if (tok.text.size() < 2 || IsMonthOrDayWord(tok.text)) continue;
    out.push_back(tok.text);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

absl::StatusOr<Slots> ExtractSlots(const dedup::Normalizer& n, const Fact& fact, int note_day) {
  Slots s;
  absl::StatusOr<dedup::NormalizedText> norm = n.Normalize(fact.display);
  if (!norm.ok()) return norm.status();
  s.clean = norm->clean;
  absl::string_view text = s.clean;
  // A leading record date ("2025-12-27: ...", "On 2025-10-28, ...") dates the statement and
  // is not a claim slot.
  size_t body = 0;
  {
    absl::string_view t = text;
    size_t skip = 0;
    if (absl::StartsWith(t, "On ")) skip = 3;
    int day = 0;
    if (ParseIsoDate(t.substr(skip, 10), &day) > 0 && t.size() > skip + 10 &&
        (t[skip + 10] == ':' || t[skip + 10] == ',')) {
      s.fact_day = day;
      // "2025-12-27: ..." records when; "On 2025-10-28, ..." is part of the claim.
      if (skip == 0) body = 11;
    }
  }
  if (!s.fact_day) s.fact_day = note_day;
  std::vector<std::pair<size_t, size_t>> superseded = SupersededRegions(text);
  for (const auto& [b, e] : superseded) s.updates.push_back({std::string(text.substr(b, e - b))});
  for (DateHit& h : ExtractDates(text, DayToMonthIndex(note_day))) {
    if (h.begin < body) continue;
    bool gone = false;
    for (const auto& [b, e] : superseded) gone |= h.begin >= b && h.begin < e;
    if (!gone) s.dates.push_back(h);
  }
  AssignRoles(text, &s.dates);
  for (const Token& tok : norm->tokens) {
    if (tok.kind == TokenKind::kName) s.names.push_back(tok.text);
  }
  std::sort(s.names.begin(), s.names.end());
  s.names.erase(std::unique(s.names.begin(), s.names.end()), s.names.end());
  // Amounts from canonical tokens.
  for (const Token& tok : norm->tokens) {
    Amount a;
    std::string_view v = tok.text;
    if (tok.kind == TokenKind::kMoney) {
      size_t d = 0;
      while (d < v.size() && !IsDigit(v[d])) ++d;
      a.unit = std::string(v.substr(0, d));
      v = v.substr(d);
    } else if (tok.kind == TokenKind::kPercent) {
      a.unit = "%";
      v = v.substr(0, v.size() - 1);
    } else if (tok.kind == TokenKind::kNumber) {
      size_t colon = v.find(':');
      if (colon != std::string_view::npos) {
        a.unit = std::string(v.substr(colon + 1));
        v = v.substr(0, colon);
      }
    } else {
      continue;
    }
    if (!absl::SimpleAtod(absl::string_view(v.data(), v.size()), &a.value)) continue;
    // Years are dates, not amounts.
    if (a.unit.empty() && a.value >= 1990 && a.value <= 2100 && a.value == std::floor(a.value)) {
      continue;
    }
    s.amounts.push_back(a);
  }
  std::string lower = absl::AsciiStrToLower(text);
  for (const char* q :
       {"more than", "at least", "over $", "above", "exceeding", "+$", "b+", "m+", "k+", "t+"}) {
    if (lower.find(q) != std::string::npos) s.qualifier = Qualifier::kAtLeast;
  }
  for (const char* q : {"up to", "at most", "less than", "under $", "no more than"}) {
    if (lower.find(q) != std::string::npos) s.qualifier = Qualifier::kAtMost;
  }
  for (const char* q : {"about", "around", "approximately", "roughly", "~"}) {
    if (HasWordCI(text, q) && s.qualifier == Qualifier::kNone) s.qualifier = Qualifier::kAbout;
  }
  // Clauses and their polarity.
  for (absl::string_view part : absl::StrSplit(text.substr(body), absl::ByAnyChar(";"))) {
    for (absl::string_view c : absl::StrSplit(part, ": ")) {
      Clause cl;
      cl.text = std::string(absl::StripAsciiWhitespace(c));
      if (cl.text.empty()) continue;
      for (const Word& w : Words(cl.text)) cl.lower_words.push_back(absl::AsciiStrToLower(w.text));
      const std::vector<std::string>& lw = cl.lower_words;
      bool in_superseded = false;
      for (const Update& u : s.updates) in_superseded |= absl::StrContains(u.value, cl.text);
      for (size_t i = 0; i < lw.size() && !in_superseded; ++i) {
        if (InList(lw[i], kOnWords)) cl.polarity = Polarity::kOn;
        if (InList(lw[i], kOffWords)) cl.polarity = Polarity::kOff;
        bool neg = lw[i] == "not" || lw[i] == "never" || lw[i] == "cannot" || lw[i] == "won" ||
                   (lw[i] == "t" && i > 0 && (lw[i - 1] == "don" || lw[i - 1] == "doesn"));
        if (neg && cl.polarity == Polarity::kNone) {
          size_t j = i + 1;
          while (j < lw.size() && InList(lw[j], kSkipAfterNot)) ++j;
          if (j < lw.size()) {
            cl.polarity = Polarity::kNot;
            cl.predicate = VerbBase(lw[j]);
            for (size_t k = j + 1; k < lw.size(); ++k) {
              if (!InList(lw[k], kSkipAfterNot) && lw[k].size() > 2) {
                cl.object = lw[k];
                break;
              }
            }
          }
        }
      }
      absl::StatusOr<std::vector<std::string>> toks = ContentTokens(n, cl.text);
      if (!toks.ok()) return toks.status();
      for (const std::string& t : *toks) {
        bool marker = false;
        for (const char* w : kOnWords) marker |= VerbBase(w) == t || t == w;
        for (const char* w : kOffWords) marker |= absl::StartsWith(w, t) && t.size() >= 4;
        if (!marker) cl.tokens.insert(t);
      }
      s.clauses.push_back(std::move(cl));
    }
  }
  absl::StatusOr<std::vector<std::string>> content = ContentTokens(n, text.substr(body));
  if (!content.ok()) return content.status();
  s.content = *std::move(content);
  return s;
}

// ---------------------------------------------------------------------------------------
// Pairwise checks


// Whether the dates (of `role`, or all when role is null) disagree: both sides have some and
// no interval of one overlaps an interval of the other. *va/*vb get the dates as written.
bool DatesDisagree(const Slots& a, const Slots& b, const std::string* role, std::string* va,
                   std::string* vb) {
  std::vector<const DateHit*> xa, xb;
  for (const DateHit& h : a.dates) {
    if (!role || h.role == *role) xa.push_back(&h);
  }
  for (const DateHit& h : b.dates) {
    if (!role || h.role == *role) xb.push_back(&h);
  }
  if (xa.empty() || xb.empty()) return false;
  for (const DateHit* x : xa) {
    for (const DateHit* y : xb) {
      if (Overlap(x->iv, y->iv)) return false;
    }
  }
  auto text = [](const Slots& s, const std::vector<const DateHit*>& hs) {
    std::vector<std::string> parts;
    for (const DateHit* h : hs) {
      parts.push_back(std::string(absl::string_view(s.clean).substr(h->begin, h->end - h->begin)));
    }
    return absl::StrJoin(parts, ", ");
  };
  *va = text(a, xa);
  *vb = text(b, xb);
  return true;
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

// Amounts of one unit disagree: no pair compatible and neither side's range holds the other.
bool AmountsDisagree(const Slots& a, const Slots& b, bool plain_numbers, std::string* va,
                     std::string* vb) {
  std::map<std::string, std::vector<double>> ua, ub;
  for (const Amount& x : a.amounts) {
    if (plain_numbers || !x.unit.empty()) ua[x.unit].push_back(x.value);
  }
  for (const Amount& x : b.amounts) {
    if (plain_numbers || !x.unit.empty()) ub[x.unit].push_back(x.value);
  }
  for (const auto& [unit, xs] : ua) {
    auto it = ub.find(unit);
    if (it == ub.end()) continue;
    const std::vector<double>& ys = it->second;
    bool ok = false;
    for (double x : xs) {
      for (double y : ys) ok |= Compatible(x, a.qualifier, y, b.qualifier);
    }
    auto in_range = [](const std::vector<double>& r, const std::vector<double>& v) {
      if (r.size() < 2) return false;
      auto [lo, hi] = std::minmax_element(r.begin(), r.end());
      for (double x : v) {
        if (x >= *lo && x <= *hi) return true;
      }
      return false;
    };
    ok |= in_range(xs, ys) || in_range(ys, xs);
    if (!ok) {
      // Clang 14 (the fuzz build) cannot capture a structured binding: capture a reference.
      auto fmt = [&u = unit](const std::vector<double>& v) {
        std::vector<std::string> p;
        for (double d : v) p.push_back(absl::StrCat(u == "$" ? "$" : "", d, u == "$" ? "" : u));
        return absl::StrJoin(p, ", ");
      };
      *va = fmt(xs);
      *vb = fmt(ys);
      return true;
    }
  }
  return false;
}

size_t SharedCount(const std::set<std::string>& a, const std::set<std::string>& b) {
  size_t n = 0;
  for (const std::string& t : a) n += b.count(t);
  return n;
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
    if (neg.polarity != Polarity::kNot || pos.polarity == Polarity::kNot) return false;
    if (neg.predicate.empty() || neg.object.empty()) return false;
    bool has_pred = false, has_obj = false;
    for (const std::string& w : pos.lower_words) {
      has_pred |= VerbBase(w) == neg.predicate;
      has_obj |= w == neg.object;
    }
    return has_pred && has_obj && overlap_ok();
  };
  return negates(a, b) || negates(b, a);
}

// ---------------------------------------------------------------------------------------
// Union-find for grouping pairwise findings.

struct Dsu {
  std::vector<int> p;
  explicit Dsu(int n) : p(n) { std::iota(p.begin(), p.end(), 0); }
  int Find(int x) { return p[x] == x ? x : p[x] = Find(p[x]); }
  void Union(int a, int b) { p[Find(a)] = Find(b); }
};

struct PairFinding {
  int a = 0, b = 0;  // item indexes
  std::string va, vb;
};

// ---------------------------------------------------------------------------------------
// Names and acronyms, read from every line.

struct LineText {
  int note = 0;
  int line = 0;
  std::string text;  // display text of the line (frontmatter: the value part)
};

std::vector<LineText> NoteLines(const Vault& vault) {
  std::vector<LineText> out;
  for (int ni = 0; ni < static_cast<int>(vault.notes.size()); ++ni) {
    const Note& note = vault.notes[ni];
    int fm_end = 0;
    if (note.frontmatter.present) {
      for (const Block& b : note.blocks) {
        if (b.kind == BlockKind::kFrontmatter) fm_end = b.line_end;
      }
    }
    std::vector<std::pair<int, int>> code;
    for (const Block& b : note.blocks) {
      if (b.kind == BlockKind::kCode) code.push_back({b.line_begin, b.line_end});
    }
    int line = 0;
    for (absl::string_view raw : absl::StrSplit(note.content, '\n')) {
      ++line;
      raw = absl::StripSuffix(raw, "\r");
      bool in_code = false;
      for (const auto& [b, e] : code) in_code |= line >= b && line <= e;
      if (in_code) continue;
      std::string text;
      if (line <= fm_end) {
        absl::string_view v = absl::StripLeadingAsciiWhitespace(raw);
        if (v == "---") continue;
        if (absl::StartsWith(v, "- ")) {
          v.remove_prefix(2);
        } else {
          size_t colon = v.find(':');
          if (colon == absl::string_view::npos) continue;
          std::string key(v.substr(0, colon));
          // Paths and tags are not prose.
          if (key == "source_ref" || key == "tags" || key == "aliases_path") continue;
          v.remove_prefix(colon + 1);
        }
        text = Unquote(v);
      } else {
        text = StripMarkdown(raw);
      }
      if (!text.empty()) out.push_back({ni, line, std::move(text)});
    }
  }
  return out;
}

bool IsVowel(char c) {
  return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y';
}

// A consonant skeleton: "Stephenson" / "Stefanson" -> "stfnsn", "Manish" / "Maneesh" -> "mnsh".
std::string Skeleton(absl::string_view folded) {
  std::string s(folded);
  std::string t;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == 'p' && i + 1 < s.size() && s[i + 1] == 'h') {
      t += 'f';
      ++i;
    } else if (s[i] == 'c' && i + 1 < s.size() && s[i + 1] == 'k') {
      t += 'k';
      ++i;
    } else if (s[i] == 'c' || s[i] == 'q') {
      t += 'k';
    } else if (s[i] == 'z') {
      t += 's';
    } else {
      t += s[i];
    }
  }
  std::string out;
  for (char c : t) {
    if (IsVowel(c) || !IsLower(c)) continue;
    if (!out.empty() && out.back() == c) continue;
    out += c;
  }
  return out;
}

int EditDistance(absl::string_view a, absl::string_view b) {
  std::vector<int> prev(b.size() + 1), cur(b.size() + 1);
  std::iota(prev.begin(), prev.end(), 0);
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = static_cast<int>(i);
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

struct NameMention {
  int line_index = 0;  // into the LineText vector
  std::string word;    // as written
  std::string full;    // the capitalized run containing it, as written
};

// Capitalized words (at least one lowercase letter after the first) and their runs.
std::vector<NameMention> NameMentions(const std::string& text, int line_index) {
  std::vector<NameMention> out;
  std::vector<Word> w = Words(text);
  auto is_cap = [](absl::string_view t) {
    if (t.size() < 3 || !IsUpper(t[0])) return false;
    for (char c : t) {
      if (IsDigit(c)) return false;
    }
    for (size_t i = 1; i < t.size(); ++i) {
      if (IsUpper(t[i])) return false;  // "VoC", "PoC", "CoreWeave": not person names
    }
    return true;
  };
  size_t i = 0;
  while (i < w.size()) {
    if (!is_cap(w[i].text)) {
      ++i;
      continue;
    }
    size_t j = i + 1;
    while (j < w.size() && is_cap(w[j].text) && w[j].begin == w[j - 1].end + 1 &&
           text[w[j - 1].end] == ' ') {
      ++j;
    }
    std::string full = text.substr(w[i].begin, w[j - 1].end - w[i].begin);
    for (size_t k = i; k < j; ++k) {
      if (MonthOf(w[k].text) || IsMonthOrDayWord(absl::AsciiStrToLower(w[k].text))) continue;
      out.push_back({line_index, std::string(w[k].text), full});
    }
    i = j;
  }
  return out;
}

struct Acronym {
  int line_index = 0;
  std::string acronym;
  std::string expansion;  // as written
  std::string written;    // "Expansion (ACR)"
};

std::vector<Acronym> AcronymDefinitions(const std::string& text, int line_index) {
  std::vector<Acronym> out;
  std::vector<Word> w = Words(text);
  for (size_t i = 0; i < w.size(); ++i) {
    absl::string_view acr = w[i].text;
    if (w[i].begin == 0 || text[w[i].begin - 1] != '(' || w[i].end >= text.size() ||
        text[w[i].end] != ')') {
      continue;
    }
    int upper = 0;
    for (char c : acr) upper += IsUpper(c);
    if (acr.size() < 2 || acr.size() > 8 || upper < 2 || !IsUpper(acr[0])) continue;
    // Capitalized words (and "of", "and", "for", "&") right before " (".
    std::vector<size_t> run;
    for (size_t k = i; k-- > 0;) {
      absl::string_view t = w[k].text;
      size_t gap_end = k + 1 < i ? w[k + 1].begin : w[i].begin - 1;
      absl::string_view gap = absl::string_view(text).substr(w[k].end, gap_end - w[k].end);
      if (gap != " " && gap != "-") break;
      bool cap = IsUpper(t[0]) || IsDigit(t[0]);
      if (!cap && t != "of" && t != "and" && t != "for") break;
      run.insert(run.begin(), k);
    }
    while (!run.empty() && !IsUpper(w[run.front()].text[0])) run.erase(run.begin());
    // Start at the leftmost word with the acronym's initial among the last len+2 words.
    size_t first = run.size() > acr.size() + 2 ? run.size() - acr.size() - 2 : 0;
    int start = -1;
    for (size_t k = first; k < run.size(); ++k) {
      if (absl::ascii_tolower(w[run[k]].text[0]) == absl::ascii_tolower(acr[0])) {
        start = static_cast<int>(k);
        break;
      }
    }
    if (start < 0) continue;
    size_t b = w[run[start]].begin, e = w[run.back()].end;
    std::string exp = text.substr(b, e - b);
    // The acronym's letters must appear in order in the expansion.
    std::string le = absl::AsciiStrToLower(exp), la = absl::AsciiStrToLower(acr);
    size_t p = 0;
    for (char c : le) {
      if (p < la.size() && c == la[p]) ++p;
    }
    if (p < la.size() || absl::AsciiStrToLower(exp) == la) continue;
    out.push_back({line_index, std::string(acr), exp, text.substr(b, w[i].end + 1 - b)});
  }
  return out;
}

std::string FoldKey(absl::string_view s) {
  std::string out;
  for (char c : s) {
    if (IsUpper(c) || IsLower(c) || IsDigit(c) || static_cast<unsigned char>(c) >= 0x80) {
      out += absl::ascii_tolower(c);
    }
  }
  return out;
}

std::string Loc(const ConflictFact& f) { return absl::StrCat(f.path, ":", f.line); }

}  // namespace

bool IsContradiction(const Conflict& c) { return c.type != "update"; }

absl::StatusOr<std::vector<Conflict>> FindConflicts(const Vault& vault, const ScanResult& scan,
                                                    const ConflictOptions& options) {
  dedup::Normalizer normalizer;
  const int n = static_cast<int>(scan.facts.size());
  std::vector<int> note_day(vault.notes.size());
  for (size_t i = 0; i < vault.notes.size(); ++i) note_day[i] = NoteDay(vault.notes[i]);

  std::vector<Slots> slots(n);
  for (int i = 0; i < n; ++i) {
    absl::StatusOr<Slots> s =
        ExtractSlots(normalizer, scan.fact(vault, i), note_day[scan.facts[i].note]);
    if (!s.ok()) return s.status();
    slots[i] = *std::move(s);
  }
  std::vector<int> cluster_of(n, -1);
  for (size_t c = 0; c < scan.dedup.clusters.size(); ++c) {
    for (const dedup::Member& m : scan.dedup.clusters[c].members) {
      cluster_of[m.item] = static_cast<int>(c);
    }
  }

  // IDF weights and candidate pairs through an inverted index.
  absl::flat_hash_map<std::string, std::vector<int>> postings;
  for (int i = 0; i < n; ++i) {
    for (const std::string& t : slots[i].content) postings[t].push_back(i);
  }
  auto weight = [&](const std::string& t) {
    auto it = postings.find(t);
    double df = it == postings.end() ? 1 : static_cast<double>(it->second.size());
    return std::log(1.0 + n / df);
  };
  absl::flat_hash_map<std::string, int> name_df;
  for (int i = 0; i < n; ++i) {
    for (const std::string& t : slots[i].names) ++name_df[t];
  }
  const int max_name_df = std::max(2, static_cast<int>(options.max_name_share * n));
  std::map<std::pair<int, int>, int> shared;
  for (const auto& [tok, list] : postings) {
    if (static_cast<int>(list.size()) > options.max_postings) continue;
    for (size_t x = 0; x < list.size(); ++x) {
      for (size_t y = x + 1; y < list.size(); ++y) ++shared[{list[x], list[y]}];
    }
  }
  for (const dedup::Cluster& c : scan.dedup.clusters) {
    for (size_t x = 0; x < c.members.size(); ++x) {
      for (size_t y = x + 1; y < c.members.size(); ++y) {
        int a = std::min(c.members[x].item, c.members[y].item);
        int b = std::max(c.members[x].item, c.members[y].item);
        shared.try_emplace({a, b}, 0);
      }
    }
  }

  std::vector<PairFinding> value_pairs, polarity_pairs;
  for (const auto& [pair, count] : shared) {
    auto [a, b] = pair;
    const Slots& sa = slots[a];
    const Slots& sb = slots[b];
    if (sa.clean == sb.clean) continue;
    const bool same_cluster = cluster_of[a] >= 0 && cluster_of[a] == cluster_of[b];
    bool same_subject = same_cluster;
    if (!same_subject && count >= options.min_shared_tokens) {
      std::set<std::string> tb(sb.content.begin(), sb.content.end());
      double wa = 0, wb = 0, ws = 0;
      for (const std::string& t : sa.content) {
        wa += weight(t);
        if (tb.count(t)) ws += weight(t);
      }
      for (const std::string& t : sb.content) wb += weight(t);
      double denom = std::min(wa, wb);
      same_subject = denom > 0 && ws / denom >= options.min_subject_overlap;
    }
    std::string va, vb;
    bool value_conflict = false;
    if (same_cluster) {
      value_conflict = DatesDisagree(sa, sb, nullptr, &va, &vb);
    } else {
      // Across clusters: dates of the same role, in facts sharing a distinctive name.
      bool share_name = false;
      for (const std::string& t : sa.names) {
        auto it = name_df.find(t);
        share_name |= it != name_df.end() && it->second <= max_name_df &&
                      std::binary_search(sb.names.begin(), sb.names.end(), t);
      }
      std::set<std::string> roles;
      for (const DateHit& h : sa.dates) {
        if (!h.role.empty()) roles.insert(h.role);
      }
      for (const std::string& role : roles) {
        if (share_name && !value_conflict) {
          value_conflict = DatesDisagree(sa, sb, &role, &va, &vb);
        }
      }
    }
    if (!value_conflict && (same_subject || same_cluster)) {
      value_conflict = AmountsDisagree(sa, sb, same_cluster, &va, &vb);
    }
    if (value_conflict) value_pairs.push_back({a, b, va, vb});
    if (count >= 2 || same_cluster) {
      for (const Clause& ca : sa.clauses) {
        if (ca.polarity == Polarity::kNone) continue;
        bool found = false;
        for (const Clause& cb : sb.clauses) {
          if (ClausesOppose(ca, cb, options.min_clause_overlap)) {
            polarity_pairs.push_back({a, b, ca.text, cb.text});
            found = true;
            break;
          }
        }
        if (found) break;
      }
      if (!polarity_pairs.empty() && polarity_pairs.back().a == a && polarity_pairs.back().b == b) {
        continue;
      }
      for (const Clause& cb : sb.clauses) {
        if (cb.polarity == Polarity::kNone) continue;
        bool found = false;
        for (const Clause& ca : sa.clauses) {
          if (ClausesOppose(ca, cb, options.min_clause_overlap)) {
            polarity_pairs.push_back({a, b, ca.text, cb.text});
            found = true;
            break;
          }
        }
        if (found) break;
      }
    }
  }

  std::vector<Conflict> out;
  auto fact_entry = [&](int item, const std::string& value) {
    const Fact& f = scan.fact(vault, item);
    return ConflictFact{f.path, f.line, f.display, value, ""};
  };
  // Groups pairwise findings into connected sets; each fact keeps its first value.
  auto group = [&](const std::vector<PairFinding>& pairs, const std::string& type) {
    Dsu dsu(n);
    std::map<int, std::string> value;
    for (const PairFinding& p : pairs) {
      dsu.Union(p.a, p.b);
      value.try_emplace(p.a, p.va);
      value.try_emplace(p.b, p.vb);
    }
    std::map<int, std::vector<int>> groups;
    for (const auto& [item, v] : value) groups[dsu.Find(item)].push_back(item);
    for (const auto& [root, items] : groups) {
      Conflict c;
      c.type = type;
      for (int item : items) c.facts.push_back(fact_entry(item, value[item]));
      // Suggestion: the newest dated statement when one is strictly newest; else, for
      // dates, the most specific (narrowest) statement.
      int best = -1, best_day = 0, ties = 0;
      for (int item : items) {
        int d = slots[item].fact_day;
        if (d > best_day)
          best = item, best_day = d, ties = 0;
        else if (d == best_day)
          ++ties;
      }
      if (best >= 0 && ties == 0 && best_day > 0) {
        const Fact& f = scan.fact(vault, best);
        c.suggestion = absl::StrCat("suggestion: prefer the newest dated source ", f.path, ":",
                                    f.line, " (", DayString(best_day), "): '", value[best], "'");
      } else if (type == "value") {
        // Majority by year set, then the narrowest statement within it.
        std::map<std::string, std::vector<int>> by_years;
        for (int item : items) {
          std::set<int> years;
          for (const DateHit& h : slots[item].dates) years.insert(h.iv.lo / 12);
          by_years[absl::StrJoin(years, ",")].push_back(item);
        }
        const std::vector<int>* major = nullptr;
        bool unique = true;
        for (const auto& [k, v] : by_years) {
          if (!major || v.size() > major->size())
            major = &v, unique = true;
          else if (v.size() == major->size())
            unique = false;
        }
        if (major && unique && by_years.size() > 1 && !slots[(*major)[0]].dates.empty()) {
          int narrow = (*major)[0], width = 1 << 30;
          for (int item : *major) {
            for (const DateHit& h : slots[item].dates) {
              if (h.iv.hi - h.iv.lo < width) narrow = item, width = h.iv.hi - h.iv.lo;
            }
          }
          const Fact& f = scan.fact(vault, narrow);
          c.suggestion = absl::StrCat("suggestion: ", major->size(), " of ", items.size(),
                                      " statements agree; the most specific is ", f.path, ":",
                                      f.line, " ('", value[narrow], "'); check the others");
        }
      }
      out.push_back(std::move(c));
    }
  };
  group(value_pairs, "value");
  group(polarity_pairs, "polarity");

  // The same source file placed in two folders by one note's links (source_ref vs body).
  for (const Note& note : vault.notes) {
    std::map<std::string, std::vector<const Link*>> by_base;
    for (const Link& l : note.links) {
      if (l.kind == Link::Kind::kExternal) continue;
      size_t slash = l.target.rfind('/');
      if (slash == std::string::npos) continue;
      std::string base = absl::AsciiStrToLower(l.target.substr(slash + 1));
      if (absl::EndsWith(base, ".md")) base.resize(base.size() - 3);
      by_base[base].push_back(&l);
    }
    for (const auto& [base, links] : by_base) {
      std::vector<const Link*> distinct;
      for (const Link* l : links) {
        std::string dir = l->target.substr(0, l->target.rfind('/') + 1);
        bool seen = false;
        for (const Link* d : distinct) {
          seen |= absl::AsciiStrToLower(d->target.substr(0, d->target.rfind('/') + 1)) ==
                  absl::AsciiStrToLower(dir);
        }
        if (!seen) distinct.push_back(l);
      }
      if (distinct.size() < 2) continue;
      Conflict c;
      c.type = "value";
      for (const Link* l : distinct) {
        c.facts.push_back(
            {note.path, l->line, l->target, l->target.substr(0, l->target.rfind('/') + 1), ""});
      }
      c.suggestion = "";
      out.push_back(std::move(c));
    }
  }

  // Updates: explicit supersessions inside one fact.
  for (int i = 0; i < n; ++i) {
    for (const Update& u : slots[i].updates) {
      if (ExtractDates(u.value, DayToMonthIndex(note_day[scan.facts[i].note])).empty()) continue;
      Conflict c;
      c.type = "update";
      c.facts.push_back(fact_entry(i, u.value));
      c.suggestion = "update, not a contradiction: the superseded value is kept as history";
      out.push_back(std::move(c));
    }
  }

  // Names and acronyms over every line.
  std::vector<LineText> lines = NoteLines(vault);
  dedup::NormalizeOptions fold_opts;
  fold_opts.stem = false;
  fold_opts.drop_stopwords = false;
  fold_opts.canonicalize_numbers = false;
  dedup::Normalizer folder(fold_opts);
  absl::flat_hash_map<std::string, std::string> fold_cache;
  auto fold = [&](const std::string& w) -> std::string {
    auto it = fold_cache.find(w);
    if (it != fold_cache.end()) return it->second;
    std::string f = absl::AsciiStrToLower(w);
    absl::StatusOr<dedup::NormalizedText> t = folder.Normalize(w);
    if (t.ok() && t->all_tokens.size() == 1) f = t->all_tokens[0].text;
    fold_cache[w] = f;
    return f;
  };
  std::map<std::string, std::vector<NameMention>> by_spelling;  // folded word -> mentions
  std::map<std::string, std::set<std::string>> context;         // folded word -> co-words
  std::vector<Acronym> acronyms;
  for (int li = 0; li < static_cast<int>(lines.size()); ++li) {
    std::vector<NameMention> ms = NameMentions(lines[li].text, li);
    std::set<std::string> words;
    for (const NameMention& m : ms) words.insert(fold(m.word));
    for (const NameMention& m : ms) {
      std::string f = fold(m.word);
      by_spelling[f].push_back(m);
      for (const std::string& w : words) {
        if (w != f) context[f].insert(w);
      }
    }
    for (Acronym& a : AcronymDefinitions(lines[li].text, li)) acronyms.push_back(std::move(a));
  }
  std::vector<std::string> spellings;
  for (const auto& [f, ms] : by_spelling) spellings.push_back(f);
  auto line_entry = [&](int li, const std::string& value) {
    const LineText& lt = lines[li];
    return ConflictFact{vault.notes[lt.note].path, lt.line, lt.text, value, ""};
  };
  for (size_t x = 0; x < spellings.size(); ++x) {
    for (size_t y = x + 1; y < spellings.size(); ++y) {
      const std::string& a = spellings[x];
      const std::string& b = spellings[y];
      if (a.size() < 3 || b.size() < 3) continue;
      // "Azur..."/"Azure", "The"/"They": a prefix is a cut or an inflection, not a spelling.
      if (absl::StartsWith(a, b) || absl::StartsWith(b, a)) continue;
      bool va = IsVowel(a[0]), vb = IsVowel(b[0]);
      if (a[0] != b[0] && !(va && vb)) continue;
      std::string ka = Skeleton(a), kb = Skeleton(b);
      if (ka.size() < 2 || ka != kb) continue;
      int limit = std::max(options.max_name_edit_distance,
                           static_cast<int>(std::min(a.size(), b.size()) / 3));
      if (EditDistance(a, b) > limit) continue;
      // Shared context: some other capitalized word appears with both spellings.
      const std::set<std::string>& ca = context[a];
      const std::set<std::string>& cb = context[b];
      bool share = false;
      for (const std::string& w : ca) share |= cb.count(w) > 0;
      if (!share) continue;
      Conflict c;
      c.type = "name";
      std::set<int> seen;
      size_t count_a = 0, count_b = 0;
      std::string full_a, full_b;
      for (const NameMention& m : by_spelling[a]) {
        if (seen.insert(m.line_index).second) c.facts.push_back(line_entry(m.line_index, m.full));
        ++count_a;
        if (m.full.size() > full_a.size()) full_a = m.full;
      }
      seen.clear();
      for (const NameMention& m : by_spelling[b]) {
        if (seen.insert(m.line_index).second) c.facts.push_back(line_entry(m.line_index, m.full));
        ++count_b;
        if (m.full.size() > full_b.size()) full_b = m.full;
      }
      if (count_a != count_b) {
        const std::string& more = count_a > count_b ? full_a : full_b;
        c.suggestion = absl::StrCat("suggestion: '", more, "' is the more frequent spelling (",
                                    std::max(count_a, count_b), " vs ", std::min(count_a, count_b),
                                    " mentions)");
      }
      out.push_back(std::move(c));
    }
  }
  std::map<std::string, std::map<std::string, std::vector<const Acronym*>>> by_acronym;
  for (const Acronym& a : acronyms) by_acronym[a.acronym][FoldKey(a.expansion)].push_back(&a);
  for (const auto& [acr, expansions] : by_acronym) {
    if (expansions.size() < 2) continue;
    Conflict c;
    c.type = "acronym";
    size_t most = 0;
    std::string most_exp;
    bool tie = false;
    for (const auto& [key, defs] : expansions) {
      for (const Acronym* d : defs) c.facts.push_back(line_entry(d->line_index, d->written));
      if (defs.size() > most)
        most = defs.size(), most_exp = defs[0]->written, tie = false;
      else if (defs.size() == most)
        tie = true;
    }
    if (!tie) {
      c.suggestion = absl::StrCat("suggestion: '", most_exp, "' is the more frequent expansion");
    }
    out.push_back(std::move(c));
  }

  // Frontmatter keys that differ between versions of one note.
  std::map<std::string, std::vector<int>> versions;
  for (size_t i = 0; i < vault.notes.size(); ++i) {
    versions[BaseNotePath(vault.notes[i].path)].push_back(static_cast<int>(i));
  }
  for (const auto& [base, ids] : versions) {
    if (ids.size() < 2) continue;
    int base_id = vault.FindNote(base);
    if (base_id < 0) base_id = ids[0];
    const Note& bn = vault.notes[base_id];
    for (int id : ids) {
      if (id == base_id) continue;
      const Note& vn = vault.notes[id];
      for (const FrontmatterKey& k : bn.frontmatter.keys) {
        const FrontmatterKey* o = vn.frontmatter.Find(k.key);
        if (!o) continue;
        std::string v1 = k.is_list ? absl::StrJoin(k.items, ", ") : Unquote(k.value);
        std::string v2 = o->is_list ? absl::StrJoin(o->items, ", ") : Unquote(o->value);
        if (v1 == v2) continue;
        Conflict c;
        c.type = "frontmatter";
        c.facts.push_back({bn.path, k.line, absl::StrCat(k.key, ": ", v1), v1, k.key});
        c.facts.push_back({vn.path, o->line, absl::StrCat(o->key, ": ", v2), v2, o->key});
        int d1 = 0, d2 = 0;
        if (ParseIsoDate(v1, &d1) > 0 && ParseIsoDate(v2, &d2) > 0) {
          c.suggestion = absl::StrCat("suggestion: keep the later date '", d1 > d2 ? v1 : v2, "' (",
                                      d1 > d2 ? bn.path : vn.path, ")");
        }
        out.push_back(std::move(c));
      }
    }
  }

  auto rank = [](const std::string& t) {
    static const char* kOrder[] = {"value", "polarity", "name", "acronym", "frontmatter", "update"};
    for (int i = 0; i < 6; ++i) {
      if (t == kOrder[i]) return i;
    }
    return 6;
  };
  std::stable_sort(out.begin(), out.end(), [&](const Conflict& a, const Conflict& b) {
    if (rank(a.type) != rank(b.type)) return rank(a.type) < rank(b.type);
    return std::tie(a.facts[0].path, a.facts[0].line) < std::tie(b.facts[0].path, b.facts[0].line);
  });
  return out;
}

bool IsConflictGold(absl::string_view content) {
  return absl::StartsWith(content, "type\tpath1\tline1\tpath2\tline2");
}

absl::StatusOr<ConflictMetrics> EvaluateConflicts(const std::vector<Conflict>& conflicts,
                                                  absl::string_view gold_tsv) {
  if (!IsConflictGold(gold_tsv)) {
    return absl::InvalidArgumentError("not a conflicts gold file (header type\\tpath1\\tline1...)");
  }
  ConflictMetrics m;
  std::vector<bool> correct(conflicts.size(), false);
  int row = 0;
  for (absl::string_view line : absl::StrSplit(gold_tsv, '\n')) {
    ++row;
    line = absl::StripSuffix(line, "\r");
    if (row == 1 || line.empty()) continue;
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    int l1 = 0, l2 = 0;
    if (f.size() < 5 || !absl::SimpleAtoi(f[2], &l1) || !absl::SimpleAtoi(f[4], &l2)) {
      return absl::InvalidArgumentError(absl::StrCat("line ", row, ": bad row"));
    }
    ++m.gold;
    bool found = false;
    for (size_t i = 0; i < conflicts.size(); ++i) {
      const Conflict& c = conflicts[i];
      if (!IsContradiction(c) || c.type != f[0]) continue;
      int at1 = -1, at2 = -1;
      for (size_t k = 0; k < c.facts.size(); ++k) {
        if (c.facts[k].path == f[1] && c.facts[k].line == l1 && at1 < 0) at1 = static_cast<int>(k);
      }
      for (size_t k = 0; k < c.facts.size(); ++k) {
        if (c.facts[k].path == f[3] && c.facts[k].line == l2 && static_cast<int>(k) != at1) {
          at2 = static_cast<int>(k);
        }
      }
      if (at1 >= 0 && at2 >= 0) {
        found = true;
        correct[i] = true;
      }
    }
    if (found) {
      ++m.found_gold;
    } else {
      m.missed.push_back(absl::StrCat(f[0], " ", f[1], ":", l1, " ", f[3], ":", l2));
    }
  }
  for (size_t i = 0; i < conflicts.size(); ++i) {
    if (!IsContradiction(conflicts[i])) continue;
    ++m.reported;
    if (correct[i]) {
      ++m.correct;
    } else {
      std::vector<std::string> locs;
      for (const ConflictFact& f : conflicts[i].facts) locs.push_back(Loc(f));
      m.unmatched.push_back(absl::StrCat(conflicts[i].type, " ", absl::StrJoin(locs, " ")));
    }
  }
  return m;
}

}  // namespace factdedup::provenance
