#include "dedup/engine.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <iterator>
#include <memory>
#include <mutex>
#include <numeric>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "dedup/hash.h"
#include "dedup/internal/band_table.h"
#include "dedup/internal/parallel.h"
#include "dedup/simhash.h"

namespace factdedup::dedup {
namespace {

using internal::ParallelFor;

// Strings stored back to back in one buffer: element k is chars[ends[k - 1], ends[k]).
class StringList {
 public:
  StringList() = default;
  StringList(const uint32_t* ends, const char* chars, uint32_t first, uint32_t last)
      : ends_(ends), chars_(chars), first_(first), last_(last) {}
  size_t size() const { return last_ - first_; }
  bool empty() const { return first_ == last_; }
  absl::string_view operator[](size_t i) const {
    const uint32_t k = first_ + static_cast<uint32_t>(i);
    const uint32_t b = k == 0 ? 0 : ends_[k - 1];
    return absl::string_view(chars_ + b, ends_[k] - b);
  }
  // Whether the (sorted) list holds `s`.
  bool Contains(absl::string_view s) const {
    size_t lo = 0, hi = size();
    while (lo < hi) {
      const size_t mid = (lo + hi) / 2;
      if ((*this)[mid] < s) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo < size() && (*this)[lo] == s;
  }
  class Iterator {
   public:
    Iterator(const StringList* list, size_t i) : list_(list), i_(i) {}
    absl::string_view operator*() const { return (*list_)[i_]; }
    Iterator& operator++() {
      ++i_;
      return *this;
    }
    bool operator!=(const Iterator& o) const { return i_ != o.i_; }

   private:
    const StringList* list_;
    size_t i_;
  };
  Iterator begin() const { return Iterator(this, 0); }
  Iterator end() const { return Iterator(this, size()); }

 private:
  const uint32_t* ends_ = nullptr;
  const char* chars_ = nullptr;
  uint32_t first_ = 0, last_ = 0;
};

constexpr int kMoney = 0, kPercent = 1, kNumber = 2, kDate = 3;

// What verification needs of one fact, computed once (Extract). Its lists live in one
// allocation of exactly their size: a fact's features live for the whole run, and ten
// separate lists (with their headers, their strings' headers and their allocations' slack)
// took about 350 bytes per fact more, a third of the features of a 1M-fact vault.
class Features {
 public:
  // The lists Extract derives from a normalization.
  struct Lists {
    std::vector<uint64_t> tokens;        // sorted unique content-token hashes
    std::vector<uint64_t> seq;           // content-token hashes in text order
    std::vector<uint64_t> bigrams;       // sorted unique ordered bigram hashes
    std::vector<uint64_t> name_hashes;   // the hash of each name token, in text order
    std::vector<std::string> values[4];  // per kind (kMoney ... kDate), sorted unique
    std::vector<std::string> names;      // sorted unique name tokens
    std::string entry_date;
    std::string initials;
  };
  Features() = default;
  explicit Features(const Lists& l);

  absl::Span<const uint64_t> tokens() const { return {Words(), n_tokens_}; }
  // Per entry of tokens(): IDF over the corpus (set by the corpus pass), or 1.
  absl::Span<const float> weights() const { return {Weights(), n_tokens_}; }
  absl::Span<float> mutable_weights() { return {Weights(), n_tokens_}; }
  absl::Span<const uint64_t> seq() const { return {Words() + n_tokens_, n_seq_}; }
  absl::Span<const uint64_t> bigrams() const { return {Words() + n_tokens_ + n_seq_, n_bigrams_}; }
  absl::Span<const uint64_t> name_hashes() const {
    return {Words() + n_tokens_ + n_seq_ + n_bigrams_, n_name_hashes_};
  }
  // Money, percent, number and date values, each kind sorted unique, the kinds in that order.
  StringList values() const { return Strings(0, value_end_[3]); }
  StringList Values(int kind) const {
    return Strings(kind == 0 ? 0 : value_end_[kind - 1], value_end_[kind]);
  }
  StringList names() const { return Strings(value_end_[3], value_end_[3] + n_names_); }
  bool HasValues(int kind) const {
    return value_end_[kind] > (kind == 0 ? 0 : value_end_[kind - 1]);
  }
  bool HasNames() const { return n_names_ > 0; }
  // A leading "2025-12-27: ..." dates the entry (a log line), not the claim's own dates:
  // compared only with another entry's date. "" when there is none.
  absl::string_view entry_date() const { return String(StringCount() - 2); }
  // The first letter of each content token, in text order.
  absl::string_view initials() const { return String(StringCount() - 1); }

  double total_weight = 0;  // the sum of weights(), added in order
  // Names of people, places, organizations (see the corpus pass) and their Hash64.
  std::vector<std::string> entities;
  std::vector<uint64_t> entity_hashes;
  uint64_t exact = 0;  // hash of every token in order
  uint32_t clean_len = 0;
  bool truncated = false;
  bool repaired = false;
  bool suspect = false;
  bool passive = false;      // has "by" (passive voice flips the order of roles)
  bool dated_entry = false;  // entry_date() is not empty

 private:
  // The block: u64 words (tokens, seq, bigrams, name hashes), then float weights, then the
  // strings' u32 ends (values, names, entry date, initials), then their bytes.
  uint64_t* Words() const { return block_.get(); }
  float* Weights() const { return reinterpret_cast<float*>(block_.get() + weights_at_); }
  uint32_t StringCount() const { return value_end_[3] + n_names_ + 2; }
  const uint32_t* Ends() const { return reinterpret_cast<const uint32_t*>(Weights() + n_tokens_); }
  const char* Chars() const { return reinterpret_cast<const char*>(block_.get()) + chars_at_; }
  StringList Strings(uint32_t first, uint32_t last) const {
    if (!block_) return {};
    return StringList(Ends(), Chars(), first, last);
  }
  // The string at `k` (of StringCount()).
  absl::string_view String(uint32_t k) const {
    if (!block_) return {};
    const uint32_t* ends = Ends();
    const uint32_t b = k == 0 ? 0 : ends[k - 1];
    return absl::string_view(Chars() + b, ends[k] - b);
  }

  std::unique_ptr<uint64_t[]> block_;
  uint32_t n_tokens_ = 0, n_seq_ = 0, n_bigrams_ = 0, n_name_hashes_ = 0, n_names_ = 0;
  uint32_t value_end_[4] = {0, 0, 0, 0};  // end of each kind among the strings
  uint32_t weights_at_ = 0;               // in words
  uint32_t chars_at_ = 0;                 // in bytes
};

Features::Features(const Lists& l)
    : n_tokens_(static_cast<uint32_t>(l.tokens.size())),
      n_seq_(static_cast<uint32_t>(l.seq.size())),
      n_bigrams_(static_cast<uint32_t>(l.bigrams.size())),
      n_name_hashes_(static_cast<uint32_t>(l.name_hashes.size())),
      n_names_(static_cast<uint32_t>(l.names.size())) {
  std::vector<absl::string_view> strings;
  for (int k = 0; k < 4; ++k) {
    for (const std::string& v : l.values[k]) strings.push_back(v);
    value_end_[k] = static_cast<uint32_t>(strings.size());
  }
  for (const std::string& v : l.names) strings.push_back(v);
  strings.push_back(l.entry_date);
  strings.push_back(l.initials);
  size_t chars = 0;
  for (absl::string_view v : strings) chars += v.size();
  const size_t words = n_tokens_ + n_seq_ + n_bigrams_ + n_name_hashes_;
  weights_at_ = static_cast<uint32_t>(words);
  chars_at_ = static_cast<uint32_t>(words * 8 + n_tokens_ * sizeof(float) + strings.size() * 4);
  const size_t bytes = chars_at_ + chars;
  block_ = std::make_unique_for_overwrite<uint64_t[]>((bytes + 7) / 8);
  uint64_t* w = block_.get();
  for (const std::vector<uint64_t>* v : {&l.tokens, &l.seq, &l.bigrams, &l.name_hashes}) {
    std::copy(v->begin(), v->end(), w);
    w += v->size();
  }
  std::fill(Weights(), Weights() + n_tokens_, 1.0F);
  uint32_t* ends = const_cast<uint32_t*>(Ends());
  char* out = reinterpret_cast<char*>(ends + strings.size());
  uint32_t end = 0;
  for (size_t k = 0; k < strings.size(); ++k) {
    std::memcpy(out + end, strings[k].data(), strings[k].size());
    end += static_cast<uint32_t>(strings[k].size());
    ends[k] = end;
  }
  for (size_t k = 0; k < n_tokens_; ++k) total_weight += Weights()[k];
}

// What the corpus pass reads of a fact and then drops (kept apart from Features, which live
// for the whole run).
struct CaseInfo {
  std::vector<uint8_t> case_flags;  // per entry of Features::tokens: kSeen* bits
  std::vector<std::string> caps;    // sorted unique capitalized content words
};

// A fact's MinHash set keeps at least this many of its words, common or not.
constexpr size_t kMinSketchTokens = 3;

constexpr uint8_t kSeenLowercase = 1, kSeenName = 2;

// "2025-12-27:" or "2025-12-27 -" opening the text.
bool EntryDatePrefix(absl::string_view clean) {
  if (clean.size() < 11) return false;
  for (size_t i = 0; i < 10; ++i) {
    const char c = clean[i];
    if ((i == 4 || i == 7) ? c != '-' : !absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  absl::string_view rest = absl::StripLeadingAsciiWhitespace(clean.substr(10));
  return !rest.empty() && (rest[0] == ':' || rest[0] == '-');
}

// A fact's features; `cases` (optional) gets what the corpus pass reads.
Features Extract(const NormalizedText& t, CaseInfo* cases = nullptr) {
  CaseInfo unused;
  CaseInfo& ci = cases != nullptr ? *cases : unused;
  thread_local Features::Lists l;  // reused: Extract runs once per fact
  l.tokens.clear();
  l.seq.clear();
  l.bigrams.clear();
  l.name_hashes.clear();
  for (auto& v : l.values) v.clear();
  l.names.clear();
  l.entry_date.clear();
  l.initials.clear();
  bool passive = false;
  thread_local std::string all;
  all.clear();
  for (const Token& tok : t.all_tokens) {
    all.append(tok.text);
    all.push_back('\x1f');
    if (tok.text == "by") passive = true;
  }
  if (cases != nullptr) {
    size_t caps = 0;
    for (const Token& tok : t.tokens) caps += tok.capitalized ? 1 : 0;
    ci.caps.reserve(caps);
  }
  const bool dated_entry =
      !t.tokens.empty() && t.tokens[0].kind == TokenKind::kDate && EntryDatePrefix(t.clean);
  for (const Token& tok : t.tokens) {
    if (dated_entry && &tok == &t.tokens[0]) {
      l.entry_date = tok.text;
      l.seq.push_back(Hash64(tok.text));
      l.initials.push_back(tok.text.empty() ? ' ' : tok.text[0]);
      continue;
    }
    uint64_t h = Hash64(tok.text);
    l.seq.push_back(h);
    l.initials.push_back(tok.text.empty() ? ' ' : tok.text[0]);
    switch (tok.kind) {
      case TokenKind::kMoney:
        l.values[kMoney].push_back(tok.text);
        break;
      case TokenKind::kPercent:
        l.values[kPercent].push_back(tok.text);
        break;
      case TokenKind::kNumber:
        l.values[kNumber].push_back(tok.text);
        break;
      case TokenKind::kDate:
        l.values[kDate].push_back(tok.text);
        break;
      case TokenKind::kName:
        l.names.push_back(tok.text);
        l.name_hashes.push_back(h);
        break;
      case TokenKind::kWord:
        break;
    }
  }
  l.tokens.assign(l.seq.begin(), l.seq.end());
  std::sort(l.tokens.begin(), l.tokens.end());
  l.tokens.erase(std::unique(l.tokens.begin(), l.tokens.end()), l.tokens.end());
  if (cases != nullptr) {
    ci.case_flags.assign(l.tokens.size(), 0);
    for (size_t i = 0; i < t.tokens.size(); ++i) {
      const Token& tok = t.tokens[i];
      const size_t at = static_cast<size_t>(
          std::lower_bound(l.tokens.begin(), l.tokens.end(), l.seq[i]) - l.tokens.begin());
      if (tok.lowercase) ci.case_flags[at] |= kSeenLowercase;
      if (tok.kind == TokenKind::kName) ci.case_flags[at] |= kSeenName;
      if (tok.capitalized) ci.caps.push_back(tok.text);
    }
  }
  for (size_t i = 0; i + 1 < l.seq.size(); ++i) {
    l.bigrams.push_back(l.seq[i] * 0x9E3779B97F4A7C15ULL ^ (l.seq[i + 1] + 0x632BE59BD9B4E019ULL));
  }
  std::sort(l.bigrams.begin(), l.bigrams.end());
  l.bigrams.erase(std::unique(l.bigrams.begin(), l.bigrams.end()), l.bigrams.end());
  auto uniq = [](std::vector<std::string>& v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
  };
  for (auto& v : l.values) uniq(v);
  uniq(l.names);
  uniq(ci.caps);
  Features f(l);
  f.truncated = t.truncated;
  f.repaired = t.repaired_mojibake;
  f.suspect = t.suspect_mojibake;
  f.clean_len = static_cast<uint32_t>(t.clean.size());
  f.passive = passive;
  f.dated_entry = !l.entry_date.empty();
  f.exact = Hash64(all);
  f.entities = l.names;  // without a corpus; Deduplicate refines it
  f.entity_hashes.reserve(f.entities.size());
  for (const std::string& e : f.entities) f.entity_hashes.push_back(Hash64(e));
  return f;
}

// Per-token counts over every fact's `tokens` (or another per-token field), merged from
// one map per thread: `add(map, fact)` adds one fact's tokens, `merge(into, value)` folds a
// thread's entry in. The result does not depend on the split (sums and ORs).
template <typename Map, typename Add, typename Merge>
Map CountPerToken(const std::vector<Features>& all, int threads, Add add, Merge merge) {
  const size_t n = all.size();
  const auto parts = static_cast<size_t>(
      std::max(1, std::min(internal::ResolveThreads(threads), static_cast<int>(n / 8192 + 1))));
  std::vector<Map> part(parts);
  ParallelFor(parts, static_cast<int>(parts), 1, [&](size_t b, size_t e) {
    for (size_t k = b; k < e; ++k) {
      for (size_t i = n * k / parts; i < n * (k + 1) / parts; ++i) add(part[k], all[i]);
    }
  });
  Map out = std::move(part[0]);
  for (size_t k = 1; k < parts; ++k) {
    for (const auto& [token, value] : part[k]) merge(out[token], value);
  }
  return out;
}

// Token weights: IDF over the corpus, or 1 for every token.
class Weights {
 public:
  Weights() = default;
  Weights(const std::vector<Features>& all, int threads) : idf_(true) {
    n_ = static_cast<double>(all.size());
    df_ = CountPerToken<absl::flat_hash_map<uint64_t, Entry>>(
        all, threads,
        [](absl::flat_hash_map<uint64_t, Entry>& m, const Features& f) {
          for (uint64_t t : f.tokens()) m[t].df++;
        },
        [](Entry& into, const Entry& e) { into.df += e.df; });
    // The weight of each token once (the same expression as for an unknown token).
    for (auto& [token, e] : df_) e.idf = Idf(e.df);
  }
  double operator()(uint64_t token) const {
    if (!idf_) return 1.0;
    auto it = df_.find(token);
    return it == df_.end() ? Idf(1) : it->second.idf;
  }
  uint32_t DocumentFrequency(uint64_t token) const {
    auto it = df_.find(token);
    return it == df_.end() ? 1 : it->second.df;
  }

 private:
  struct Entry {
    uint32_t df = 0;
    double idf = 0;
  };
  double Idf(uint32_t df) const { return std::log(1.0 + n_ / static_cast<double>(df)); }
  bool idf_ = false;
  double n_ = 1;
  absl::flat_hash_map<uint64_t, Entry> df_;
};

double SetJaccard(absl::Span<const uint64_t> a, absl::Span<const uint64_t> b) {
  if (a.empty() && b.empty()) return 1.0;
  size_t i = 0, j = 0, inter = 0;
  while (i < a.size() && j < b.size()) {
    if (a[i] == b[j]) {
      ++inter, ++i, ++j;
    } else if (a[i] < b[j]) {
      ++i;
    } else {
      ++j;
    }
  }
  return static_cast<double>(inter) / static_cast<double>(a.size() + b.size() - inter);
}

bool DateCompatible(absl::string_view a, absl::string_view b) {
  if (a == b) return true;
  // "2026" ~ "2026-02" ~ "2026-02-14"; a month-day without year ("--10-28") ~ "2025-10-28".
  auto prefix = [](absl::string_view s, absl::string_view p) {
    return s.size() > p.size() && s.compare(0, p.size(), p) == 0 && s[p.size()] == '-';
  };
  if (prefix(a, b) || prefix(b, a)) return true;
  auto yearless = [](absl::string_view s) { return s.size() >= 2 && s[0] == '-' && s[1] == '-'; };
  if (yearless(a) && b.size() >= a.size() - 1 && b.substr(b.size() - (a.size() - 1)) == a.substr(1))
    return true;
  if (yearless(b) && a.size() >= b.size() - 1 && a.substr(a.size() - (b.size() - 1)) == b.substr(1))
    return true;
  return false;
}

// Values of one kind disagree when each side holds a value the other cannot explain.
bool ValuesDisagree(const StringList& a, const StringList& b, bool dates) {
  if (a.empty() || b.empty()) return false;
  auto unexplained = [&](const StringList& x, const StringList& y) {
    for (absl::string_view v : x) {
      bool ok = false;
      for (absl::string_view w : y) {
        if (v == w || (dates && DateCompatible(v, w))) {
          ok = true;
          break;
        }
      }
      if (!ok) return true;
    }
    return false;
  };
  return unexplained(a, b) && unexplained(b, a);
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

bool NamesDisagree(const StringList& a, const StringList& b) {
  // The names only one side has (both lists are sorted and unique), in one merge.
  absl::InlinedVector<absl::string_view, 8> only_a, only_b;
  for (size_t i = 0, j = 0; i < a.size() || j < b.size();) {
    if (j == b.size() || (i < a.size() && a[i] < b[j])) {
      only_a.push_back(a[i++]);
    } else if (i == a.size() || b[j] < a[i]) {
      only_b.push_back(b[j++]);
    } else {
      ++i, ++j;
    }
  }
  for (absl::string_view x : only_a) {
    for (absl::string_view y : only_b) {
      size_t len = std::max(x.size(), y.size());
      if (len >= 4 && x[0] == y[0] &&
          EditDistance(x, y) <= std::max<int>(1, static_cast<int>(len) / 3)) {
        return true;
      }
    }
  }
  return false;
}

// The names (entities) of `a` that `b` does not mention; those it does are added to *shared.
// Two facts are about different entities (PairScore::entities_differ) when each side names
// someone or something the other does not mention, and these outnumber the names they share:
// "Omar Farouk reported that Contoso's pilot in Osaka ..." and "Diego Weber reported that
// Contoso's pilot in Madrid ..." are two claims however alike the rest; an added "VAST Data"
// or "(Microsoft Teams)" in a paraphrase that shares "Microsoft", "VAST" and "Redmond" is not.
// A name counts as mentioned when the other side has the word (in any case) or spells it out
// as an acronym ("MAI" / "Microsoft AI ...").
int ExclusiveEntities(const Features& a, const Features& b, int* shared) {
  int exclusive = 0;
  const absl::Span<const uint64_t> tokens = b.tokens();
  const absl::string_view initials = b.initials();
  for (size_t k = 0; k < a.entities.size(); ++k) {
    const std::string& name = a.entities[k];
    if (std::binary_search(tokens.begin(), tokens.end(), a.entity_hashes[k]) ||
        (name.size() >= 2 && name.size() <= 6 && initials.find(name) != absl::string_view::npos)) {
      ++*shared;
    } else {
      ++exclusive;
    }
  }
  return exclusive;
}

// Share of pairs of shared tokens whose order differs between the two sequences (Kendall
// distance over first occurrences).
double DiscordantShare(absl::Span<const uint64_t> a, absl::Span<const uint64_t> b,
                       const std::vector<uint64_t>& names) {
  std::vector<std::pair<size_t, size_t>> pos;  // (position in a, position in b)
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::find(names.begin(), names.end(), a[i]) == names.end()) continue;
    if (std::find(a.begin(), a.begin() + static_cast<long>(i), a[i]) !=
        a.begin() + static_cast<long>(i))
      continue;
    auto it = std::find(b.begin(), b.end(), a[i]);
    if (it != b.end()) pos.emplace_back(i, static_cast<size_t>(it - b.begin()));
  }
  if (pos.size() < 2) return 0;
  // A pair of names in the other order is a role swap only when the same relation word sits
  // between them on both sides ("A acquired B" / "B acquired A"); "Contoso expects revenue
  // from VDI" / "Revenue from VDI at Contoso" moves a name, not a role.
  auto between = [](absl::Span<const uint64_t> s, size_t lo, size_t hi) {
    std::vector<uint64_t> v(s.begin() + static_cast<long>(lo) + 1,
                            s.begin() + static_cast<long>(hi));
    std::sort(v.begin(), v.end());
    return v;
  };
  size_t discordant = 0, total = 0;
  for (size_t i = 0; i < pos.size(); ++i) {
    for (size_t j = i + 1; j < pos.size(); ++j) {
      ++total;
      if (pos[j].second >= pos[i].second) continue;
      std::vector<uint64_t> in_a = between(a, pos[i].first, pos[j].first);
      std::vector<uint64_t> in_b = between(b, pos[j].second, pos[i].second);
      std::vector<uint64_t> common;
      std::set_intersection(in_a.begin(), in_a.end(), in_b.begin(), in_b.end(),
                            std::back_inserter(common));
      discordant += !common.empty();
    }
  }
  return static_cast<double>(discordant) / static_cast<double>(total);
}

// Weighted overlap of the two token sets: shared weight and each side's total.
struct Overlap {
  double inter = 0, wa = 0, wb = 0;
};

// Each side's total is its precomputed sum (the same additions in the same order); the merge
// only adds the shared weights, in `a`'s order, without a branch per step (adding 0 to the
// sum leaves it unchanged).
Overlap WeightedOverlap(const Features& a, const Features& b) {
  Overlap o;
  o.wa = a.total_weight;
  o.wb = b.total_weight;
  size_t i = 0, j = 0;
  const size_t na = a.tokens().size(), nb = b.tokens().size();
  const uint64_t* ta = a.tokens().data();
  const uint64_t* tb = b.tokens().data();
  const float* wa = a.weights().data();
  while (i < na && j < nb) {
    const uint64_t x = ta[i], y = tb[j];
    o.inter += x == y ? static_cast<double>(wa[i]) : 0.0;
    i += x <= y ? 1 : 0;
    j += y <= x ? 1 : 0;
  }
  return o;
}

// What Score derives from the weighted overlap alone.
struct OverlapScore {
  double jaccard = 0, containment = 0, similarity = 0;
  bool a_shorter = false, contained = false;
};

OverlapScore ScoreOverlap(const Features& a, const Features& b, const Overlap& o,
                          const DedupOptions& options) {
  OverlapScore s;
  const double uni = o.wa + o.wb - o.inter;
  s.jaccard = uni > 0 ? o.inter / uni : 1.0;
  s.a_shorter = o.wa <= o.wb;
  const double small = s.a_shorter ? o.wa : o.wb;
  s.containment = small > 0 ? o.inter / small : 0.0;
  const size_t short_len = (s.a_shorter ? a.tokens() : b.tokens()).size();
  // A truncated fact lost its end: judge it by the words it kept, with some slack.
  const bool short_truncated = s.a_shorter ? a.truncated : b.truncated;
  const double needed = options.containment_threshold * (short_truncated ? 0.85 : 1.0);
  s.contained =
      s.containment >= needed && static_cast<int>(short_len) >= options.min_containment_tokens;
  s.similarity = s.contained ? std::max(s.jaccard, s.containment) : s.jaccard;
  return s;
}

// Score, given the pair's WeightedOverlap.
PairScore ScoreWith(const Features& a, const Features& b, const Overlap& o,
                    const DedupOptions& options) {
  PairScore s;
  const OverlapScore os = ScoreOverlap(a, b, o, options);
  s.jaccard = os.jaccard;
  s.containment = os.containment;
  const bool a_shorter = os.a_shorter;
  const bool contained = os.contained;
  s.bigram = SetJaccard(a.bigrams(), b.bigrams());
  // Values of a kind (names) only one side has, or neither, never disagree: most pairs.
  auto values_disagree = [&](int kind) {
    return a.HasValues(kind) && b.HasValues(kind) &&
           ValuesDisagree(a.Values(kind), b.Values(kind), kind == kDate);
  };
  s.values_disagree =
      values_disagree(kMoney) || values_disagree(kPercent) || values_disagree(kNumber) ||
      values_disagree(kDate) ||
      (a.dated_entry && b.dated_entry && !DateCompatible(a.entry_date(), b.entry_date()));
  s.names_disagree = a.HasNames() && b.HasNames() && NamesDisagree(a.names(), b.names());
  // Different entities (see ExclusiveEntities): each side names someone or something the
  // other does not mention, and these outnumber the names they share.
  int shared_a = 0, shared_b = 0;
  const int ea = ExclusiveEntities(a, b, &shared_a), eb = ExclusiveEntities(b, a, &shared_b);
  s.entities_exclusive = ea > 0 && eb > 0;
  s.entities_differ =
      !s.names_disagree && s.entities_exclusive && std::min(ea, eb) >= std::max(shared_a, shared_b);
  // Roles swapped: almost the same words, few shared bigrams, and the names (the entities in
  // the roles) in inverted order. A moved adverb or clause keeps the names' order;
  // "A acquired B" / "B acquired A" inverts it.
  if (s.jaccard >= 0.8 && s.bigram < 0.5 && a.passive == b.passive) {
    std::vector<uint64_t> names(a.name_hashes().begin(), a.name_hashes().end());
    names.insert(names.end(), b.name_hashes().begin(), b.name_hashes().end());
    s.order_flipped = DiscordantShare(a.seq(), b.seq(), names) >= 0.3;
  }
  s.similarity = os.similarity;
  // Relation of b relative to a (a is the canonical when called from clustering).
  if (a.exact == b.exact) {
    s.relation = (a.repaired != b.repaired) ? Relation::kMojibake : Relation::kExact;
    s.similarity = 1.0;
  } else if (b.truncated && contained) {
    s.relation = Relation::kTruncated;
  } else if (contained && !a_shorter && s.jaccard < options.threshold) {
    s.relation = Relation::kSubsumed;
  } else if (b.repaired && s.jaccard >= 0.95) {
    s.relation = Relation::kMojibake;
  } else {
    s.relation = Relation::kParaphrase;
  }
  return s;
}

PairScore Score(const Features& a, const Features& b, const DedupOptions& options) {
  return ScoreWith(a, b, WeightedOverlap(a, b), options);
}

// Score(a, b, options).IsDuplicate(options), with the overlap computed once and the costly
// checks (values, names, entities, order) only for pairs similar enough: most candidates
// are not.
bool VerifiedDuplicate(const Features& a, const Features& b, const DedupOptions& options) {
  const Overlap o = WeightedOverlap(a, b);
  if (a.exact != b.exact && ScoreOverlap(a, b, o, options).similarity < options.threshold) {
    return false;
  }
  return ScoreWith(a, b, o, options).IsDuplicate(options);
}

// Canonical quality: clean, not truncated, most content, covering the most values.
struct Quality {
  int clean = 0;      // 2: neither truncated nor mojibake-suspect
  int coverage = 0;   // values of the component this fact carries
  int content = 0;    // content tokens
  size_t length = 0;  // bytes of clean text
  auto Tie() const { return std::tie(clean, coverage, content, length); }
};

struct UnionFind {
  std::vector<int> parent;
  explicit UnionFind(size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), 0); }
  int Find(int x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  }
  void Union(int a, int b) {
    a = Find(a), b = Find(b);
    if (a != b) parent[std::max(a, b)] = std::min(a, b);
  }
};

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

uint64_t PairKey(uint32_t a, uint32_t b) {
  return (uint64_t{std::min(a, b)} << 32) | std::max(a, b);
}

// The tie-breaking key of each item: its key, or its text when the key is empty.
struct Keys {
  absl::Span<const Item> items;
  const std::string& operator()(size_t i) const {
    return items[i].key.empty() ? items[i].text : items[i].key;
  }
};

// Every fact's features and sketches: what the candidate stages share.
struct Sketched {
  std::vector<Features> features;
  std::vector<MinHashSignature> sigs;  // the baseline's (it estimates Jaccard from them)
  LshParams lsh_params;
  internal::BandTable bands{0, 1};
  std::vector<uint64_t> simhashes;
  size_t rare_keys = 0;              // rare-word key slots per fact
  std::vector<uint64_t> rare_words;  // rare_keys per fact; 0: no key in that slot
  // Exact copies are sketched once: facts with the same normalized tokens in the same order
  // *and* the same case, names, values, log date and truncation/mojibake flags (everything
  // verification reads; CopyKey) score alike against any fact, so copy_of[i] is the copy
  // with the smallest key, which alone goes into the LSH bands, the SimHash index and the
  // rare-word postings; every other copy is a candidate of it (and only of it), and
  // clustering admits a copy of a member without scoring it again. Empty for the baseline.
  // A fact copied into hundreds of notes would otherwise fill every bucket it is in past
  // max_bucket_size and be compared with nothing.
  std::vector<uint32_t> copy_of;
  bool Copy(size_t i) const { return !copy_of.empty() && copy_of[i] != i; }
};

// What makes two facts score alike against every fact: their tokens in order (`exact`) and
// every other Features field that Score reads and Extract derives from more than the tokens'
// text (case, name kind, values, the log date, the truncation and mojibake flags).
uint64_t CopyKey(const Features& f, const CaseInfo& ci) {
  thread_local std::string k;  // reused: one key per fact
  k.clear();
  auto join = [](const auto& v, char sep) {
    for (size_t i = 0; i < v.size(); ++i) {
      if (i > 0) k.push_back(sep);
      const absl::string_view x = v[i];
      k.append(x.data(), x.size());
    }
  };
  absl::StrAppend(&k, f.exact, "\x1f", f.truncated ? 1 : 0, f.repaired ? 1 : 0, f.suspect ? 1 : 0,
                  "\x1f", f.entry_date(), "\x1f");
  join(f.names(), '\x1e');
  k.push_back('\x1f');
  join(ci.caps, '\x1e');
  k.push_back('\x1f');
  for (int kind = 0; kind < 4; ++kind) {
    const StringList v = f.Values(kind);
    for (size_t i = 0; i < v.size(); ++i) {
      if (i > 0) k.push_back('\x1e');
      k.append(v[i].data(), v[i].size());
    }
    k.push_back('\x1d');
  }
  k.append(ci.case_flags.begin(), ci.case_flags.end());
  return Hash64(k);
}

// Stages 1 and 2 of Deduplicate over all `items`: normalize (unless given), features, corpus
// statistics (IDF weights, entities), MinHash band keys, SimHash, rare-word keys.
absl::Status SketchAll(absl::Span<const Item> items, const DedupOptions& options, int threads,
                       DedupStats* stats, Sketched* s) {
  const size_t n = items.size();
  auto report = [&](absl::string_view stage, int64_t done, int64_t total) {
    if (options.progress) options.progress(stage, done, total);
  };
  // 1. Normalize, extract features and MinHash band keys. Shingles and signatures live only
  // for one fact (the baseline keeps its signatures: it estimates Jaccard from them).
  auto t0 = std::chrono::steady_clock::now();
  const bool baseline = options.method == Method::kMinHash;
  s->lsh_params = LshIndex::ParamsForThreshold(
      options.minhash.num_perm, baseline ? options.threshold : options.lsh_threshold);
  const LshParams& lsh_params = s->lsh_params;
  Normalizer normalizer(options.normalize);
  MinHasher hasher(options.minhash);
  s->bands = internal::BandTable(n, lsh_params.bands);
  internal::BandTable& bands = s->bands;
  s->features.resize(n);
  std::vector<CaseInfo> cases(n);  // read by the corpus pass, dropped as it goes
  std::vector<Features>& features = s->features;
  s->sigs.resize(baseline ? n : 0);
  std::vector<MinHashSignature>& sigs = s->sigs;
  std::vector<absl::Status> errors(n);
  std::atomic<int64_t> normalized{0};
  ParallelFor(n, threads, 256, [&](size_t b, size_t e) {
    std::vector<std::string> texts;
    NormalizedText scratch;
    for (size_t i = b; i < e; ++i) {
      absl::StatusOr<NormalizedText> own;
      const NormalizedText* t = items[i].normalized;
      if (t == nullptr && options.normalized_of) t = options.normalized_of(i, &scratch);
      if (t == nullptr) {
        own = normalizer.Normalize(items[i].text);
        if (!own.ok()) {
          errors[i] = own.status();
          continue;
        }
        t = &*own;
      }
      features[i] = Extract(*t, &cases[i]);
      if (options.on_normalized && items[i].normalized == nullptr) options.on_normalized(i, *t);
      if (!baseline) continue;  // the verified method signs after the corpus pass
      texts.clear();
      for (const Token& tok : t->tokens) texts.push_back(tok.text);
      const std::vector<uint64_t> shingles = ShingleHashes(texts, 1);
      if (shingles.empty()) {
        bands.SetEmpty(i);
        continue;
      }
      sigs[i] = hasher.Sign(shingles);
      bands.SetKeys(i, sigs[i], lsh_params.rows);
    }
    report("normalize", normalized += static_cast<int64_t>(e - b), static_cast<int64_t>(n));
  });
  for (const absl::Status& e : errors) {
    if (!e.ok()) return e;
  }
  stats->seconds_normalize = Seconds(t0);
  if (!baseline) {
    const Keys key{items};
    std::vector<uint64_t> copy_key(n, 0);
    ParallelFor(n, threads, 1024, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) copy_key[i] = CopyKey(features[i], cases[i]);
    });
    // Groups of equal copy keys (sorted as (key, fact) pairs, contiguous and on every core);
    // each group's facts are copies of its member with the smallest item key.
    std::vector<std::pair<uint64_t, uint32_t>> order;
    order.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      if (!features[i].tokens().empty()) order.emplace_back(copy_key[i], static_cast<uint32_t>(i));
    }
    internal::ParallelSort(&order, threads);
    s->copy_of.resize(n);
    for (size_t i = 0; i < n; ++i) s->copy_of[i] = static_cast<uint32_t>(i);
    for (size_t b = 0; b < order.size();) {
      size_t e = b + 1;
      uint32_t first = order[b].second;
      for (; e < order.size() && order[e].first == order[b].first; ++e) {
        const uint32_t x = order[e].second;
        if (key(x) < key(first)) first = x;  // on equal keys the smaller index (sorted first)
      }
      for (size_t k = b; k < e; ++k) s->copy_of[order[k].second] = first;
      b = e;
    }
  }

  // 2. Corpus statistics: IDF weights, entities; then the sketches. MinHash sets leave out
  // the corpus's common words (in more than max(lsh_common_min, lsh_common_share x n)
  // facts): templates and topic words put every fact of a large vault that shares them in
  // one bucket, so candidates would grow with the square of the vault, while a fact's
  // identity is in its rarer words. Verification still sees every word.
  t0 = std::chrono::steady_clock::now();
  s->simhashes.assign(n, 0);
  std::vector<uint64_t>& simhashes = s->simhashes;
  s->rare_keys = baseline ? 0 : static_cast<size_t>(std::max(0, options.rare_word_keys));
  const size_t rare_keys = s->rare_keys;
  s->rare_words.assign(n * rare_keys, 0);  // 0: no key in that slot
  std::vector<uint64_t>& rare_words = s->rare_words;
  {
    const Weights weights(features, threads);
    // Sketches count each group of copies once: the words of a fact copied into 300 notes
    // are not common for that, and a word only the fact and its copies hold is no rare-word
    // key (no other sketched fact holds it). IDF weights still count every copy.
    absl::flat_hash_map<uint64_t, uint32_t> copy_df;
    for (size_t i = 0; i < n; ++i) {
      if (!s->Copy(i)) continue;
      for (uint64_t t : features[i].tokens()) ++copy_df[t];
    }
    auto sketch_df = [&](uint64_t t) {
      const uint32_t d = weights.DocumentFrequency(t);
      auto it = copy_df.find(t);
      return it == copy_df.end() ? d : d - it->second;
    };
    const auto common_df = static_cast<uint32_t>(std::max<double>(
        options.lsh_common_min, options.lsh_common_share * static_cast<double>(n)));
    // Entities: words written capitalized inside a sentence somewhere in the corpus and never
    // in lowercase ("Contoso", "Redmond", "Rahul"; not "Storage" of "Azure Storage"), so that
    // a name that only ever opens sentences is still known as a name.
    const auto seen = CountPerToken<absl::flat_hash_map<uint64_t, uint8_t>>(
        features, threads,
        [&](absl::flat_hash_map<uint64_t, uint8_t>& m, const Features& f) {
          const std::vector<uint8_t>& flags =
              cases[static_cast<size_t>(&f - features.data())].case_flags;
          for (size_t i = 0; i < f.tokens().size(); ++i) m[f.tokens()[i]] |= flags[i];
        },
        [](uint8_t& into, uint8_t flags) { into |= flags; });
    ParallelFor(n, threads, 1024, [&](size_t b, size_t e) {
      std::vector<uint64_t> rare;
      std::vector<std::pair<uint32_t, uint64_t>> by_df;
      std::vector<std::pair<size_t, uint64_t>> hits;  // caps that are entities, with hashes
      for (size_t i = b; i < e; ++i) {
        Features& f = features[i];
        f.total_weight = 0;
        const absl::Span<const uint64_t> tokens = f.tokens();
        const absl::Span<float> w = f.mutable_weights();
        for (size_t k = 0; k < tokens.size(); ++k) {
          w[k] = static_cast<float>(weights(tokens[k]));
          f.total_weight += w[k];
        }
        hits.clear();
        CaseInfo& ci = cases[i];
        for (size_t k = 0; k < ci.caps.size(); ++k) {
          const uint64_t h = Hash64(ci.caps[k]);
          auto it = seen.find(h);
          if (it != seen.end() && it->second == kSeenName) hits.emplace_back(k, h);
        }
        std::vector<std::string> entities;  // at their exact size (see Extract)
        std::vector<uint64_t> entity_hashes;
        entities.reserve(hits.size());
        entity_hashes.reserve(hits.size());
        for (const auto& [k, h] : hits) {
          entities.push_back(std::move(ci.caps[k]));
          entity_hashes.push_back(h);
        }
        f.entities = std::move(entities);
        f.entity_hashes = std::move(entity_hashes);
        std::vector<std::string>().swap(ci.caps);
        std::vector<uint8_t>().swap(ci.case_flags);
        if (s->Copy(i)) {  // sketched by the copy it is a candidate of
          bands.SetEmpty(i);
          continue;
        }
        if (options.simhash_distance > 0 && !f.tokens().empty()) {
          const std::vector<double> wts(f.weights().begin(), f.weights().end());
          simhashes[i] = SimHash(f.tokens(), wts);
        }
        if (baseline) continue;
        if (rare_keys > 0) {
          // The fact's rarest words that another fact also has (df >= 2), rarest first,
          // ties by hash so that the choice does not depend on word order.
          by_df.clear();
          double total = 0;
          for (size_t k = 0; k < f.tokens().size(); ++k) {
            by_df.emplace_back(sketch_df(f.tokens()[k]), f.tokens()[k]);
            total += f.weights()[k];
          }
          std::sort(by_df.begin(), by_df.end());
          by_df.erase(std::unique(by_df.begin(), by_df.end()), by_df.end());
          // Prefix filtering: the rarest words holding `rare_word_share` of the fact's
          // weight; a fact sharing more than the rest of its weight with another shares
          // one of these (a heuristic once `rare_word_keys` or `rare_word_bucket` cuts the
          // prefix short). Words in no other fact take their place in the prefix but get
          // no key (nothing to pair with).
          double acc = 0;
          size_t slot = 0;
          for (const auto& [df, tok] : by_df) {
            if (slot >= rare_keys || acc >= options.rare_word_share * total) break;
            acc += weights(tok);
            if (df >= 2) rare_words[i * rare_keys + slot++] = tok;
          }
        }
        if (f.tokens().empty()) {
          bands.SetEmpty(i);
          continue;
        }
        rare.clear();
        for (uint64_t tok : f.tokens()) {
          if (sketch_df(tok) <= common_df) rare.push_back(tok);
        }
        if (rare.size() < kMinSketchTokens) {
          // Mostly common words: sketch its rarest few so that it still has a set.
          by_df.clear();
          for (uint64_t tok : f.tokens()) by_df.emplace_back(sketch_df(tok), tok);
          const size_t keep = std::min(by_df.size(), kMinSketchTokens);
          std::partial_sort(by_df.begin(), by_df.begin() + static_cast<long>(keep), by_df.end());
          rare.clear();
          for (size_t k = 0; k < keep; ++k) rare.push_back(by_df[k].second);
        }
        bands.SetKeys(i, hasher.Sign(rare), lsh_params.rows);
      }
    });
  }
  stats->seconds_sketch = Seconds(t0);
  return absl::OkStatus();
}

// Components of the duplicate graph `edges` (sorted PairKeys, released here) with two or more
// facts, each sorted by key and ordered by its first key; also the edge set and each fact's
// neighbours (in edge order), which clustering reads.
std::vector<std::vector<int>> Components(size_t n, std::vector<uint64_t>* edges, const Keys& key,
                                         absl::flat_hash_set<uint64_t>* dup_set,
                                         std::vector<std::vector<int>>* dup_neighbors,
                                         int64_t* duplicate_pairs) {
  UnionFind uf(n);
  dup_set->insert(edges->begin(), edges->end());
  dup_neighbors->assign(n, {});
  std::vector<char> involved(n, 0);
  for (uint64_t edge : *edges) {
    const int a = static_cast<int>(edge >> 32), b = static_cast<int>(edge & 0xffffffffULL);
    ++*duplicate_pairs;
    uf.Union(a, b);
    (*dup_neighbors)[a].push_back(b);
    (*dup_neighbors)[b].push_back(a);
    involved[a] = involved[b] = 1;
  }
  std::vector<uint64_t>().swap(*edges);
  absl::flat_hash_map<int, std::vector<int>> components;
  for (size_t i = 0; i < n; ++i) {
    if (involved[i]) components[uf.Find(static_cast<int>(i))].push_back(static_cast<int>(i));
  }
  std::vector<std::vector<int>> comps;
  for (auto& [root, members] : components) {
    if (members.size() >= 2) comps.push_back(std::move(members));
  }
  for (auto& c : comps) {
    std::sort(c.begin(), c.end(), [&](int a, int b) { return key(a) < key(b); });
  }
  std::sort(comps.begin(), comps.end(),
            [&](const auto& a, const auto& b) { return key(a[0]) < key(b[0]); });

  return comps;
}

// Non-chaining clusters of one component (sorted by key): repeatedly take the best remaining
// fact as a canonical and give it every remaining fact that is a verified duplicate *of it*.
std::vector<Cluster> ClusterComponent(const std::vector<int>& c,
                                      const std::vector<Features>& features,
                                      const std::vector<uint32_t>& copy_of,
                                      const absl::flat_hash_set<uint64_t>& dup_set,
                                      const std::vector<std::vector<int>>& dup_neighbors,
                                      const Keys& key, const DedupOptions& options) {
  std::vector<Cluster> out;
  constexpr size_t kAllPairsLimit = 64;  // components up to this size score every pair
  auto quality = [&](int i) {
    const Features& f = features[i];
    Quality q;
    q.clean = (f.truncated ? 0 : 1) + (f.suspect ? 0 : 1);
    q.coverage = static_cast<int>(f.values().size());
    q.content = static_cast<int>(f.tokens().size());
    q.length = f.clean_len;
    return q;
  };
  std::vector<int> order = c;
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    Quality qa = quality(a), qb = quality(b);
    if (qa.Tie() != qb.Tie()) return qa.Tie() > qb.Tie();
    return key(a) < key(b);
  });
  // Verified-duplicate neighbours of each member, by position in `order`. Components up
  // to kAllPairsLimit facts score every pair (LSH may have missed one inside a family);
  // larger ones use the verified candidate pairs only, so the cost follows the edges.
  absl::flat_hash_map<int, int> pos;
  for (size_t i = 0; i < order.size(); ++i) pos[order[i]] = static_cast<int>(i);
  std::vector<std::vector<int>> adj(order.size());
  if (c.size() <= kAllPairsLimit) {
    for (size_t i = 0; i < order.size(); ++i) {
      for (size_t j = i + 1; j < order.size(); ++j) {
        const bool d = dup_set.contains(PairKey(static_cast<uint32_t>(order[i]),
                                                static_cast<uint32_t>(order[j]))) ||
                       Score(features[order[i]], features[order[j]], options).IsDuplicate(options);
        if (d) {
          adj[i].push_back(static_cast<int>(j));
          adj[j].push_back(static_cast<int>(i));
        }
      }
    }
  } else {
    for (int item : c) {
      for (int other : dup_neighbors[item]) {
        adj[pos[item]].push_back(pos[other]);
      }
    }
  }
  for (auto& v : adj) std::sort(v.begin(), v.end());
  // Every member must be close to the canonical and overlap every other member, and
  // none may disagree with another on values, names or roles: A~B and B~C never put
  // unrelated A and C together, even under a canonical that subsumes both.
  // A copy of a member (Sketched::copy_of: it scores exactly as that member does) is as
  // compatible as the member was: admitted without scoring it against every member again,
  // which would cost k^2 / 2 scores for k copies of one fact.
  auto group = [&](int i) { return copy_of.empty() ? static_cast<uint32_t>(i) : copy_of[i]; };
  absl::flat_hash_set<uint32_t> member_groups;  // of the cluster being built
  // Whether `cand` may join `cl`; when it may, *to_canon is its score against the canonical
  // (the first member, scored first: the member's entry needs it too).
  auto compatible = [&](const Cluster& cl, int cand, PairScore* to_canon) {
    if (member_groups.contains(group(cand))) {
      *to_canon = Score(features[cl.canonical], features[cand], options);
      return true;
    }
    for (const Member& m : cl.members) {
      PairScore s = Score(features[m.item], features[cand], options);
      // Full floor against the canonical; against other members, a quarter of it: they
      // must share some of the claim, not merely the canonical's other half.
      const double floor = m.relation == Relation::kCanonical ? options.canonical_floor
                                                              : options.canonical_floor / 4;
      // Other members may name different parts of the canonical's claim. Against the
      // canonical, a member that names something it does not (and the other way round) needs
      // a strong link: "Kenji noted the pilot in Seoul is delayed" joined "Lars and Kenji
      // agreed to evaluate search for Toronto" at 0.2 through a merged fact naming both.
      const bool entities = m.relation == Relation::kCanonical &&
                            (s.entities_differ || (s.entities_exclusive &&
                                                   s.similarity < options.distinct_entities_floor));
      if (s.values_disagree || s.names_disagree || entities || s.order_flipped ||
          s.similarity < floor) {
        return false;
      }
      if (m.relation == Relation::kCanonical) *to_canon = s;
    }
    return true;
  };
  std::vector<char> taken(order.size(), 0);
  for (size_t oi = 0; oi < order.size(); ++oi) {
    if (taken[oi]) continue;
    int canon = order[oi];
    Cluster cl;
    cl.canonical = canon;
    cl.members.push_back({canon, 1.0, Relation::kCanonical});
    member_groups = {group(canon)};
    std::vector<int> member_pos = {static_cast<int>(oi)};
    // First the canonical's own duplicates, best first.
    for (int mi : adj[oi]) {
      if (taken[mi] || mi == static_cast<int>(oi)) continue;
      PairScore s;
      if (compatible(cl, order[mi], &s)) {
        taken[mi] = 1;
        cl.members.push_back({order[mi], s.similarity, s.relation});
        member_groups.insert(group(order[mi]));
        member_pos.push_back(mi);
      }
    }
    // Then a fact that duplicates a member joins if it is still close enough to the
    // canonical itself (bounded chaining: never A~B~C with A and C unrelated).
    for (bool grew = true; grew;) {
      grew = false;
      std::vector<int> frontier;
      for (int mp : member_pos) {
        for (int x : adj[mp]) {
          if (!taken[x] && x != static_cast<int>(oi)) frontier.push_back(x);
        }
      }
      std::sort(frontier.begin(), frontier.end());
      frontier.erase(std::unique(frontier.begin(), frontier.end()), frontier.end());
      for (int mi : frontier) {
        PairScore to_canon;
        if (!compatible(cl, order[mi], &to_canon)) continue;
        taken[mi] = 1;
        cl.members.push_back({order[mi], to_canon.similarity, to_canon.relation});
        member_groups.insert(group(order[mi]));
        member_pos.push_back(mi);
        grew = true;
      }
    }
    taken[oi] = 1;
    if (cl.members.size() < 2) continue;
    std::sort(cl.members.begin() + 1, cl.members.end(), [&](const Member& a, const Member& b) {
      if (a.similarity != b.similarity) return a.similarity > b.similarity;
      return key(a.item) < key(b.item);
    });
    // Reason: what made the canonical the best choice.
    const Features& cf = features[canon];
    int covered = 0, total = 0;
    std::vector<std::string> member_values;
    for (const Member& m : cl.members) {
      for (absl::string_view v : features[m.item].values()) member_values.emplace_back(v);
    }
    std::sort(member_values.begin(), member_values.end());
    member_values.erase(std::unique(member_values.begin(), member_values.end()),
                        member_values.end());
    for (const std::string& v : member_values) {
      ++total;
      for (int kind = 0; kind < 4; ++kind) {
        if (cf.Values(kind).Contains(v)) {
          ++covered;
          break;
        }
      }
    }
    int truncated = 0;
    for (const Member& m : cl.members) truncated += features[m.item].truncated;
    std::vector<std::string> parts;
    parts.push_back(cf.truncated ? "all variants truncated" : "not truncated");
    if (truncated > 0 && !cf.truncated) {
      parts.back() +=
          absl::StrCat(" (", truncated, " truncated variant", truncated > 1 ? "s" : "", ")");
    }
    if (cf.repaired) parts.push_back("mojibake repaired");
    parts.push_back(absl::StrCat("most complete: ", cf.tokens().size(), " content words"));
    if (total > 0) {
      parts.push_back(
          absl::StrCat("carries ", covered, "/", total, " numbers and dates of its variants"));
    }
    parts.push_back(
        absl::StrCat("covers ", cl.members.size(), "/", cl.members.size(), " variants"));
    cl.reason = absl::StrJoin(parts, "; ");
    out.push_back(std::move(cl));
  }
  return out;
}

// Clusters of every component, ordered by canonical key.
std::vector<Cluster> ClusterAll(const std::vector<std::vector<int>>& comps,
                                const std::vector<Features>& features,
                                const std::vector<uint32_t>& copy_of,
                                const absl::flat_hash_set<uint64_t>& dup_set,
                                const std::vector<std::vector<int>>& dup_neighbors, const Keys& key,
                                const DedupOptions& options, int threads) {
  std::vector<std::vector<Cluster>> per_comp(comps.size());
  // Largest components first (a component of a thousand facts costs more than thousands of
  // pairs), so that no thread is left with one at the end; results are placed by index.
  std::vector<uint32_t> by_size(comps.size());
  for (size_t ci = 0; ci < comps.size(); ++ci) by_size[ci] = static_cast<uint32_t>(ci);
  std::stable_sort(by_size.begin(), by_size.end(),
                   [&](uint32_t a, uint32_t b) { return comps[a].size() > comps[b].size(); });
  ParallelFor(comps.size(), threads, 16, [&](size_t first, size_t last) {
    for (size_t k = first; k < last; ++k) {
      const size_t ci = by_size[k];
      per_comp[ci] =
          ClusterComponent(comps[ci], features, copy_of, dup_set, dup_neighbors, key, options);
    }
  });
  std::vector<Cluster> clusters;
  for (auto& v : per_comp) {
    for (auto& cl : v) clusters.push_back(std::move(cl));
  }
  std::sort(clusters.begin(), clusters.end(), [&](const Cluster& a, const Cluster& b) {
    return key(a.canonical) < key(b.canonical);
  });
  return clusters;
}

// The full pass's candidate pairs, one fact at a time: j is a candidate of i when the two
// share a bucket of at most max_bucket_size facts in some LSH band, are SimHash neighbours
// in a table bucket of at most that size, or one has a rare-word key (in at most
// rare_word_bucket facts) that the other contains, among sketched facts; an exact copy
// (Sketched::copy_of) is a candidate of its sketched copy only, and that one of its copies.
// Built once over all facts; a query costs O(bands log n) for LSH and one pass over the
// SimHash values.
class CandidateFinder {
 public:
  CandidateFinder(const Sketched& s, const DedupOptions& options, int threads)
      : s_(s),
        lsh_cap_(static_cast<size_t>(std::max(2, options.max_bucket_size))),
        sim_index_(options.simhash_distance, options.max_bucket_size) {
    const size_t n = s.features.size();
    // Per band, the items by the top `bits` bits of their key (a counting sort: about one
    // bucket per item), which Find scans for its key; only a few items are ever looked up, so
    // sorting every band by the whole key would cost more than it saves.
    int bits = 8;
    while (bits < 24 && (size_t{1} << bits) < n) ++bits;
    shift_ = 32 - bits;
    bands_.resize(static_cast<size_t>(s.bands.bands()));
    ParallelFor(bands_.size(), threads, 1, [&](size_t b, size_t e) {
      for (size_t band = b; band < e; ++band) {
        BandIndex& index = bands_[band];
        index.start.assign((size_t{1} << bits) + 1, 0);
        for (size_t i = 0; i < n; ++i) {
          if (!s.bands.empty(i))
            ++index.start[(s.bands.key(i, static_cast<int>(band)) >> shift_) + 1];
        }
        for (size_t h = 1; h < index.start.size(); ++h) index.start[h] += index.start[h - 1];
        index.items.resize(index.start.back());
        std::vector<uint32_t> next(index.start.begin(), index.start.end() - 1);
        for (size_t i = 0; i < n; ++i) {
          if (s.bands.empty(i)) continue;
          index.items[next[s.bands.key(i, static_cast<int>(band)) >> shift_]++] =
              static_cast<uint32_t>(i);
        }
      }
    });
    use_simhash_ = options.simhash_distance > 0;
    if (use_simhash_) {
      for (size_t i = 0; i < n; ++i) {
        if (!s.features[i].tokens().empty() && !s.Copy(i)) {
          sim_index_.Add(static_cast<uint32_t>(i), s.simhashes[i]);
        }
      }
    }
    if (s.rare_keys > 0) IndexRareWords(options);
    for (size_t i = 0; i < n; ++i) {
      if (s.Copy(i)) copies_[s.copy_of[i]].push_back(static_cast<uint32_t>(i));
    }
  }

  // Every j != i the full pass verifies with i, sorted and unique.
  void Find(uint32_t i, std::vector<uint32_t>* out) const {
    out->clear();
    if (s_.Copy(i)) {  // a copy is paired with the copy sketched for it, and nothing else
      out->push_back(s_.copy_of[i]);
      return;
    }
    if (auto it = copies_.find(i); it != copies_.end()) {
      out->insert(out->end(), it->second.begin(), it->second.end());
    }
    if (!s_.bands.empty(i)) {
      std::vector<uint32_t> same;  // the items of i's bucket in this band
      for (size_t band = 0; band < bands_.size(); ++band) {
        const BandIndex& index = bands_[band];
        const int b = static_cast<int>(band);
        const uint32_t k = s_.bands.key(i, b);
        same.clear();
        for (uint32_t p = index.start[k >> shift_]; p < index.start[(k >> shift_) + 1]; ++p) {
          if (s_.bands.key(index.items[p], b) == k) same.push_back(index.items[p]);
        }
        if (same.size() > lsh_cap_) continue;
        out->insert(out->end(), same.begin(), same.end());
      }
    }
    if (use_simhash_ && !s_.features[i].tokens().empty()) {
      const std::vector<uint32_t> near = sim_index_.CandidatesOf(i, s_.simhashes[i]);
      out->insert(out->end(), near.begin(), near.end());
    }
    for (size_t k = 0; k < s_.rare_keys; ++k) {  // i's keys, in every fact holding them
      const uint64_t w = s_.rare_words[i * s_.rare_keys + k];
      if (w == 0) break;
      auto it = holders_.find(w);
      if (it != holders_.end()) out->insert(out->end(), it->second.begin(), it->second.end());
    }
    for (uint64_t tok : s_.features[i].tokens()) {  // facts keyed by a word i holds
      auto it = keyed_.find(tok);
      if (it != keyed_.end()) out->insert(out->end(), it->second.begin(), it->second.end());
    }
    std::sort(out->begin(), out->end());
    out->erase(std::unique(out->begin(), out->end()), out->end());
    out->erase(std::remove(out->begin(), out->end(), i), out->end());
  }

 private:
  // As the full pass: a key word is probed when 2..rare_word_bucket facts hold it.
  void IndexRareWords(const DedupOptions& options) {
    const size_t cap = static_cast<size_t>(std::max(2, options.rare_word_bucket));
    const size_t n = s_.features.size();
    absl::flat_hash_set<uint64_t> probe;
    for (uint64_t w : s_.rare_words) {
      if (w != 0) probe.insert(w);
    }
    for (size_t i = 0; i < n; ++i) {
      if (s_.Copy(i)) continue;
      for (uint64_t tok : s_.features[i].tokens()) {
        if (probe.contains(tok)) holders_[tok].push_back(static_cast<uint32_t>(i));
      }
    }
    for (auto it = holders_.begin(); it != holders_.end();) {
      const size_t size = it->second.size();  // tokens are unique per fact
      if (size < 2 || size > cap) {
        holders_.erase(it++);
      } else {
        ++it;
      }
    }
    for (size_t i = 0; i < n; ++i) {
      for (size_t k = 0; k < s_.rare_keys; ++k) {
        const uint64_t w = s_.rare_words[i * s_.rare_keys + k];
        if (w == 0) break;
        if (holders_.contains(w)) keyed_[w].push_back(static_cast<uint32_t>(i));
      }
    }
  }

  const Sketched& s_;
  size_t lsh_cap_;
  struct BandIndex {
    std::vector<uint32_t> start;  // per bucket of keys' top bits: where its items start
    std::vector<uint32_t> items;  // the items (not empty in the band table) by bucket
  };
  std::vector<BandIndex> bands_;
  int shift_ = 0;  // key >> shift_ is its bucket
  bool use_simhash_ = false;
  SimHashIndex sim_index_;
  absl::flat_hash_map<uint64_t, std::vector<uint32_t>> holders_;  // probed word -> facts with it
  absl::flat_hash_map<uint64_t, std::vector<uint32_t>> keyed_;   // probed word -> facts keyed by it
  absl::flat_hash_map<uint32_t, std::vector<uint32_t>> copies_;  // sketched fact -> its copies
};

}  // namespace

const char* RelationName(Relation r) {
  switch (r) {
    case Relation::kCanonical:
      return "canonical";
    case Relation::kExact:
      return "exact";
    case Relation::kMojibake:
      return "mojibake";
    case Relation::kTruncated:
      return "truncated";
    case Relation::kSubsumed:
      return "subsumed";
    case Relation::kParaphrase:
      return "paraphrase";
  }
  return "unknown";
}

bool PairScore::IsDuplicate(const DedupOptions& options) const {
  if (values_disagree || names_disagree || entities_differ || order_flipped) return false;
  return similarity >= options.threshold;
}

absl::StatusOr<PairScore> ScorePair(absl::string_view a, absl::string_view b,
                                    const DedupOptions& options) {
  Normalizer normalizer(options.normalize);
  return ScorePair(normalizer, a, b, options);
}

absl::StatusOr<PairScore> ScorePair(const Normalizer& normalizer, absl::string_view a,
                                    absl::string_view b, const DedupOptions& options) {
  absl::StatusOr<NormalizedText> na = normalizer.Normalize(a);
  if (!na.ok()) return na.status();
  absl::StatusOr<NormalizedText> nb = normalizer.Normalize(b);
  if (!nb.ok()) return nb.status();
  return Score(Extract(*na), Extract(*nb), options);
}

absl::StatusOr<DedupResult> Deduplicate(absl::Span<const Item> items, const DedupOptions& options) {
  if (!(options.threshold > 0 && options.threshold <= 1)) {
    return absl::InvalidArgumentError("threshold must be in (0, 1]");
  }
  DedupResult result;
  const size_t n = items.size();
  result.stats.items = static_cast<int64_t>(n);
  const int threads = internal::ResolveThreads(options.threads);
  const Keys key{items};
  auto report = [&](absl::string_view stage, int64_t done, int64_t total) {
    if (options.progress) options.progress(stage, done, total);
  };
  const bool baseline = options.method == Method::kMinHash;
  Sketched sketched;
  if (absl::Status s = SketchAll(items, options, threads, &result.stats, &sketched); !s.ok()) {
    return s;
  }
  std::vector<Features>& features = sketched.features;
  const std::vector<MinHashSignature>& sigs = sketched.sigs;
  const LshParams& lsh_params = sketched.lsh_params;
  internal::BandTable& bands = sketched.bands;
  const std::vector<uint64_t>& simhashes = sketched.simhashes;
  const size_t rare_keys = sketched.rare_keys;
  std::vector<uint64_t>& rare_words = sketched.rare_words;

  // 3+4. Candidates: LSH bucket pairs, verified as they are found (each once, in its first
  // shared band; only duplicate edges are kept, so LSH's candidates take no memory), then the
  // rare-word pairs LSH did not already give, also verified as they are found (each once),
  // then the SimHash pairs and each exact copy's pair with its sketched copy, collected
  // (sorted, unique: SimHash's capped buckets plus one pair per copy) and verified together.
  auto t0 = std::chrono::steady_clock::now();
  std::mutex edges_mu;
  std::vector<uint64_t> dup_edges;  // PairKey of verified duplicates
  auto verify = [&](uint32_t x, uint32_t y) {
    bool d;
    if (baseline) {
      d = EstimateJaccard(sigs[x], sigs[y]) >= options.threshold;
    } else {
      d = VerifiedDuplicate(features[x], features[y], options);
    }
    if (d) {
      std::lock_guard<std::mutex> lock(edges_mu);
      dup_edges.push_back(PairKey(x, y));
    }
  };
  std::vector<uint32_t> oversized;
  const uint64_t lsh_candidates = bands.ForEachPair(
      threads, static_cast<size_t>(std::max(2, options.max_bucket_size)), verify, &oversized,
      [&](int band) { report("verify", band + 1, lsh_params.bands); });
  result.stats.minhash_candidates = static_cast<int64_t>(lsh_candidates);
  result.stats.candidates = result.stats.minhash_candidates;
  // Pairs the LSH bands did not already give: SimHash neighbours, rare-word buckets, copies.
  std::vector<std::pair<uint32_t, uint32_t>> extra;
  if (!baseline && options.simhash_distance > 0) {
    SimHashIndex sim_index(options.simhash_distance, options.max_bucket_size);
    for (size_t i = 0; i < n; ++i) {
      if (!features[i].tokens().empty() && !sketched.Copy(i)) {
        sim_index.Add(static_cast<uint32_t>(i), simhashes[i]);
      }
    }
    std::vector<std::pair<uint32_t, uint32_t>> sp;
    std::vector<uint32_t> so;
    sim_index.FindCandidates(&sp, &so, threads);
    result.stats.simhash_candidates = static_cast<int64_t>(sp.size());
    oversized.insert(oversized.end(), so.begin(), so.end());
    for (const auto& [x, y] : sp) {
      if (!bands.Collide(x, y)) extra.emplace_back(x, y);
    }
  }
  if (rare_keys > 0) {
    // Each fact's prefix words are probed against every fact that has the word anywhere
    // (a containment needs the shorter fact's rare words inside the longer one, not in the
    // longer one's own prefix). Words in more than `rare_word_bucket` facts are not probed.
    const auto cap = static_cast<uint32_t>(std::max(2, options.rare_word_bucket));
    absl::flat_hash_set<uint64_t> probe;
    for (uint64_t w : rare_words) {
      if (w != 0) probe.insert(w);
    }
    std::vector<std::pair<uint64_t, uint32_t>> postings;
    std::mutex postings_mu;
    ParallelFor(n, threads, 4096, [&](size_t b, size_t e) {
      std::vector<std::pair<uint64_t, uint32_t>> local;
      for (size_t i = b; i < e; ++i) {
        if (sketched.Copy(i)) continue;
        for (uint64_t tok : features[i].tokens()) {
          if (probe.contains(tok)) local.emplace_back(tok, static_cast<uint32_t>(i));
        }
      }
      std::lock_guard<std::mutex> lock(postings_mu);
      postings.insert(postings.end(), local.begin(), local.end());
    });
    internal::ParallelSort(&postings, threads);  // the same order whatever the chunks' order
    postings.erase(std::unique(postings.begin(), postings.end()), postings.end());
    absl::flat_hash_map<uint64_t, std::pair<uint32_t, uint32_t>> range;  // word -> [b, e)
    for (size_t b = 0; b < postings.size();) {
      size_t e = b;
      while (e < postings.size() && postings[e].first == postings[b].first) ++e;
      if (e - b >= 2 && e - b <= cap) {
        range[postings[b].first] = {static_cast<uint32_t>(b), static_cast<uint32_t>(e)};
      }
      b = e;
    }
    // Each pair is verified as it is found, once: LSH's own pairs are skipped, and of the
    // (side, key) hits that give a pair, only the first key of the smaller side that finds it
    // verifies it (SimHash's pairs are verified with those). No list of pairs is kept: at 1M
    // facts there are tens of millions.
    absl::flat_hash_set<uint64_t> sim_pairs;
    for (const auto& [x, y] : extra) sim_pairs.insert(PairKey(x, y));
    auto holds = [&](uint32_t f, uint64_t w) {
      const absl::Span<const uint64_t> t = features[f].tokens();
      return std::binary_search(t.begin(), t.end(), w);
    };
    // Whether a key of `f` among its first `keys` (in the probed range) is a word `g` holds.
    auto finds = [&](uint32_t f, size_t keys, uint32_t g) {
      for (size_t k = 0; k < keys; ++k) {
        const uint64_t w = rare_words[f * rare_keys + k];
        if (w == 0) break;
        if (range.contains(w) && holds(g, w)) return true;
      }
      return false;
    };
    std::atomic<int64_t> probed{0}, pairs{0};
    ParallelFor(n, threads, 1024, [&](size_t b, size_t e) {
      int64_t count = 0, fresh = 0;
      for (size_t i = b; i < e; ++i) {
        const auto x = static_cast<uint32_t>(i);
        for (size_t k = 0; k < rare_keys; ++k) {
          const uint64_t w = rare_words[i * rare_keys + k];
          if (w == 0) break;
          auto it = range.find(w);
          if (it == range.end()) continue;
          for (uint32_t p = it->second.first; p < it->second.second; ++p) {
            const uint32_t y = postings[p].second;
            if (x == y) continue;
            ++count;
            const uint32_t u = std::min(x, y), v = std::max(x, y);
            if (bands.Collide(u, v) || finds(x, k, y) || (y < x && finds(y, rare_keys, x)) ||
                (!sim_pairs.empty() && sim_pairs.contains(PairKey(u, v)))) {
              continue;  // LSH's pair, an earlier key's, the other side's, or SimHash's
            }
            ++fresh;
            verify(u, v);
          }
        }
      }
      probed += count;
      pairs += fresh;
    });
    result.stats.candidates += pairs.load();
    std::vector<uint64_t>().swap(rare_words);
    result.stats.rare_word_candidates = probed.load();
  }
  for (size_t i = 0; i < n; ++i) {  // each exact copy with the one sketched for it
    if (sketched.Copy(i)) {
      extra.emplace_back(std::min<uint32_t>(i, sketched.copy_of[i]),
                         std::max<uint32_t>(i, sketched.copy_of[i]));
    }
  }
  internal::ParallelSort(&extra, threads);
  extra.erase(std::unique(extra.begin(), extra.end()), extra.end());
  result.stats.candidates += static_cast<int64_t>(extra.size());
  ParallelFor(extra.size(), threads, 1024, [&](size_t b, size_t e) {
    for (size_t k = b; k < e; ++k) verify(extra[k].first, extra[k].second);
  });
  std::sort(oversized.begin(), oversized.end());
  oversized.erase(std::unique(oversized.begin(), oversized.end()), oversized.end());
  result.stats.oversized_buckets_items = static_cast<int64_t>(oversized.size());
  std::sort(dup_edges.begin(), dup_edges.end());  // found in any order; clustering must not see it
  result.stats.seconds_candidates = Seconds(t0);
  result.stats.seconds_verify = 0;  // verification happens inside candidate generation
  // Clustering reads features and copies only: the band keys (bands x 4 bytes per fact, 169 MB
  // at 1M facts) and SimHash values go before it, where memory peaks.
  bands = internal::BandTable(0, 1);
  std::vector<uint64_t>().swap(sketched.simhashes);

  // 5. Clusters.
  t0 = std::chrono::steady_clock::now();
  absl::flat_hash_set<uint64_t> dup_set;
  std::vector<std::vector<int>> dup_neighbors;
  const std::vector<std::vector<int>> comps =
      Components(n, &dup_edges, key, &dup_set, &dup_neighbors, &result.stats.duplicate_pairs);
  if (options.method == Method::kMinHash) {
    for (const auto& c : comps) {
      Cluster cl;
      cl.canonical = c[0];
      cl.reason = "first by key (baseline: connected components of MinHash-LSH pairs)";
      cl.members.push_back({c[0], 1.0, Relation::kCanonical});
      for (size_t m = 1; m < c.size(); ++m) {
        cl.members.push_back(
            {c[m], EstimateJaccard(sigs[c[0]], sigs[c[m]]), Relation::kParaphrase});
      }
      result.clusters.push_back(std::move(cl));
    }
    result.stats.seconds_cluster = Seconds(t0);
    return result;
  }
  result.clusters =
      ClusterAll(comps, features, sketched.copy_of, dup_set, dup_neighbors, key, options, threads);
  result.stats.seconds_cluster = Seconds(t0);
  return result;
}

absl::StatusOr<DedupResult> DeduplicateAround(absl::Span<const Item> items,
                                              absl::Span<const int> focus,
                                              const DedupOptions& options) {
  const size_t n = items.size();
  for (int f : focus) {
    if (f < 0 || static_cast<size_t>(f) >= n) {
      return absl::InvalidArgumentError(absl::StrCat("focus item ", f, " is not an item"));
    }
  }
  if (options.method == Method::kMinHash) {  // clusters are its components: filter them
    absl::StatusOr<DedupResult> all = Deduplicate(items, options);
    if (!all.ok()) return all;
    std::vector<char> in_focus(n, 0);
    for (int f : focus) in_focus[static_cast<size_t>(f)] = 1;
    std::vector<Cluster> kept;
    for (Cluster& c : all->clusters) {
      bool touched = false;
      for (const Member& m : c.members) touched |= in_focus[static_cast<size_t>(m.item)] != 0;
      if (touched) kept.push_back(std::move(c));
    }
    all->clusters = std::move(kept);
    return all;
  }
  if (!(options.threshold > 0 && options.threshold <= 1)) {
    return absl::InvalidArgumentError("threshold must be in (0, 1]");
  }
  DedupResult result;
  result.stats.items = static_cast<int64_t>(n);
  const int threads = internal::ResolveThreads(options.threads);
  const Keys key{items};
  Sketched sketched;
  if (absl::Status s = SketchAll(items, options, threads, &result.stats, &sketched); !s.ok()) {
    return s;
  }
  const std::vector<Features>& features = sketched.features;

  // Breadth-first from the focus: each fact reached is queried for its candidates, which are
  // verified as the full pass verifies them (smaller index first); a duplicate joins the next
  // level. At the end every edge of every component holding a focus fact is known.
  auto t0 = std::chrono::steady_clock::now();
  const CandidateFinder finder(sketched, options, threads);
  std::vector<char> reached(n, 0);
  std::vector<uint32_t> level;
  for (int f : focus) {
    if (!reached[static_cast<size_t>(f)]) {
      reached[static_cast<size_t>(f)] = 1;
      level.push_back(static_cast<uint32_t>(f));
    }
  }
  std::vector<uint64_t> edges;
  while (!level.empty()) {
    std::vector<std::vector<uint32_t>> found(level.size());
    std::vector<int64_t> queried(level.size(), 0);
    ParallelFor(level.size(), threads, 8, [&](size_t b, size_t e) {
      std::vector<uint32_t> candidates;
      for (size_t q = b; q < e; ++q) {
        finder.Find(level[q], &candidates);
        queried[q] = static_cast<int64_t>(candidates.size());
        for (uint32_t j : candidates) {
          const uint32_t x = std::min(level[q], j), y = std::max(level[q], j);
          if (VerifiedDuplicate(features[x], features[y], options)) {
            found[q].push_back(j);
          }
        }
      }
    });
    std::vector<uint32_t> next;
    for (size_t q = 0; q < level.size(); ++q) {
      result.stats.candidates += queried[q];
      for (uint32_t j : found[q]) {
        edges.push_back(PairKey(level[q], j));
        if (!reached[j]) {
          reached[j] = 1;
          next.push_back(j);
        }
      }
    }
    level = std::move(next);
  }
  std::sort(edges.begin(), edges.end());
  edges.erase(std::unique(edges.begin(), edges.end()), edges.end());
  result.stats.seconds_candidates = Seconds(t0);

  t0 = std::chrono::steady_clock::now();
  absl::flat_hash_set<uint64_t> dup_set;
  std::vector<std::vector<int>> dup_neighbors;
  const std::vector<std::vector<int>> comps =
      Components(n, &edges, key, &dup_set, &dup_neighbors, &result.stats.duplicate_pairs);
  result.clusters =
      ClusterAll(comps, features, sketched.copy_of, dup_set, dup_neighbors, key, options, threads);
  result.stats.seconds_cluster = Seconds(t0);
  return result;
}

}  // namespace factdedup::dedup
