// Claim slots of one fact, and how two facts' slots compare (internal to conflicts.cc; public
// here only for the tests).
//
//   dedup::Normalizer n;
//   absl::StatusOr<Slots> s = ExtractSlots(n, "MAI goes live in Q1 2026", 20251216);
//   s->dates[0].iv  ->  {2026*12 + 0, 2026*12 + 2}   (January..March 2026, months)
//
// Dates are month intervals (month index = year * 12 + month - 1); a date without a year takes
// the year that puts it nearest to the note's date. Amounts come from dedup::Normalizer's
// canonical tokens, so "2EB" and "2 exabytes", "$250B" and "250 billion dollars" are equal.
#ifndef FACTDEDUP_PROVENANCE_INTERNAL_CLAIM_SLOTS_H_
#define FACTDEDUP_PROVENANCE_INTERNAL_CLAIM_SLOTS_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "dedup/normalize.h"

namespace factdedup::provenance::internal {

inline bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
inline bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Letters for word splitting: ASCII letters and any byte of a multi-byte UTF-8 sequence,
// except the bytes of the typographic apostrophe and quotes (U+2018/2019/201C/201D).
bool IsWordByte(absl::string_view s, size_t i);

struct Word {
  size_t begin = 0, end = 0;
  absl::string_view text;
};

// Runs of letters/digits.
std::vector<Word> Words(absl::string_view s);
// Words(s) into `*out` (replacing what it held; its capacity is reused).
void WordsInto(absl::string_view s, std::vector<Word>* out);
// The Words of `s`, ASCII-lowercased.
std::vector<std::string> LowerWords(absl::string_view s);

// MonthOf's table lookup, for a word that may be a month name.
int MonthLookup(absl::string_view w);

// 1..12 for a capitalized month name or 3-letter abbreviation ("Sept" too), else 0. Inline:
// it is asked about every word of every fact, and most are told apart by size and first byte.
inline int MonthOf(absl::string_view w) {
  // Per initial, the sizes of the month names and abbreviations starting with it (bits).
  constexpr auto kSizes = [] {
    std::array<uint16_t, 26> t{};
    for (std::string_view m : {"january", "february", "march", "april", "may", "june", "july",
                               "august", "september", "october", "november", "december"}) {
      t[m[0] - 'a'] |= uint16_t(1u << m.size() | 1u << 3);
    }
    t['s' - 'a'] |= 1u << 4;  // "Sept"
    return t;
  }();
  if (w.size() < 3 || w.size() > 9 || !IsUpper(w[0]) || !(kSizes[w[0] - 'A'] >> w.size() & 1)) {
    return 0;
  }
  return MonthLookup(w);
}

// An array fixed at its size when made: its elements in one allocation (none when empty)
// behind an 8-byte handle. The conflict pass keeps every fact's PairSlots through the pair
// examination: four std::vectors and a std::string there took 128 of its 144 bytes, and the
// vectors kept their growth's spare capacity. Made from a std::vector (its elements moved).
template <typename T>
class FixedArray {
 public:
  FixedArray() = default;
  FixedArray(std::vector<T>&& v) { Take(v); }  // NOLINT: implicit, as a vector is assigned
  // A copy of [first, first + n).
  FixedArray(const T* first, size_t n) {
    if (n == 0) return;
    void* p = ::operator new(kHeader + n * sizeof(T));
    try {  // a throwing copy leaves nothing behind: the copies made so far and the block go
      std::uninitialized_copy_n(first, n, Elements(p));
    } catch (...) {
      ::operator delete(p);
      throw;
    }
    *static_cast<size_t*>(p) = n;
    p_ = p;
  }
  FixedArray(const FixedArray& o) : FixedArray(o.begin(), o.size()) {}
  FixedArray(FixedArray&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  FixedArray& operator=(FixedArray o) noexcept {
    std::swap(p_, o.p_);
    return *this;
  }
  FixedArray& operator=(std::vector<T>&& v) { return *this = FixedArray(std::move(v)); }
  ~FixedArray() {
    if (p_ == nullptr) return;
    for (T& x : *this) x.~T();
    ::operator delete(p_);
  }

  size_t size() const { return p_ == nullptr ? 0 : *reinterpret_cast<const size_t*>(p_); }
  bool empty() const { return p_ == nullptr; }
  T* begin() { return data(); }
  T* end() { return data() + size(); }
  const T* begin() const { return data(); }
  const T* end() const { return data() + size(); }
  T& operator[](size_t i) { return data()[i]; }
  const T& operator[](size_t i) const { return data()[i]; }

 private:
  static constexpr size_t kHeader = alignof(T) > sizeof(size_t) ? alignof(T) : sizeof(size_t);
  static_assert(alignof(T) <= alignof(std::max_align_t));
  T* data() const {
    return p_ == nullptr ? nullptr : reinterpret_cast<T*>(static_cast<char*>(p_) + kHeader);
  }
  // Moves the elements of `v` in (this is empty).
  void Take(std::vector<T>& v) {
    static_assert(std::is_nothrow_move_constructible_v<T>, "Take moves without a rollback");
    if (v.empty()) return;
    void* p = ::operator new(kHeader + v.size() * sizeof(T));
    std::uninitialized_move(v.begin(), v.end(), Elements(p));
    *static_cast<size_t*>(p) = v.size();
    p_ = p;
  }
  static T* Elements(void* block) {
    return reinterpret_cast<T*>(static_cast<char*>(block) + kHeader);
  }
  void* p_ = nullptr;  // the size (a size_t), then the elements
};

// A month interval [lo, hi], months counted as year * 12 + (month - 1).
struct Interval {
  int lo = 0, hi = 0;
};

struct DateHit {
  Interval iv;
  uint32_t begin = 0, end = 0;  // bytes in the text (a note is under 4 GiB)
  bool bare_month = false;      // year guessed from the reference date
  int month = 0;
  // The event the date belongs to ("deploy", "decide", ...), or "": a view of a static string
  // (a fact's dates are kept by the conflict pass for the whole pair examination).
  absl::string_view role;
};

// Dates and periods in `text`, ranges ("May to June 2026", "2026-01 - 2026-03") merged.
// Recognized: years, "Q1 2026", months with or without day and year, ISO dates, and "this/
// next/last year/month/quarter". `ref` is the note's date as a month index (0 if unknown):
// bare months resolve to the nearest such month and relative periods to the note's date;
// without a reference they are dropped.
std::vector<DateHit> ExtractDates(absl::string_view text, int ref);
// ExtractDates, given the Words of `text`.
std::vector<DateHit> ExtractDatesIn(absl::string_view text, const std::vector<Word>& words,
                                    int ref);
// ExtractDates without its quick test that passes the words that can start no date (for
// tests: the dates are the same).
std::vector<DateHit> ExtractDatesEveryWord(absl::string_view text, int ref);

// Whether two intervals share a month.
bool Overlap(const Interval& a, const Interval& b);

// "2025-12-16" (quotes allowed) -> month index; 0 if not a date. *day gets yyyymmdd.
int ParseIsoDate(absl::string_view v, int* day = nullptr);

// A YAML scalar without surrounding whitespace and one pair of matching quotes.
std::string Unquote(absl::string_view v);

// yyyymmdd -> month index; 0 for 0.
int DayToMonthIndex(int day);

// yyyymmdd -> "yyyy-mm-dd".
std::string DayString(int day);

// A milestone happens once for its subject (a go-live, a decision, an order, a deal), so two
// dates for it disagree; meetings and calls recur, so theirs are compared only within a
// cluster (the same meeting).
bool IsMilestoneRole(absl::string_view role);

struct Amount {
  // "$", "%", "byte", ... ; "" for a plain number. A view of a string that lives as long as
  // the process (InternUnit): a fact's amounts are kept by the conflict pass.
  absl::string_view unit;
  double value = 0;
};

// `unit` as a view that lives as long as the process: of a constant for the units
// dedup::Normalizer writes, else of a string kept (once per distinct unit). Thread-safe.
absl::string_view InternUnit(absl::string_view unit);

// An amount for display: "$250B", "2EB", "15%", "10x", "3".
std::string FormatAmount(const Amount& a);

enum class Qualifier { kNone, kAtLeast, kAtMost, kAbout };

enum class Polarity { kNone, kOn, kOff, kNot };

// A clause (split at ';' and ': ') with its state marker: kOn ("continues", "remains"),
// kOff ("removed", "ended", "lifted"), kNot ("not", "never", "won't") or none.
struct Clause {
  std::string text;
  Polarity polarity = Polarity::kNone;
  // Content tokens, stemmed, as TokenHash values; sorted, distinct. Only compared with
  // another clause's, so hashes serve (8 bytes each instead of a string).
  std::vector<uint64_t> tokens;
  // For kNot: TokenHash of the word negated (its VerbBase) and of the first content word
  // after it (lowercase); 0 when there is none. Hashes, not strings: every clause has the
  // fields and few clauses are negations.
  uint64_t predicate = 0;
  uint64_t object = 0;
};

// An explicitly superseded part ("previously X", "X is no longer ...", "moved from X to Y").
struct Update {
  std::string value;            // the superseded part as written
  std::vector<Interval> dates;  // the dates in it
};

// What the pair comparisons (DatesDisagree, AmountsDisagree, Supersedes, ClausesOppose) read
// of a fact's slots: the conflict pass keeps this part of every fact's (56 bytes, not Slots'
// 104).
struct PairSlots {
  // The dates as written in the normalizer's cleaned text, one after the other (no
  // separator): the `dates`' offsets point here, not into the whole text, which the pair
  // comparisons never read.
  FixedArray<char> dates_written;
  // TokenHash of the whole cleaned text: tells two facts' texts apart.
  uint64_t clean_hash = 0;
  FixedArray<DateHit> dates;  // superseded ones removed
  FixedArray<Amount> amounts;
  FixedArray<Clause> clauses;
  FixedArray<Update> updates;
  // Of the amounts ("more than", "up to", "about"); kNone when there are none.
  Qualifier qualifier = Qualifier::kNone;
  int fact_day = 0;  // the statement's own date (leading "On 2025-10-28," / "2025-12-27:")

  // `dates_written` as a view: its substr(h.begin, h.end - h.begin) is date h as written.
  absl::string_view dates_text() const {
    return absl::string_view(dates_written.begin(), dates_written.size());
  }
};

struct Slots : PairSlots {
  // Distinct content tokens and name tokens (capitalized, acronyms), folded, as TokenHash
  // values, sorted. The conflict pass only tells them apart, so hashes serve; it moves both
  // into the fact's ClaimSummary and reads them from there.
  std::vector<uint64_t> content;
  std::vector<uint64_t> names;
};

// The hash a folded token is known by in Clause::tokens and Slots::content/names
// (dedup::Hash64: 64 bits, so two distinct words of one vault share one with a chance of
// about words^2 / 2^65).
uint64_t TokenHash(absl::string_view token);

// Dense ids of token hashes (TokenHash values), first seen first: an open-addressing table
// on the hashes' low bits (uniform already), cheaper than a general hash map for the million
// lookups of a large vault's postings.
class TokenIds {
 public:
  // The id of `token`: a new one (the count so far) the first time.
  int IdOf(uint64_t token);
  // Ids given so far.
  int size() const { return size_; }

 private:
  struct Slot {
    uint64_t key = 0;  // 0: empty (token 0 has its id in zero_id_)
    int id = 0;
  };
  void Grow();
  std::vector<Slot> slots_;
  size_t used_ = 0;
  int size_ = 0;
  int zero_id_ = -1;
};

// Calls fn(r, first, last) for `ranges` contiguous ranges [first, last) of [0, n), in order
// (range r ends where range r + 1 starts), range r on a thread of its own (r = 0 on the
// caller's).
template <typename Fn>
void ParallelRanges(int ranges, int n, Fn fn) {
  auto bound = [&](int r) { return static_cast<int>(static_cast<int64_t>(n) * r / ranges); };
  std::vector<std::thread> pool;
  for (int r = 1; r < ranges; ++r) pool.emplace_back(fn, r, bound(r), bound(r + 1));
  fn(0, 0, bound(1));
  for (std::thread& t : pool) t.join();
}

// Numbers the token hashes of items [0, n) (tokens_of(i): item i's, offsets[i + 1] -
// offsets[i] of them) with dense ids, first seen first over the items in order, exactly as one
// TokenIds asked about every entry in order would: entry k of item i gets
// (*ids)[offsets[i] + k]. Returns the number of ids. Runs on `ranges` threads (ParallelRanges):
// each range numbers its tokens on its own, then the ranges' tokens are numbered in range
// order (one lookup per distinct token of a range, not per entry), and each range's entries
// are translated. The conflict pass numbers a million facts' tokens so.
template <typename TokensOf>
int DenseIds(int ranges, int n, TokensOf tokens_of, const std::vector<size_t>& offsets,
             std::vector<int>* ids) {
  ids->resize(offsets[n]);
  int* const out = ids->data();
  std::vector<std::vector<uint64_t>> keys(ranges);  // per range: its tokens, by local id
  ParallelRanges(ranges, n, [&](int r, int first, int last) {
    TokenIds local;
    std::vector<uint64_t>& mine = keys[r];
    for (int i = first; i < last; ++i) {
      int* into = out + offsets[i];
      for (uint64_t t : tokens_of(i)) {
        const int id = local.IdOf(t);
        if (id == static_cast<int>(mine.size())) mine.push_back(t);
        *into++ = id;
      }
    }
  });
  if (ranges == 1) return static_cast<int>(keys[0].size());
  TokenIds global;
  std::vector<std::vector<int>> to_global(ranges);
  for (int r = 0; r < ranges; ++r) {
    to_global[r].reserve(keys[r].size());
    for (uint64_t t : keys[r]) to_global[r].push_back(global.IdOf(t));
    std::vector<uint64_t>().swap(keys[r]);
  }
  ParallelRanges(ranges, n, [&](int r, int first, int last) {
    const int* const map = to_global[r].data();
    for (size_t e = offsets[first]; e < offsets[last]; ++e) out[e] = map[out[e]];
  });
  return global.size();
}

// Distinct token hashes (TokenHash values) numbered in the order added; once sealed, found by
// an open-addressing table at most a quarter full behind a filter of a flag per value of the
// token's top bits (the hashes are uniform: no mixing), at most 1/64 of them set. The conflict
// pass asks it about every token of a vault's facts, most of which it does not hold: those
// cost a bit test, rarely a probe.
class PendingTokens {
 public:
  // Adds `t` (unsealed) unless it is there.
  void Add(uint64_t t);
  // Tokens added.
  size_t size() const { return keys_.size(); }
  // The x-th token added.
  uint64_t key(size_t x) const { return keys_[x]; }
  // Builds the table and the filter; Add after this is not allowed.
  void Seal();
  // False when `t` is surely not a token added (sealed).
  bool MayHave(uint64_t t) const { return filter_[t >> filter_shift_] != 0; }
  // MayHave's filter as a value, for a loop that keeps it in registers (valid while this is
  // sealed and not changed).
  struct Filter {
    const uint8_t* flags;
    int shift;
    bool MayHave(uint64_t t) const { return flags[t >> shift] != 0; }
  };
  Filter filter() const { return {filter_.data(), filter_shift_}; }
  // The number of `t` (its order of addition), or -1 (sealed).
  int Find(uint64_t t) const {
    for (size_t s = Mix(t) & mask_;; s = (s + 1) & mask_) {
      const Slot& slot = slots_[s];
      if (slot.index < 0 || slot.key == t) return slot.index;
    }
  }

 private:
  struct Slot {
    uint64_t key = 0;
    int index = -1;
  };
  static uint64_t Mix(uint64_t t) { return (t ^ (t >> 29)) * 0xBF58476D1CE4E5B9ULL >> 7; }
  std::vector<uint64_t> keys_;
  std::vector<Slot> slots_;  // while unsealed: the table of keys_ so far (Add's lookups)
  size_t mask_ = 0;
  std::vector<uint8_t> filter_;  // a byte per bit: a test is one load
  int filter_shift_ = 63;
};

// The folded (lowercase, possibly stemmed) words that name a month or a weekday.
inline constexpr std::string_view kMonthOrDayWords[] = {
    "january",   "february", "march",     "april",    "may",    "june",     "july",   "august",
    "september", "october",  "november",  "december", "jan",    "feb",      "mar",    "apr",
    "jun",       "jul",      "aug",       "sep",      "sept",   "oct",      "nov",    "dec",
    "monday",    "tuesday",  "wednesday", "thursday", "friday", "saturday", "sunday", "januari",
    "februari",  "juli",     "octob",     "novemb",   "decemb", "septemb"};

// Per initial (a..z), the lengths of the kMonthOrDayWords starting with it, as bits.
inline constexpr auto kMonthOrDayLengths = [] {
  std::array<uint32_t, 26> t{};
  for (std::string_view w : kMonthOrDayWords) t[w[0] - 'a'] |= uint32_t{1} << w.size();
  return t;
}();

// IsMonthOrDayWord's table lookup.
bool MonthOrDayLookup(absl::string_view t);

// Whether a folded (lowercase, possibly stemmed) token names a month or a weekday (one of
// kMonthOrDayWords). Inline: it is asked about every token, and most are told apart by their
// initial and size.
inline bool IsMonthOrDayWord(absl::string_view t) {
  if (t.empty() || t.size() > 31 || t[0] < 'a' || t[0] > 'z' ||
      !(kMonthOrDayLengths[t[0] - 'a'] >> t.size() & 1)) {
    return false;
  }
  return MonthOrDayLookup(t);
}

// The slots of a fact's display text. `note_day` (yyyymmdd, 0 if unknown) resolves dates
// without a year and dates the statement unless it starts with its own date. Fails only when
// the normalizer does (invalid UTF-8). `normalized`, when given, is `display` as `n`
// normalizes it (a caller that has it already; only its `clean`, `truncated` and `tokens` are
// read, `all_tokens` may be empty); the result is the same.
//
// With `plain_clauses` false, a fact none of whose clauses states a state (Polarity::kNone
// only) gets no clauses (and its clauses' tokens are not computed): ClausesOppose compares a
// plain clause only with a negation (kNot), so a caller that knows which facts are compared
// with one can extract those again in full. Everything else is the same.
absl::StatusOr<Slots> ExtractSlots(const dedup::Normalizer& n, absl::string_view display,
                                   int note_day, const dedup::NormalizedText* normalized = nullptr,
                                   bool plain_clauses = true);

// Whether the dates (of `role`, or all when role is null) disagree: both sides have some and
// no interval of one overlaps an interval of the other; `by_year` widens every interval to
// whole years first. A month whose year was guessed from the note's date agrees with the same
// month of any year. *va/*vb get the dates as written.
bool DatesDisagree(const PairSlots& a, const PairSlots& b, const absl::string_view* role,
                   bool by_year, std::string* va, std::string* vb);

// Amounts of one unit disagree: no pair compatible and neither side's range holds the other.
// *va/*vb (either may be null: not wanted) get the amounts of that unit (FormatAmount).
bool AmountsDisagree(const PairSlots& a, const PairSlots& b, bool plain_numbers, std::string* va,
                     std::string* vb);

// A clause pair with opposite state, or "X not P O" vs "X P O".
bool ClausesOppose(const Clause& a, const Clause& b, double min_overlap);

// Whether `newer` explicitly supersedes a date `older` states ("now May (previously January)"
// against "go-live in January"): then the two are an update, not a contradiction.
bool Supersedes(const PairSlots& newer, const PairSlots& older);

}  // namespace factdedup::provenance::internal

#endif  // FACTDEDUP_PROVENANCE_INTERNAL_CLAIM_SLOTS_H_
