#include "dedup/internal/numbers.h"

#include <array>
#include <cstdint>
#include <optional>
#include <utility>

#include "absl/base/attributes.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace factdedup::dedup::internal {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

bool AllDigits(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsDigit(c)) return false;
  }
  return true;
}

bool AllLetters(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsLetter(c)) return false;
  }
  return true;
}

// Value of a string of at most 9 digits; -1 otherwise.
int SmallInt(absl::string_view s) {
  if (!AllDigits(s) || s.size() > 9) return -1;
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

// Whether `s` is `lower` (lower-case ASCII letters only) in any case: absl::EqualsIgnoreCase
// for such a name, inline. (c | 0x20) equals a lower-case letter only for that letter and its
// capital.
bool EqualsLetters(absl::string_view s, absl::string_view lower) {
  if (s.size() != lower.size()) return false;
  for (size_t k = 0; k < s.size(); ++k) {
    if (static_cast<char>(s[k] | 0x20) != lower[k]) return false;
  }
  return true;
}

// ASCII lower case of a word of at most N bytes, for comparisons with lower-case names
// (lower(s) == name is absl::EqualsIgnoreCase(s, name) for a lower-case ASCII name). A longer
// word is kept as an empty view, which equals no name.
template <size_t N>
class SmallLower {
 public:
  explicit SmallLower(absl::string_view s) {
    if (s.size() > N) return;
    for (size_t i = 0; i < s.size(); ++i) {
      const char c = s[i];
      buf_[i] = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    }
    view_ = absl::string_view(buf_, s.size());
  }
  absl::string_view view() const { return view_; }

 private:
  char buf_[N] = {};
  absl::string_view view_;
};

struct Num {
  Decimal value;
  absl::string_view suffix;  // letters after the digits ("B", "EB", "th")
  bool integer = true;       // no decimal point
  bool four_digits = false;  // exactly four digits, nothing else ("2026")
};

// digits (',' ddd)* ('.' digits)? letters*. Returns nullopt for anything else ("1,5",
// "1.2.3", "1'26").
std::optional<Num> ParseNum(absl::string_view s) {
  Num num;
  size_t i = 0;
  std::string digits;
  digits.reserve(s.size());
  while (i < s.size() && IsDigit(s[i])) digits.push_back(s[i++]);
  if (digits.empty()) return std::nullopt;
  num.four_digits = digits.size() == 4;
  while (i < s.size() && s[i] == ',') {
    if (i + 4 > s.size() || !AllDigits(s.substr(i + 1, 3)) ||
        (i + 4 < s.size() && IsDigit(s[i + 4]))) {
      return std::nullopt;
    }
    digits.append(s.data() + i + 1, 3);
    num.four_digits = false;
    i += 4;
  }
  if (i < s.size() && s[i] == '.') {
    size_t j = i + 1;
    while (j < s.size() && IsDigit(s[j])) ++j;
    if (j == i + 1) return std::nullopt;
    digits.append(s.data() + i + 1, j - i - 1);
    num.value.exp = -static_cast<int>(j - i - 1);
    num.integer = false;
    num.four_digits = false;
    i = j;
  }
  num.suffix = s.substr(i);
  if (!num.suffix.empty() && !AllLetters(num.suffix)) return std::nullopt;
  if (!num.suffix.empty()) num.four_digits = false;
  num.value.digits = std::move(digits);
  return num;
}

int ScaleSuffix(absl::string_view s) {
  static constexpr std::pair<absl::string_view, int> kScales[] = {
      {"k", 3},  {"K", 3},  {"m", 6},   {"M", 6},   {"mm", 6},  {"MM", 6},  {"mn", 6},
      {"Mn", 6}, {"MN", 6}, {"b", 9},   {"B", 9},   {"bn", 9},  {"Bn", 9},  {"BN", 9},
      {"t", 12}, {"T", 12}, {"tn", 12}, {"Tn", 12}, {"TN", 12}, {"tr", 12}, {"Tr", 12}};
  for (const auto& [name, pow] : kScales) {
    if (s == name) return pow;
  }
  return 0;
}

int ScaleWord(absl::string_view s) {
  static constexpr std::pair<absl::string_view, int> kScales[] = {
      {"thousand", 3}, {"million", 6}, {"billion", 9}, {"trillion", 12},
      {"bn", 9},       {"mn", 6},      {"tn", 12},     {"mm", 6}};
  if (s.size() < 2 || s.size() > 8) return 0;  // every name has 2 to 8 letters
  for (const auto& [name, pow] : kScales) {
    if (EqualsLetters(s, name)) return pow;
  }
  return 0;
}

struct Unit {
  absl::string_view name;  // case-insensitive symbol or word
  absl::string_view base;  // canonical unit
  int pow10;
  bool word;  // a spelled-out word (allowed as a separate token)
};

constexpr Unit kUnits[] = {
    {"kb", "byte", 3, false},
    {"mb", "byte", 6, false},
    {"gb", "byte", 9, false},
    {"tb", "byte", 12, false},
    {"pb", "byte", 15, false},
    {"eb", "byte", 18, false},
    {"zb", "byte", 21, false},
    {"byte", "byte", 0, true},
    {"bytes", "byte", 0, true},
    {"kilobyte", "byte", 3, true},
    {"kilobytes", "byte", 3, true},
    {"megabyte", "byte", 6, true},
    {"megabytes", "byte", 6, true},
    {"gigabyte", "byte", 9, true},
    {"gigabytes", "byte", 9, true},
    {"terabyte", "byte", 12, true},
    {"terabytes", "byte", 12, true},
    {"petabyte", "byte", 15, true},
    {"petabytes", "byte", 15, true},
    {"exabyte", "byte", 18, true},
    {"exabytes", "byte", 18, true},
    {"zettabyte", "byte", 21, true},
    {"zettabytes", "byte", 21, true},
    {"kib", "kib", 0, false},
    {"mib", "mib", 0, false},
    {"gib", "gib", 0, false},
    {"tib", "tib", 0, false},
    {"pib", "pib", 0, false},
    {"eib", "eib", 0, false},
    {"bps", "bps", 0, false},
    {"kbps", "bps", 3, false},
    {"mbps", "bps", 6, false},
    {"gbps", "bps", 9, false},
    {"tbps", "bps", 12, false},
    {"w", "w", 0, false},
    {"kw", "w", 3, false},
    {"mw", "w", 6, false},
    {"gw", "w", 9, false},
    {"tw", "w", 12, false},
    {"watt", "w", 0, true},
    {"watts", "w", 0, true},
    {"kilowatt", "w", 3, true},
    {"kilowatts", "w", 3, true},
    {"megawatt", "w", 6, true},
    {"megawatts", "w", 6, true},
    {"gigawatt", "w", 9, true},
    {"gigawatts", "w", 9, true},
    {"terawatt", "w", 12, true},
    {"terawatts", "w", 12, true},
    {"hz", "hz", 0, false},
    {"khz", "hz", 3, false},
    {"mhz", "hz", 6, false},
    {"ghz", "hz", 9, false},
    {"hertz", "hz", 0, true},
    {"megahertz", "hz", 6, true},
    {"gigahertz", "hz", 9, true},
    {"x", "x", 0, false},
};

constexpr size_t kLongestUnit = 10;  // "zettabytes"
constexpr size_t kNumUnits = sizeof(kUnits) / sizeof(kUnits[0]);

// kUnits' indices by name length: those of length n are kUnitsBySize.index[begin[n], begin[n+1]).
struct UnitsBySize {
  std::array<uint8_t, kNumUnits> index{};
  std::array<uint8_t, kLongestUnit + 2> begin{};
};
constexpr UnitsBySize kUnitsBySize = [] {
  UnitsBySize t;
  size_t at = 0;
  for (size_t n = 0; n <= kLongestUnit; ++n) {
    t.begin[n] = static_cast<uint8_t>(at);
    for (size_t u = 0; u < kNumUnits; ++u) {
      if (kUnits[u].name.size() == n) t.index[at++] = static_cast<uint8_t>(u);
    }
  }
  t.begin[kLongestUnit + 1] = static_cast<uint8_t>(at);
  return t;
}();

// A unit written right after the digits ("2EB", "10x").
const Unit* UnitSuffix(absl::string_view s) {
  if (s.empty() || s.size() > kLongestUnit) return nullptr;
  for (size_t k = kUnitsBySize.begin[s.size()]; k < kUnitsBySize.begin[s.size() + 1]; ++k) {
    const Unit& u = kUnits[kUnitsBySize.index[k]];
    if (EqualsLetters(s, u.name)) return &u;
  }
  return nullptr;
}

// A unit as its own word ("2 exabytes", "2 EB"); one-letter symbols are too ambiguous.
const Unit* UnitWord(absl::string_view s) {
  if (s.size() < 2) return nullptr;
  return UnitSuffix(s);
}

// Currency symbol for a code or word, or empty.
absl::string_view CurrencyCode(absl::string_view s) {
  if (s == "USD") return "$";
  if (s == "EUR") return "€";
  if (s == "GBP") return "£";
  return {};
}

absl::string_view CurrencyWord(absl::string_view s) {
  if (absl::string_view code = CurrencyCode(s); !code.empty()) return code;
  if (s == "usd") return "$";
  if (s.size() < 4 || s.size() > 7) return {};  // "euro" .. "dollars"
  const SmallLower<7> lower_buf(s);
  const absl::string_view lower = lower_buf.view();
  if (lower == "dollars" || lower == "dollar") return "$";
  if (lower == "euros" || lower == "euro") return "€";
  return {};
}

// The currency symbol the gap before a number ends with ("$", " +$", " ~€"), or empty.
absl::string_view CurrencyBefore(absl::string_view gap) {
  for (absl::string_view sym : {"$", "€", "£"}) {
    if (absl::EndsWith(gap, sym)) return sym;
  }
  return {};
}

int NumberWord(absl::string_view s) {
  if (s.size() < 3 || s.size() > 9) return -1;
  auto is = [&](absl::string_view w) { return EqualsLetters(s, w); };
  switch (s[0] | 0x20) {  // a letter's lower case (other bytes match no case)
    case 'z':
      return is("zero") ? 0 : -1;
    case 'o':
      return is("one") ? 1 : -1;
    case 't':
      if (is("two")) return 2;
      if (is("three")) return 3;
      if (is("ten")) return 10;
      if (is("twelve")) return 12;
      if (is("thirteen")) return 13;
      if (is("twenty")) return 20;
      if (is("thirty")) return 30;
      return -1;
    case 'f':
      if (is("four")) return 4;
      if (is("five")) return 5;
      if (is("fourteen")) return 14;
      if (is("fifteen")) return 15;
      if (is("forty")) return 40;
      if (is("fifty")) return 50;
      return -1;
    case 's':
      if (is("six")) return 6;
      if (is("seven")) return 7;
      if (is("sixteen")) return 16;
      if (is("seventeen")) return 17;
      if (is("sixty")) return 60;
      if (is("seventy")) return 70;
      return -1;
    case 'e':
      if (is("eight")) return 8;
      if (is("eleven")) return 11;
      if (is("eighteen")) return 18;
      if (is("eighty")) return 80;
      return -1;
    case 'n':
      if (is("nine")) return 9;
      if (is("nineteen")) return 19;
      if (is("ninety")) return 90;
      return -1;
    case 'h':
      return is("hundred") ? 100 : -1;
    case 'd':
      return is("dozen") ? 12 : -1;
    default:
      return -1;
  }
}

bool IsOrdinalSuffix(absl::string_view s) {
  if (s.size() != 2) return false;
  const SmallLower<2> lower_buf(s);
  const absl::string_view lower = lower_buf.view();
  return lower == "st" || lower == "nd" || lower == "rd" || lower == "th";
}

// 1..12 for a capitalized month name or abbreviation ("January", "Jan", "Sept", "MAY").
int Month(absl::string_view s) {
  if (s.size() < 3 || s.size() > 9) return 0;
  switch (s[0]) {  // capitalized month names start with one of these
    case 'J':
    case 'F':
    case 'M':
    case 'A':
    case 'S':
    case 'O':
    case 'N':
    case 'D':
      break;
    default:
      return 0;
  }
  auto is = [&](absl::string_view w) { return EqualsLetters(s, w); };
  // Full names and three-letter abbreviations (and "Sept"), by first letter.
  switch (s[0]) {
    case 'J':
      if (is("january") || is("jan")) return 1;
      if (is("june") || is("jun")) return 6;
      if (is("july") || is("jul")) return 7;
      return 0;
    case 'F':
      return is("february") || is("feb") ? 2 : 0;
    case 'M':
      if (is("march") || is("mar")) return 3;
      if (is("may")) return 5;
      return 0;
    case 'A':
      if (is("april") || is("apr")) return 4;
      if (is("august") || is("aug")) return 8;
      return 0;
    case 'S':
      return is("september") || is("sep") || is("sept") ? 9 : 0;
    case 'O':
      return is("october") || is("oct") ? 10 : 0;
    case 'N':
      return is("november") || is("nov") ? 11 : 0;
    case 'D':
      return is("december") || is("dec") ? 12 : 0;
    default:
      return 0;
  }
}

// 1..31 for "6", "06", "6th"; else 0.
int Day(absl::string_view s) {
  size_t n = 0;
  while (n < s.size() && IsDigit(s[n])) ++n;
  if (n == 0 || n > 2) return 0;
  if (n < s.size() && !IsOrdinalSuffix(s.substr(n))) return 0;
  const int d = SmallInt(s.substr(0, n));
  return d >= 1 && d <= 31 ? d : 0;
}

// A four-digit year in [lo, hi], else 0.
int Year(absl::string_view s, int lo = 1900, int hi = 2100) {
  if (s.size() != 4) return 0;
  const int y = SmallInt(s);
  return y >= lo && y <= hi ? y : 0;
}

// "26" -> 2026, "2026" -> 2026, else 0.
int ShortOrLongYear(absl::string_view s) {
  if (s.size() == 2 && AllDigits(s)) return 2000 + SmallInt(s);
  return Year(s);
}

// Quarter/half label "q1".."q4", "h1", "h2" from a lower-case string, else empty.
std::string PeriodLabel(absl::string_view lower) {
  if (lower.size() != 2) return {};
  if (lower[0] == 'q' && lower[1] >= '1' && lower[1] <= '4') return std::string(lower);
  if (lower[0] == 'h' && (lower[1] == '1' || lower[1] == '2')) return std::string(lower);
  return {};
}

// "fy26" / "fy2026" -> 2026, else 0.
int FiscalYear(absl::string_view lower) {
  if (!absl::StartsWith(lower, "fy")) return 0;
  return ShortOrLongYear(lower.substr(2));
}

bool DateGap(absl::string_view g) {
  if (g.empty() || g.size() > 3) return false;
  for (char c : g) {
    if (c != ' ' && c != ',' && c != '.') return false;
  }
  return true;
}

bool SpaceGap(absl::string_view g) { return g == " "; }

// Writes v as exactly `width` digits (what "%0<width>d" prints for 0 <= v < 10^width).
char* PutDigits(int v, int width, char* out) {
  for (int k = width - 1; k >= 0; --k) {
    out[k] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  return out + width;
}

std::string Ymd(int y, int m, int d) {
  if (y < 0 || y > 9999 || m < 0 || m > 99 || d < 0 || d > 99) {
    return absl::StrFormat("%04d-%02d-%02d", y, m, d);
  }
  char buf[10];
  char* p = PutDigits(y, 4, buf);
  *p++ = '-';
  p = PutDigits(m, 2, p);
  *p++ = '-';
  PutDigits(d, 2, p);
  return std::string(buf, sizeof buf);
}
std::string Ym(int y, int m) {
  if (y < 0 || y > 9999 || m < 0 || m > 99) return absl::StrFormat("%04d-%02d", y, m);
  char buf[7];
  char* p = PutDigits(y, 4, buf);
  *p++ = '-';
  PutDigits(m, 2, p);
  return std::string(buf, sizeof buf);
}
std::string Md(int m, int d) {
  if (m < 0 || m > 99 || d < 0 || d > 99) return absl::StrFormat("--%02d-%02d", m, d);
  char buf[7] = {'-', '-'};
  char* p = PutDigits(m, 2, buf + 2);
  *p++ = '-';
  PutDigits(d, 2, p);
  return std::string(buf, sizeof buf);
}

// Whether `c` can start a quarter, half or fiscal-year label ("Q1", "h2", "FY26").
bool StartsPeriodLabel(char c) {
  switch (c) {
    case 'q':
    case 'Q':
    case 'h':
    case 'H':
    case 'f':
    case 'F':
      return true;
    default:
      return false;
  }
}

// Whether `t` starts with a digit, or is a period or fiscal label's start: "q1".., "h2".. (a
// digit second) or "fy.." (Canonicalizer::Period).
ABSL_ATTRIBUTE_ALWAYS_INLINE inline bool StartsNumberOrPeriod(absl::string_view t) {
  const char c = t[0];
  if (IsDigit(c)) return true;
  return StartsPeriodLabel(c) && t.size() >= 2 &&
         (IsDigit(t[1]) || ((c == 'f' || c == 'F') && (t[1] == 'y' || t[1] == 'Y')));
}

// Every name Month, CurrencyCode and NumberWord accept, in lower case: all have 3 to 9 letters.
constexpr absl::string_view kNamedWords[] = {
    // NumberWord
    "zero", "one", "two", "three", "ten", "twelve", "thirteen", "twenty", "thirty", "four", "five",
    "fourteen", "fifteen", "forty", "fifty", "six", "seven", "sixteen", "seventeen", "sixty",
    "seventy", "eight", "eleven", "eighteen", "eighty", "nine", "nineteen", "ninety", "hundred",
    "dozen",
    // Month
    "january", "jan", "june", "jun", "july", "jul", "february", "feb", "march", "mar", "may",
    "april", "apr", "august", "aug", "september", "sep", "sept", "october", "oct", "november",
    "nov", "december", "dec",
    // CurrencyCode
    "usd", "eur", "gbp"};

// A word as a bit of kNamedFilter: its length (3..9), and the low five bits of its first and
// last bytes (a letter's in either case; a byte that is not a letter matches no name, whatever
// bit it aliases).
constexpr size_t NamedBit(absl::string_view w) {
  return ((w.size() - 3) * 32 + (static_cast<unsigned char>(w[0]) & 31)) * 32 +
         (static_cast<unsigned char>(w[w.size() - 1]) & 31);
}
constexpr std::array<uint64_t, 7 * 32 * 32 / 64> kNamedFilter = [] {
  std::array<uint64_t, 7 * 32 * 32 / 64> t{};
  for (absl::string_view w : kNamedWords) t[NamedBit(w) / 64] |= uint64_t{1} << (NamedBit(w) % 64);
  return t;
}();

// MayBeNamedWord, inlined where Canonicalizer::Run tests every word.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline bool NamedFilter(absl::string_view t) {
  if (t.size() < 3 || t.size() > 9) return false;
  const size_t bit = NamedBit(t);
  return ((kNamedFilter[bit / 64] >> (bit % 64)) & 1) != 0;
}

// Whether no canonical form can start at token `t`: every one needs a digit, a period or
// fiscal label (q.., h.., f..), a capitalized month, a currency code or a number word first
// (see Canonicalizer::Run). Most words are plain; this spares them the checks.
//
// A word starting with q, h or f can start a period only as StartsNumberOrPeriod says; no other
// form starts with these letters but February and the number words, tested below.
// `filter`: first rule out the month, currency and number names with NamedFilter.
template <bool filter>
ABSL_ATTRIBUTE_ALWAYS_INLINE inline bool IsPlainWord(absl::string_view t) {
  if (StartsNumberOrPeriod(t)) return false;
  // Most words fail the filter: no month, currency code or number word can match them.
  if (filter && !NamedFilter(t)) return true;
  const char c = t[0];
  if (c >= 'A' && c <= 'Z' && (Month(t) != 0 || !CurrencyCode(t).empty())) return false;
  return NumberWord(t) < 0;
}

}  // namespace

bool MayBeNamedWord(absl::string_view t) { return NamedFilter(t); }
bool PlainWord(absl::string_view t) { return IsPlainWord<true>(t); }
bool PlainWordReference(absl::string_view t) { return IsPlainWord<false>(t); }

namespace {

class Canonicalizer {
 public:
  Canonicalizer(absl::string_view text, absl::Span<const WordSpan> spans,
                std::vector<CanonPiece>* out)
      : text_(text), spans_(spans), out_(out) {}

  void Run() {
    for (size_t i = 0; i < spans_.size();) {
      if (IsPlainWord<true>(Tok(i))) {
        PushWord(i);
        ++i;
        continue;
      }
      size_t used = IsoDate(i);
      if (used == 0) used = SlashDate(i);
      if (used == 0) used = MonthFirst(i);
      if (used == 0) used = DayFirst(i);
      if (used == 0) used = Period(i);
      if (used == 0) used = Quantity(i);
      if (used == 0) used = OddNumber(i);
      if (used == 0) {
        PushWord(i);
        used = 1;
      }
      i += used;
    }
  }

 private:
  bool Has(size_t i) const { return i < spans_.size(); }
  absl::string_view Tok(size_t i) const {
    return text_.substr(spans_[i].begin, spans_[i].end - spans_[i].begin);
  }
  // Characters between span i-1 (or the start) and span i.
  absl::string_view Gap(size_t i) const {
    const uint32_t b = i == 0 ? 0 : spans_[i - 1].end;
    return text_.substr(b, spans_[i].begin - b);
  }
  absl::string_view GapAfter(size_t i) const {
    if (i + 1 < spans_.size()) return Gap(i + 1);
    return text_.substr(spans_[i].end);
  }

  // Pieces are built in place: a CanonPiece moved into the vector copies its string's bytes.
  void PushWord(size_t i) {
    CanonPiece& p = out_->emplace_back();
    p.is_word = true;
    p.span = static_cast<uint32_t>(i);
  }

  size_t Emit(size_t first, size_t used, std::string text, TokenKind kind) {
    CanonPiece& p = out_->emplace_back();
    p.token.text = std::move(text);
    p.token.kind = kind;
    p.span = static_cast<uint32_t>(first);
    return used;
  }

  // 2026-01-06, 2026/01/06, 2026-01.
  size_t IsoDate(size_t i) {
    const int y = Year(Tok(i), 1000, 2999);
    if (y == 0 || !Has(i + 1)) return 0;
    const absl::string_view sep = Gap(i + 1);
    if (sep != "-" && sep != "/") return 0;
    const absl::string_view mt = Tok(i + 1);
    const int m = mt.size() <= 2 ? SmallInt(mt) : -1;
    if (m < 1 || m > 12) return 0;
    if (Has(i + 2) && Gap(i + 2) == sep && Tok(i + 2).size() <= 2) {
      const int d = SmallInt(Tok(i + 2));
      if (d >= 1 && d <= 31) return Emit(i, 3, Ymd(y, m, d), TokenKind::kDate);
    }
    if (mt.size() == 2) return Emit(i, 2, Ym(y, m), TokenKind::kDate);
    return 0;
  }

  // 1/6/2026 (US order), 28/10/2025 (first part > 12).
  size_t SlashDate(size_t i) {
    if (!Has(i + 2) || Gap(i + 1) != "/" || Gap(i + 2) != "/") return 0;
    const int a = Tok(i).size() <= 2 ? SmallInt(Tok(i)) : -1;
    const int b = Tok(i + 1).size() <= 2 ? SmallInt(Tok(i + 1)) : -1;
    const int y = Year(Tok(i + 2), 1000, 2999);
    if (a < 1 || b < 1 || y == 0) return 0;
    if (a <= 12 && b <= 31) return Emit(i, 3, Ymd(y, a, b), TokenKind::kDate);
    if (b <= 12 && a <= 31) return Emit(i, 3, Ymd(y, b, a), TokenKind::kDate);
    return 0;
  }

  // January 6, 2026 / Jan 6 / February 2026.
  size_t MonthFirst(size_t i) {
    const int m = Month(Tok(i));
    if (m == 0 || !Has(i + 1) || !DateGap(Gap(i + 1))) return 0;
    if (const int d = Day(Tok(i + 1)); d != 0) {
      if (Has(i + 2) && DateGap(Gap(i + 2))) {
        if (const int y = Year(Tok(i + 2)); y != 0) {
          return Emit(i, 3, Ymd(y, m, d), TokenKind::kDate);
        }
      }
      return Emit(i, 2, Md(m, d), TokenKind::kDate);
    }
    if (const int y = Year(Tok(i + 1)); y != 0) return Emit(i, 2, Ym(y, m), TokenKind::kDate);
    return 0;
  }

  // 6 January 2026 / 6th of January / 28 Oct.
  size_t DayFirst(size_t i) {
    const int d = Day(Tok(i));
    if (d == 0 || !Has(i + 1) || !DateGap(Gap(i + 1))) return 0;
    size_t j = i + 1;
    if (Tok(j) == "of" && Has(j + 1) && SpaceGap(Gap(j + 1))) ++j;
    const int m = Month(Tok(j));
    if (m == 0) return 0;
    if (Has(j + 1) && DateGap(Gap(j + 1))) {
      if (const int y = Year(Tok(j + 1)); y != 0) {
        return Emit(i, j + 2 - i, Ymd(y, m, d), TokenKind::kDate);
      }
    }
    return Emit(i, j + 1 - i, Md(m, d), TokenKind::kDate);
  }

  // Q1 2026, Q1'26, Q1 '26, Q1 FY26, 1Q26, 2026Q1, 2026 Q1, H2 2025, FY26.
  size_t Period(size_t i) {
    // Every form starts with q, h, f or a digit.
    if (!StartsPeriodLabel(Tok(i)[0]) && !IsDigit(Tok(i)[0])) return 0;
    const std::string lower = absl::AsciiStrToLower(Tok(i));
    auto year_period = [](int y, absl::string_view label) { return absl::StrCat(y, "-", label); };
    if (std::string label = PeriodLabel(lower); !label.empty()) {
      if (Has(i + 1)) {
        const absl::string_view gap = Gap(i + 1);
        const absl::string_view next = Tok(i + 1);
        if (SpaceGap(gap)) {
          if (const int y = Year(next); y != 0) {
            return Emit(i, 2, year_period(y, label), TokenKind::kDate);
          }
          if (const int y = FiscalYear(absl::AsciiStrToLower(next)); y != 0) {
            return Emit(i, 2, year_period(y, label), TokenKind::kDate);
          }
        }
        if ((gap == " '" || gap == "'") && next.size() == 2 && AllDigits(next)) {
          return Emit(i, 2, year_period(2000 + SmallInt(next), label), TokenKind::kDate);
        }
      }
      return Emit(i, 1, label, TokenKind::kDate);
    }
    // Single tokens: "q1'26", "1q26", "2026q1", "fy26".
    if (const size_t apos = lower.find('\''); apos != std::string::npos) {
      const std::string label = PeriodLabel(absl::string_view(lower).substr(0, apos));
      const int y = ShortOrLongYear(absl::string_view(lower).substr(apos + 1));
      if (!label.empty() && y != 0) return Emit(i, 1, year_period(y, label), TokenKind::kDate);
      return 0;
    }
    if (lower.size() >= 4 && IsDigit(lower[0]) && (lower[1] == 'q' || lower[1] == 'h')) {
      const std::string label = PeriodLabel(std::string{lower[1], lower[0]});
      const int y = ShortOrLongYear(absl::string_view(lower).substr(2));
      if (!label.empty() && y != 0) return Emit(i, 1, year_period(y, label), TokenKind::kDate);
    }
    if (lower.size() == 6) {
      const int y = Year(absl::string_view(lower).substr(0, 4));
      const std::string label = PeriodLabel(absl::string_view(lower).substr(4));
      if (!label.empty() && y != 0) return Emit(i, 1, year_period(y, label), TokenKind::kDate);
    }
    if (const int y = FiscalYear(lower); y != 0) {
      return Emit(i, 1, absl::StrCat("fy", y), TokenKind::kDate);
    }
    if (const int y = Year(Tok(i)); y != 0 && Has(i + 1) && SpaceGap(Gap(i + 1))) {
      const std::string label = PeriodLabel(absl::AsciiStrToLower(Tok(i + 1)));
      if (!label.empty()) return Emit(i, 2, year_period(y, label), TokenKind::kDate);
    }
    return 0;
  }

  // Money, percentages, quantities with units, plain numbers, bare years.
  size_t Quantity(size_t i) {
    size_t j = i;
    absl::string_view currency = CurrencyCode(Tok(i));
    if (!currency.empty()) {
      if (!Has(i + 1) || !SpaceGap(Gap(i + 1)) || !IsDigit(Tok(i + 1)[0])) return 0;
      j = i + 1;
    }
    Num num;
    bool from_word = false;
    if (IsDigit(Tok(j)[0])) {
      std::optional<Num> parsed = ParseNum(Tok(j));
      if (!parsed.has_value()) return 0;
      num = std::move(*parsed);
    } else if (const int w = NumberWord(Tok(j)); w >= 0) {
      num.value.digits = absl::StrCat(w);
      from_word = true;
    } else {
      return 0;
    }
    if (currency.empty()) currency = CurrencyBefore(Gap(j));
    // ".5": segmentation leaves the leading point in the gap.
    if (num.integer && !from_word && ((Gap(j) == "." && j == 0) || absl::EndsWith(Gap(j), " ."))) {
      num.value.exp -= static_cast<int>(num.value.digits.size());
      num.integer = false;
      num.four_digits = false;
    }

    int scale = 0;
    const Unit* unit = nullptr;
    bool ordinal = false;
    if (!num.suffix.empty()) {
      if ((scale = ScaleSuffix(num.suffix)) != 0) {
      } else if ((unit = UnitSuffix(num.suffix)) != nullptr) {
      } else if (IsOrdinalSuffix(num.suffix) && num.integer) {
        ordinal = true;
      } else if (num.suffix == "s" && num.value.digits.size() == 4 &&
                 num.value.digits.back() == '0' && Year(num.value.digits) != 0) {
        return Emit(i, j + 1 - i, absl::StrCat(num.value.digits, "s"), TokenKind::kDate);
      } else {
        return 0;  // "4o", "3D": a word
      }
    }
    size_t k = j + 1;
    auto next_is = [&](auto&& pred) { return Has(k) && SpaceGap(Gap(k)) && pred(Tok(k)); };
    if (scale == 0 && unit == nullptr && !ordinal &&
        next_is([&](absl::string_view t) { return (scale = ScaleWord(t)) != 0; })) {
      ++k;
    }
    if (unit == nullptr && !ordinal && currency.empty() &&
        next_is([&](absl::string_view t) { return (unit = UnitWord(t)) != nullptr; })) {
      ++k;
    }
    if (unit == nullptr && !ordinal) {
      absl::string_view word_currency;
      if (next_is([&](absl::string_view t) {
            word_currency = CurrencyWord(t);
            return !word_currency.empty();
          })) {
        if (currency.empty()) currency = word_currency;
        ++k;
      }
    }
    bool percent = false;
    if (currency.empty() && unit == nullptr && !ordinal) {
      if (absl::StartsWith(GapAfter(k - 1), "%")) {
        percent = true;
      } else if (next_is([](absl::string_view t) {
                   const SmallLower<7> lower_buf(t);
                   const absl::string_view lower = lower_buf.view();
                   return lower == "percent" || lower == "pct";
                 })) {
        percent = true;
        ++k;
      } else if (next_is([](absl::string_view t) { return absl::EqualsIgnoreCase(t, "per"); }) &&
                 Has(k + 1) && SpaceGap(Gap(k + 1)) && absl::EqualsIgnoreCase(Tok(k + 1), "cent")) {
        percent = true;
        k += 2;
      }
    }
    if (from_word && scale == 0 && unit == nullptr && currency.empty() && !percent) return 0;

    Decimal value = num.value;
    value.exp += scale + (unit != nullptr ? unit->pow10 : 0);
    const std::string number = FormatDecimal(value);
    const size_t used = k - i;
    if (!currency.empty()) return Emit(i, used, absl::StrCat(currency, number), TokenKind::kMoney);
    if (percent) return Emit(i, used, absl::StrCat(number, "%"), TokenKind::kPercent);
    if (unit != nullptr) {
      return Emit(i, used, absl::StrCat(number, ":", unit->base), TokenKind::kNumber);
    }
    if (ordinal) {
      return Emit(i, used, absl::StrCat(number, absl::AsciiStrToLower(num.suffix)),
                  TokenKind::kNumber);
    }
    if (num.four_digits && scale == 0 && Year(num.value.digits) != 0) {
      return Emit(i, used, std::string(num.value.digits), TokenKind::kDate);
    }
    return Emit(i, used, number, TokenKind::kNumber);
  }

  // Digit tokens ParseNum rejects: "1,5" and "2,3,5" (lists) become several numbers,
  // "1.2.3" (a version) stays verbatim.
  size_t OddNumber(size_t i) {
    const absl::string_view t = Tok(i);
    if (!IsDigit(t[0])) return 0;
    for (char c : t) {
      if (IsLetter(c) || c == '_') return 0;  // "4o", "3d_model": a word
    }
    size_t start = 0;
    for (size_t p = 0; p <= t.size(); ++p) {
      if (p < t.size() && t[p] != ',' && t[p] != ';' && t[p] != '\'') continue;
      const absl::string_view part = t.substr(start, p - start);
      start = p + 1;
      if (part.empty()) continue;
      std::optional<Num> num = ParseNum(part);
      Emit(i, 0, num.has_value() ? FormatDecimal(num->value) : std::string(part),
           TokenKind::kNumber);
    }
    return 1;
  }

  absl::string_view text_;
  absl::Span<const WordSpan> spans_;
  std::vector<CanonPiece>* out_;
};

}  // namespace

std::string FormatDecimal(const Decimal& d) {
  absl::string_view s = d.digits;
  size_t first = 0;
  while (first < s.size() && s[first] == '0') ++first;
  s.remove_prefix(first);
  int exp = d.exp;
  if (s.empty()) return "0";
  while (exp < 0 && s.back() == '0') {
    s.remove_suffix(1);
    ++exp;
  }
  std::string out;
  if (exp >= 0) {
    out.reserve(s.size() + static_cast<size_t>(exp));
    out.append(s.data(), s.size());
    out.append(static_cast<size_t>(exp), '0');
    return out;
  }
  const size_t frac = static_cast<size_t>(-exp);
  if (s.size() > frac) {
    out.reserve(s.size() + 1);
    out.append(s.data(), s.size() - frac);
    out.push_back('.');
    out.append(s.data() + s.size() - frac, frac);
    return out;
  }
  out.reserve(2 + frac);
  out.append("0.");
  out.append(frac - s.size(), '0');
  out.append(s.data(), s.size());
  return out;
}

void Canonicalize(absl::string_view text, absl::Span<const WordSpan> spans,
                  std::vector<CanonPiece>* out) {
  out->reserve(out->size() + spans.size());
  Canonicalizer(text, spans, out).Run();
}

}  // namespace factdedup::dedup::internal
