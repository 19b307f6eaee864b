#include "dedup/engine.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <deque>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <iterator>
#include <limits>
#include <memory>
#include <mutex>
#include <numeric>
#include <string>
#include <tuple>
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
#include "dedup/internal/os_memory.h"
#include "dedup/internal/overlap_bound.h"
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
  // Whether the two lists hold the same strings in the same order: the same count, the same
  // bytes back to back and the same lengths.
  bool Equals(const StringList& o) const {
    if (size() != o.size()) return false;
    if (empty()) return true;
    const uint32_t b = first_ == 0 ? 0 : ends_[first_ - 1];
    const uint32_t ob = o.first_ == 0 ? 0 : o.ends_[o.first_ - 1];
    if (absl::string_view(chars_ + b, ends_[last_ - 1] - b) !=
        absl::string_view(o.chars_ + ob, o.ends_[o.last_ - 1] - ob)) {
      return false;
    }
    for (uint32_t k = 0; k + 1 < size(); ++k) {
      if (ends_[first_ + k] - b != o.ends_[o.first_ + k] - ob) return false;
    }
    return true;
  }

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
// A fact's entities (names of people, places, organizations): each one's Hash64 and, for a
// name of 2 to 6 bytes (the only ones an acronym can spell out: ExclusiveEntities), the name.
// One allocation for all of them.
class EntityList {
 public:
  EntityList() = default;
  EntityList(EntityList&&) = default;
  EntityList& operator=(EntityList&&) = default;
  EntityList(const EntityList& other) { *this = other; }
  EntityList& operator=(const EntityList& other) {
    if (this != &other) {
      data_.reset();
      if (other.data_) {
        const size_t words = Words(other.size());
        data_ = std::make_unique_for_overwrite<uint64_t[]>(words);
        std::copy(other.data_.get(), other.data_.get() + words, data_.get());
      }
    }
    return *this;
  }

  // Entity k is names[k], whose Hash64 is hashes[k].
  template <typename Name>
  void Assign(absl::Span<const Name> names, absl::Span<const uint64_t> hashes) {
    data_.reset();
    if (names.empty()) return;
    data_ = std::make_unique<uint64_t[]>(Words(names.size()));
    data_[0] = names.size();
    std::copy(hashes.begin(), hashes.end(), data_.get() + 1);
    char* at = reinterpret_cast<char*>(data_.get() + 1 + names.size());
    for (size_t k = 0; k < names.size(); ++k, at += 8) {
      const absl::string_view name = names[k];
      if (name.size() >= 2 && name.size() <= kShortName) {
        at[0] = static_cast<char>(name.size());
        std::memcpy(at + 1, name.data(), name.size());
      }
    }
  }
  size_t size() const { return data_ ? static_cast<size_t>(data_[0]) : 0; }
  uint64_t hash(size_t k) const { return data_[1 + k]; }
  // Entity k's name if it has 2 to 6 bytes, else "".
  absl::string_view short_name(size_t k) const {
    const char* at = reinterpret_cast<const char*>(data_.get() + 1 + size()) + 8 * k;
    return absl::string_view(at + 1, static_cast<unsigned char>(at[0]));
  }

 private:
  static constexpr size_t kShortName = 6;
  // The count, the hashes, then 8 bytes per name: its length (0 when not kept), its bytes.
  static size_t Words(size_t n) { return 1 + 2 * n; }
  std::unique_ptr<uint64_t[]> data_;
};

class Features;
// Every fact's features: one of the engine's largest arrays (see internal::OsAllocator).
using FeatureList = internal::OsVector<Features>;

// Blocks of features (Features::Assign) for one pass, carved out of chunks taken from the
// operating system (internal::OsAllocator) instead of one small allocation each: no
// allocator's rounding or headers, and the memory leaves the process with the pass instead
// of staying with the allocator while the conflict pass builds its own. Thread-safe; a
// block is valid while the arena lives.
class BlockArena {
 public:
  BlockArena() : id_(next_id_.fetch_add(1) + 1) {}
  ~BlockArena() {
    for (const auto& [chunk, words] : chunks_) {
      internal::OsAllocator<uint64_t>().deallocate(chunk, words);
    }
  }
  BlockArena(const BlockArena&) = delete;
  BlockArena& operator=(const BlockArena&) = delete;

  uint64_t* Allocate(size_t words) {
    // This thread's chunk, and for which arena (by id: another may come at a freed one's
    // address).
    thread_local uint64_t arena = 0;
    thread_local uint64_t* at = nullptr;
    thread_local size_t left = 0;
    if (arena != id_ || left < words) {
      const size_t size = std::max(kChunkWords, words);
      uint64_t* chunk = internal::OsAllocator<uint64_t>().allocate(size);  // not written
      {
        std::lock_guard<std::mutex> lock(mu_);
        chunks_.emplace_back(chunk, size);
      }
      arena = id_;
      at = chunk;
      left = size;
    }
    uint64_t* out = at;
    at += words;
    left -= words;
    return out;
  }

 private:
  static constexpr size_t kChunkWords = size_t{1} << 17;  // 1 MiB
  static inline std::atomic<uint64_t> next_id_{0};
  const uint64_t id_;
  std::mutex mu_;
  std::vector<std::pair<uint64_t*, size_t>> chunks_;
};

class Features {
 public:
  // The lists Extract derives from a normalization.
  struct Lists {
    std::vector<uint64_t> tokens;  // sorted unique content-token hashes
    std::vector<uint64_t> seq;     // content-token hashes in text order
    // Ordered bigrams of seq: (BigramHash(seq[i], seq[i + 1]), i), sorted and unique by hash.
    std::vector<std::pair<uint64_t, uint32_t>> bigrams;
    std::vector<uint32_t> seq_rank;      // each seq hash's index in tokens
    std::vector<uint64_t> name_hashes;   // the hash of each name token, in text order
    std::vector<std::string> values[4];  // per kind (kMoney ... kDate), sorted unique
    std::vector<std::string> names;      // sorted unique name tokens
    std::string entry_date;
    std::string initials;
  };
  Features() = default;
  explicit Features(const Lists& l) { Assign(l); }
  // Becomes Features(l) but for the fields Extract sets itself (exact, clean_len and the
  // flags): in place, no object moved. With an arena, the block is taken from it (and not
  // owned: the arena must outlive this object; its weights are written as an owned block's).
  void Assign(const Lists& l, BlockArena* arena = nullptr);
  Features(Features&& other) noexcept { *this = std::move(other); }
  Features& operator=(Features&& other) noexcept;
  Features(const Features& other) { *this = other; }
  Features& operator=(const Features& other);
  ~Features() { FreeBlock(); }
  // Becomes equal to `other` (whose features are all set but its weights), sharing its block
  // instead of a copy of it: a fact whose text repeats another's (12% of a generated vault's
  // facts) holds no block of its own. `other` must outlive this object, and this object's
  // weights are then `other`'s: its mutable_weights() must not be called (shares_block()).
  void ShareOf(const Features& other);
  bool shares_block() const { return shared_ && !in_arena_; }

  absl::Span<const uint64_t> tokens() const { return {Words(), n_tokens_}; }
  // Per entry of tokens(): IDF over the corpus (set by the corpus pass), or 1.
  absl::Span<const float> weights() const { return {Weights(), n_tokens_}; }
  // Not for a Features that shares_block() (the block's owner writes the weights).
  absl::Span<float> mutable_weights() { return {Weights(), n_tokens_}; }
  // The sorted unique ordered bigram hashes, ascending, into *out (replaced).
  // Kept as the positions in tokens() of their two words (4 bytes each, not 8).
  size_t bigram_count() const { return n_bigrams_; }
  void Bigrams(std::vector<uint64_t>* out) const {
    out->resize(n_bigrams_);
    const size_t first = n_seq_ + n_name_hashes_;
    if (Wide(n_tokens_)) {
      ExpandBigrams<uint32_t>(first, out->data());
    } else {
      ExpandBigrams<uint16_t>(first, out->data());
    }
  }
  static uint64_t BigramHash(uint64_t first, uint64_t second) {
    return first * 0x9E3779B97F4A7C15ULL ^ (second + 0x632BE59BD9B4E019ULL);
  }
  // The content-token hashes in text order (Lists::seq) and the name tokens' (Lists::
  // name_hashes), into *out (replaced). Kept as positions in tokens(): 2 bytes each, not 8.
  void Seq(std::vector<uint64_t>* out) const { Expand(0, n_seq_, out); }
  void NameHashes(std::vector<uint64_t>* out) const { Expand(n_seq_, n_name_hashes_, out); }
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
  // Names of people, places, organizations (see the corpus pass).
  EntityList entities;
  uint64_t exact = 0;  // hash of every token in order

 private:
  // Declared among the public fields below so that the object packs into 80 bytes (it was
  // 96: one per fact for the whole run).
  uint64_t* block_ = nullptr;  // owned unless shared_
  uint32_t n_tokens_ = 0, n_seq_ = 0, n_bigrams_ = 0, n_name_hashes_ = 0, n_names_ = 0;
  uint32_t value_end_[4] = {0, 0, 0, 0};  // end of each kind among the strings
  uint32_t chars_at_ = 0;                 // in bytes

 public:
  uint32_t clean_len = 0;
  bool truncated : 1 = false;
  bool repaired : 1 = false;
  bool suspect : 1 = false;
  bool passive : 1 = false;      // has "by" (passive voice flips the order of roles)
  bool dated_entry : 1 = false;  // entry_date() is not empty

 private:
  bool shared_ : 1 = false;    // block_ is not owned: another Features' (ShareOf) or in_arena_
  bool in_arena_ : 1 = false;  // block_ is a BlockArena's, its own (not shared with another)

  void FreeBlock() {
    if (!shared_) delete[] block_;
    block_ = nullptr;
    shared_ = false;
    in_arena_ = false;
  }
  // Every field but the block and the entities.
  void CopyScalars(const Features& other) {
    total_weight = other.total_weight;
    exact = other.exact;
    clean_len = other.clean_len;
    truncated = other.truncated;
    repaired = other.repaired;
    suspect = other.suspect;
    passive = other.passive;
    dated_entry = other.dated_entry;
    n_tokens_ = other.n_tokens_;
    n_seq_ = other.n_seq_;
    n_bigrams_ = other.n_bigrams_;
    n_name_hashes_ = other.n_name_hashes_;
    n_names_ = other.n_names_;
    std::copy(std::begin(other.value_end_), std::end(other.value_end_), value_end_);
    chars_at_ = other.chars_at_;
  }

  // The block: u64 tokens, then float weights, then the strings' u32 ends (values, names,
  // entry date, initials), then positions in tokens (u16 each, u32 when there are more than
  // 65535 tokens): seq's, the name hashes', two per bigram; then the strings' bytes.
  uint64_t* Words() const { return block_; }
  float* Weights() const { return reinterpret_cast<float*>(block_ + n_tokens_); }
  uint32_t StringCount() const { return value_end_[3] + n_names_ + 2; }
  const uint32_t* Ends() const { return reinterpret_cast<const uint32_t*>(Weights() + n_tokens_); }
  const char* Positions() const { return reinterpret_cast<const char*>(Ends() + StringCount()); }
  static bool Wide(size_t tokens) { return tokens > 0xFFFF; }
  // Position k of the positions region.
  uint32_t Position(size_t k) const {
    if (Wide(n_tokens_)) {
      uint32_t p;
      std::memcpy(&p, Positions() + k * 4, 4);
      return p;
    }
    uint16_t q;
    std::memcpy(&q, Positions() + k * 2, 2);
    return q;
  }
  // The bigram hashes from the pairs of positions at `first` on (of width P).
  template <typename P>
  void ExpandBigrams(size_t first, uint64_t* out) const {
    const uint64_t* tokens = Words();
    const char* at = Positions() + first * sizeof(P);
    for (uint32_t k = 0; k < n_bigrams_; ++k, at += 2 * sizeof(P)) {
      P p[2];
      std::memcpy(p, at, sizeof p);
      out[k] = BigramHash(tokens[p[0]], tokens[p[1]]);
    }
  }
  // The hashes of `count` positions from `first` on.
  void Expand(uint32_t first, uint32_t count, std::vector<uint64_t>* out) const {
    out->resize(count);
    for (uint32_t k = 0; k < count; ++k) (*out)[k] = Words()[Position(first + k)];
  }
  const char* Chars() const { return reinterpret_cast<const char*>(block_) + chars_at_; }
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
};
static_assert(sizeof(Features) == 80);

void Features::Assign(const Lists& l, BlockArena* arena) {
  FreeBlock();
  total_weight = 0;
  entities = EntityList();
  n_tokens_ = static_cast<uint32_t>(l.tokens.size());
  n_seq_ = static_cast<uint32_t>(l.seq.size());
  n_bigrams_ = static_cast<uint32_t>(l.bigrams.size());
  n_name_hashes_ = static_cast<uint32_t>(l.name_hashes.size());
  n_names_ = static_cast<uint32_t>(l.names.size());
  thread_local std::vector<absl::string_view> strings;  // reused: one fact after another
  strings.clear();
  for (int k = 0; k < 4; ++k) {
    for (const std::string& v : l.values[k]) strings.push_back(v);
    value_end_[k] = static_cast<uint32_t>(strings.size());
  }
  for (const std::string& v : l.names) strings.push_back(v);
  strings.push_back(l.entry_date);
  strings.push_back(l.initials);
  size_t chars = 0;
  for (absl::string_view v : strings) chars += v.size();
  const size_t words = n_tokens_;
  const size_t position_size = Wide(n_tokens_) ? 4 : 2;
  chars_at_ = static_cast<uint32_t>(words * 8 + n_tokens_ * sizeof(float) + strings.size() * 4 +
                                    (n_seq_ + n_name_hashes_ + 2 * n_bigrams_) * position_size);
  const size_t bytes = chars_at_ + chars;
  if (arena != nullptr) {
    block_ = arena->Allocate((bytes + 7) / 8);
    shared_ = in_arena_ = true;
  } else {
    block_ = new uint64_t[(bytes + 7) / 8];  // not written: every byte is set below
  }
  std::copy(l.tokens.begin(), l.tokens.end(), block_);
  std::fill(Weights(), Weights() + n_tokens_, 1.0F);
  // Every seq and name hash is one of the tokens (sorted, unique): each is kept as its rank,
  // and a bigram as the ranks of its two words.
  char* at = const_cast<char*>(Positions());
  auto put = [&](uint32_t p) {
    if (position_size == 4) {
      std::memcpy(at, &p, 4);
    } else {
      const auto q = static_cast<uint16_t>(p);
      std::memcpy(at, &q, 2);
    }
    at += position_size;
  };
  auto rank = [&](uint64_t h) {
    return static_cast<uint32_t>(std::lower_bound(l.tokens.begin(), l.tokens.end(), h) -
                                 l.tokens.begin());
  };
  for (uint32_t p : l.seq_rank) put(p);
  for (uint64_t h : l.name_hashes) put(rank(h));
  for (const auto& [hash, i] : l.bigrams) {
    put(l.seq_rank[i]);
    put(l.seq_rank[i + 1]);
  }
  uint32_t* ends = const_cast<uint32_t*>(Ends());
  char* out = at;
  uint32_t end = 0;
  for (size_t k = 0; k < strings.size(); ++k) {
    std::memcpy(out + end, strings[k].data(), strings[k].size());
    end += static_cast<uint32_t>(strings[k].size());
    ends[k] = end;
  }
  for (size_t k = 0; k < n_tokens_; ++k) total_weight += Weights()[k];
}

Features& Features::operator=(const Features& other) {
  if (this == &other) return *this;
  FreeBlock();
  CopyScalars(other);
  entities = other.entities;
  if (other.block_ != nullptr) {
    const size_t bytes = chars_at_ + other.Ends()[StringCount() - 1];  // the last string's end
    block_ = new uint64_t[(bytes + 7) / 8];
    std::memcpy(block_, other.block_, bytes);
  }
  return *this;
}

Features& Features::operator=(Features&& other) noexcept {
  if (this == &other) return *this;
  FreeBlock();
  CopyScalars(other);
  entities = std::move(other.entities);
  block_ = other.block_;
  shared_ = other.shared_;
  in_arena_ = other.in_arena_;
  other.block_ = nullptr;
  other.shared_ = false;
  other.in_arena_ = false;
  return *this;
}

void Features::ShareOf(const Features& other) {
  if (this == &other) return;
  FreeBlock();
  CopyScalars(other);
  entities = other.entities;
  block_ = other.block_;
  shared_ = block_ != nullptr;
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

// A fact's features, into *out; `cases` (optional) gets what the corpus pass reads, and then
// the corpus pass sets the entities (without `cases`, the entities are the fact's names).
void ExtractInto(const NormalizedText& t, CaseInfo* cases, Features* out,
                 BlockArena* arena = nullptr) {
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
  l.seq_rank.resize(l.seq.size());
  for (size_t i = 0; i < l.seq.size(); ++i) {
    l.seq_rank[i] = static_cast<uint32_t>(
        std::lower_bound(l.tokens.begin(), l.tokens.end(), l.seq[i]) - l.tokens.begin());
  }
  if (cases != nullptr) {
    ci.case_flags.assign(l.tokens.size(), 0);
    for (size_t i = 0; i < t.tokens.size(); ++i) {
      const Token& tok = t.tokens[i];
      const size_t at = l.seq_rank[i];
      if (tok.lowercase) ci.case_flags[at] |= kSeenLowercase;
      if (tok.kind == TokenKind::kName) ci.case_flags[at] |= kSeenName;
      if (tok.capitalized) ci.caps.push_back(tok.text);
    }
  }
  for (size_t i = 0; i + 1 < l.seq.size(); ++i) {
    l.bigrams.emplace_back(Features::BigramHash(l.seq[i], l.seq[i + 1]), static_cast<uint32_t>(i));
  }
  std::sort(l.bigrams.begin(), l.bigrams.end());
  l.bigrams.erase(std::unique(l.bigrams.begin(), l.bigrams.end(),
                              [](const auto& x, const auto& y) { return x.first == y.first; }),
                  l.bigrams.end());
  auto uniq = [](std::vector<std::string>& v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
  };
  for (auto& v : l.values) uniq(v);
  uniq(l.names);
  uniq(ci.caps);
  Features& f = *out;
  f.Assign(l, arena);
  f.truncated = t.truncated;
  f.repaired = t.repaired_mojibake;
  f.suspect = t.suspect_mojibake;
  f.clean_len = static_cast<uint32_t>(t.clean.size());
  f.passive = passive;
  f.dated_entry = !l.entry_date.empty();
  f.exact = Hash64(all);
  if (cases == nullptr) {  // without a corpus: its names (a corpus pass sets them from `cases`)
    std::vector<uint64_t> hashes;
    hashes.reserve(l.names.size());
    for (const std::string& e : l.names) hashes.push_back(Hash64(e));
    f.entities.Assign(absl::MakeConstSpan(l.names), hashes);
  }
}

Features Extract(const NormalizedText& t, CaseInfo* cases = nullptr) {
  Features f;
  ExtractInto(t, cases, &f);
  return f;
}

// A word's IDF weight among `n` facts when `df` of them hold it. Every weight of the engine
// comes from here, so that a corpus state (CorpusState) gives the same bits as a full pass.
double IdfWeight(double n, uint32_t df) { return std::log(1.0 + n / static_cast<double>(df)); }

// Per-word tables built on several threads are split by word: one table per thread (one for
// fewer than 8192 facts), word w in table WordPart(w, tables). Word hashes are uniform: the
// high bits pick the table.
size_t WordTables(int threads, size_t facts) {
  return static_cast<size_t>(
      std::max(1, std::min(internal::ResolveThreads(threads), static_cast<int>(facts / 8192 + 1))));
}
size_t WordPart(uint64_t word, size_t tables) { return ((word >> 32) * tables) >> 32; }

// How the corpus writes a word: facts writing it in lowercase, and as a name (kSeen* bits).
struct SeenCount {
  uint32_t lowercase = 0, name = 0;
  void Add(uint8_t flags) {
    lowercase += flags & kSeenLowercase;
    name += (flags & kSeenName) != 0 ? 1 : 0;
  }
  // A name: written as one somewhere, never in lowercase ("Contoso", not "Storage").
  bool IsName() const { return name > 0 && lowercase == 0; }
};

// The corpus's counts per word, from one pass over every fact: IDF weights, the facts holding
// it that are unsketched copies, and how it is written.
class Weights {
 public:
  struct Entry {
    uint32_t df = 0;
    uint32_t copy_df = 0;  // of those, exact copies not sketched (Sketched::copy_of)
    SeenCount seen;        // from the facts' CaseInfo::case_flags
    uint32_t id = 0;       // the word's rank among the corpus's words (NumberWords)
    double idf = 0;
  };
  // `is_copy(i)`: whether fact i is a copy that is not sketched; `cases[i]`: its case flags.
  // The words are split among `threads` maps by their hash, each counted by its own thread
  // over every fact: no map is merged into another, and every count is the same sum however
  // the words are split.
  template <typename IsCopy>
  Weights(const FeatureList& all, int threads, IsCopy is_copy,
          const internal::OsVector<CaseInfo>& cases) {
    const size_t n = all.size();
    n_ = static_cast<double>(n);
    parts_.resize(WordTables(threads, n));
    ParallelFor(parts_.size(), static_cast<int>(parts_.size()), 1, [&](size_t first, size_t last) {
      for (size_t p = first; p < last; ++p) {
        absl::flat_hash_map<uint64_t, Entry>& m = parts_[p];
        for (size_t i = 0; i < n; ++i) {
          const uint32_t copy = is_copy(i) ? 1 : 0;
          const std::vector<uint8_t>& flags = cases[i].case_flags;
          const absl::Span<const uint64_t> tokens = all[i].tokens();
          for (size_t k = 0; k < tokens.size(); ++k) {
            if (parts_.size() > 1 && Part(tokens[k]) != p) continue;
            Entry& e = m[tokens[k]];
            ++e.df;
            e.copy_df += copy;
            e.seen.Add(flags[k]);
          }
        }
        // The weight of each word, once.
        for (auto& [token, e] : m) e.idf = IdfWeight(n_, e.df);
      }
    });
  }
  // The corpus's entry of a word, or nullptr.
  const Entry* Find(uint64_t token) const {
    const absl::flat_hash_map<uint64_t, Entry>& m =
        parts_.size() == 1 ? parts_[0] : parts_[Part(token)];
    auto it = m.find(token);
    return it == m.end() ? nullptr : &it->second;
  }
  // The corpus's words, sorted; each entry's id becomes its rank there.
  std::vector<uint64_t> NumberWords(int threads) {
    std::vector<uint64_t> words;
    for (const auto& m : parts_) {
      for (const auto& [token, e] : m) words.push_back(token);
    }
    internal::ParallelSort(&words, threads);
    for (size_t k = 0; k < words.size(); ++k) {
      parts_[Part(words[k])][words[k]].id = static_cast<uint32_t>(k);
    }
    return words;
  }

 private:
  // The map that counts `token`.
  size_t Part(uint64_t token) const { return WordPart(token, parts_.size()); }

  double n_ = 1;
  std::vector<absl::flat_hash_map<uint64_t, Entry>> parts_;
};

// Jaccard of the two facts' ordered bigrams (PairScore::bigram).
double BigramJaccard(const Features& a, const Features& b) {
  const size_t na = a.bigram_count(), nb = b.bigram_count();
  if (na == 0 && nb == 0) return 1.0;
  thread_local std::vector<uint64_t> x, y;
  a.Bigrams(&x);
  b.Bigrams(&y);
  size_t i = 0, j = 0, inter = 0;
  while (i < na && j < nb) {
    if (x[i] == y[j]) {
      ++inter, ++i, ++j;
    } else if (x[i] < y[j]) {
      ++i;
    } else {
      ++j;
    }
  }
  return static_cast<double>(inter) / static_cast<double>(na + nb - inter);
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
  // Two rows; on the stack for the short words names are.
  absl::InlinedVector<int, 64> rows(2 * (b.size() + 1));
  int* prev = rows.data();
  int* cur = prev + b.size() + 1;
  std::iota(prev, prev + b.size() + 1, 0);
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
  if (a.Equals(b)) return false;  // most duplicates name the same people
  // The names only one side has (both lists are sorted and unique), in one merge.
  absl::InlinedVector<absl::string_view, 8> only_a, only_b;
  for (size_t i = 0, j = 0; i < a.size() || j < b.size();) {
    // One comparison of the two names per step.
    const int c = j == b.size() ? -1 : i == a.size() ? 1 : a[i].compare(b[j]);
    if (c < 0) {
      only_a.push_back(a[i++]);
    } else if (c > 0) {
      only_b.push_back(b[j++]);
    } else {
      ++i, ++j;
    }
  }
  if (only_a.empty() || only_b.empty()) return false;
  for (absl::string_view x : only_a) {
    for (absl::string_view y : only_b) {
      const size_t len = std::max(x.size(), y.size());
      if (len < 4 || x[0] != y[0]) continue;
      const int most = std::max<int>(1, static_cast<int>(len) / 3);
      // The distance is at least the difference in length.
      if (static_cast<int>(len - std::min(x.size(), y.size())) > most) continue;
      if (EditDistance(x, y) <= most) return true;
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
    const absl::string_view name = a.entities.short_name(k);  // "" unless 2 to 6 bytes
    if (std::binary_search(tokens.begin(), tokens.end(), a.entities.hash(k)) ||
        (!name.empty() && initials.find(name) != absl::string_view::npos)) {
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

// PairScore::values_disagree. Values of a kind (names) only one side has, or neither, never
// disagree: most pairs.
bool AnyValuesDisagree(const Features& a, const Features& b) {
  auto values_disagree = [&](int kind) {
    return a.HasValues(kind) && b.HasValues(kind) &&
           ValuesDisagree(a.Values(kind), b.Values(kind), kind == kDate);
  };
  return values_disagree(kMoney) || values_disagree(kPercent) || values_disagree(kNumber) ||
         values_disagree(kDate) ||
         (a.dated_entry && b.dated_entry && !DateCompatible(a.entry_date(), b.entry_date()));
}

// PairScore::names_disagree.
bool AnyNamesDisagree(const Features& a, const Features& b) {
  return a.HasNames() && b.HasNames() && NamesDisagree(a.names(), b.names());
}

// PairScore::entities_exclusive (returned) and entities_differ (*differ, when the names do not
// disagree). Different entities (see ExclusiveEntities): each side names someone or something
// the other does not mention, and these outnumber the names they share.
bool EntitiesExclusive(const Features& a, const Features& b, bool names_disagree, bool* differ) {
  int shared_a = 0, shared_b = 0;
  const int ea = ExclusiveEntities(a, b, &shared_a);
  if (ea == 0) {  // b's exclusive names cannot make the pair exclusive
    *differ = false;
    return false;
  }
  const int eb = ExclusiveEntities(b, a, &shared_b);
  const bool exclusive = eb > 0;
  *differ = !names_disagree && exclusive && std::min(ea, eb) >= std::max(shared_a, shared_b);
  return exclusive;
}

// PairScore::order_flipped, given the pair's Jaccard and bigram Jaccard. Roles swapped:
// almost the same words, few shared bigrams, and the names (the entities in the roles) in
// inverted order. A moved adverb or clause keeps the names' order; "A acquired B" / "B
// acquired A" inverts it.
bool OrderFlipped(const Features& a, const Features& b, double jaccard, double bigram) {
  if (!(jaccard >= 0.8 && bigram < 0.5 && a.passive == b.passive)) return false;
  thread_local std::vector<uint64_t> names, more, seq_a, seq_b;
  a.NameHashes(&names);
  b.NameHashes(&more);
  names.insert(names.end(), more.begin(), more.end());
  a.Seq(&seq_a);
  b.Seq(&seq_b);
  return DiscordantShare(seq_a, seq_b, names) >= 0.3;
}

// PairScore::similarity and relation (of b relative to a; a is the canonical when called
// from clustering), given the pair's OverlapScore: what the checks do not change.
struct Placement {
  double similarity = 0;
  Relation relation = Relation::kParaphrase;
};

Placement Place(const Features& a, const Features& b, const OverlapScore& os,
                const DedupOptions& options) {
  Placement p;
  p.similarity = os.similarity;
  if (a.exact == b.exact) {
    p.relation = (a.repaired != b.repaired) ? Relation::kMojibake : Relation::kExact;
    p.similarity = 1.0;
  } else if (b.truncated && os.contained) {
    p.relation = Relation::kTruncated;
  } else if (os.contained && !os.a_shorter && os.jaccard < options.threshold) {
    p.relation = Relation::kSubsumed;
  } else if (b.repaired && os.jaccard >= 0.95) {
    p.relation = Relation::kMojibake;
  } else {
    p.relation = Relation::kParaphrase;
  }
  return p;
}

// Score, given the pair's WeightedOverlap.
PairScore ScoreWith(const Features& a, const Features& b, const Overlap& o,
                    const DedupOptions& options) {
  PairScore s;
  const OverlapScore os = ScoreOverlap(a, b, o, options);
  s.jaccard = os.jaccard;
  s.containment = os.containment;
  s.bigram = BigramJaccard(a, b);
  s.values_disagree = AnyValuesDisagree(a, b);
  s.names_disagree = AnyNamesDisagree(a, b);
  s.entities_exclusive = EntitiesExclusive(a, b, s.names_disagree, &s.entities_differ);
  s.order_flipped = OrderFlipped(a, b, s.jaccard, s.bigram);
  const Placement p = Place(a, b, os, options);
  s.similarity = p.similarity;
  s.relation = p.relation;
  return s;
}

PairScore Score(const Features& a, const Features& b, const DedupOptions& options) {
  return ScoreWith(a, b, WeightedOverlap(a, b), options);
}

// Whether Score(a, b).similarity (given the pair's overlap `o`) is under `floor`, without the
// costly checks: the overlap decides it unless the two are exact copies (similarity 1).
bool SimilarityBelow(const Features& a, const Features& b, const Overlap& o, double floor,
                     const DedupOptions& options) {
  return a.exact != b.exact && ScoreOverlap(a, b, o, options).similarity < floor;
}

// Whether values, names or roles (and, with `entities`, different entities) rule the pair
// out, given its overlap: PairScore's checks as IsDuplicate reads them, each computed only
// until one says no. With `entities`, entities that are exclusive (PairScore::
// entities_exclusive) but do not differ rule it out too when `similarity` is under
// `exclusive_floor` (clustering's test against the canonical; IsDuplicate passes 0).
bool ChecksRuleOut(const Features& a, const Features& b, const Overlap& o, bool entities,
                   const DedupOptions& options, double similarity = 1, double exclusive_floor = 0) {
  if (AnyValuesDisagree(a, b) || AnyNamesDisagree(a, b)) return true;
  if (entities) {
    bool differ = false;
    const bool exclusive = EntitiesExclusive(a, b, /*names_disagree=*/false, &differ);
    if (differ || (exclusive && similarity < exclusive_floor)) return true;
  }
  const double jaccard = ScoreOverlap(a, b, o, options).jaccard;
  return jaccard >= 0.8 && OrderFlipped(a, b, jaccard, BigramJaccard(a, b));
}

// Score(a, b, options).IsDuplicate(options), with the overlap computed once and the costly
// checks (values, names, entities, order) only for pairs similar enough (most candidates are
// not), each only until one of them rules the pair out, and without the relation.
bool VerifiedDuplicate(const Features& a, const Features& b, const DedupOptions& options) {
  const Overlap o = WeightedOverlap(a, b);
  if (SimilarityBelow(a, b, o, options.threshold, options)) return false;
  // The similarity reaches the threshold (exact copies score 1): only the checks can say no.
  return !ChecksRuleOut(a, b, o, /*entities=*/true, options);
}

// Whether the two facts' token-weight summaries alone show that VerifiedDuplicate(a, b) is
// false: the summaries' bound on the shared weight (internal::OverlapUpperBound) keeps both
// the Jaccard and the containment under what SimilarityBelow(a, b, ..., threshold) needs.
// The bound holds whichever side is shorter and whether or not it is truncated (the most
// lenient containment threshold applies); exact copies share all their weight and are never
// ruled out. On g100k it rules out 2.12M of the 2.49M candidate pairs (85%; the overlap
// itself rejects 2.30M).
bool RuledOut(const internal::OverlapSummary& a, const internal::OverlapSummary& b,
              const DedupOptions& options) {
  const double shared = internal::OverlapUpperBound(a, b);
  const double wa = a.total_low, wb = b.total_low;
  const double small = std::min(wa, wb);
  if (!(shared < small)) return false;  // one side may lie wholly inside the other
  const double jaccard = shared / (wa + wb - shared);
  const double containment = shared / small;
  const double lenient = options.containment_threshold * 0.85;  // a truncated shorter side
  const double similarity = containment >= lenient ? std::max(jaccard, containment) : jaccard;
  return similarity < options.threshold * (1 - 1e-9);
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
  absl::string_view operator()(size_t i) const {
    return items[i].key.empty() ? items[i].Text() : absl::string_view(items[i].key);
  }
};

// A word id that names no word (an unused rare-word slot of a CorpusState).
constexpr uint32_t kNoWord = 0xFFFFFFFFu;

// The features of some of many facts, by item: DeduplicateAround from a CorpusState reads
// only the facts its search reaches (about 2,000 of 100,000), and a FeatureList's object for
// every item (80 bytes each, written when made) cost more than reading them.
class SparseFeatures {
 public:
  void Reset(size_t items) {
    slot_.assign(items, 0);
    read_.clear();
  }
  size_t size() const { return slot_.size(); }
  // Item i's features, made (empty) if it has none yet. Not thread-safe; the object stays
  // where it is as others are made.
  Features& Make(size_t i) {
    if (slot_[i] == 0) {
      read_.emplace_back();
      slot_[i] = static_cast<uint32_t>(read_.size());
    }
    return read_[slot_[i] - 1];
  }
  // Item i's features, which Make made. Thread-safe.
  Features& At(size_t i) { return read_[slot_[i] - 1]; }
  // Item i's features; an empty Features for an item that has none.
  const Features& operator[](size_t i) const {
    return slot_[i] == 0 ? Empty() : read_[slot_[i] - 1];
  }

 private:
  static const Features& Empty() {
    static const Features* const empty = new Features();
    return *empty;
  }
  std::vector<uint32_t> slot_;  // per item: 1 + the index of its features in read_, or 0
  std::deque<Features> read_;
};

// Every fact's features and sketches: what the candidate stages share.
struct Sketched {
  std::unique_ptr<BlockArena> arena = std::make_unique<BlockArena>();  // features' blocks
  FeatureList features;  // by item; empty when `sparse`
  // DeduplicateAround from a CorpusState: the features of the facts read so far, by item,
  // instead of `features`.
  bool sparse = false;
  SparseFeatures read;
  std::vector<MinHashSignature> sigs;  // the baseline's (it estimates Jaccard from them)
  LshParams lsh_params;
  internal::BandTable bands{0, 1};
  std::vector<uint64_t> simhashes;
  size_t rare_keys = 0;                     // rare-word key slots per fact
  internal::OsVector<uint64_t> rare_words;  // rare_keys per fact; 0: no key in that slot
  // Each fact's token-weight summary, read by the full pass's verification before the
  // features (RuledOut); empty elsewhere. SketchAll fills it when `summarize` is set, after
  // the corpus pass's counts and case flags are gone (its 64 bytes per fact are not held
  // with them, where a scan's memory peaked).
  bool summarize = false;
  internal::OsVector<internal::OverlapSummary> summaries;
  // Exact copies are sketched once: facts with the same normalized tokens in the same order
  // *and* the same case, names, values, log date and truncation/mojibake flags (everything
  // verification reads; CopyKey) score alike against any fact, so copy_of[i] is the copy
  // with the smallest key, which alone goes into the LSH bands, the SimHash index and the
  // rare-word postings; every other copy is a candidate of it (and only of it), and
  // clustering admits a copy of a member without scoring it again. Empty for the baseline.
  // A fact copied into hundreds of notes would otherwise fill every bucket it is in past
  // max_bucket_size and be compared with nothing.
  internal::OsVector<uint32_t> copy_of;
  bool Copy(size_t i) const { return !copy_of.empty() && copy_of[i] != i; }
  // Each fact's content tokens (Features::tokens). DeduplicateAround from a CorpusState reads
  // features only as needed: there a fact's are valid once it was read (it is, before it is
  // queried or compared).
  absl::Span<const uint64_t> Tokens(size_t i) const {
    return sparse ? read[i].tokens() : features[i].tokens();
  }
  size_t items() const { return sparse ? read.size() : features.size(); }

  // DeduplicateAround from a CorpusState (StateSketcher): `bands` and `rare_words` hold only
  // the facts sketched again, fact i's in row[i]; a fact with row[i] < 0 (not a copy) keeps
  // the sketches of its record in the state, record[i], read there instead of copied. Empty
  // `row` elsewhere: fact i's sketches are in row i.
  std::vector<int32_t> row;
  absl::Span<const int> record;
  const uint32_t* state_keys = nullptr;   // records x bands
  const uint8_t* state_empty = nullptr;   // per record
  const uint32_t* state_rare = nullptr;   // records x rare_keys word ids (kNoWord: unused)
  const uint64_t* state_words = nullptr;  // by word id
  // Whether fact i collides with nothing in the LSH bands (a copy, or no band keys).
  bool BandEmpty(size_t i) const {
    if (row.empty()) return bands.empty(i);
    if (Copy(i)) return true;
    return row[i] >= 0 ? bands.empty(static_cast<size_t>(row[i]))
                       : state_empty[static_cast<size_t>(record[i])] != 0;
  }
  // Fact i's band keys, bands.bands() of them (meaningless when BandEmpty(i)).
  const uint32_t* BandKeys(size_t i) const {
    const auto width = static_cast<size_t>(bands.bands());
    if (row.empty()) return bands.raw_keys() + i * width;
    return row[i] >= 0 ? bands.raw_keys() + static_cast<size_t>(row[i]) * width
                       : state_keys + static_cast<size_t>(record[i]) * width;
  }
  // Fact i's rare-word key in slot k (k < rare_keys), 0 for none.
  uint64_t RareWord(size_t i, size_t k) const {
    if (row.empty()) return rare_words[i * rare_keys + k];
    if (Copy(i)) return 0;
    if (row[i] >= 0) return rare_words[static_cast<size_t>(row[i]) * rare_keys + k];
    const uint32_t id = state_rare[static_cast<size_t>(record[i]) * rare_keys + k];
    return id == kNoWord ? 0 : state_words[id];
  }
};

// A read-only array of a CorpusState: a pointer and a size, without absl::Span's check of
// every index (hardened in this build; the state's readers walk millions of entries).
template <typename T>
class Column {
 public:
  Column() = default;
  Column(const T* p, size_t n) : data_(p), size_(n) {}
  template <typename A>
  Column(const std::vector<T, A>& v) : data_(v.data()), size_(v.size()) {}  // NOLINT: a view
  const T& operator[](size_t i) const { return data_[i]; }
  const T* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const T* begin() const { return data_; }
  const T* end() const { return data_ + size_; }

 private:
  const T* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace

// See engine.h. Arrays by word id (the rank of the word among `words`) and by item: views of
// `own`'s arrays (a captured state) or of a decoded file's bytes, kept alive by `owner`.
struct CorpusState::Rep {
  uint64_t fingerprint = 0;  // StateFingerprint of the options it was made with
  uint64_t n = 0;            // items
  uint32_t bands = 0, rows = 0, rare_keys = 0, common_df = 0;
  Column<uint64_t> words;            // the corpus's content words (hashes), sorted
  Column<uint32_t> df;               // facts holding the word
  Column<uint32_t> copy_df;          // of those, exact copies not sketched (Sketched::copy_of)
  Column<uint32_t> lowercase, name;  // SeenCount
  Column<uint32_t> token_start;      // n + 1: item i's words are tokens[[i], [i + 1])
  Column<uint32_t> tokens;           // word ids, in Features::tokens order
  Column<uint8_t> flags;             // kSeen* bits of each entry of `tokens`
  Column<uint64_t> copy_key;         // CopyKey (meaningless for an item without words)
  Column<uint32_t> copy_of;          // Sketched::copy_of
  Column<uint8_t> band_empty;        // BandTable::empty
  Column<uint32_t> band_keys;        // n x bands, BandTable::key
  Column<uint32_t> rare;             // n x rare_keys word ids, kNoWord when unused
  // Per item: the least |acc - rare_word_share x total| its rare-word choice compared (+inf
  // for none), so that a later item count that moves every weight a little can tell whether
  // the choice can have changed (SketchFact).
  Column<float> margin;

  // The arrays a full pass captures (or a decode copies): the views above are of these once
  // View() is called.
  struct Owned {
    internal::OsVector<uint64_t> words;
    internal::OsVector<uint32_t> df, copy_df, lowercase, name, token_start, tokens;
    internal::OsVector<uint8_t> flags;
    internal::OsVector<uint64_t> copy_key;
    internal::OsVector<uint32_t> copy_of;
    internal::OsVector<uint8_t> band_empty;
    internal::OsVector<uint32_t> band_keys, rare;
    internal::OsVector<float> margin;
  } own;
  std::shared_ptr<const void> owner;  // the decoded bytes that views point into, if any
  bool in_place = false;              // some array is a view of decoded bytes

  // Points every view at `own`'s array.
  void View() {
    words = own.words, df = own.df, copy_df = own.copy_df, lowercase = own.lowercase;
    name = own.name, token_start = own.token_start, tokens = own.tokens, flags = own.flags;
    copy_key = own.copy_key, copy_of = own.copy_of, band_empty = own.band_empty;
    band_keys = own.band_keys, rare = own.rare, margin = own.margin;
  }
  // The id of `word`, or -1.
  int64_t Id(uint64_t word) const {
    auto it = std::lower_bound(words.begin(), words.end(), word);
    return it != words.end() && *it == word ? it - words.begin() : -1;
  }
};

CorpusState::CorpusState() = default;
CorpusState::~CorpusState() = default;
CorpusState::CorpusState(CorpusState&&) noexcept = default;
CorpusState& CorpusState::operator=(CorpusState&&) noexcept = default;
bool CorpusState::empty() const { return rep_ == nullptr; }
size_t CorpusState::items() const { return rep_ == nullptr ? 0 : rep_->n; }
CorpusState::Rep* CorpusState::mutable_rep() {
  if (rep_ == nullptr) rep_ = std::make_unique<Rep>();
  return rep_.get();
}

namespace {

constexpr uint32_t kCorpusStateVersion = 2;
constexpr char kCorpusStateMagic[4] = {'F', 'D', 'C', 'S'};
constexpr uint32_t kByteOrderMark = 0x01020304;
// Every array starts at a multiple of this from the state's start (the fixed fields take
// kStateHeadSize bytes), so that a state that starts at such a multiple in memory is read in
// place.
constexpr size_t kStateAlign = 8;
constexpr size_t kStateHeadSize = 64;
constexpr char kZeros[kStateAlign] = {};

size_t PadOf(size_t size) { return (kStateAlign - size % kStateAlign) % kStateAlign; }

// Calls f(bytes) for each array of `r`, in their order in the encoding.
template <typename F>
void ForEachArray(const CorpusState::Rep& r, const F& f) {
  auto bytes = [&](auto span) {
    f(absl::string_view(reinterpret_cast<const char*>(span.data()), span.size() * sizeof(span[0])));
  };
  bytes(r.words), bytes(r.df), bytes(r.copy_df), bytes(r.lowercase), bytes(r.name);
  bytes(r.token_start), bytes(r.tokens), bytes(r.flags), bytes(r.copy_key), bytes(r.copy_of);
  bytes(r.band_empty), bytes(r.band_keys), bytes(r.rare), bytes(r.margin);
}

// Whether p[k] + add (wrapping) >= bound for some k < count: a check of every entry of a
// state's largest arrays on each load, four entries per instruction where SSE2 is there
// (unsigned order is signed order after flipping the top bit).
bool AnyAtLeast(const uint32_t* p, size_t count, uint32_t add, uint32_t bound) {
  if (bound == 0) return count > 0;
  size_t k = 0;
  bool any = false;
#if defined(__SSE2__)
  const __m128i flip = _mm_set1_epi32(static_cast<int>(0x80000000u));
  const __m128i plus = _mm_set1_epi32(static_cast<int>(add));
  const __m128i below = _mm_xor_si128(_mm_set1_epi32(static_cast<int>(bound - 1)), flip);
  __m128i acc = _mm_setzero_si128();
  for (; k + 4 <= count; k += 4) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + k));
    acc = _mm_or_si128(acc, _mm_cmpgt_epi32(_mm_xor_si128(_mm_add_epi32(v, plus), flip), below));
  }
  any = _mm_movemask_epi8(acc) != 0;
#endif
  uint32_t largest = 0;
  for (; k < count; ++k) largest = std::max(largest, p[k] + add);
  return any || largest >= bound;
}

// Reads fixed-size values, and arrays of them each followed by its padding (host byte order,
// as EncodeParts views them): in place when `in_place` and the array is aligned for its type
// in memory, else copied.
class ArrayReader {
 public:
  ArrayReader(absl::string_view bytes, bool in_place) : rest_(bytes), in_place_(in_place) {}
  template <typename T>
  bool Get(T* v) {
    if (rest_.size() < sizeof(T)) return false;
    std::memcpy(v, rest_.data(), sizeof(T));
    rest_.remove_prefix(sizeof(T));
    return true;
  }
  // `count` values into *view: of the bytes themselves, or of *own holding a copy of them.
  template <typename T>
  bool GetArray(uint64_t count, internal::OsVector<T>* own, Column<T>* view) {
    if (count > rest_.size() / sizeof(T)) return false;
    const size_t size = count * sizeof(T);
    const size_t pad = PadOf(size);
    if (pad > rest_.size() - size || std::memcmp(rest_.data() + size, kZeros, pad) != 0) {
      return false;
    }
    if (in_place_ && reinterpret_cast<uintptr_t>(rest_.data()) % alignof(T) == 0) {
      *view = Column<T>(reinterpret_cast<const T*>(rest_.data()), count);
      viewed_ = true;
    } else {
      own->resize(count);
      if (count > 0) std::memcpy(own->data(), rest_.data(), size);
      *view = *own;
    }
    rest_.remove_prefix(size + pad);
    return true;
  }
  bool done() const { return rest_.empty(); }
  bool viewed() const { return viewed_; }  // some array is a view of the bytes

 private:
  absl::string_view rest_;
  bool in_place_;
  bool viewed_ = false;
};

}  // namespace

std::string CorpusState::Encode() const {
  std::string out;
  AppendTo(&out);
  return out;
}

size_t CorpusState::EncodedSize() const {
  if (rep_ == nullptr) return 0;
  size_t size = kStateHeadSize;
  ForEachArray(*rep_, [&](absl::string_view a) { size += a.size() + PadOf(a.size()); });
  return size;
}

void CorpusState::AppendTo(std::string* out) const {
  out->reserve(out->size() + EncodedSize());
  std::string head;
  std::vector<absl::string_view> arrays;
  EncodeParts(&head, &arrays);
  out->append(head);
  for (absl::string_view a : arrays) out->append(a.data(), a.size());
}

void CorpusState::EncodeParts(std::string* head, std::vector<absl::string_view>* arrays) const {
  if (rep_ == nullptr) return;
  std::string& out = *head;
  const Rep& r = *rep_;
  const size_t start = out.size();
  out.append(kCorpusStateMagic, 4);
  auto put = [&](auto v) { out.append(reinterpret_cast<const char*>(&v), sizeof(v)); };
  put(kCorpusStateVersion);
  put(kByteOrderMark);
  put(r.fingerprint);
  put(r.n);
  put(r.bands);
  put(r.rows);
  put(r.rare_keys);
  put(r.common_df);
  put(static_cast<uint64_t>(r.words.size()));
  put(static_cast<uint64_t>(r.tokens.size()));
  out.resize(start + kStateHeadSize, '\0');  // reserved, zero
  ForEachArray(r, [&](absl::string_view a) {
    if (!a.empty()) arrays->push_back(a);
    if (PadOf(a.size()) > 0) arrays->emplace_back(kZeros, PadOf(a.size()));
  });
}

absl::Status CorpusState::Decode(absl::string_view bytes) { return Decode(bytes, nullptr); }

absl::Status CorpusState::Decode(absl::string_view bytes, std::shared_ptr<const void> owner) {
  rep_.reset();
  if (bytes.empty()) return absl::OkStatus();  // Encode() of an empty state
  auto bad = [](absl::string_view what) {
    return absl::DataLossError(absl::StrCat("corpus state: ", what));
  };
  if (bytes.size() < 4 || std::memcmp(bytes.data(), kCorpusStateMagic, 4) != 0) {
    return bad("wrong magic");
  }
  ArrayReader in(bytes.substr(4), owner != nullptr);
  auto r = std::make_unique<Rep>();
  uint32_t version = 0, bom = 0;
  uint64_t words = 0, tokens = 0;
  if (!in.Get(&version) || version != kCorpusStateVersion) return bad("wrong version");
  if (!in.Get(&bom) || bom != kByteOrderMark) return bad("other byte order");
  if (!in.Get(&r->fingerprint) || !in.Get(&r->n) || !in.Get(&r->bands) || !in.Get(&r->rows) ||
      !in.Get(&r->rare_keys) || !in.Get(&r->common_df) || !in.Get(&words) || !in.Get(&tokens)) {
    return bad("truncated header");
  }
  uint32_t reserved = 0;
  if (!in.Get(&reserved) || reserved != 0) return bad("truncated header");
  const uint64_t n = r->n;
  if (n >= (uint64_t{1} << 32) || words >= (uint64_t{1} << 32) || tokens >= (uint64_t{1} << 32) ||
      r->bands == 0 || r->bands > static_cast<uint32_t>(kMaxNumPerm) || r->rare_keys > 64) {
    return bad("sizes out of range");
  }
  Rep::Owned& o = r->own;
  if (!in.GetArray(words, &o.words, &r->words) || !in.GetArray(words, &o.df, &r->df) ||
      !in.GetArray(words, &o.copy_df, &r->copy_df) ||
      !in.GetArray(words, &o.lowercase, &r->lowercase) || !in.GetArray(words, &o.name, &r->name) ||
      !in.GetArray(n + 1, &o.token_start, &r->token_start) ||
      !in.GetArray(tokens, &o.tokens, &r->tokens) || !in.GetArray(tokens, &o.flags, &r->flags) ||
      !in.GetArray(n, &o.copy_key, &r->copy_key) || !in.GetArray(n, &o.copy_of, &r->copy_of) ||
      !in.GetArray(n, &o.band_empty, &r->band_empty) ||
      !in.GetArray(n * r->bands, &o.band_keys, &r->band_keys) ||
      !in.GetArray(n * r->rare_keys, &o.rare, &r->rare) || !in.GetArray(n, &o.margin, &r->margin) ||
      !in.done()) {
    return bad("truncated or overlong body");
  }
  for (size_t k = 0; k < words; ++k) {
    if ((k > 0 && r->words[k] <= r->words[k - 1]) || r->df[k] == 0 || r->copy_df[k] > r->df[k]) {
      return bad("inconsistent word counts");
    }
  }
  if (r->token_start[0] != 0 || r->token_start[n] != tokens) return bad("inconsistent items");
  for (size_t i = 0; i < n; ++i) {
    if (r->token_start[i + 1] < r->token_start[i] || r->copy_of[i] >= n) {
      return bad("inconsistent items");
    }
  }
  // Without a branch per entry: ids out of range, and every flag bit set.
  uint64_t bits = 0;
  size_t k = 0;
  for (; k + 8 <= tokens; k += 8) {
    uint64_t eight;
    std::memcpy(&eight, r->flags.data() + k, 8);
    bits |= eight;
  }
  for (; k < tokens; ++k) bits |= r->flags[k];
  if (AnyAtLeast(r->tokens.data(), r->tokens.size(), 0, static_cast<uint32_t>(words)) ||
      (bits & ~(uint64_t{kSeenLowercase | kSeenName} * 0x0101010101010101ULL)) != 0) {
    return bad("word id out of range");
  }
  // A used id + 1 above the word count (an unused slot's kNoWord + 1 wraps to 0).
  if (words < 0xFFFFFFFFu &&
      AnyAtLeast(r->rare.data(), r->rare.size(), 1, static_cast<uint32_t>(words) + 1)) {
    return bad("word id out of range");
  }
  if (in.viewed()) {
    r->in_place = true;
    r->owner = std::move(owner);
  }
  rep_ = std::move(r);
  return absl::OkStatus();
}

bool CorpusState::in_place() const { return rep_ != nullptr && rep_->in_place; }

namespace {

// Every option a CorpusState's contents depend on (tokens, copies, sketches); a state is used
// only under options with the same fingerprint.
uint64_t StateFingerprint(const DedupOptions& o, const LshParams& lsh) {
  const NormalizeOptions& no = o.normalize;
  uint64_t share_bits = 0, rare_bits = 0;
  std::memcpy(&share_bits, &o.lsh_common_share, sizeof(double));
  std::memcpy(&rare_bits, &o.rare_word_share, sizeof(double));
  const std::string all = absl::StrCat(
      kCorpusStateVersion, ",", kNormalizerVersion, ",", no.repair_mojibake, no.fold_accents,
      no.stem, no.canonicalize_numbers, no.drop_stopwords, ",", o.minhash.num_perm, ",",
      o.minhash.seed, ",", lsh.bands, "x", lsh.rows, ",", o.lsh_common_min, ",", share_bits, ",",
      o.rare_word_keys, ",", rare_bits, ",", kMinSketchTokens);
  return Hash64(all);
}

// Facts a word may be in before the MinHash sets leave it out (DedupOptions::lsh_common_*).
uint32_t CommonDf(const DedupOptions& options, size_t n) {
  return static_cast<uint32_t>(
      std::max<double>(options.lsh_common_min, options.lsh_common_share * static_cast<double>(n)));
}

// Scratch space of SketchFact, one per thread.
struct SketchScratch {
  std::vector<uint64_t> rare;
  std::vector<std::tuple<uint32_t, uint64_t, uint32_t>> by_df;  // (sketch df, token, position)
  std::vector<uint32_t> sketch_df;                              // the caller's, per token
  std::vector<double> weight;                                   // the caller's, per token
  std::vector<float> float_weight;  // a fact's weights when it shares another's block
};

// Sketches fact `i` (not a copy) from its content tokens (sorted, unique) and, per token, the
// corpus's sketch_df[k] (facts holding it, less unsketched copies) and weight[k] (its IDF):
// its rare-word keys (the `rare_keys` slots at `rare`, 0 when unused) and its band keys in
// `bands`. Returns the margin of its rare-word choice: the least |acc - share x total| among
// the comparisons it made (+inf for none). A change of the weights by less than that leaves
// the choice as it was.
double SketchFact(size_t i, absl::Span<const uint64_t> tokens, absl::Span<const uint32_t> sketch_df,
                  absl::Span<const double> weight, uint32_t common_df, size_t rare_keys,
                  const DedupOptions& options, const MinHasher& hasher, int rows,
                  internal::BandTable* bands, uint64_t* rare_out, SketchScratch* scratch) {
  auto& by_df = scratch->by_df;
  double margin = std::numeric_limits<double>::infinity();
  // (df, token) pairs are distinct: the position never decides an order or an equality.
  auto same = [](const auto& x, const auto& y) {
    return std::get<0>(x) == std::get<0>(y) && std::get<1>(x) == std::get<1>(y);
  };
  if (rare_keys > 0) {
    // The fact's rarest words that another fact also has (df >= 2), rarest first,
    // ties by hash so that the choice does not depend on word order.
    by_df.clear();
    double total = 0;
    for (size_t k = 0; k < tokens.size(); ++k) {
      by_df.emplace_back(sketch_df[k], tokens[k], static_cast<uint32_t>(k));
      total += static_cast<float>(weight[k]);  // as Features::weights() holds it
    }
    std::sort(by_df.begin(), by_df.end());
    by_df.erase(std::unique(by_df.begin(), by_df.end(), same), by_df.end());
    // Prefix filtering: the rarest words holding `rare_word_share` of the fact's
    // weight; a fact sharing more than the rest of its weight with another shares
    // one of these (a heuristic once `rare_word_keys` or `rare_word_bucket` cuts the
    // prefix short). Words in no other fact take their place in the prefix but get
    // no key (nothing to pair with).
    double acc = 0;
    size_t slot = 0;
    const double bar = options.rare_word_share * total;
    for (const auto& [df, tok, k] : by_df) {
      if (slot >= rare_keys) break;
      margin = std::min(margin, std::abs(acc - bar));
      if (acc >= bar) break;
      acc += weight[k];
      if (df >= 2) rare_out[slot++] = tok;
    }
  }
  if (tokens.empty()) {
    bands->SetEmpty(i);
    return margin;
  }
  std::vector<uint64_t>& rare = scratch->rare;
  rare.clear();
  for (size_t k = 0; k < tokens.size(); ++k) {
    if (sketch_df[k] <= common_df) rare.push_back(tokens[k]);
  }
  if (rare.size() < kMinSketchTokens) {
    // Mostly common words: sketch its rarest few so that it still has a set.
    by_df.clear();
    for (size_t k = 0; k < tokens.size(); ++k) {
      by_df.emplace_back(sketch_df[k], tokens[k], static_cast<uint32_t>(k));
    }
    const size_t keep = std::min(by_df.size(), kMinSketchTokens);
    std::partial_sort(by_df.begin(), by_df.begin() + static_cast<long>(keep), by_df.end());
    rare.clear();
    for (size_t k = 0; k < keep; ++k) rare.push_back(std::get<1>(by_df[k]));
  }
  bands->SetKeys(i, hasher.Sign(rare), rows);
  return margin;
}

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

// Item i's normalization: Item::normalized, else options.normalized_of's (in *scratch), else
// normalized here into *scratch. nullptr with *error set when the text cannot be normalized.
const NormalizedText* NormalizationOf(absl::Span<const Item> items, size_t i,
                                      const DedupOptions& options, const Normalizer& normalizer,
                                      NormalizedText* scratch, absl::Status* error) {
  const NormalizedText* t = items[i].normalized;
  if (t == nullptr && options.normalized_of) t = options.normalized_of(i, scratch);
  if (t != nullptr) return t;
  // Into the thread's scratch: its buffers are reused from one fact to the next.
  if (absl::Status s = normalizer.NormalizeInto(items[i].Text(), scratch); !s.ok()) {
    *error = s;
    return nullptr;
  }
  return scratch;
}

// Stages 1 and 2 of Deduplicate over all `items`: normalize (unless given), features, corpus
// statistics (IDF weights, entities), MinHash band keys, SimHash, rare-word keys.
absl::Status SketchAll(absl::Span<const Item> items, const DedupOptions& options, int threads,
                       DedupStats* stats, Sketched* s, CorpusState::Rep* capture = nullptr) {
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
  internal::OsVector<CaseInfo> cases(n);  // read by the corpus pass, dropped as it goes
  FeatureList& features = s->features;
  s->sigs.resize(baseline ? n : 0);
  std::vector<MinHashSignature>& sigs = s->sigs;
  std::vector<absl::Status> errors(n);
  std::atomic<int64_t> normalized{0};
  // Facts repeated word for word are common (a generated note copies a bullet): a text is
  // normalized and its features extracted once, by its first item, and copied to the items
  // with the same text (next_same: a chain from the first through the others).
  constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();
  std::vector<uint32_t> next_same;
  std::vector<char> repeated;  // not the first item with its text
  if (!baseline) {
    std::vector<std::pair<uint64_t, uint32_t>> by_text(n);
    ParallelFor(n, threads, 4096, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i)
        by_text[i] = {Hash64(items[i].Text()), static_cast<uint32_t>(i)};
    });
    internal::ParallelSort(&by_text, threads);
    next_same.assign(n, kNone);
    repeated.assign(n, 0);
    for (size_t g = 0; g < by_text.size();) {
      size_t end = g + 1;
      while (end < by_text.size() && by_text[end].first == by_text[g].first) ++end;
      uint32_t last = by_text[g].second;  // the group's smallest item (pairs are sorted)
      for (size_t k = g + 1; k < end; ++k) {
        const uint32_t i = by_text[k].second;
        if (items[i].Text() != items[by_text[g].second].Text()) continue;  // a hash collision
        next_same[last] = i;
        repeated[i] = 1;
        last = i;
      }
      g = end;
    }
  }
  ParallelFor(n, threads, 256, [&](size_t b, size_t e) {
    std::vector<std::string> texts;
    NormalizedText scratch;
    for (size_t i = b; i < e; ++i) {
      if (!repeated.empty() && repeated[i]) continue;  // done with its first item
      const NormalizedText* t =
          NormalizationOf(items, i, options, normalizer, &scratch, &errors[i]);
      if (t == nullptr) continue;
      ExtractInto(*t, &cases[i], &features[i], s->arena.get());
      if (options.on_normalized && items[i].normalized == nullptr) options.on_normalized(i, *t);
      if (!next_same.empty()) {
        for (uint32_t m = next_same[i]; m != kNone; m = next_same[m]) {
          features[m].ShareOf(features[i]);
          cases[m] = cases[i];
          if (options.on_normalized && items[m].normalized == nullptr) {
            options.on_normalized(m, *t);
          }
        }
      }
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
  std::vector<absl::Status>().swap(errors);
  std::vector<uint32_t>().swap(next_same);
  std::vector<char>().swap(repeated);
  stats->seconds_normalize = Seconds(t0);
  stats->items_read = static_cast<int64_t>(n);
  if (baseline || options.simhash_distance > 0) capture = nullptr;  // no state for these
  internal::OsVector<uint64_t> copy_key;
  if (!baseline) {
    const Keys key{items};
    copy_key.assign(n, 0);
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
    if (capture == nullptr) internal::OsVector<uint64_t>().swap(copy_key);
  }

  // 2. Corpus statistics: IDF weights, entities; then the sketches. MinHash sets leave out
  // the corpus's common words (in more than max(lsh_common_min, lsh_common_share x n)
  // facts): templates and topic words put every fact of a large vault that shares them in
  // one bucket, so candidates would grow with the square of the vault, while a fact's
  // identity is in its rarer words. Verification still sees every word.
  t0 = std::chrono::steady_clock::now();
  // Only SimHash reads them (8 bytes per fact otherwise held through verification for nothing).
  if (options.simhash_distance > 0) s->simhashes.assign(n, 0);
  std::vector<uint64_t>& simhashes = s->simhashes;
  s->rare_keys = baseline ? 0 : static_cast<size_t>(std::max(0, options.rare_word_keys));
  const size_t rare_keys = s->rare_keys;
  s->rare_words.assign(n * rare_keys, 0);  // 0: no key in that slot
  internal::OsVector<uint64_t>& rare_words = s->rare_words;
  {
    // Sketches count each group of copies once: the words of a fact copied into 300 notes
    // are not common for that, and a word only the fact and its copies hold is no rare-word
    // key (no other sketched fact holds it). IDF weights still count every copy.
    Weights weights(
        features, threads, [&](size_t i) { return s->Copy(i); }, cases);
    const uint32_t common_df = CommonDf(options, n);
    // Entities: words written capitalized inside a sentence somewhere in the corpus and never
    // in lowercase ("Contoso", "Redmond", "Rahul"; not "Storage" of "Azure Storage"), so that
    // a name that only ever opens sentences is still known as a name (Weights::Entry::seen).
    if (capture != nullptr) {
      CorpusState::Rep& r = *capture;
      CorpusState::Rep::Owned& c = r.own;
      r.fingerprint = StateFingerprint(options, lsh_params);
      r.n = n;
      r.bands = static_cast<uint32_t>(lsh_params.bands);
      r.rows = static_cast<uint32_t>(lsh_params.rows);
      r.rare_keys = static_cast<uint32_t>(rare_keys);
      r.common_df = common_df;
      {
        const std::vector<uint64_t> words = weights.NumberWords(threads);
        c.words.assign(words.begin(), words.end());
      }
      const size_t d = c.words.size();
      c.df.resize(d);
      c.copy_df.resize(d);
      c.lowercase.resize(d);
      c.name.resize(d);
      ParallelFor(d, threads, 4096, [&](size_t b, size_t e) {
        for (size_t k = b; k < e; ++k) {
          const uint64_t w = c.words[k];
          const Weights::Entry& entry = *weights.Find(w);
          c.df[k] = entry.df;
          c.copy_df[k] = entry.copy_df;
          c.lowercase[k] = entry.seen.lowercase;
          c.name[k] = entry.seen.name;
        }
      });
      c.token_start.assign(n + 1, 0);
      for (size_t i = 0; i < n; ++i) {
        c.token_start[i + 1] =
            c.token_start[i] + static_cast<uint32_t>(features[i].tokens().size());
      }
      c.tokens.resize(c.token_start[n]);
      c.flags.resize(c.token_start[n]);
      c.copy_key = std::move(copy_key);
      c.copy_of = s->copy_of;
      c.rare.assign(n * rare_keys, kNoWord);
      c.margin.assign(n, std::numeric_limits<float>::infinity());
    }
    ParallelFor(n, threads, 1024, [&](size_t b, size_t e) {
      SketchScratch scratch;
      std::vector<std::pair<size_t, uint64_t>> hits;  // caps that are entities, with hashes
      for (size_t i = b; i < e; ++i) {
        Features& f = features[i];
        f.total_weight = 0;
        const absl::Span<const uint64_t> tokens = f.tokens();
        // A fact sharing another's block (same text) has the same weights, which the block's
        // owner writes there (maybe now, on another thread): its own go to scratch.
        if (f.shares_block()) scratch.float_weight.resize(tokens.size());
        const absl::Span<float> w =
            f.shares_block() ? absl::MakeSpan(scratch.float_weight) : f.mutable_weights();
        scratch.sketch_df.resize(tokens.size());
        scratch.weight.resize(tokens.size());
        for (size_t k = 0; k < tokens.size(); ++k) {
          const Weights::Entry* entry = weights.Find(tokens[k]);  // every token has one
          w[k] = static_cast<float>(entry->idf);
          f.total_weight += w[k];
          scratch.sketch_df[k] = entry->df - entry->copy_df;
          scratch.weight[k] = entry->idf;
          if (capture != nullptr) {
            capture->own.tokens[capture->own.token_start[i] + k] = entry->id;
            capture->own.flags[capture->own.token_start[i] + k] = cases[i].case_flags[k];
          }
        }
        hits.clear();
        CaseInfo& ci = cases[i];
        for (size_t k = 0; k < ci.caps.size(); ++k) {
          const uint64_t h = Hash64(ci.caps[k]);
          const Weights::Entry* entry = weights.Find(h);
          if (entry != nullptr && entry->seen.IsName()) hits.emplace_back(k, h);
        }
        thread_local std::vector<absl::string_view> entities;
        thread_local std::vector<uint64_t> entity_hashes;
        entities.clear();
        entity_hashes.clear();
        for (const auto& [k, h] : hits) {
          entities.push_back(ci.caps[k]);
          entity_hashes.push_back(h);
        }
        f.entities.Assign(absl::MakeConstSpan(entities), entity_hashes);
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
        uint64_t* rare = rare_words.data() + i * rare_keys;
        const double margin =
            SketchFact(i, tokens, scratch.sketch_df, scratch.weight, common_df, rare_keys, options,
                       hasher, lsh_params.rows, &bands, rare, &scratch);
        if (capture != nullptr) {
          capture->own.margin[i] = static_cast<float>(margin);
          for (size_t k = 0; k < rare_keys && rare[k] != 0; ++k) {
            const size_t at = static_cast<size_t>(
                std::lower_bound(tokens.begin(), tokens.end(), rare[k]) - tokens.begin());
            capture->own.rare[i * rare_keys + k] =
                capture->own.tokens[capture->own.token_start[i] + at];
          }
        }
      }
    });
  }
  internal::OsVector<CaseInfo>().swap(cases);  // read: gone before the summaries are made
  if (s->summarize) {  // every fact's weights are set: a shared block's by its owner
    s->summaries.resize(n);
    ParallelFor(n, threads, 1024, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) {
        const Features& f = features[i];
        s->summaries[i] = internal::Summarize(f.tokens(), f.weights(), f.total_weight);
      }
    });
  }
  stats->seconds_sketch = Seconds(t0);
  if (!baseline) {
    for (size_t i = 0; i < n; ++i) stats->items_sketched += s->Copy(i) ? 0 : 1;
  }
  return absl::OkStatus();
}

// Each fact's verified-duplicate neighbours, in edge order (one array for all facts).
struct Neighbors {
  std::vector<uint32_t> start;  // per fact (per entry of `ids` when `dense`), + 1
  std::vector<int> list;
  // Components(compact): the facts with a neighbour, ascending, which `start` follows (a search
  // around a change has a few edges among many facts).
  bool dense = false;
  std::vector<uint32_t> ids;
  absl::Span<const int> of(int i) const {
    auto k = static_cast<size_t>(i);
    if (dense) {
      auto it = std::lower_bound(ids.begin(), ids.end(), static_cast<uint32_t>(i));
      if (it == ids.end() || *it != static_cast<uint32_t>(i)) return {};
      k = static_cast<size_t>(it - ids.begin());
    }
    return {list.data() + start[k], start[k + 1] - start[k]};
  }
};

// Components of the duplicate graph `edges` (sorted PairKeys, released here) with two or more
// facts, each sorted by key and ordered by its first key; also each fact's neighbours (in
// edge order), which clustering reads.
// `compact`: arrays by the facts that have an edge (Neighbors::ids), not by all n facts.
std::vector<std::vector<int>> Components(size_t n, std::vector<uint64_t>* edges, const Keys& key,
                                         Neighbors* neighbors, int64_t* duplicate_pairs,
                                         int threads, bool compact = false) {
  // Fact ids in the arrays below: dense places in `ids` when compact (in the same order, so
  // every choice below is as it would be by fact), else the facts.
  std::vector<uint32_t>& ids = neighbors->ids;
  neighbors->dense = compact;
  if (compact) {
    ids.clear();
    for (uint64_t edge : *edges) {
      ids.push_back(static_cast<uint32_t>(edge >> 32));
      ids.push_back(static_cast<uint32_t>(edge & 0xffffffffULL));
    }
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    auto place = [&](uint64_t fact) {
      return static_cast<uint64_t>(
          std::lower_bound(ids.begin(), ids.end(), static_cast<uint32_t>(fact)) - ids.begin());
    };
    for (uint64_t& edge : *edges) edge = place(edge >> 32) << 32 | place(edge & 0xffffffffULL);
    n = ids.size();
  }
  auto fact = [&](int d) { return compact ? static_cast<int>(ids[static_cast<size_t>(d)]) : d; };
  UnionFind uf(n);
  neighbors->start.assign(n + 1, 0);
  for (uint64_t edge : *edges) {
    ++neighbors->start[(edge >> 32) + 1];
    ++neighbors->start[(edge & 0xffffffffULL) + 1];
  }
  for (size_t i = 0; i < n; ++i) neighbors->start[i + 1] += neighbors->start[i];
  neighbors->list.resize(neighbors->start[n]);
  std::vector<uint32_t> fill(neighbors->start.begin(), neighbors->start.end() - 1);
  for (uint64_t edge : *edges) {
    const int a = static_cast<int>(edge >> 32), b = static_cast<int>(edge & 0xffffffffULL);
    ++*duplicate_pairs;
    uf.Union(a, b);
    neighbors->list[fill[static_cast<size_t>(a)]++] = fact(b);
    neighbors->list[fill[static_cast<size_t>(b)]++] = fact(a);
  }
  std::vector<uint32_t>().swap(fill);
  std::vector<uint64_t>().swap(*edges);
  std::vector<std::vector<int>> comps;
  std::vector<int> comp_of_root(n, -1);
  for (size_t i = 0; i < n; ++i) {
    if (neighbors->start[i + 1] == neighbors->start[i]) continue;  // no edge
    const int root = uf.Find(static_cast<int>(i));
    if (comp_of_root[static_cast<size_t>(root)] < 0) {
      comp_of_root[static_cast<size_t>(root)] = static_cast<int>(comps.size());
      comps.emplace_back();
    }
    comps[static_cast<size_t>(comp_of_root[static_cast<size_t>(root)])].push_back(
        fact(static_cast<int>(i)));
  }
  ParallelFor(comps.size(), threads, 256, [&](size_t b, size_t e) {
    for (size_t k = b; k < e; ++k) {
      std::sort(comps[k].begin(), comps[k].end(), [&](int x, int y) { return key(x) < key(y); });
    }
  });
  std::sort(comps.begin(), comps.end(),
            [&](const auto& a, const auto& b) { return key(a[0]) < key(b[0]); });

  return comps;
}

// Non-chaining clusters of one component (sorted by key): repeatedly take the best remaining
// fact as a canonical and give it every remaining fact that is a verified duplicate *of it*.
// `features`: a FeatureList, or the SparseFeatures of the facts read (every member's).
template <typename FeatureSource>
std::vector<Cluster> ClusterComponent(const std::vector<int>& c, const FeatureSource& features,
                                      const internal::OsVector<uint32_t>& copy_of,
                                      const Neighbors& neighbors, const Keys& key,
                                      absl::Span<const internal::OverlapSummary> summaries,
                                      const DedupOptions& options) {
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
  static_assert(kAllPairsLimit <= 64, "one 64-bit row of edges per member");
  if (c.size() <= kAllPairsLimit) {
    std::vector<uint64_t> edge(order.size(), 0);  // bit j of row i: a verified edge i-j
    for (size_t i = 0; i < order.size(); ++i) {
      for (int other : neighbors.of(order[i])) edge[i] |= uint64_t{1} << pos[other];
    }
    for (size_t i = 0; i < order.size(); ++i) {
      for (size_t j = i + 1; j < order.size(); ++j) {
        // The summaries (when kept) rule most of the other pairs out before their features
        // are read, as in the candidates' verification.
        const bool d =
            ((edge[i] >> j) & 1) != 0 ||
            ((summaries.empty() || !RuledOut(summaries[order[i]], summaries[order[j]], options)) &&
             VerifiedDuplicate(features[order[i]], features[order[j]], options));
        if (d) {
          adj[i].push_back(static_cast<int>(j));
          adj[j].push_back(static_cast<int>(i));
        }
      }
    }
  } else {
    for (int item : c) {
      for (int other : neighbors.of(item)) adj[pos[item]].push_back(pos[other]);
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
  auto compatible = [&](const Cluster& cl, int cand, Placement* to_canon) {
    if (member_groups.contains(group(cand))) {  // Score's similarity and relation alone
      const Features& fm = features[cl.canonical];
      const Features& fc = features[cand];
      *to_canon = Place(fm, fc, ScoreOverlap(fm, fc, WeightedOverlap(fm, fc), options), options);
      return true;
    }
    for (const Member& m : cl.members) {
      // Full floor against the canonical; against other members, a quarter of it: they
      // must share some of the claim, not merely the canonical's other half.
      const double floor = m.relation == Relation::kCanonical ? options.canonical_floor
                                                              : options.canonical_floor / 4;
      // A pair below the floor fails whatever the costly checks say: skip them.
      const Features& fm = features[m.item];
      const Features& fc = features[cand];
      const Overlap o = WeightedOverlap(fm, fc);
      if (SimilarityBelow(fm, fc, o, floor, options)) return false;
      if (m.relation != Relation::kCanonical) {
        // As below without the entities and the relation, which concern the canonical only:
        // the similarity reaches the floor, so values, names or roles alone can say no.
        if (ChecksRuleOut(fm, fc, o, /*entities=*/false, options)) return false;
        continue;
      }
      // Against the canonical: Score's tests as they were read from a whole PairScore, each
      // computed only until one says no (the bigram Jaccard only for the order test).
      const Placement p = Place(fm, fc, ScoreOverlap(fm, fc, o, options), options);
      if (p.similarity < floor) return false;
      // Other members may name different parts of the canonical's claim. Against the
      // canonical, a member that names something it does not (and the other way round) needs
      // a strong link: "Kenji noted the pilot in Seoul is delayed" joined "Lars and Kenji
      // agreed to evaluate search for Toronto" at 0.2 through a merged fact naming both.
      if (ChecksRuleOut(fm, fc, o, /*entities=*/true, options, p.similarity,
                        options.distinct_entities_floor)) {
        return false;
      }
      *to_canon = p;
    }
    return true;
  };
  std::vector<char> taken(order.size(), 0);
  // A fact incompatible with the cluster being built stays so: its members only grow, and a
  // copy of it (a member group) scores exactly as it does, so it is not tried again.
  // rejected_by[mi]: the canonical position of the cluster that turned mi down last.
  std::vector<int> rejected_by(order.size(), -1);
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
      Placement s;
      if (!compatible(cl, order[mi], &s)) {
        rejected_by[mi] = static_cast<int>(oi);
      } else {
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
          if (!taken[x] && x != static_cast<int>(oi) && rejected_by[x] != static_cast<int>(oi)) {
            frontier.push_back(x);
          }
        }
      }
      std::sort(frontier.begin(), frontier.end());
      frontier.erase(std::unique(frontier.begin(), frontier.end()), frontier.end());
      for (int mi : frontier) {
        Placement to_canon;
        if (!compatible(cl, order[mi], &to_canon)) {
          rejected_by[mi] = static_cast<int>(oi);
          continue;
        }
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
template <typename FeatureSource>
std::vector<Cluster> ClusterAll(const std::vector<std::vector<int>>& comps,
                                const FeatureSource& features,
                                const internal::OsVector<uint32_t>& copy_of,
                                const Neighbors& neighbors, const Keys& key,
                                absl::Span<const internal::OverlapSummary> summaries,
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
          ClusterComponent(comps[ci], features, copy_of, neighbors, key, summaries, options);
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
// Who holds a word and who is keyed by it, from a source that has them at hand (a corpus
// state: StateSketcher) instead of postings built over every fact.
class WordPostings {
 public:
  virtual ~WordPostings() = default;
  // The sketched facts (not copies) holding `word`, into *out (cleared first; any order).
  // Returns false, *out unspecified, when there are more than `limit` (at most the rare-word
  // bucket, DedupOptions::rare_word_bucket, and at least 2).
  virtual bool Holders(uint64_t word, const Sketched& s, size_t limit,
                       std::vector<uint32_t>* out) const = 0;
  // The facts with `word` among their rare-word keys (Sketched::rare_words), into *out
  // (cleared first; any order); none for a word Holders finds in more than the rare-word
  // bucket (such a word is not probed).
  virtual void Keyed(uint64_t word, const Sketched& s, std::vector<uint32_t>* out) const = 0;
};

class CandidateFinder {
 public:
  // `postings`, when not null, answers the rare-word lookups (then none are built here).
  CandidateFinder(const Sketched& s, const DedupOptions& options, int threads,
                  const WordPostings* postings = nullptr)
      : s_(s),
        postings_(postings),
        lsh_cap_(static_cast<size_t>(std::max(2, options.max_bucket_size))),
        sim_index_(options.simhash_distance, options.max_bucket_size) {
    const size_t n = s.items();
    // Per band, the items chained by the top `bits_` bits of their key (about eight items per
    // chain, so that every band's heads stay in cache; one pass over the items, reading their
    // keys in order), which Find walks for its key; only a few items are ever looked up, so
    // sorting every band by the whole key would cost more than it saves.
    bits_ = 8;
    while (bits_ < 24 && (size_t{1} << (bits_ + 3)) < n) ++bits_;
    shift_ = 32 - bits_;
    bands_ = static_cast<size_t>(s.bands.bands());
    head_.assign(bands_ << bits_, kNoItem);
    // Not cleared: only the entries of items that are not empty are written, and only those
    // are read (a chain holds no empty item).
    next_.reset(new uint32_t[n * bands_]);
    // Each thread chains a share of the bands (none without items: no pointer into no keys).
    const size_t groups =
        n == 0 ? 0 : std::min<size_t>(bands_, static_cast<size_t>(std::max(1, threads)));
    ParallelFor(groups, threads, 1, [&](size_t gb, size_t ge) {
      for (size_t g = gb; g < ge; ++g) {
        const size_t first = bands_ * g / groups, last = bands_ * (g + 1) / groups;
        uint32_t* const heads = head_.data() + (first << bits_);
        uint32_t* next = next_.get() + first;
        const int shift = shift_, bits = bits_;
        const size_t width = last - first;
        const size_t stride = size_t{1} << bits;
        for (size_t i = 0; i < n; ++i, next += bands_) {
          if (s.BandEmpty(i)) continue;
          const uint32_t* keys = s.BandKeys(i) + first;
          const auto item = static_cast<uint32_t>(i);
          uint32_t* band_heads = heads;
          // Four bands at a time (a third fewer instructions than one: the loop's own count
          // and pointer steps were as many as the chaining's).
          size_t band = 0;
          for (; band + 4 <= width; band += 4, band_heads += 4 * stride) {
            uint32_t* const h0 = band_heads + (keys[band] >> shift);
            uint32_t* const h1 = band_heads + stride + (keys[band + 1] >> shift);
            uint32_t* const h2 = band_heads + 2 * stride + (keys[band + 2] >> shift);
            uint32_t* const h3 = band_heads + 3 * stride + (keys[band + 3] >> shift);
            next[band] = *h0;
            *h0 = item;
            next[band + 1] = *h1;
            *h1 = item;
            next[band + 2] = *h2;
            *h2 = item;
            next[band + 3] = *h3;
            *h3 = item;
          }
          for (; band < width; ++band, band_heads += stride) {
            uint32_t* const head = band_heads + (keys[band] >> shift);
            next[band] = *head;
            *head = item;
          }
        }
      }
    });
    use_simhash_ = options.simhash_distance > 0;
    if (use_simhash_) {
      for (size_t i = 0; i < n; ++i) {
        if (!s.Tokens(i).empty() && !s.Copy(i)) {
          sim_index_.Add(static_cast<uint32_t>(i), s.simhashes[i]);
        }
      }
    }
    rare_cap_ = static_cast<size_t>(std::max(2, options.rare_word_bucket));
    if (s.rare_keys > 0 && postings_ == nullptr) IndexRareWords();
    // Each sketched fact's copies, by a counting sort (a map of them cost several times more).
    copy_start_.assign(n + 1, 0);
    for (size_t i = 0; i < n; ++i) {
      if (s.Copy(i)) ++copy_start_[s.copy_of[i] + 1];
    }
    for (size_t i = 0; i < n; ++i) copy_start_[i + 1] += copy_start_[i];
    copies_.resize(copy_start_[n]);
    std::vector<uint32_t> at(copy_start_.begin(), copy_start_.end() - 1);
    for (size_t i = 0; i < n; ++i) {
      if (s.Copy(i)) copies_[at[s.copy_of[i]]++] = static_cast<uint32_t>(i);
    }
  }

  // Every j != i the full pass verifies with i, sorted and unique.
  void Find(uint32_t i, std::vector<uint32_t>* out) const {
    out->clear();
    if (s_.Copy(i)) {  // a copy is paired with the copy sketched for it, and nothing else
      out->push_back(s_.copy_of[i]);
      return;
    }
    out->insert(out->end(), copies_.begin() + copy_start_[i], copies_.begin() + copy_start_[i + 1]);
    if (!s_.BandEmpty(i)) {
      std::vector<uint32_t> same;  // the items of i's bucket in this band
      const uint32_t* keys = s_.BandKeys(i);
      for (size_t band = 0; band < bands_; ++band) {
        const uint32_t k = keys[band];
        same.clear();
        for (uint32_t p = head_[(band << bits_) + (k >> shift_)]; p != kNoItem;
             p = next_[p * bands_ + band]) {
          if (s_.BandKeys(p)[band] == k) same.push_back(p);
        }
        if (same.size() > lsh_cap_) continue;
        out->insert(out->end(), same.begin(), same.end());
      }
    }
    if (use_simhash_ && !s_.Tokens(i).empty()) {
      const std::vector<uint32_t> near = sim_index_.CandidatesOf(i, s_.simhashes[i]);
      out->insert(out->end(), near.begin(), near.end());
    }
    if (postings_ != nullptr) {
      FindRare(i, out);
    } else {
      for (size_t k = 0; k < s_.rare_keys; ++k) {  // i's keys, in every fact holding them
        const uint64_t w = s_.RareWord(i, k);
        if (w == 0) break;
        auto it = holders_.find(w);
        if (it != holders_.end()) out->insert(out->end(), it->second.begin(), it->second.end());
      }
      for (uint64_t tok : s_.Tokens(i)) {  // facts keyed by a word i holds
        auto it = keyed_.find(tok);
        if (it != keyed_.end()) out->insert(out->end(), it->second.begin(), it->second.end());
      }
    }
    std::sort(out->begin(), out->end());
    out->erase(std::unique(out->begin(), out->end()), out->end());
    out->erase(std::remove(out->begin(), out->end(), i), out->end());
  }

 private:
  // Find's rare-word candidates from `postings_`: the same lists IndexRareWords would build.
  void FindRare(uint32_t i, std::vector<uint32_t>* out) const {
    thread_local std::vector<uint32_t> holders, keyed;
    for (size_t k = 0; k < s_.rare_keys; ++k) {  // i's keys, in every fact holding them
      const uint64_t w = s_.RareWord(i, k);
      if (w == 0) break;
      if (postings_->Holders(w, s_, rare_cap_, &holders) && holders.size() >= 2) {
        out->insert(out->end(), holders.begin(), holders.end());
      }
    }
    for (uint64_t tok : s_.Tokens(i)) {  // facts keyed by a word i holds, if it is probed
      postings_->Keyed(tok, s_, &keyed);
      if (keyed.empty()) continue;
      if (postings_->Holders(tok, s_, rare_cap_, &holders) && holders.size() >= 2) {
        out->insert(out->end(), keyed.begin(), keyed.end());
      }
    }
  }

  // As the full pass: a key word is probed when 2..rare_word_bucket facts hold it.
  void IndexRareWords() {
    const size_t cap = rare_cap_;
    const size_t n = s_.items();
    // Through RareWord: from a corpus state, rare_words holds only the re-sketched facts' rows.
    absl::flat_hash_set<uint64_t> probe;
    for (size_t i = 0; i < n; ++i) {
      for (size_t k = 0; k < s_.rare_keys; ++k) {
        if (const uint64_t w = s_.RareWord(i, k); w != 0) probe.insert(w);
      }
    }
    for (size_t i = 0; i < n; ++i) {
      if (s_.Copy(i)) continue;
      for (uint64_t tok : s_.Tokens(i)) {
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
        const uint64_t w = s_.RareWord(i, k);
        if (w == 0) break;
        if (holders_.contains(w)) keyed_[w].push_back(static_cast<uint32_t>(i));
      }
    }
  }

  const Sketched& s_;
  const WordPostings* postings_;
  size_t lsh_cap_, rare_cap_ = 0;
  static constexpr uint32_t kNoItem = std::numeric_limits<uint32_t>::max();
  size_t bands_ = 0;
  // Per band and bucket of keys' top bits ((band << bits_) + (key >> shift_)): its last item,
  // or kNoItem; per item and band (item * bands_ + band): the bucket's item before it.
  std::vector<uint32_t> head_;
  std::unique_ptr<uint32_t[]> next_;
  int bits_ = 8, shift_ = 24;
  bool use_simhash_ = false;
  SimHashIndex sim_index_;
  absl::flat_hash_map<uint64_t, std::vector<uint32_t>> holders_;  // probed word -> facts with it
  absl::flat_hash_map<uint64_t, std::vector<uint32_t>> keyed_;  // probed word -> facts keyed by it
  // A sketched fact i's copies: copies_[copy_start_[i], copy_start_[i + 1]), ascending.
  std::vector<uint32_t> copy_start_, copies_;
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
  return Deduplicate(items, options, nullptr);
}

absl::StatusOr<VerificationAudit> AuditVerification(absl::Span<const Item> items,
                                                    const DedupOptions& options) {
  DedupStats stats;
  Sketched s;
  s.summarize = true;
  if (absl::Status st = SketchAll(items, options, 1, &stats, &s); !st.ok()) return st;
  VerificationAudit audit;
  for (size_t i = 0; i < items.size(); ++i) {
    for (size_t j = i + 1; j < items.size(); ++j) {
      ++audit.pairs;
      const bool ruled_out = RuledOut(s.summaries[i], s.summaries[j], options);
      audit.ruled_out += ruled_out ? 1 : 0;
      const auto pair = std::make_pair(static_cast<int>(i), static_cast<int>(j));
      if (!ruled_out && VerifiedDuplicate(s.features[i], s.features[j], options)) {
        audit.verified.push_back(pair);
      }
      if (Score(s.features[i], s.features[j], options).IsDuplicate(options)) {
        audit.scored.push_back(pair);
      }
    }
  }
  return audit;
}

absl::StatusOr<DedupResult> Deduplicate(absl::Span<const Item> items, const DedupOptions& options,
                                        CorpusState* state) {
  if (state != nullptr) *state = CorpusState();
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
  sketched.summarize = !baseline;
  CorpusState captured;
  CorpusState::Rep* capture = state != nullptr && !baseline && options.simhash_distance <= 0
                                  ? captured.mutable_rep()
                                  : nullptr;
  if (absl::Status s = SketchAll(items, options, threads, &result.stats, &sketched, capture);
      !s.ok()) {
    return s;
  }
  FeatureList& features = sketched.features;
  const std::vector<MinHashSignature>& sigs = sketched.sigs;
  const LshParams& lsh_params = sketched.lsh_params;
  internal::BandTable& bands = sketched.bands;
  const std::vector<uint64_t>& simhashes = sketched.simhashes;
  const size_t rare_keys = sketched.rare_keys;
  internal::OsVector<uint64_t>& rare_words = sketched.rare_words;
  // With a corpus state captured, its rare-word ids say what rare_words says (a word id's hash
  // is capture->words[id]; kNoWord for 0): the hashes go before the LSH pairs (32 bytes per
  // fact fewer where verification's memory peaks), and the rare-word pass reads them through
  // the ids (rare_word) instead of a copy of them all.
  const size_t rare_slots = rare_words.size();
  const bool rare_from_state =
      capture != nullptr && rare_slots > 0 && capture->own.rare.size() == rare_slots;
  if (rare_from_state) internal::OsVector<uint64_t>().swap(rare_words);
  // The word in a rare-word key slot (slot k of fact i: i * rare_keys + k), 0 for none.
  auto rare_word = [&](size_t slot) -> uint64_t {
    if (!rare_from_state) return rare_words[slot];
    const uint32_t id = capture->own.rare[slot];
    return id == kNoWord ? 0 : capture->own.words[id];
  };

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
      d = !RuledOut(sketched.summaries[x], sketched.summaries[y], options) &&
          VerifiedDuplicate(features[x], features[y], options);
    }
    if (d) {
      std::lock_guard<std::mutex> lock(edges_mu);
      dup_edges.push_back(PairKey(x, y));
    }
  };
  // verify() over a batch of LSH pairs, what each test reads fetched a few pairs ahead (the
  // facts are scattered over gigabytes, and at 1M facts the misses cost more than the tests):
  // the summaries of every pair, then the features (the object, then its tokens and weights)
  // of the pairs the summaries leave; the edges go in under one lock.
  auto verify_batch = [&](absl::Span<const internal::BandTable::Pair> pairs) {
    // The arrays below hold one batch: a longer one (never handed over by BandTable) is
    // verified pair by pair rather than overrun them.
    if (baseline || pairs.size() > internal::BandTable::kPairBatch) {
      for (const auto& [x, y] : pairs) verify(x, y);
      return;
    }
    constexpr size_t kAhead = 8;
    const internal::OverlapSummary* summary = sketched.summaries.data();
    internal::BandTable::Pair open[internal::BandTable::kPairBatch];  // not ruled out
    size_t n_open = 0;
    for (size_t k = 0; k < pairs.size(); ++k) {
      if (k + kAhead < pairs.size()) {
        __builtin_prefetch(summary + pairs[k + kAhead].first);
        __builtin_prefetch(summary + pairs[k + kAhead].second);
      }
      const auto [x, y] = pairs[k];
      if (!RuledOut(summary[x], summary[y], options)) open[n_open++] = pairs[k];
    }
    auto fetch_object = [&](uint32_t f) {
      const char* at = reinterpret_cast<const char*>(&features[f]);
      __builtin_prefetch(at);
      __builtin_prefetch(at + sizeof(Features) - 1);
    };
    auto fetch_tokens = [&](uint32_t f) {
      __builtin_prefetch(features[f].tokens().data());
      __builtin_prefetch(features[f].weights().data());
    };
    uint64_t found[internal::BandTable::kPairBatch];
    size_t n_found = 0;
    for (size_t k = 0; k < n_open; ++k) {
      if (k + 2 * kAhead < n_open) {
        fetch_object(open[k + 2 * kAhead].first);
        fetch_object(open[k + 2 * kAhead].second);
      }
      if (k + kAhead < n_open) {
        fetch_tokens(open[k + kAhead].first);
        fetch_tokens(open[k + kAhead].second);
      }
      const auto [x, y] = open[k];
      if (VerifiedDuplicate(features[x], features[y], options)) found[n_found++] = PairKey(x, y);
    }
    if (n_found > 0) {
      std::lock_guard<std::mutex> lock(edges_mu);
      dup_edges.insert(dup_edges.end(), found, found + n_found);
    }
  };
  std::vector<uint32_t> oversized;
  const uint64_t lsh_candidates = bands.ForEachPairBatch(
      threads, static_cast<size_t>(std::max(2, options.max_bucket_size)), verify_batch, &oversized,
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
    // The probed words get dense ids (key_id: each key slot's), and their holders are laid
    // out by id, each word's in ascending fact order (a counting sort of the (id, fact) hits,
    // which are found in fact order chunk by chunk).
    // The ids are numbered on every core: one map per thread, of the words WordPart gives it,
    // its ids from base[part] on (ids only group the holders: their order is not read).
    const size_t parts = WordTables(threads, n);
    std::vector<absl::flat_hash_map<uint64_t, uint32_t>> probe(parts);  // word -> id - base
    internal::OsVector<uint32_t> key_id(rare_slots, 0);
    ParallelFor(parts, static_cast<int>(parts), 1, [&](size_t b, size_t e) {
      for (size_t part = b; part < e; ++part) {
        absl::flat_hash_map<uint64_t, uint32_t>& m = probe[part];
        for (size_t slot = 0; slot < rare_slots; ++slot) {
          const uint64_t w = rare_word(slot);
          if (w == 0 || WordPart(w, parts) != part) continue;
          key_id[slot] = m.try_emplace(w, static_cast<uint32_t>(m.size())).first->second;
        }
      }
    });
    std::vector<uint32_t> base(parts + 1, 0);
    for (size_t part = 0; part < parts; ++part) {
      base[part + 1] = base[part] + static_cast<uint32_t>(probe[part].size());
    }
    const uint32_t words = base[parts];
    ParallelFor(rare_slots, threads, 1 << 16, [&](size_t b, size_t e) {
      for (size_t slot = b; slot < e; ++slot) {
        if (const uint64_t w = rare_word(slot); w != 0) key_id[slot] += base[WordPart(w, parts)];
      }
    });
    std::vector<std::pair<size_t, std::vector<std::pair<uint32_t, uint32_t>>>> chunks;
    std::mutex chunks_mu;
    ParallelFor(n, threads, 4096, [&](size_t b, size_t e) {
      std::vector<std::pair<uint32_t, uint32_t>> local;  // (word id, fact)
      for (size_t i = b; i < e; ++i) {
        if (sketched.Copy(i)) continue;
        for (uint64_t tok : features[i].tokens()) {
          const size_t part = WordPart(tok, parts);
          if (auto it = probe[part].find(tok); it != probe[part].end()) {
            local.emplace_back(base[part] + it->second, static_cast<uint32_t>(i));
          }
        }
      }
      std::lock_guard<std::mutex> lock(chunks_mu);
      chunks.emplace_back(b, std::move(local));
    });
    std::sort(chunks.begin(), chunks.end(),
              [](const auto& x, const auto& y) { return x.first < y.first; });
    std::vector<uint32_t> start(words + 1, 0);  // word id -> its holders' first
    for (const auto& chunk : chunks) {
      for (const auto& [id, f] : chunk.second) ++start[id + 1];
    }
    for (size_t id = 0; id < words; ++id) start[id + 1] += start[id];
    std::vector<uint32_t> holders(start.back());
    {
      std::vector<uint32_t> at(start.begin(), start.end() - 1);
      for (auto& chunk : chunks) {
        for (const auto& [id, f] : chunk.second) holders[at[id]++] = f;
        std::vector<std::pair<uint32_t, uint32_t>>().swap(chunk.second);
      }
    }
    // Words held by 2..cap facts are probed.
    auto probed = [&](uint32_t id) {
      const uint32_t size = start[id + 1] - start[id];
      return size >= 2 && size <= cap;
    };
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
    // Whether a key of `f` among its first `keys` (a probed word) is a word `g` holds.
    auto finds = [&](uint32_t f, size_t keys, uint32_t g) {
      for (size_t k = 0; k < keys; ++k) {
        const size_t slot = f * rare_keys + k;
        const uint64_t w = rare_word(slot);
        if (w == 0) break;
        if (probed(key_id[slot]) && holds(g, w)) return true;
      }
      return false;
    };
    std::atomic<int64_t> hits{0}, pairs{0};
    ParallelFor(n, threads, 1024, [&](size_t b, size_t e) {
      int64_t count = 0, fresh = 0;
      std::vector<uint32_t> found;  // the facts x's keys find, each once
      for (size_t i = b; i < e; ++i) {
        const auto x = static_cast<uint32_t>(i);
        found.clear();
        for (size_t k = 0; k < rare_keys; ++k) {
          if (rare_word(i * rare_keys + k) == 0) break;
          const uint32_t id = key_id[i * rare_keys + k];
          if (!probed(id)) continue;
          for (uint32_t p = start[id]; p < start[id + 1]; ++p) {
            const uint32_t y = holders[p];
            if (x == y) continue;
            ++count;
            found.push_back(y);
          }
        }
        // A fact two of x's keys find is one pair (as if only the first key had found it).
        std::sort(found.begin(), found.end());
        found.erase(std::unique(found.begin(), found.end()), found.end());
        for (const uint32_t y : found) {
          const uint32_t u = std::min(x, y), v = std::max(x, y);
          // The other side's keys are read before the band keys: a line of rare words against
          // a row of band keys.
          if ((y < x && finds(y, rare_keys, x)) || bands.Collide(u, v) ||
              (!sim_pairs.empty() && sim_pairs.contains(PairKey(u, v)))) {
            continue;  // the other side's, LSH's, or SimHash's
          }
          ++fresh;
          verify(u, v);
        }
      }
      hits += count;
      pairs += fresh;
    });
    result.stats.candidates += pairs.load();
    internal::OsVector<uint64_t>().swap(rare_words);
    result.stats.rare_word_candidates = hits.load();
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
  // Found in any order; clustering must not see it.
  internal::ParallelSort(&dup_edges, threads);
  result.stats.seconds_candidates = Seconds(t0);
  result.stats.seconds_verify = 0;  // verification happens inside candidate generation
  // Clustering reads features, copies and summaries only: the band keys (bands x 4 bytes per
  // fact, 169 MB at 1M facts) and SimHash values go before it, where memory peaks. The
  // summaries (64 bytes per fact) stay: they rule out most of the pairs that clustering scores
  // in small components (ClusterComponent).
  if (capture != nullptr) {
    bands.TakeKeys(&capture->own.band_keys, &capture->own.band_empty);
    capture->View();
    *state = std::move(captured);
  }
  bands = internal::BandTable(0, 1);
  std::vector<uint64_t>().swap(sketched.simhashes);

  // 5. Clusters.
  t0 = std::chrono::steady_clock::now();
  Neighbors neighbors;
  const std::vector<std::vector<int>> comps =
      Components(n, &dup_edges, key, &neighbors, &result.stats.duplicate_pairs, threads);
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
  result.clusters = ClusterAll(comps, features, sketched.copy_of, neighbors, key,
                               sketched.summaries, options, threads);
  result.stats.seconds_cluster = Seconds(t0);
  return result;
}

namespace {

// DeduplicateAround's Sketched from a corpus state and the change: the items the state knows
// keep its sketches unless the change can move them; new items and moved ones are sketched
// with the changed corpus's counts, exactly as SketchAll would; features are read only for
// the facts the search reaches (Ready).
class StateSketcher : public WordPostings {
 public:
  StateSketcher(absl::Span<const Item> items, const DedupOptions& options,
                const CorpusState::Rep& state, absl::Span<const int> previous_item)
      : items_(items),
        options_(options),
        st_(state),
        prev_(previous_item),
        normalizer_(options.normalize),
        n_(static_cast<double>(items.size())) {}

  // Fills `s` and returns true; returns false when the state does not fit these items and
  // options (then `s` must be rebuilt from scratch).
  absl::StatusOr<bool> Sketch(int threads, Sketched* s) {
    const size_t n = items_.size();
    const size_t records = st_.n;
    const LshParams lsh =
        LshIndex::ParamsForThreshold(options_.minhash.num_perm, options_.lsh_threshold);
    const auto rare_keys = static_cast<size_t>(std::max(0, options_.rare_word_keys));
    if (options_.method != Method::kVerified || options_.simhash_distance > 0 ||
        prev_.size() != n || st_.fingerprint != StateFingerprint(options_, lsh) ||
        st_.rare_keys != rare_keys || CommonDf(options_, n) != st_.common_df) {
      return false;
    }
    item_of_.assign(records, -1);
    // New items are read now: the counts need their words.
    std::vector<uint32_t> added;
    for (size_t i = 0; i < n; ++i) {
      const int r = prev_[i];
      if (r < 0) {
        added.push_back(static_cast<uint32_t>(i));
        continue;
      }
      if (static_cast<size_t>(r) >= records || item_of_[r] >= 0) return false;
      item_of_[r] = static_cast<int>(i);
    }
    s->sparse = true;
    s->read.Reset(n);
    ready_.assign(n, 0);
    std::vector<CaseInfo> cases(added.size());
    if (absl::Status e = ReadAll(added, threads, s, &cases); !e.ok()) return e;
    // Copy groups the change touches: those of new items and of removed records.
    struct Group {
      uint32_t old_size = 0;          // records with the key, removed or not
      int64_t old_record = -1;        // one of them (their words)
      std::vector<uint32_t> members;  // the items with the key now
    };
    absl::flat_hash_map<uint64_t, Group> groups;
    // The counts' changes: removed records out, new items in.
    for (size_t r = 0; r < records; ++r) {
      if (item_of_[r] >= 0) continue;
      if (HasWords(r)) groups.try_emplace(st_.copy_key[r]);
      for (uint32_t k = st_.token_start[r]; k < st_.token_start[r + 1]; ++k) {
        Delta& d = delta_[st_.words[st_.tokens[k]]];
        d.df -= 1;
        d.lowercase -= st_.flags[k] & kSeenLowercase;
        d.name -= (st_.flags[k] & kSeenName) != 0 ? 1 : 0;
      }
    }
    for (size_t a = 0; a < added.size(); ++a) {
      const absl::Span<const uint64_t> tokens = s->read[added[a]].tokens();
      for (size_t k = 0; k < tokens.size(); ++k) {
        Delta& d = delta_[tokens[k]];
        d.df += 1;
        d.lowercase += cases[a].case_flags[k] & kSeenLowercase;
        d.name += (cases[a].case_flags[k] & kSeenName) != 0 ? 1 : 0;
      }
    }
    const Keys key{items_};
    for (size_t a = 0; a < added.size(); ++a) {
      if (s->read[added[a]].tokens().empty()) continue;
      groups[CopyKey(s->read[added[a]], cases[a])].members.push_back(added[a]);
    }
    s->copy_of.resize(n);
    for (size_t i = 0; i < n; ++i) s->copy_of[i] = static_cast<uint32_t>(i);
    for (size_t r = 0; r < records; ++r) {
      const int i = item_of_[r];
      if (HasWords(r) && !groups.empty()) {
        auto it = groups.find(st_.copy_key[r]);
        if (it != groups.end()) {
          ++it->second.old_size;
          it->second.old_record = static_cast<int64_t>(r);
          if (i >= 0) it->second.members.push_back(static_cast<uint32_t>(i));
          continue;
        }
      }
      if (i < 0) continue;
      const int of = item_of_[st_.copy_of[r]];  // an untouched group: all its records are here
      if (of < 0) return false;
      s->copy_of[static_cast<size_t>(i)] = static_cast<uint32_t>(of);
    }
    std::vector<char> touched(n, 0);  // in a touched group: sketched again
    for (auto& [k, g] : groups) {
      if (!g.members.empty()) {
        uint32_t first = g.members[0];
        for (uint32_t m : g.members) {
          if (key(m) < key(first) || (key(m) == key(first) && m < first)) first = m;
        }
        for (uint32_t m : g.members) {
          s->copy_of[m] = first;
          touched[m] = 1;
        }
      }
      // Copies not sketched: the group's size less one, on each of its words.
      if (g.old_size > 1) {
        for (uint32_t t = st_.token_start[g.old_record]; t < st_.token_start[g.old_record + 1];
             ++t) {
          delta_[st_.words[st_.tokens[t]]].copy_df -= g.old_size - 1;
        }
      }
      if (g.members.size() > 1) {
        const auto extra = static_cast<int64_t>(g.members.size() - 1);
        const uint32_t m = g.members[0];
        if (prev_[m] >= 0) {
          const auto r = static_cast<size_t>(prev_[m]);
          for (uint32_t t = st_.token_start[r]; t < st_.token_start[r + 1]; ++t) {
            delta_[st_.words[st_.tokens[t]]].copy_df += extra;
          }
        } else {
          for (uint64_t t : s->read[m].tokens()) delta_[t].copy_df += extra;
        }
      }
    }
    // Words whose counts for sketches changed; every other word's are the state's.
    for (auto it = delta_.begin(); it != delta_.end();) {
      const Delta& d = it->second;
      if (d.df == 0 && d.copy_df == 0 && d.lowercase == 0 && d.name == 0) {
        delta_.erase(it++);
      } else {
        ++it;
      }
    }
    // Per word id: its count changes (index into moves_), or -1.
    moved_.assign(st_.words.size(), -1);
    for (auto& [word, d] : delta_) {
      d.id = st_.Id(word);  // kept for Lookup
      if (d.df == 0 && d.copy_df == 0) continue;
      const int64_t id = d.id;
      if (id < 0) continue;
      moved_[static_cast<size_t>(id)] = static_cast<int32_t>(moves_.size());
      // Its weight's change, once for every fact holding it (Unmoved adds it up).
      const int64_t df0 = st_.df[static_cast<size_t>(id)], df1 = df0 + d.df;
      const double change =
          df1 == df0
              ? 0
              : std::abs(IdfWeight(n_, static_cast<uint32_t>(std::max<int64_t>(1, df1))) -
                         IdfWeight(static_cast<double>(records), static_cast<uint32_t>(df0)));
      Move m;
      m.df = d.df;
      m.copy_df = d.copy_df;
      m.weight_change = change;
      moves_.push_back(m);
    }
    // Per moved word: whether it crosses 2 or common_df, and whether its order by (sketch_df,
    // word) can change against another word's.
    MarkReorders();
    // The weights of every word move with the item count; a rare-word choice within that
    // much (plus float rounding) of changing is made again.
    const double records_d = static_cast<double>(records);
    const double dn = std::abs(n_ - records_d);
    log_n_ = std::log(1.0 + std::max(n_, records_d));
    const double log_n = log_n_;
    auto unsure = [&](size_t r) {
      if (dn == 0) return false;
      const auto len = static_cast<double>(st_.token_start[r + 1] - st_.token_start[r]);
      const double bound =
          2 * len * dn / std::max(1.0, std::min(n_, records_d)) + 1e-5 * (1 + len * log_n);
      return !(static_cast<double>(st_.margin[r]) > bound);
    };
    s->lsh_params = lsh;
    if (static_cast<uint32_t>(std::max(1, lsh.bands)) != st_.bands) return false;
    // Per word id: bit 1 when its counts changed by little (its weight by at most `small`, on
    // the same side of 2 and of common_df, in the same order against every other word), bit
    // 2 when they changed otherwise. A fact holding words of the first kind only keeps its
    // sketches when its rare-word choice had a margin above twice `small` per word (the sum
    // Unmoved bounds), without adding up its words' changes; any other fact holding a changed
    // word is tested word by word (Unmoved).
    const double rate = dn / std::max(1.0, std::min(n_, records_d));
    const double small = std::max(rate, 1e-3);
    code_.assign(st_.words.size(), 0);
    for (size_t id = 0; id < st_.words.size(); ++id) {
      if (moved_[id] < 0) continue;
      const Move& m = moves_[static_cast<size_t>(moved_[id])];
      code_[id] = m.crosses || m.reorders || m.weight_change > small ? 2 : 1;
    }
    // 1 + 1e-9: a sum of `len` terms of at most `small` each, rounded, stays under it.
    const double per_word = 2 * small * (1 + 1e-9);
    redo_.assign(n, 0);
    ParallelFor(n, threads, 1024, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) {
        if (s->Copy(i)) continue;  // sketched by the copy it is a candidate of
        if (prev_[i] < 0 || touched[i] != 0) {
          redo_[i] = 1;
          continue;
        }
        const auto r = static_cast<size_t>(prev_[i]);
        if (st_.copy_of[r] != r) {  // a copy in the state: it has no sketches there
          redo_[i] = 1;
          continue;
        }
        const uint32_t begin = st_.token_start[r], end = st_.token_start[r + 1];
        uint8_t code = 0;
        for (uint32_t k = begin; k < end; ++k) code |= code_[st_.tokens[k]];
        if (code == 0) {
          redo_[i] = unsure(r) ? 1 : 0;
          continue;
        }
        const auto len = static_cast<double>(end - begin);
        if (code == 1 &&
            static_cast<double>(st_.margin[r]) > per_word * len + 1e-5 * (1 + len * log_n)) {
          continue;
        }
        redo_[i] = Unmoved(r, records_d) ? 0 : 1;
      }
    });
    // The facts sketched again get rows of their own; every other keeps its record's sketches
    // (Sketched::row).
    std::vector<uint32_t> redo;
    for (size_t i = 0; i < n; ++i) {
      if (redo_[i]) redo.push_back(static_cast<uint32_t>(i));
    }
    s->row.assign(n, -1);
    for (size_t q = 0; q < redo.size(); ++q) s->row[redo[q]] = static_cast<int32_t>(q);
    s->record = prev_;
    s->state_keys = st_.band_keys.data();
    s->state_empty = st_.band_empty.data();
    s->state_rare = st_.rare.data();
    s->state_words = st_.words.data();
    // Not cleared: every row's keys are set below, or it is marked empty.
    s->bands = internal::BandTable(redo.size(), lsh.bands, /*clear_keys=*/false);
    s->rare_keys = rare_keys;
    s->rare_words.assign(redo.size() * rare_keys, 0);
    const MinHasher hasher(options_.minhash);
    ParallelFor(redo.size(), threads, 64, [&](size_t b, size_t e) {
      SketchScratch scratch;
      std::vector<uint64_t> words;
      for (size_t q = b; q < e; ++q) {
        const size_t i = redo[q];
        // The fact's words (a record's from the state: it is not read) and its counts once
        // (the sketch reads each several times).
        absl::Span<const uint64_t> tokens;
        if (prev_[i] < 0) {
          tokens = s->Tokens(i);
        } else {
          const auto r = static_cast<size_t>(prev_[i]);
          words.clear();
          for (uint32_t k = st_.token_start[r]; k < st_.token_start[r + 1]; ++k) {
            words.push_back(st_.words[st_.tokens[k]]);
          }
          tokens = words;
        }
        scratch.sketch_df.clear();
        scratch.weight.clear();
        for (uint64_t t : tokens) {
          uint32_t sketch_df = 0, df = 0;
          Counts(t, &sketch_df, &df);
          scratch.sketch_df.push_back(sketch_df);
          scratch.weight.push_back(IdfWeight(n_, df));
        }
        SketchFact(q, tokens, scratch.sketch_df, scratch.weight, st_.common_df, rare_keys, options_,
                   hasher, lsh.rows, &s->bands, s->rare_words.data() + q * rare_keys, &scratch);
      }
    });
    resketched_ = static_cast<int64_t>(redo.size());
    // New items are weighed now (their cases are at hand); the others when reached.
    for (size_t a = 0; a < added.size(); ++a) Weigh(&s->read.At(added[a]), &cases[a]);
    return IndexWords(added, *s);
  }

  // For the candidate finder, after Sketch: the sketched facts (not copies) holding `word`,
  // into *out (cleared first; in no particular order), or false once there are more than
  // `limit` (at most the rare-word bucket). Thread-safe.
  bool Holders(uint64_t word, const Sketched& s, size_t limit,
               std::vector<uint32_t>* out) const override {
    out->clear();
    const int64_t id = st_.Id(word);
    if (id >= 0 && !small_[static_cast<size_t>(id)]) return false;  // IndexWords
    if (auto it = new_holders_.find(word); it != new_holders_.end()) {
      for (uint32_t i : it->second) {
        if (!s.Copy(i)) out->push_back(i);
      }
    }
    if (id < 0) return out->size() <= limit;
    for (uint32_t k = word_start_[id]; k < word_start_[id + 1] && out->size() <= limit; ++k) {
      const int i = item_of_[word_records_[k]];
      if (i >= 0 && !s.Copy(static_cast<size_t>(i))) out->push_back(static_cast<uint32_t>(i));
    }
    return out->size() <= limit;
  }
  // The facts whose rare-word keys hold `word` (Sketched::rare_words), into *out (cleared first;
  // in no particular order); none when Holders finds the word in more than the rare-word
  // bucket. Thread-safe.
  void Keyed(uint64_t word, const Sketched& s, std::vector<uint32_t>* out) const override {
    out->clear();
    const int64_t id = st_.Id(word);
    if (id >= 0 && !small_[static_cast<size_t>(id)]) return;
    if (auto it = new_keyed_.find(word); it != new_keyed_.end()) {
      out->insert(out->end(), it->second.begin(), it->second.end());
    }
    if (id < 0) return;
    // A record keyed by the word holds it: its records, those whose keys name it.
    const size_t rare_keys = st_.rare_keys;
    const auto word_id = static_cast<uint32_t>(id);
    for (uint32_t k = word_start_[word_id]; k < word_start_[word_id + 1]; ++k) {
      const uint32_t r = word_records_[k];
      const uint32_t* keys = st_.rare.data() + size_t{r} * rare_keys;
      if (std::find(keys, keys + rare_keys, word_id) == keys + rare_keys) continue;
      const int i = item_of_[r];
      // A fact sketched again has new keys (in new_keyed_); a copy has none.
      if (i >= 0 && !redo_[static_cast<size_t>(i)] && !s.Copy(static_cast<size_t>(i))) {
        out->push_back(static_cast<uint32_t>(i));
      }
    }
  }

  // Reads, extracts and weighs the features of the facts in `ids` not read yet.
  absl::Status Ready(absl::Span<const uint32_t> ids, int threads, Sketched* s) {
    std::vector<uint32_t> todo;
    for (uint32_t i : ids) {
      if (!ready_[i]) todo.push_back(i);
    }
    if (todo.empty()) return absl::OkStatus();
    std::vector<CaseInfo> cases(todo.size());
    if (absl::Status e = ReadAll(todo, threads, s, &cases); !e.ok()) return e;
    ParallelFor(todo.size(), threads, 64, [&](size_t b, size_t e) {
      for (size_t k = b; k < e; ++k) Weigh(&s->read.At(todo[k]), &cases[k]);
    });
    return absl::OkStatus();
  }

  int64_t resketched() const { return resketched_; }

 private:
  // The state's records holding each word (by word id; Keyed finds those keyed by it among
  // them, as a fact's keys are some of its words), for the words that can be probed (small_),
  // and the words of the facts the state does not describe as they are now: new facts' words
  // and the keys of facts sketched again. Holders and Keyed read them. A word held by more sketched
  // facts than the rare-word bucket after the change (its sketch_df, as Counts gives it) is never
  // probed, so its records are not listed: a pass over the records' words, not a sort of them.
  // Returns false when the state's counts do not match its records.
  bool IndexWords(absl::Span<const uint32_t> added, const Sketched& s) {
    const size_t words = st_.words.size();
    const auto bar = static_cast<int64_t>(std::max(2, options_.rare_word_bucket));
    small_.resize(words);
    word_start_.assign(words + 1, 0);
    uint64_t total = 0;  // each listed word's df entries, in word order
    for (size_t id = 0; id < words; ++id) {
      // Its sketched facts now: the state's (df less copy_df) and the change's (Counts).
      int64_t sketched = int64_t{st_.df[id]} - st_.copy_df[id];
      if (moved_[id] >= 0) {
        const Move& m = moves_[static_cast<size_t>(moved_[id])];
        sketched += m.df - m.copy_df;
      }
      small_[id] = sketched <= bar ? 1 : 0;
      if (small_[id]) total += st_.df[id];
      if (total > st_.tokens.size()) return false;
      word_start_[id + 1] = static_cast<uint32_t>(total);
    }
    word_records_.reset(new uint32_t[total]);
    std::vector<uint32_t> at(word_start_.begin(), word_start_.end() - 1);
    {
      // One pass over every record's words (the state's largest array): locals, so that the
      // loop reloads nothing but the entries it reads.
      const uint32_t* const tokens = st_.tokens.data();
      const uint32_t* const starts = st_.token_start.data();
      const uint8_t* const listed = small_.data();
      const uint32_t* const ends = word_start_.data() + 1;
      uint32_t* const fill = at.data();
      uint32_t* const out = word_records_.get();
      const auto records = static_cast<uint32_t>(st_.n);
      for (uint32_t r = 0; r < records; ++r) {
        const uint32_t end = starts[r + 1];
        for (uint32_t k = starts[r]; k < end; ++k) {
          const uint32_t id = tokens[k];
          if (!listed[id]) continue;
          if (fill[id] == ends[id]) return false;  // more records than its df
          out[fill[id]++] = r;
        }
      }
    }
    for (size_t id = 0; id < words; ++id) {
      if (at[id] != word_start_[id + 1]) return false;  // fewer
    }
    for (uint32_t i : added) {
      for (uint64_t tok : s.Tokens(i)) new_holders_[tok].push_back(i);
    }
    for (size_t i = 0; i < redo_.size(); ++i) {
      if (!redo_[i]) continue;
      for (size_t k = 0; k < s.rare_keys; ++k) {
        const uint64_t w = s.RareWord(i, k);
        if (w == 0) break;
        new_keyed_[w].push_back(static_cast<uint32_t>(i));
      }
    }
    return true;
  }

 public:
  int64_t items_read() const { return std::count(ready_.begin(), ready_.end(), 1); }

 private:
  struct Delta {
    int64_t df = 0, copy_df = 0, lowercase = 0, name = 0;
    int64_t id = -1;  // the word's id in the state, or -1 (set once the changes are known)
  };
  bool HasWords(size_t r) const { return st_.token_start[r + 1] > st_.token_start[r]; }

  // Whether record r (sketched, not a copy, some of whose words' counts changed) keeps its
  // sketches: each word stays on its side of common_df and of 2, the words keep their order
  // by (sketch_df, hash) (which picks the rare-word prefix, and the MinHash set of a fact with
  // few words under common_df), and its rare-word choice had a margin above twice the sum of
  // its weights' changes (plus float rounding): acc - share x total moves by no more than that.
  bool Unmoved(size_t r, double records) const {
    const uint32_t begin = st_.token_start[r], end = st_.token_start[r + 1];
    size_t rare_before = 0, unmoved = 0;
    bool reorders = false;
    double change = 0;  // bound on the sum of the words' weight changes
    for (uint32_t k = begin; k < end; ++k) {
      const uint32_t id = st_.tokens[k];
      rare_before += st_.df[id] - st_.copy_df[id] <= st_.common_df ? 1 : 0;
      if (moved_[id] < 0) {
        ++unmoved;
        continue;
      }
      const Move& m = moves_[static_cast<size_t>(moved_[id])];
      if (m.crosses) return false;  // its side of 2 or of common_df changed
      reorders |= m.reorders;
      if (m.df != 0) {
        change += m.weight_change;
      } else {
        ++unmoved;
      }
    }
    // A word whose count did not change moves its weight only with the item count:
    // |log(1 + n1/df) - log(1 + n0/df)| <= |n1 - n0| / min(n0, n1).
    change += static_cast<double>(unmoved) * std::abs(n_ - records) /
              std::max(1.0, std::min(n_, records));
    // No word crossed common_df, so both sets are the words under it, or both the rarest
    // kMinSketchTokens (when fewer are under it): the same when the order is.
    const bool fallback = rare_before < kMinSketchTokens;
    if (!fallback && st_.rare_keys == 0) return true;
    // Still the same order by (sketch_df, word) after the change as before? No pair of words
    // may swap, and only a pair with a word that reorders can.
    if (reorders && !SameOrder(begin, end)) return false;
    if (st_.rare_keys == 0) return true;
    const auto len = static_cast<double>(end - begin);
    const double bound = 2 * change + 1e-5 * (1 + len * log_n_);
    return static_cast<double>(st_.margin[r]) > bound;
  }

  // A word's place in the order by (sketch_df, word), before and after the change: the words
  // are sorted, so the order of their ids is the order of the words.
  static uint64_t OrderKey(int64_t sketch_df, size_t id) {
    return uint64_t{static_cast<uint32_t>(sketch_df)} << 32 | id;
  }
  uint64_t Key0(uint32_t id) const {
    return moved_[id] >= 0 ? moves_[static_cast<size_t>(moved_[id])].key0
                           : OrderKey(int64_t{st_.df[id]} - st_.copy_df[id], id);
  }
  uint64_t Key1(uint32_t id) const {
    return moved_[id] >= 0 ? moves_[static_cast<size_t>(moved_[id])].key1 : Key0(id);
  }

  // Whether the words of tokens[begin, end) are in the same order by Key1 as by Key0.
  bool SameOrder(uint32_t begin, uint32_t end) const {
    for (uint32_t k = begin; k < end; ++k) {
      const uint32_t w = st_.tokens[k];
      if (moved_[w] < 0 || !moves_[static_cast<size_t>(moved_[w])].reorders) continue;
      const uint64_t w0 = Key0(w), w1 = Key1(w);
      for (uint32_t j = begin; j < end; ++j) {
        const uint32_t v = st_.tokens[j];
        if ((w0 < Key0(v)) != (w1 < Key1(v))) return false;
      }
    }
    return true;
  }
  // Sets each moved word's key0, key1, crosses and reorders. A word whose key changed keeps its
  // place against every other word unless the two keys of one of them lie between the two of
  // the other, so it reorders only when some other word's key lies strictly between its two
  // (a pair where neither word's keys lie between the other's cannot swap).
  void MarkReorders() {
    std::vector<uint64_t> keys;  // every word's key before, and the changed words' after
    keys.reserve(st_.words.size() + moves_.size());
    for (size_t id = 0; id < st_.words.size(); ++id) {
      const int64_t s0 = int64_t{st_.df[id]} - st_.copy_df[id];
      if (moved_[id] < 0) {
        keys.push_back(OrderKey(s0, id));
        continue;
      }
      Move& m = moves_[static_cast<size_t>(moved_[id])];
      const int64_t s1 = s0 + m.df - m.copy_df;
      m.crosses = (s0 >= 2) != (s1 >= 2) || (s0 <= st_.common_df) != (s1 <= st_.common_df);
      m.key0 = OrderKey(s0, id);
      m.key1 = OrderKey(s1, id);
      keys.push_back(m.key0);
      if (m.key1 != m.key0) keys.push_back(m.key1);
    }
    std::sort(keys.begin(), keys.end());  // distinct: a word's id is in its keys
    for (Move& m : moves_) {
      if (m.key0 == m.key1) continue;
      const uint64_t lo = std::min(m.key0, m.key1), hi = std::max(m.key0, m.key1);
      m.reorders = *std::upper_bound(keys.begin(), keys.end(), lo) != hi;
    }
  }

  // The changed corpus's counts of a word.
  // After Sketch's changes are known: the state's id of `word` (-1: none) and its change
  // (nullptr: none), in one lookup of the change (whose entry keeps the id) when it changed,
  // else a search of the words.
  int64_t Lookup(uint64_t word, const Delta** change) const {
    if (auto it = delta_.find(word); it != delta_.end()) {
      *change = &it->second;
      return it->second.id;
    }
    *change = nullptr;
    return st_.Id(word);
  }
  int64_t Count(uint64_t word, int64_t Delta::*field, const Column<uint32_t>& base) const {
    const Delta* change = nullptr;
    const int64_t id = Lookup(word, &change);
    int64_t c = id >= 0 ? base[static_cast<size_t>(id)] : 0;
    if (change != nullptr) c += change->*field;
    return c;
  }
  // Two of a word's counts in the changed corpus (`a` then `b`), with one lookup.
  std::pair<int64_t, int64_t> Counts2(uint64_t word, int64_t Delta::*a_field,
                                      const Column<uint32_t>& a, int64_t Delta::*b_field,
                                      const Column<uint32_t>& b) const {
    const Delta* change = nullptr;
    const int64_t id = Lookup(word, &change);
    std::pair<int64_t, int64_t> c(id >= 0 ? a[static_cast<size_t>(id)] : 0,
                                  id >= 0 ? b[static_cast<size_t>(id)] : 0);
    if (change != nullptr) {
      c.first += change->*a_field;
      c.second += change->*b_field;
    }
    return c;
  }
  uint32_t Df(uint64_t word) const {
    return static_cast<uint32_t>(std::max<int64_t>(1, Count(word, &Delta::df, st_.df)));
  }
  // A word's sketch_df (df less copy_df) and Df(word) in the changed corpus: one lookup of its
  // id and of its change.
  void Counts(uint64_t word, uint32_t* sketch_df, uint32_t* df) const {
    const auto [d, c] = Counts2(word, &Delta::df, st_.df, &Delta::copy_df, st_.copy_df);
    *sketch_df = static_cast<uint32_t>(d - c);
    *df = static_cast<uint32_t>(std::max<int64_t>(1, d));
  }

  double Weight(uint64_t word) const { return IdfWeight(n_, Df(word)); }
  bool IsName(uint64_t word) const {
    const auto [lowercase, name] =
        Counts2(word, &Delta::lowercase, st_.lowercase, &Delta::name, st_.name);
    SeenCount c;
    c.lowercase = static_cast<uint32_t>(lowercase);
    c.name = static_cast<uint32_t>(name);
    return c.IsName();
  }

  // Normalizes (or takes the normalization of) and extracts each fact of `ids`.
  absl::Status ReadAll(absl::Span<const uint32_t> ids, int threads, Sketched* s,
                       std::vector<CaseInfo>* cases) {
    std::vector<absl::Status> errors(ids.size());
    std::vector<Features*> into(ids.size());  // made here: Make is not thread-safe
    for (size_t k = 0; k < ids.size(); ++k) into[k] = &s->read.Make(ids[k]);
    ParallelFor(ids.size(), threads, 64, [&](size_t b, size_t e) {
      NormalizedText scratch;
      for (size_t k = b; k < e; ++k) {
        const uint32_t i = ids[k];
        const NormalizedText* t =
            NormalizationOf(items_, i, options_, normalizer_, &scratch, &errors[k]);
        if (t == nullptr) continue;
        ExtractInto(*t, &(*cases)[k], into[k]);
        if (options_.on_normalized && items_[i].normalized == nullptr) {
          options_.on_normalized(i, *t);
        }
        ready_[i] = 1;
      }
    });
    for (const absl::Status& e : errors) {
      if (!e.ok()) return e;
    }
    return absl::OkStatus();
  }

  // The corpus pass's part of a fact's features (SketchAll): weights and entities.
  void Weigh(Features* f, CaseInfo* ci) const {
    f->total_weight = 0;
    const absl::Span<const uint64_t> tokens = f->tokens();
    const absl::Span<float> w = f->mutable_weights();
    for (size_t k = 0; k < tokens.size(); ++k) {
      w[k] = static_cast<float>(Weight(tokens[k]));
      f->total_weight += w[k];
    }
    std::vector<absl::string_view> entities;
    std::vector<uint64_t> entity_hashes;
    for (const std::string& cap : ci->caps) {
      const uint64_t h = Hash64(cap);
      if (IsName(h)) {
        entities.push_back(cap);
        entity_hashes.push_back(h);
      }
    }
    f->entities.Assign(absl::MakeConstSpan(entities), entity_hashes);
  }

  absl::Span<const Item> items_;
  const DedupOptions& options_;
  const CorpusState::Rep& st_;
  absl::Span<const int> prev_;
  Normalizer normalizer_;
  double n_;
  std::vector<int> item_of_;    // per record: the item it is now, or -1 (removed)
  double log_n_ = 0;            // log(1 + the larger item count): the largest weight's size
  std::vector<int32_t> moved_;  // per word id: index into moves_, or -1 (counts unchanged)
  struct Move {
    int64_t df = 0, copy_df = 0;  // changes of df and copy_df
    double weight_change = 0;     // |its weight now - its weight in the state| (df changed)
    bool crosses = false;         // its sketch_df crosses 2 or common_df
    // Its (sketch_df, word) can change places with another word's (MarkReorders).
    bool reorders = false;
    uint64_t key0 = 0, key1 = 0;  // OrderKey before and after the change
  };
  std::vector<Move> moves_;
  std::vector<uint8_t> code_;  // per word id: how its counts changed (Sketch)
  absl::flat_hash_map<uint64_t, Delta> delta_;
  std::vector<char> ready_;  // per item: features read and weighed (written before read)
  std::vector<char> redo_;   // per item: sketched again (or new)
  int64_t resketched_ = 0;
  // IndexWords's: by word id, CSR of the records holding it (Keyed finds those keyed by it
  // among them); by word hash, the new facts holding it and the facts sketched again keyed by
  // it.
  std::vector<uint32_t> word_start_;
  std::vector<uint8_t> small_;  // per word id: listed in word_start_ (IndexWords)
  std::unique_ptr<uint32_t[]> word_records_;
  absl::flat_hash_map<uint64_t, std::vector<uint32_t>> new_holders_, new_keyed_;
};

// DeduplicateAround's search over `sketched` (every fact's sketches, copies and tokens;
// `ready(ids)` makes sure the features of facts `ids` are there before they are compared;
// `postings`, when not null, answers the rare-word lookups). `features`: sketched's features
// (Sketched::features, or Sketched::read when sparse).
template <typename Ready, typename FeatureSource>
absl::StatusOr<DedupResult> SearchAround(absl::Span<const Item> items, absl::Span<const int> focus,
                                         const DedupOptions& options, int threads,
                                         Sketched* sketched_in, const FeatureSource& features,
                                         DedupResult result, const Ready& ready,
                                         const WordPostings* postings) {
  const size_t n = items.size();
  const Keys key{items};
  Sketched& sketched = *sketched_in;

  // Breadth-first from the focus: each fact reached is queried for its candidates, which are
  // verified as the full pass verifies them (smaller index first); a duplicate joins the next
  // level. At the end every edge of every component holding a focus fact is known.
  auto t0 = std::chrono::steady_clock::now();
  const CandidateFinder finder(sketched, options, threads, postings);
  std::vector<char> reached(n, 0);
  std::vector<uint32_t> level;
  for (int f : focus) {
    if (!reached[static_cast<size_t>(f)]) {
      reached[static_cast<size_t>(f)] = 1;
      level.push_back(static_cast<uint32_t>(f));
    }
  }
  // A fact is read before it is queried (Find reads its words): the focus now, every later
  // level's facts as the candidates of the level before.
  if (absl::Status s = ready(level); !s.ok()) return s;
  std::vector<uint64_t> edges;
  while (!level.empty()) {
    std::vector<std::vector<uint32_t>> found(level.size());
    std::vector<std::vector<uint32_t>> candidates(level.size());
    ParallelFor(level.size(), threads, 8, [&](size_t b, size_t e) {
      for (size_t q = b; q < e; ++q) finder.Find(level[q], &candidates[q]);
    });
    std::vector<uint32_t> read = level;  // every fact this level compares
    for (const std::vector<uint32_t>& c : candidates) read.insert(read.end(), c.begin(), c.end());
    std::sort(read.begin(), read.end());
    read.erase(std::unique(read.begin(), read.end()), read.end());
    if (absl::Status s = ready(read); !s.ok()) return s;
    std::vector<int64_t> queried(level.size(), 0);
    ParallelFor(level.size(), threads, 8, [&](size_t b, size_t e) {
      for (size_t q = b; q < e; ++q) {
        queried[q] = static_cast<int64_t>(candidates[q].size());
        for (uint32_t j : candidates[q]) {
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
  Neighbors neighbors;
  const std::vector<std::vector<int>> comps = Components(
      n, &edges, key, &neighbors, &result.stats.duplicate_pairs, threads, /*compact=*/true);
  result.clusters = ClusterAll(comps, features, sketched.copy_of, neighbors, key,
                               /*summaries=*/{}, options, threads);
  result.stats.seconds_cluster = Seconds(t0);
  return result;
}

}  // namespace

absl::StatusOr<DedupResult> DeduplicateAround(absl::Span<const Item> items,
                                              absl::Span<const int> focus,
                                              const DedupOptions& options) {
  return DeduplicateAround(items, focus, options, nullptr, {});
}

absl::StatusOr<DedupResult> DeduplicateAround(absl::Span<const Item> items,
                                              absl::Span<const int> focus,
                                              const DedupOptions& options,
                                              const CorpusState* previous,
                                              absl::Span<const int> previous_item) {
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
  Sketched sketched;
  if (previous != nullptr && !previous->empty()) {
    auto t0 = std::chrono::steady_clock::now();
    StateSketcher from_state(items, options, *previous->rep(), previous_item);
    absl::StatusOr<bool> used = from_state.Sketch(threads, &sketched);
    if (!used.ok()) return used.status();
    if (*used) {
      result.stats.seconds_sketch = Seconds(t0);
      absl::StatusOr<DedupResult> r = SearchAround(
          items, focus, options, threads, &sketched, sketched.read, std::move(result),
          [&](absl::Span<const uint32_t> ids) { return from_state.Ready(ids, threads, &sketched); },
          &from_state);
      if (r.ok()) {
        r->stats.items_read = from_state.items_read();
        r->stats.items_sketched = from_state.resketched();
      }
      return r;
    }
    sketched = Sketched();
  }
  if (absl::Status s = SketchAll(items, options, threads, &result.stats, &sketched); !s.ok()) {
    return s;
  }
  return SearchAround(
      items, focus, options, threads, &sketched, sketched.features, std::move(result),
      [](absl::Span<const uint32_t>) { return absl::OkStatus(); }, nullptr);
}

}  // namespace factdedup::dedup
