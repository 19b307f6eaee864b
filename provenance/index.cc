#include "provenance/index.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <iterator>
#include <limits>
#include <mutex>
#include <system_error>
#include <thread>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "dedup/hash.h"
#ifdef FACTDEDUP_HAVE_XXH3_DISPATCH
#include <xxh_x86dispatch.h>  // XXH3_64bits_update through the run-time dispatch, as Checksum
#else
#include <xxhash.h>
#endif
#include "dedup/minhash.h"
#include "provenance/internal/byte_arena.h"
#include "provenance/internal/checksum.h"
#include "provenance/internal/codec.h"

namespace factdedup::provenance {
namespace {

using internal::Reader;
using internal::Writer;

constexpr absl::string_view kMagic("FDINDEX\n", 8);
// The engine's MinHash sets are of single tokens (dedup/engine.cc).
constexpr uint32_t kShingleSize = 1;
// Sanity bound on a normalization's token count, before anything is allocated for them.
constexpr uint64_t kMaxTokens = 1 << 20;

// Token flag bits: kind in the low 3 bits.
constexpr uint8_t kKindMask = 0x07, kLowercase = 0x08, kCapitalized = 0x10, kKept = 0x20;
// NormalizedText flag bits. kCleanIsText: `clean` is the fact's text itself (most facts), so
// the record leaves it out (written empty) and a reader takes it from the text.
constexpr uint8_t kTruncated = 1, kRepaired = 2, kSuspect = 4, kCleanIsText = 8;

uint32_t NormalizeFlags(const dedup::NormalizeOptions& o) {
  return (o.repair_mojibake ? 1u : 0u) | (o.fold_accents ? 2u : 0u) | (o.stem ? 4u : 0u) |
         (o.canonicalize_numbers ? 8u : 0u) | (o.drop_stopwords ? 16u : 0u);
}

void PutParams(const IndexParams& p, Writer* w) {
  w->PutU32(p.normalizer_version);
  w->PutU32(p.normalize_flags);
  w->PutU64(p.token_hash_seed);
  w->PutU64(p.minhash_seed);
  w->PutU32(p.num_perm);
  w->PutU32(p.lsh_bands);
  w->PutU32(p.lsh_rows);
  w->PutU32(p.shingle_size);
  w->PutU32(p.claims_version);
  w->PutU32(p.fact_text_version);
}

bool GetParams(Reader* r, IndexParams* p) {
  return r->GetU32(&p->normalizer_version) && r->GetU32(&p->normalize_flags) &&
         r->GetU64(&p->token_hash_seed) && r->GetU64(&p->minhash_seed) && r->GetU32(&p->num_perm) &&
         r->GetU32(&p->lsh_bands) && r->GetU32(&p->lsh_rows) && r->GetU32(&p->shingle_size) &&
         r->GetU32(&p->claims_version) && r->GetU32(&p->fact_text_version);
}

bool SameToken(const dedup::Token& a, const dedup::Token& b) {
  return a.text == b.text && a.kind == b.kind && a.lowercase == b.lowercase &&
         a.capitalized == b.capitalized;
}

// `tokens` is the subsequence of `all_tokens` that is not a dropped stop word (see
// dedup/normalize.cc), so each token is written once with a "kept" bit. `text` is the text
// `t` is the normalization of, or null when unknown (then `clean` is always written).
void PutNormalized(const dedup::NormalizedText& t, const absl::string_view* text, Writer* w) {
  const bool clean_is_text = text != nullptr && t.clean == *text;
  w->PutString(clean_is_text ? absl::string_view() : absl::string_view(t.clean));
  w->PutU8((t.truncated ? kTruncated : 0) | (t.repaired_mojibake ? kRepaired : 0) |
           (t.suspect_mojibake ? kSuspect : 0) | (clean_is_text ? kCleanIsText : 0));
  w->PutVarint(t.all_tokens.size());
  size_t kept = 0;
  for (const dedup::Token& tok : t.all_tokens) {
    const bool is_kept = kept < t.tokens.size() && SameToken(t.tokens[kept], tok);
    kept += is_kept;
    w->PutU8(static_cast<uint8_t>(tok.kind) | (tok.lowercase ? kLowercase : 0) |
             (tok.capitalized ? kCapitalized : 0) | (is_kept ? kKept : 0));
    w->PutString(tok.text);
  }
}

// Reads PutNormalized's record of a normalization of `text`. Without `all_tokens`, only
// `clean`, the flags and `tokens` (the kept tokens) are filled and `all_tokens` is left empty
// (what the conflict pass reads: half the tokens' copies); the record is checked the same.
bool GetNormalized(Reader* r, absl::string_view text, dedup::NormalizedText* t,
                   bool all_tokens = true) {
  uint8_t flags;
  uint64_t n;
  if (!r->GetString(&t->clean) || !r->GetU8(&flags) || !r->GetVarint(&n) || n > kMaxTokens ||
      n * 2 > r->remaining()) {
    return false;
  }
  if (flags & kCleanIsText) {
    if (!t->clean.empty()) return false;
    t->clean.assign(text.data(), text.size());
  }
  t->truncated = flags & kTruncated;
  t->repaired_mojibake = flags & kRepaired;
  t->suspect_mojibake = flags & kSuspect;
  if (all_tokens) {
    t->all_tokens.resize(n);
  } else {
    t->all_tokens.clear();
  }
  // Filled in place (a scratch text's token strings keep their buffers), cut to the kept.
  t->tokens.resize(n);
  size_t kept = 0;
  for (size_t i = 0; i < n; ++i) {
    uint8_t f;
    absl::string_view bytes;
    if (!r->GetTaggedBytes(&f, &bytes)) return false;
    if ((f & kKindMask) > static_cast<uint8_t>(dedup::TokenKind::kName)) return false;
    const auto set = [&](dedup::Token& tok) {
      tok.text.assign(bytes.data(), bytes.size());
      tok.kind = static_cast<dedup::TokenKind>(f & kKindMask);
      tok.lowercase = f & kLowercase;
      tok.capitalized = f & kCapitalized;
    };
    if (all_tokens) set(t->all_tokens[i]);
    if (f & kKept) set(t->tokens[kept++]);
  }
  t->tokens.resize(kept);
  return true;
}

// Fewest bytes of an encoded normalization: clean's length, flags, token count.
constexpr uint32_t kMinNormalizedBytes = 3;

// The notes section (docs/index-format.md): counts, then every fixed-width field as a column
// (notes' content hashes, mtimes, sizes, path lengths and fact counts; facts' lines, text
// hashes and encoding lengths), then the paths and the facts' encodings back to back. A
// reader carves the columns with one bounds check each and checks their sums against the
// bytes that follow; no field is decoded byte by byte.
//
// `encoding_of(i, k)` is the encoded normalization of fact k of notes[i]; `f` is the count of
// all facts. Writes the section up to the encodings (the caller appends those: they are
// already bytes in memory).
template <typename EncodingOf>
void PutNotesHead(absl::Span<const IndexedNote> notes, size_t f, const EncodingOf& encoding_of,
                  std::string* out) {
  const size_t n = notes.size();
  size_t path_bytes = 0;
  for (const IndexedNote& note : notes) path_bytes += note.path.size();
  const size_t at = out->size();
  out->resize(at + 16 + n * (3 * 8 + 2 * 4) + f * (4 + 8 + 4) + path_bytes);
  char* p = out->data() + at;
  auto put32 = [&p](uint32_t v) {
    internal::StoreLe(p, v);
    p += 4;
  };
  auto put64 = [&p](uint64_t v) {
    internal::StoreLe(p, v);
    p += 8;
  };
  put64(n);
  put64(f);
  for (const IndexedNote& note : notes) put64(note.content_hash);
  for (const IndexedNote& note : notes) put64(static_cast<uint64_t>(note.mtime_ns));
  for (const IndexedNote& note : notes) put64(note.size);
  for (const IndexedNote& note : notes) put32(static_cast<uint32_t>(note.path.size()));
  for (const IndexedNote& note : notes) put32(static_cast<uint32_t>(note.facts.size()));
  for (const IndexedNote& note : notes) {
    for (const IndexedFact& fact : note.facts) put32(static_cast<uint32_t>(fact.line));
  }
  for (const IndexedNote& note : notes) {
    for (const IndexedFact& fact : note.facts) put64(fact.text_hash);
  }
  for (size_t i = 0; i < n; ++i) {
    for (size_t k = 0; k < notes[i].facts.size(); ++k) {
      put32(static_cast<uint32_t>(encoding_of(i, k).size()));
    }
  }
  for (const IndexedNote& note : notes) {
    std::memcpy(p, note.path.data(), note.path.size());
    p += note.path.size();
  }
}

// Reads PutNotes' section. The facts' encodings stay views into `in` (owned by `owner`): a
// scan decodes (and so checks) each one it reads, on every core, and most of a large index
// is never decoded by a focused check.
bool GetNotes(absl::string_view in, const std::shared_ptr<const void>& owner,
              std::vector<IndexedNote>* notes) {
  Reader r(in);
  uint64_t n, f;
  internal::LeArray<uint64_t> content_hash, mtime, size, text_hash;
  internal::LeArray<uint32_t> path_size, fact_count, line, encoded_size;
  if (!r.GetU64(&n) || !r.GetU64(&f) || !r.GetArray(n, &content_hash) || !r.GetArray(n, &mtime) ||
      !r.GetArray(n, &size) || !r.GetArray(n, &path_size) || !r.GetArray(n, &fact_count) ||
      !r.GetArray(f, &line) || !r.GetArray(f, &text_hash) || !r.GetArray(f, &encoded_size)) {
    return false;
  }
  // The columns' sums must account for the rest of the section exactly (u64 sums of u32
  // values: no overflow).
  uint64_t facts = 0, path_bytes = 0, encoded_bytes = 0;
  for (size_t i = 0; i < n; ++i) {
    facts += fact_count[i];
    path_bytes += path_size[i];
  }
  bool short_encoding = false;
  for (size_t k = 0; k < f; ++k) {
    const uint32_t e = encoded_size[k];
    short_encoding |= e < kMinNormalizedBytes;
    encoded_bytes += e;
  }
  if (facts != f || short_encoding || path_bytes > r.remaining() ||
      encoded_bytes != r.remaining() - path_bytes) {
    return false;
  }
  const char* path = in.data() + r.position();
  const char* encoded = path + path_bytes;
  notes->resize(n);
  size_t k = 0;
  for (size_t i = 0; i < n; ++i) {
    IndexedNote& note = (*notes)[i];
    note.path.assign(path, path_size[i]);
    note.owners.assign(1, owner);
    path += path_size[i];
    note.size = size[i];
    note.mtime_ns = static_cast<int64_t>(mtime[i]);
    note.content_hash = content_hash[i];
    note.facts.resize(fact_count[i]);
    for (IndexedFact& fact : note.facts) {
      const uint32_t l = line[k];
      if (l > static_cast<uint32_t>(std::numeric_limits<int>::max())) return false;
      fact.line = static_cast<int>(l);
      fact.text_hash = text_hash[k];
      fact.encoded = absl::string_view(encoded, encoded_size[k]);
      encoded += encoded_size[k];
      ++k;
    }
  }
  return true;
}

}  // namespace

namespace internal {

// A loaded claims section (see PutClaims), read in place: ClaimCache searches its keys and
// decodes a summary only when it is looked up.
struct ClaimsSection {
  absl::string_view bytes;            // the whole section, as saved
  std::shared_ptr<const void> owner;  // keeps `bytes` alive
  LeArray<uint64_t> keys;             // strictly ascending
  LeArray<uint8_t> flags;
  LeArray<uint32_t> content_count, name_count;
  LeArray<uint64_t> hashes;
  std::vector<uint64_t> first_hash;  // per claim, where its hashes start; then their count

  // Where each bucket's keys start in `keys`: bucket b holds the keys whose top bits (those
  // below `shift`) are b, [starts[b], starts[b + 1]). Keys are hashes, so a bucket holds one
  // or two: Locate searches those (a binary search over every key cost a check 14.6M
  // instructions at 100k facts).
  std::vector<uint32_t> starts;
  int shift = 64;

  // Where `key` is in `keys`, or -1.
  ptrdiff_t Locate(uint64_t key) const;
  // Claim i's summary, decoded when first asked for (from any thread) and kept as long as
  // the section: a check looks up most of them, each from a fact of the vault, several
  // facts may share one.
  const ClaimSummary& Summary(size_t i) const;

 private:
  mutable std::once_flag made_;
  mutable std::unique_ptr<ClaimSummary[]> decoded_;
  mutable std::unique_ptr<std::atomic<uint8_t>[]> state_;  // 0 not decoded, 1 decoding, 2 done
};

}  // namespace internal

namespace {

constexpr uint8_t kClaimDates = 1, kClaimAmounts = 2, kClaimPolar = 4;

// The claims section: the count, then columns of keys (strictly ascending, so that the file
// does not depend on hash-map iteration), flags, content counts and name counts, then every
// claim's content hashes followed by its name hashes, 8 fixed bytes each (a hash is random: a
// varint of the difference from the one before takes as many bytes and decodes byte by byte).
// Bytes handed to a sink in pieces of about kSize (a whole section in one buffer took, at 1M
// facts, about 100 MB beside the output).
class ChunkedOut {
 public:
  static constexpr size_t kSize = size_t{1} << 20;
  explicit ChunkedOut(const std::function<void(absl::string_view)>& sink) : sink_(sink) {
    buf_.resize(kSize);
  }
  ~ChunkedOut() { Flush(); }
  ChunkedOut(const ChunkedOut&) = delete;
  ChunkedOut& operator=(const ChunkedOut&) = delete;
  // Room for n bytes: write them at the pointer returned, then Commit(n).
  char* Reserve(size_t n) {
    if (n > buf_.size() - used_) {
      Flush();
      if (n > buf_.size()) buf_.resize(n);
    }
    return buf_.data() + used_;
  }
  void Commit(size_t n) { used_ += n; }
  template <typename T>
  void Put(T v) {
    internal::StoreLe<T>(Reserve(sizeof(T)), v);
    Commit(sizeof(T));
  }
  void Flush() {
    if (used_ > 0) sink_(absl::string_view(buf_.data(), used_));
    used_ = 0;
  }

 private:
  const std::function<void(absl::string_view)>& sink_;
  std::string buf_;
  size_t used_ = 0;
};

// The claims section: the count, then columns of keys (strictly ascending, so that the file
// does not depend on hash-map iteration), flags, content counts and name counts, then every
// claim's content hashes followed by its name hashes, 8 fixed bytes each (a hash is random: a
// varint of the difference from the one before takes as many bytes and decodes byte by byte).
// Handed to `sink` in pieces, in order.
void PutClaims(const ClaimCache& claims, const std::function<void(absl::string_view)>& sink) {
  // Sorted with their summaries (not looked up again by key: a million random probes).
  std::vector<std::pair<uint64_t, const ClaimSummary*>> by_key;
  by_key.reserve(claims.size());
  claims.ForEach([&](uint64_t key, const ClaimCache::Summary& claim) {
    by_key.emplace_back(key, claim.get());
  });
  std::sort(by_key.begin(), by_key.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  ChunkedOut out(sink);
  out.Put<uint64_t>(by_key.size());
  for (const auto& [key, c] : by_key) out.Put<uint64_t>(key);
  for (const auto& [key, c] : by_key) {
    out.Put<uint8_t>((c->dates ? kClaimDates : 0) | (c->amounts ? kClaimAmounts : 0) |
                     (c->polar ? kClaimPolar : 0));
  }
  for (const auto& [key, c] : by_key) out.Put<uint32_t>(static_cast<uint32_t>(c->content.size()));
  for (const auto& [key, c] : by_key) out.Put<uint32_t>(static_cast<uint32_t>(c->names.size()));
  for (const auto& [key, c] : by_key) {
    char* p = out.Reserve((c->content.size() + c->names.size()) * 8);
    for (const std::vector<uint64_t>* v : {&c->content, &c->names}) {
      for (uint64_t x : *v) {
        internal::StoreLe(p, x);
        p += 8;
      }
    }
    out.Commit((c->content.size() + c->names.size()) * 8);
  }
}

// Element i of a LeArray, as a random-access iterator: a vector assigned from two of them
// is allocated once at its size and filled without a capacity check per element.
class LeIterator {
 public:
  using iterator_category = std::random_access_iterator_tag;
  using value_type = uint64_t;
  using difference_type = std::ptrdiff_t;
  using pointer = const uint64_t*;
  using reference = uint64_t;

  LeIterator(const internal::LeArray<uint64_t>* a, size_t i) : a_(a), i_(i) {}
  uint64_t operator*() const { return (*a_)[i_]; }
  uint64_t operator[](difference_type k) const { return (*a_)[i_ + k]; }
  LeIterator& operator++() {
    ++i_;
    return *this;
  }
  LeIterator operator++(int) { return {a_, i_++}; }
  LeIterator& operator--() {
    --i_;
    return *this;
  }
  LeIterator operator--(int) { return {a_, i_--}; }
  LeIterator& operator+=(difference_type k) {
    i_ += k;
    return *this;
  }
  LeIterator& operator-=(difference_type k) {
    i_ -= k;
    return *this;
  }
  friend LeIterator operator+(LeIterator it, difference_type k) { return it += k; }
  friend LeIterator operator+(difference_type k, LeIterator it) { return it += k; }
  friend LeIterator operator-(LeIterator it, difference_type k) { return it -= k; }
  friend difference_type operator-(const LeIterator& a, const LeIterator& b) {
    return static_cast<difference_type>(a.i_) - static_cast<difference_type>(b.i_);
  }
  friend bool operator==(const LeIterator& a, const LeIterator& b) { return a.i_ == b.i_; }
  friend auto operator<=>(const LeIterator& a, const LeIterator& b) { return a.i_ <=> b.i_; }

 private:
  const internal::LeArray<uint64_t>* a_;
  size_t i_;
};

// A claims section (PutClaims's bytes) checked as GetClaims checks it: every column's size,
// keys strictly ascending, flags in range, the counts adding up to the hashes there are, and
// each claim's content and name hashes strictly ascending. nullptr if it is not sound.
std::shared_ptr<const internal::ClaimsSection> GetClaims(absl::string_view in,
                                                         std::shared_ptr<const void> owner) {
  auto section = std::make_shared<internal::ClaimsSection>();
  internal::ClaimsSection& c = *section;
  Reader r(in);
  uint64_t n;
  if (!r.GetU64(&n) || !r.GetArray(n, &c.keys) || !r.GetArray(n, &c.flags) ||
      !r.GetArray(n, &c.content_count) || !r.GetArray(n, &c.name_count)) {
    return nullptr;
  }
  // A scan over the fixed columns (no allocation but the offsets), then over the hashes.
  c.first_hash.resize(n + 1);
  uint64_t total = 0;
  bool bad = false;
  for (size_t i = 0; i < n; ++i) {
    bad |= c.flags[i] > (kClaimDates | kClaimAmounts | kClaimPolar);
    bad |= i > 0 && c.keys[i] <= c.keys[i - 1];  // ascending: no key twice
    c.first_hash[i] = total;
    total += uint64_t{c.content_count[i]} + c.name_count[i];
  }
  c.first_hash[n] = total;
  // Locate's buckets: about one per two keys (at least 2^4 of them).
  int bits = 4;
  while (bits < 31 && (uint64_t{2} << bits) < n) ++bits;
  c.shift = 64 - bits;
  c.starts.resize((size_t{1} << bits) + 1);
  for (size_t i = 0, b = 0; b < c.starts.size(); ++i) {
    const size_t of = i < n ? static_cast<size_t>(c.keys[i] >> c.shift) : c.starts.size() - 1;
    while (b <= of && b < c.starts.size()) c.starts[b++] = static_cast<uint32_t>(i);
  }
  if (bad || total != r.remaining() / 8 || !r.GetArray(total, &c.hashes) || r.remaining() != 0) {
    return nullptr;
  }
  for (size_t i = 0; i < n; ++i) {
    const uint64_t at = c.first_hash[i], names = at + c.content_count[i];
    for (uint64_t j = at + 1; j < names; ++j) bad |= c.hashes[j] <= c.hashes[j - 1];
    for (uint64_t j = names + 1; j < c.first_hash[i + 1]; ++j) {
      bad |= c.hashes[j] <= c.hashes[j - 1];
    }
  }
  if (bad) return nullptr;
  c.bytes = in;
  c.owner = std::move(owner);
  return section;
}

}  // namespace

namespace internal {

ptrdiff_t ClaimsSection::Locate(uint64_t key) const {
  if (keys.size() == 0) return -1;
  const size_t b = static_cast<size_t>(key >> shift);
  // A branch-free binary search of the bucket (most hold one or two keys; an index whose keys
  // crowd into one bucket costs a binary search, as over all keys): the last key <= `key`.
  size_t base = starts[b], len = starts[b + 1] - base;
  if (len == 0) return -1;
  while (len > 1) {
    const size_t half = len / 2;
    base = keys[base + half] <= key ? base + half : base;
    len -= half;
  }
  return keys[base] == key ? static_cast<ptrdiff_t>(base) : -1;
}

const ClaimSummary& ClaimsSection::Summary(size_t i) const {
  std::call_once(made_, [&] {
    decoded_.reset(new ClaimSummary[keys.size()]);
    state_.reset(new std::atomic<uint8_t>[keys.size()]());
  });
  ClaimSummary& c = decoded_[i];
  std::atomic<uint8_t>& state = state_[i];
  if (state.load(std::memory_order_acquire) == 2) return c;
  uint8_t expected = 0;
  if (!state.compare_exchange_strong(expected, 1, std::memory_order_acq_rel)) {
    while (state.load(std::memory_order_acquire) != 2) std::this_thread::yield();
    return c;
  }
  const size_t at = first_hash[i], names = at + content_count[i], end = first_hash[i + 1];
  c.content.assign(LeIterator(&hashes, at), LeIterator(&hashes, names));
  c.names.assign(LeIterator(&hashes, names), LeIterator(&hashes, end));
  c.dates = flags[i] & kClaimDates;
  c.amounts = flags[i] & kClaimAmounts;
  c.polar = flags[i] & kClaimPolar;
  state.store(2, std::memory_order_release);
  return c;
}

}  // namespace internal

namespace internal {

// A line summaries section (see PutLineSummaries), read in place.
struct LineSummarySection {
  absl::string_view bytes;            // the whole section, as saved
  std::shared_ptr<const void> owner;  // keeps `bytes` alive
  LeArray<uint64_t> contents;         // notes' content hashes, strictly ascending
  LeArray<uint32_t> key_end;          // per note, the end of its keys in `keys`
  LeArray<uint32_t> keys;             // each note's strictly ascending
  LeArray<uint64_t> buckets;          // per spelling, its bucket key, ascending
  LeArray<uint32_t> spelling_end;     // per spelling, the end of its bytes in `text`
  absl::string_view text;
};

}  // namespace internal

namespace {

// The line summaries section: the counts of notes, keys, spellings and spelling bytes, then
// columns of the notes' content hashes (strictly ascending) and their keys' ends, the keys
// (each note's strictly ascending), the spellings' bucket keys (ascending) and their bytes'
// ends, then the spellings' bytes. Every end is non-decreasing and the last one is the count
// of what it ends.
std::string PutLineSummaries(const std::vector<uint64_t>& contents,
                             const std::vector<std::vector<uint32_t>>& keys,
                             const std::vector<std::pair<uint64_t, std::string>>& spellings) {
  size_t key_count = 0, text_bytes = 0;
  for (const std::vector<uint32_t>& k : keys) key_count += k.size();
  for (const auto& [bucket, spelling] : spellings) text_bytes += spelling.size();
  std::string out(32 + contents.size() * 12 + key_count * 4 + spellings.size() * 12 + text_bytes,
                  '\0');
  char* p = out.data();
  auto put = [&p](auto v) {
    internal::StoreLe(p, v);
    p += sizeof v;
  };
  put(uint64_t{contents.size()});
  put(uint64_t{key_count});
  put(uint64_t{spellings.size()});
  put(uint64_t{text_bytes});
  for (uint64_t c : contents) put(c);
  uint32_t end = 0;
  for (const std::vector<uint32_t>& k : keys) put(end += static_cast<uint32_t>(k.size()));
  for (const std::vector<uint32_t>& k : keys) {
    for (uint32_t key : k) put(key);
  }
  for (const auto& [bucket, spelling] : spellings) put(bucket);
  end = 0;
  for (const auto& [bucket, spelling] : spellings) {
    put(end += static_cast<uint32_t>(spelling.size()));
  }
  for (const auto& [bucket, spelling] : spellings) {
    std::memcpy(p, spelling.data(), spelling.size());
    p += spelling.size();
  }
  return out;
}

// An empty section: no note, no spelling.
const std::string& EmptyLineSummaries() {
  static const std::string* empty = new std::string(PutLineSummaries({}, {}, {}));
  return *empty;
}

// Whether `end` is non-decreasing and ends at `total`.
bool Ends(const internal::LeArray<uint32_t>& end, uint64_t total) {
  uint32_t last = 0;
  bool bad = false;
  for (size_t i = 0; i < end.size(); ++i) {
    bad |= end[i] < last;
    last = end[i];
  }
  return !bad && last == total;
}

// A line summaries section (PutLineSummaries's bytes) checked: every column's size, the order
// of the hashes and keys, every end. nullptr if it is not sound.
std::shared_ptr<internal::LineSummarySection> GetLineSummaries(absl::string_view in,
                                                               std::shared_ptr<const void> owner) {
  auto section = std::make_shared<internal::LineSummarySection>();
  internal::LineSummarySection& c = *section;
  Reader r(in);
  uint64_t n, k, m, b;
  if (!r.GetU64(&n) || !r.GetU64(&k) || !r.GetU64(&m) || !r.GetU64(&b) ||
      !r.GetArray(n, &c.contents) || !r.GetArray(n, &c.key_end) || !r.GetArray(k, &c.keys) ||
      !r.GetArray(m, &c.buckets) || !r.GetArray(m, &c.spelling_end) || b != r.remaining() ||
      !r.GetBytes(b, &c.text) || !Ends(c.key_end, k) || !Ends(c.spelling_end, b)) {
    return nullptr;
  }
  bool bad = false;
  for (size_t i = 1; i < n; ++i) bad |= c.contents[i] <= c.contents[i - 1];
  for (size_t i = 0, j = 0; i < n; ++i) {
    for (++j; j < c.key_end[i]; ++j) bad |= c.keys[j] <= c.keys[j - 1];
    j = c.key_end[i];
  }
  for (size_t i = 1; i < m; ++i) bad |= c.buckets[i] < c.buckets[i - 1];
  if (bad) return nullptr;
  c.bytes = in;
  c.owner = std::move(owner);
  return section;
}

// The first i in [0, a.size()) with a[i] >= v (a ascending), or a.size().
template <typename T>
size_t LowerBound(const internal::LeArray<T>& a, T v) {
  size_t lo = 0, hi = a.size();
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    if (a[mid] < v) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

}  // namespace

size_t LineSummaries::size() const { return section_ ? section_->contents.size() : 0; }

ptrdiff_t LineSummaries::Find(absl::string_view content) const {
  if (empty()) return -1;
  const uint64_t hash = NoteContentHash(content);
  const size_t i = LowerBound(section_->contents, hash);
  return i < section_->contents.size() && section_->contents[i] == hash ? static_cast<ptrdiff_t>(i)
                                                                        : -1;
}

bool LineSummaries::HasKey(ptrdiff_t note, uint32_t key) const {
  const internal::LineSummarySection& c = *section_;
  size_t lo = note == 0 ? 0 : c.key_end[note - 1], hi = c.key_end[note];
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    const uint32_t at = c.keys[mid];
    if (at == key) return true;
    if (at < key) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return false;
}

void LineSummaries::ForEachInBucket(uint64_t bucket,
                                    const std::function<void(absl::string_view)>& fn) const {
  if (section_ == nullptr) return;
  const internal::LineSummarySection& c = *section_;
  for (size_t i = LowerBound(c.buckets, bucket); i < c.buckets.size() && c.buckets[i] == bucket;
       ++i) {
    const size_t begin = i == 0 ? 0 : c.spelling_end[i - 1];
    fn(c.text.substr(begin, c.spelling_end[i] - begin));
  }
}

absl::string_view LineSummaries::bytes() const {
  return section_ ? section_->bytes : EmptyLineSummaries();
}

LineSummaries MakeLineSummaries(const Vault& vault, std::vector<std::vector<uint32_t>> note_keys,
                                std::vector<std::pair<uint64_t, std::string>> spellings) {
  // Notes by content hash; a content twice is one entry (its keys are the same).
  std::vector<std::pair<uint64_t, size_t>> by_content(vault.notes.size());
  for (size_t i = 0; i < by_content.size(); ++i) {
    by_content[i] = {NoteContentHash(vault.notes[i].content), i};
  }
  std::sort(by_content.begin(), by_content.end());
  std::vector<uint64_t> contents;
  std::vector<std::vector<uint32_t>> keys;
  for (size_t k = 0; k < by_content.size(); ++k) {
    if (k > 0 && by_content[k].first == by_content[k - 1].first) continue;
    contents.push_back(by_content[k].first);
    std::vector<uint32_t>& v = note_keys[by_content[k].second];
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    keys.push_back(std::move(v));
  }
  std::sort(spellings.begin(), spellings.end());
  auto bytes = std::make_shared<const std::string>(PutLineSummaries(contents, keys, spellings));
  const absl::string_view view = *bytes;
  return LineSummaries(GetLineSummaries(view, std::move(bytes)));  // sound by construction
}

size_t ClaimCache::size() const { return map_.size() + (section_ ? section_->keys.size() : 0); }

bool ClaimCache::contains(uint64_t key) const {
  return map_.contains(key) || (section_ && section_->Locate(key) >= 0);
}

ClaimCache::Summary ClaimCache::Find(uint64_t key) const {
  if (section_ != nullptr) {
    const ptrdiff_t i = section_->Locate(key);
    return i < 0 ? nullptr : Summary(section_, &section_->Summary(static_cast<size_t>(i)));
  }
  auto it = map_.find(key);
  return it == map_.end() ? nullptr : it->second;
}

ptrdiff_t ClaimCache::Place(uint64_t key) const {
  return section_ != nullptr ? section_->Locate(key) : -1;
}

const ClaimSummary& ClaimCache::SummaryAt(size_t place) const { return section_->Summary(place); }

ClaimCache::Hashes ClaimCache::ContentAt(size_t place) const {
  const size_t at = section_->first_hash[place];
  return {section_->hashes.at(at), section_->content_count[place]};
}

ClaimCache::Hashes ClaimCache::NamesAt(size_t place) const {
  const size_t at = section_->first_hash[place] + section_->content_count[place];
  return {section_->hashes.at(at), section_->first_hash[place + 1] - at};
}

ClaimCache::Layout ClaimCache::AllPlaces() const {
  if (section_ == nullptr) return {};
  const internal::ClaimsSection& c = *section_;
  return {
      {c.hashes.at(0), c.hashes.size()}, c.first_hash.data(), c.content_count.at(0), c.keys.size()};
}

void ClaimCache::emplace(uint64_t key, Summary summary) {
  if (section_ != nullptr) {
    std::shared_ptr<const internal::ClaimsSection> section = std::move(section_);
    map_.reserve(map_.size() + section->keys.size() + 1);
    for (size_t i = 0; i < section->keys.size(); ++i) {
      map_.emplace(section->keys[i], Summary(section, &section->Summary(i)));
    }
  }
  map_.emplace(key, std::move(summary));
}

void ClaimCache::clear() {
  map_.clear();
  section_.reset();
}

void ClaimCache::ForEach(const std::function<void(uint64_t, const Summary&)>& fn) const {
  for (const auto& [key, summary] : map_) fn(key, summary);
  if (section_ == nullptr) return;
  for (size_t i = 0; i < section_->keys.size(); ++i) {
    fn(section_->keys[i], Summary(section_, &section_->Summary(i)));
  }
}

namespace {

// Calls fn(i) for every i in [0, n) on `threads` threads (static interleaving).
template <typename Fn>
void ForEachParallel(size_t n, int threads, Fn fn) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  threads = static_cast<int>(std::min<size_t>(static_cast<size_t>(threads), n / 64 + 1));
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t b; (b = next.fetch_add(64)) < n;) {
      for (size_t i = b; i < std::min(n, b + 64); ++i) fn(i);
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
}

// The blocks that one scan's encodings were copied into, kept alive by the scan's notes
// (IndexedNote::owners): one owner for all of them rather than one per fact.
class EncodedBlocks {
 public:
  EncodedBlocks() : id_(next_id_.fetch_add(1) + 1) {}

  // Sets fact->encoded to a copy of `bytes` in this thread's arena (one allocation per block
  // of facts, not a shared string per fact: about 60 bytes fewer a fact), and keeps its block.
  // Thread-safe.
  void Store(absl::string_view bytes, IndexedFact* fact) {
    thread_local internal::ByteArena arena;
    // The block this thread last kept, and for which object (by id: another object may come
    // at the address of one gone).
    thread_local uint64_t last_id = 0;
    thread_local const void* last_block = nullptr;
    std::shared_ptr<const void> owner;
    fact->encoded = arena.Add(bytes, &owner);
    if (owner == nullptr || (last_id == id_ && last_block == owner.get())) return;
    last_id = id_;
    last_block = owner.get();
    std::lock_guard<std::mutex> lock(mu_);
    blocks_.push_back(std::move(owner));
  }

  // All the blocks kept, as one owner (null if none).
  std::shared_ptr<const void> Owner() {
    std::lock_guard<std::mutex> lock(mu_);
    if (blocks_.empty()) return nullptr;
    return std::make_shared<const std::vector<std::shared_ptr<const void>>>(std::move(blocks_));
  }

 private:
  static inline std::atomic<uint64_t> next_id_{0};
  const uint64_t id_;
  std::mutex mu_;
  std::vector<std::shared_ptr<const void>> blocks_;
};

// A saved fact of `note` with text hash `hash`, preferably at `line`, or nullptr.
// Normalization depends on the text alone, so a fact that moved is still found.
const IndexedFact* FindFact(const IndexedNote& note, int line, uint64_t hash) {
  auto it = std::lower_bound(note.facts.begin(), note.facts.end(), line,
                             [](const IndexedFact& f, int l) { return f.line < l; });
  if (it != note.facts.end() && it->line == line && it->text_hash == hash) return &*it;
  for (const IndexedFact& f : note.facts) {
    if (f.text_hash == hash) return &f;
  }
  return nullptr;
}

// note.facts[k] if it is the first of the note's facts at `line` or after and its text hash
// is `hash` (what FindFact and FactAt look for first), else nullptr. A note's facts
// are usually the saved note's in order: k is where the search would end.
const IndexedFact* FactAtHint(const IndexedNote& note, size_t k, int line, uint64_t hash) {
  if (k >= note.facts.size()) return nullptr;
  const IndexedFact& f = note.facts[k];
  return f.line == line && f.text_hash == hash && (k == 0 || note.facts[k - 1].line < line)
             ? &f
             : nullptr;
}

// The saved fact of `note` at `line`, or nullptr; note.facts[k] is looked at first (as in
// FactAtHint).
inline const IndexedFact* FactAtLine(const IndexedNote& note, size_t k, int line) {
  if (k < note.facts.size() && note.facts[k].line == line &&
      (k == 0 || note.facts[k - 1].line < line)) {
    return &note.facts[k];
  }
  auto it = std::lower_bound(note.facts.begin(), note.facts.end(), line,
                             [](const IndexedFact& f, int l) { return f.line < l; });
  return it != note.facts.end() && it->line == line ? &*it : nullptr;
}

// The saved fact of `note` at `line` if its text hash is `hash`, or nullptr.
const IndexedFact* FactAt(const IndexedNote& note, int line, uint64_t hash) {
  auto it = std::lower_bound(note.facts.begin(), note.facts.end(), line,
                             [](const IndexedFact& f, int l) { return f.line < l; });
  return it != note.facts.end() && it->line == line && it->text_hash == hash ? &*it : nullptr;
}

}  // namespace

std::shared_ptr<const dedup::NormalizedText> NormalizedOf(const IndexedFact& fact,
                                                          absl::string_view text) {
  if (fact.normalized != nullptr) {  // not owned (no owner given): the note's owners keep it
    return std::shared_ptr<const dedup::NormalizedText>(std::shared_ptr<const void>(),
                                                        fact.normalized);
  }
  auto t = std::make_shared<dedup::NormalizedText>();
  Reader r(fact.encoded);
  if (!GetNormalized(&r, text, t.get()) || r.remaining() != 0) return nullptr;
  return t;
}

uint64_t NoteContentHash(absl::string_view content) {
#ifdef FACTDEDUP_HAVE_XXH3_DISPATCH
  // The value of dedup::Hash64 (XXH3-64 with the same seed), through xxHash's run-time
  // dispatch to the widest vector unit: a note's bytes are long input.
  return XXH3_64bits_withSeed_dispatch(content.data(), content.size(), dedup::kDefaultHashSeed);
#else
  return dedup::Hash64(content);
#endif
}

IndexParams ParamsFor(const dedup::DedupOptions& options) {
  IndexParams p;
  p.normalizer_version = dedup::kNormalizerVersion;
  p.normalize_flags = NormalizeFlags(options.normalize);
  p.token_hash_seed = dedup::kDefaultHashSeed;
  p.minhash_seed = options.minhash.seed;
  p.num_perm = static_cast<uint32_t>(options.minhash.num_perm);
  const dedup::LshParams lsh =
      dedup::LshIndex::ParamsForThreshold(options.minhash.num_perm, options.lsh_threshold);
  p.lsh_bands = static_cast<uint32_t>(lsh.bands);
  p.lsh_rows = static_cast<uint32_t>(lsh.rows);
  p.shingle_size = kShingleSize;
  p.claims_version = kClaimsVersion;
  p.fact_text_version = kFactTextVersion;
  return p;
}

std::string FactIndex::Encode() const {
  const EncodedIndex e = EncodeParts();
  std::string out;
  out.reserve(e.size());
  for (absl::string_view part : e.parts) out.append(part.data(), part.size());
  return out;
}

size_t EncodedIndex::size() const {
  size_t n = 0;
  for (absl::string_view part : parts) n += part.size();
  return n;
}

namespace {

// Adds `part` to `out`, merged with the part before when it follows it in memory.
void AddPart(EncodedIndex* out, absl::string_view part) {
  if (part.empty()) return;
  if (!out->parts.empty() && out->parts.back().data() + out->parts.back().size() == part.data()) {
    out->parts.back() =
        absl::string_view(out->parts.back().data(), out->parts.back().size() + part.size());
  } else {
    out->parts.push_back(part);
  }
}

// Adds `bytes` to `out` as a part of its own, never merged with the one before.
void OwnPart(EncodedIndex* out, std::string bytes) {
  out->owned.push_back(std::move(bytes));
  out->parts.push_back(out->owned.back());
}

// The header with room for the body's size and checksum (its last 16 bytes, set last).
std::string HeaderWithoutSums(const IndexParams& params) {
  Writer head;
  head.PutBytes(kMagic);
  head.PutU32(kIndexFormatVersion);
  PutParams(params, &head);
  std::string header = head.Release();
  header.resize(header.size() + 16);
  return header;
}

// Zero bytes before a corpus state that would start `at` bytes into the file: up to the next
// multiple of 8.
size_t CorpusPad(size_t at) { return (8 - at % 8) % 8; }

// The claims section, the rest of the body after the corpus state: a loaded cache's section
// as it was read (checked when loaded, so PutClaims would write the same bytes), else
// PutClaims's bytes in `*storage`.
absl::string_view ClaimsBytes(const ClaimCache& claims, std::string* storage) {
  if (claims.section() != nullptr) return claims.section()->bytes;
  PutClaims(claims,
            [storage](absl::string_view piece) { storage->append(piece.data(), piece.size()); });
  return *storage;
}

// The line summaries section's size, then the section (before the claims).
void AddLineSummaries(const LineSummaries& lines, EncodedIndex* out) {
  std::string size(8, '\0');
  internal::StoreLe<uint64_t>(size.data(), lines.bytes().size());
  OwnPart(out, std::move(size));
  AddPart(out, lines.bytes());  // alive as long as `lines`
}

// XXH3-64 (seed 0) of the body, fed in pieces: internal::Checksum of the pieces joined.
class BodySum {
 public:
  BodySum() : state_(XXH3_createState()) { XXH3_64bits_reset(state_); }
  ~BodySum() { XXH3_freeState(state_); }
  BodySum(const BodySum&) = delete;
  BodySum& operator=(const BodySum&) = delete;
  void Add(absl::Span<const absl::string_view> parts) {
    for (absl::string_view p : parts) {
      size_ += p.size();
      XXH3_64bits_update(state_, p.data(), p.size());
    }
  }
  // The header's last 16 bytes: the body's size and checksum.
  void Seal(std::string* header) const {
    internal::StoreLe<uint64_t>(header->data() + header->size() - 16, size_);
    internal::StoreLe<uint64_t>(header->data() + header->size() - 8, XXH3_64bits_digest(state_));
  }

 private:
  XXH3_state_t* state_;
  uint64_t size_ = 0;
};

}  // namespace

struct IndexWriter::Sum : BodySum {};

void FactIndex::AppendNotesAndCorpus(EncodedIndex* out) const {
  // Facts that hold their normalization as an object are encoded in pieces of notes on every
  // core; the others are already bytes, which the notes section views rather than copies (a
  // scan's, back to back in arena blocks, or a loaded file's: adjacent views are merged into
  // one part).
  constexpr size_t kNotesPerPiece = 64;
  std::vector<size_t> first_fact(notes_.size() + 1, 0);
  bool objects = false;
  for (size_t i = 0; i < notes_.size(); ++i) {
    first_fact[i + 1] = first_fact[i] + notes_[i].facts.size();
    for (const IndexedFact& fact : notes_[i].facts) objects |= fact.normalized != nullptr;
  }
  // Each fact's encoding, listed only when some are objects (a scan's and a loaded index's
  // facts are all bytes already: the list took 16 bytes per fact beside the conflict pass).
  std::vector<absl::string_view> encodings(objects ? first_fact.back() : 0);
  auto encoding_of = [&](size_t i, size_t k) {
    return objects ? encodings[first_fact[i] + k] : notes_[i].facts[k].encoded;
  };
  const size_t pieces = objects ? (notes_.size() + kNotesPerPiece - 1) / kNotesPerPiece : 0;
  std::vector<std::string> encoded(pieces);  // per piece: its objects' encodings, back to back
  ForEachParallel(pieces, threads_, [&](size_t p) {
    Writer w;
    std::vector<std::pair<size_t, size_t>> ends;  // (fact, end of its encoding in w)
    for (size_t i = p * kNotesPerPiece; i < std::min(notes_.size(), (p + 1) * kNotesPerPiece);
         ++i) {
      for (size_t k = 0; k < notes_[i].facts.size(); ++k) {
        const IndexedFact& fact = notes_[i].facts[k];
        if (fact.normalized != nullptr) {
          PutNormalized(*fact.normalized, /*text=*/nullptr, &w);
          ends.emplace_back(first_fact[i] + k, w.data().size());
        } else {
          encodings[first_fact[i] + k] = fact.encoded;
        }
      }
    }
    encoded[p] = w.Release();
    size_t begin = 0;
    for (const auto& [fact, end] : ends) {
      encodings[fact] = absl::string_view(encoded[p]).substr(begin, end - begin);
      begin = end;
    }
  });
  // The strings' bytes stay where they are when the vector's buffer moves.
  for (std::string& piece : encoded) out->pieces.push_back(std::move(piece));
  // Notes: its size, the columns and paths, then every encoding.
  size_t encoded_bytes = 0;
  for (size_t i = 0; i < notes_.size(); ++i) {
    for (size_t k = 0; k < notes_[i].facts.size(); ++k) encoded_bytes += encoding_of(i, k).size();
  }
  std::string notes_head(8, '\0');
  PutNotesHead(notes_, first_fact.back(), encoding_of, &notes_head);
  internal::StoreLe<uint64_t>(notes_head.data(), notes_head.size() - 8 + encoded_bytes);
  const size_t notes_head_size = notes_head.size();
  OwnPart(out, std::move(notes_head));
  for (size_t i = 0; i < notes_.size(); ++i) {
    for (size_t k = 0; k < notes_[i].facts.size(); ++k) AddPart(out, encoding_of(i, k));
  }
  // The corpus state's size, then its arrays as they are in memory (no copy: 254 MB at 1M
  // facts).
  std::string corpus_head;
  std::vector<absl::string_view> corpus_arrays;
  corpus_.EncodeParts(&corpus_head, &corpus_arrays);
  size_t corpus_bytes = corpus_.empty() ? 0 : corpus_head.size();
  for (absl::string_view a : corpus_arrays) corpus_bytes += a.size();
  std::string corpus_size(8, '\0');
  internal::StoreLe<uint64_t>(corpus_size.data(), corpus_bytes);
  OwnPart(out, std::move(corpus_size));
  if (corpus_bytes > 0) {
    // Zeros up to a multiple of 8 from the file's start, so that a loaded state's arrays are
    // read in place (CorpusState::Decode).
    const size_t at = HeaderWithoutSums(params_).size() + notes_head_size + encoded_bytes + 8;
    OwnPart(out, std::string(CorpusPad(at), '\0'));
    OwnPart(out, std::move(corpus_head));
  }
  for (absl::string_view a : corpus_arrays) AddPart(out, a);
}

EncodedIndex FactIndex::EncodeParts() const {
  // The body has four sections, notes, corpus state, line summaries and claims, the first
  // three preceded by their sizes so that a reader can decode them at once
  // (docs/index-format.md). The header's body size and checksum are computed over the parts
  // last.
  EncodedIndex out;
  OwnPart(&out, HeaderWithoutSums(params_));
  std::string& header = out.owned.back();
  AppendNotesAndCorpus(&out);
  AddLineSummaries(lines_, &out);
  std::string claims;
  const absl::string_view claim_bytes = ClaimsBytes(claims_, &claims);
  if (claims_.section() != nullptr) {
    AddPart(&out, claim_bytes);  // the loaded section, alive as long as the index
  } else {
    OwnPart(&out, std::move(claims));
  }
  BodySum sum;
  sum.Add(absl::MakeConstSpan(out.parts).subspan(1));
  sum.Seal(&header);
  return out;
}

absl::StatusOr<std::unique_ptr<IndexWriter>> IndexWriter::Begin(FileSystem* fs,
                                                                const std::string& root,
                                                                const FactIndex& index) {
  const std::string dir = JoinPath(root, kIndexDir);
  if (absl::Status s = fs->MakeDirs(dir); !s.ok()) return s;
  // The index is a cache: keep it, its temp files and this file out of the vault's git status.
  // Not flushed to disk either (its fsync took 67 ms of a 300k-fact scan): one a power loss
  // left missing or empty is written again by the next save.
  const std::string ignore = JoinPath(dir, ".gitignore");
  if (absl::StatusOr<FileInfo> info = fs->Stat(ignore, /*follow=*/false);
      !info.ok() || info->size == 0) {
    const absl::string_view lines = ".gitignore\nindex.bin\nindex.bin.*\n";
    if (absl::Status s = fs->WriteCacheFileAtomic(ignore, absl::MakeConstSpan(&lines, 1));
        !s.ok()) {
      return s;
    }
  }
  absl::StatusOr<std::unique_ptr<CacheFileWriter>> file =
      fs->OpenCacheFile(JoinPath(root, kIndexFile));
  if (!file.ok()) return file.status();
  std::unique_ptr<IndexWriter> w(new IndexWriter());
  w->file_ = *std::move(file);
  w->sum_ = std::make_unique<Sum>();
  w->header_ = HeaderWithoutSums(index.params());
  // Written from its parts: the facts' encodings are not copied into one buffer of the whole
  // file (135 MB of a 480 MB file at 1M facts).
  EncodedIndex body;
  index.AppendNotesAndCorpus(&body);
  w->sum_->Add(body.parts);
  const absl::string_view header = w->header_;
  if (absl::Status s = w->file_->Append(absl::MakeConstSpan(&header, 1)); !s.ok()) return s;
  if (absl::Status s = w->file_->Append(body.parts); !s.ok()) return s;
  return w;
}

IndexWriter::IndexWriter() = default;
IndexWriter::~IndexWriter() = default;

absl::Status IndexWriter::Finish(const ClaimCache& claims, const LineSummaries& lines) {
  if (file_ == nullptr) return absl::FailedPreconditionError("index already written");
  EncodedIndex tail;
  AddLineSummaries(lines, &tail);
  if (claims.section() != nullptr) AddPart(&tail, claims.section()->bytes);
  sum_->Add(tail.parts);
  absl::Status s = file_->Append(tail.parts);
  // Claims not loaded (a scan's) are written a piece at a time, never all in memory.
  if (s.ok() && claims.section() == nullptr) {
    PutClaims(claims, [&](absl::string_view piece) {
      sum_->Add(absl::MakeConstSpan(&piece, 1));
      if (s.ok()) s = file_->Append(absl::MakeConstSpan(&piece, 1));
    });
  }
  sum_->Seal(&header_);
  if (s.ok()) s = file_->Overwrite(0, header_);
  if (s.ok()) s = file_->Commit();
  file_.reset();  // removes the temp file unless committed
  return s;
}

void IndexedNote::SetEncoded(size_t k, absl::string_view bytes) {
  auto own = std::make_shared<const std::string>(bytes);
  facts[k].encoded = *own;
  owners.push_back(std::move(own));
}

absl::Status FactIndex::Decode(absl::string_view bytes) {
  auto copy = std::make_shared<const std::string>(bytes);
  return Decode(*copy, copy);
}

absl::Status FactIndex::Decode(std::shared_ptr<const std::string> file) {
  const absl::string_view bytes = *file;
  return Decode(bytes, std::move(file));
}

absl::Status FactIndex::Decode(absl::string_view bytes, std::shared_ptr<const void> owner) {
  notes_.clear();
  first_record_.clear();
  by_content_.clear();
  by_path_.clear();
  claims_.clear();
  lines_ = LineSummaries();
  corpus_ = dedup::CorpusState();
  Reader r(bytes);
  absl::string_view magic;
  uint32_t version;
  if (!r.GetBytes(kMagic.size(), &magic) || magic != kMagic) {
    return absl::FailedPreconditionError("not a factdedup index (bad magic bytes)");
  }
  if (!r.GetU32(&version) || version != kIndexFormatVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat("index format version ", version, ", expected ", kIndexFormatVersion));
  }
  IndexParams saved;
  if (!GetParams(&r, &saved)) return absl::DataLossError("index truncated in its header");
  if (!(saved == params_)) {
    return absl::FailedPreconditionError(
        "index built with other parameters (normalizer, hash seed, MinHash or LSH settings, "
        "claim extraction, fact texts)");
  }
  uint64_t size, checksum;
  absl::string_view body;
  if (!r.GetU64(&size) || !r.GetU64(&checksum) || size != r.remaining() ||
      !r.GetBytes(size, &body)) {
    return absl::DataLossError("index truncated (body size does not match the file)");
  }
  const auto mismatch = [] { return absl::DataLossError("index checksum mismatch"); };
  const auto malformed = [] { return absl::DataLossError("index body is malformed"); };
  auto checksum_ok = [&] { return internal::Checksum(body) == checksum; };
  Reader sections(body);
  uint64_t notes_size, corpus_size, lines_size;
  absl::string_view notes_bytes, corpus_bytes, lines_bytes;
  if (!sections.GetU64(&notes_size) || notes_size > sections.remaining() ||
      !sections.GetBytes(notes_size, &notes_bytes) || !sections.GetU64(&corpus_size)) {
    return checksum_ok() ? malformed() : mismatch();
  }
  if (corpus_size > 0) {  // its padding (CorpusPad), zeros
    const size_t at =
        static_cast<size_t>(body.data() - bytes.data()) + body.size() - sections.remaining();
    absl::string_view pad;
    if (!sections.GetBytes(CorpusPad(at), &pad) ||
        pad.find_first_not_of('\0') != absl::string_view::npos) {
      return checksum_ok() ? malformed() : mismatch();
    }
  }
  if (corpus_size > sections.remaining() || !sections.GetBytes(corpus_size, &corpus_bytes) ||
      !sections.GetU64(&lines_size) || lines_size > sections.remaining() ||
      !sections.GetBytes(lines_size, &lines_bytes)) {
    return checksum_ok() ? malformed() : mismatch();
  }
  const absl::string_view claim_bytes = body.substr(body.size() - sections.remaining());
  // The checksum, the claims, and the notes then the corpus state are computed and decoded at
  // once, on three threads; with one thread (or if no thread can be started), on this one in
  // turn, the checksum first. Decoding reads bytes not yet known to be sound, but never trusts
  // them (every count and size is checked against the bytes there are), and nothing decoded is
  // kept unless the checksum matches.
  std::vector<IndexedNote> notes;
  std::shared_ptr<const internal::ClaimsSection> claims;
  std::shared_ptr<const internal::LineSummarySection> lines;
  dedup::CorpusState corpus;
  bool sound = false, notes_ok = false, claims_ok = false, corpus_ok = false;
  auto check = [&] { sound = checksum_ok(); };
  auto read_claims = [&] {
    claims = GetClaims(claim_bytes, owner);
    lines = claims != nullptr ? GetLineSummaries(lines_bytes, owner) : nullptr;
    claims_ok = lines != nullptr;
  };
  auto read_rest = [&] {
    notes_ok = GetNotes(notes_bytes, owner, &notes);
    corpus_ok = notes_ok && corpus.Decode(corpus_bytes, owner).ok();
  };
  if (threads_ == 1) {
    check();
    if (!sound) return mismatch();
    read_rest();
    if (notes_ok && corpus_ok) read_claims();
  } else {
    std::thread checker, claim_reader;
    struct Join {  // joined however this function is left
      std::thread& t;
      ~Join() {
        if (t.joinable()) t.join();
      }
    } join_checker{checker}, join_claims{claim_reader};
    try {
      checker = std::thread(check);
      claim_reader = std::thread(read_claims);
    } catch (const std::system_error&) {
    }
    read_rest();
    if (checker.joinable()) {
      checker.join();
    } else {
      check();
    }
    if (claim_reader.joinable()) {
      claim_reader.join();
    } else {
      read_claims();
    }
    if (!sound) return mismatch();
  }
  if (!notes_ok || !claims_ok || !corpus_ok) return malformed();
  Reserve(notes.size());
  for (IndexedNote& note : notes) Add(std::move(note));
  claims_ = ClaimCache(std::move(claims));
  lines_ = LineSummaries(std::move(lines));
  size_t facts = 0;
  for (const IndexedNote& note : notes_) facts += note.facts.size();
  if (corpus.items() == facts) corpus_ = std::move(corpus);  // else not this index's (dropped)
  return absl::OkStatus();
}

const IndexedNote* FactIndex::FindByContent(uint64_t content_hash) const {
  auto it = by_content_.find(content_hash);
  return it == by_content_.end() ? nullptr : &notes_[it->second];
}

const IndexedNote* FactIndex::FindByPath(absl::string_view path) const {
  auto it = by_path_.find(path);
  return it == by_path_.end() ? nullptr : &notes_[it->second];
}

void FactIndex::Clear() {
  notes_ = {};
  claims_ = ClaimCache();
  lines_ = LineSummaries();
  corpus_ = dedup::CorpusState();
  first_record_ = {};
  by_content_ = {};
  by_path_ = {};
}

void FactIndex::Reserve(size_t notes) {
  notes_.reserve(notes);
  first_record_.reserve(notes);
  by_content_.reserve(notes);
  by_path_.reserve(notes);
}

void FactIndex::Add(IndexedNote note) {
  auto by_line = [](const IndexedFact& a, const IndexedFact& b) { return a.line < b.line; };
  // Sorted already when loaded or scanned (and then kept in its order, as the corpus state's
  // items are).
  if (!std::is_sorted(note.facts.begin(), note.facts.end(), by_line)) {
    std::sort(note.facts.begin(), note.facts.end(), by_line);
  }
  first_record_.push_back(notes_.empty() ? 0 : first_record_.back() + notes_.back().facts.size());
  by_content_[note.content_hash] = notes_.size();
  by_path_[note.path] = notes_.size();
  notes_.push_back(std::move(note));
}

FactIndex LoadIndex(FileSystem* fs, const std::string& root, const dedup::DedupOptions& options,
                    std::string* problem) {
  problem->clear();
  FactIndex index(options);
  const std::string path = JoinPath(root, kIndexFile);
  absl::StatusOr<FileInfo> info = fs->Stat(path, /*follow=*/true);
  if (!info.ok()) return index;  // no index yet
  // Mapped once (or read where it cannot be): the facts' encodings stay views into it.
  absl::StatusOr<SharedBytes> bytes = fs->ReadShared(path, uint64_t{4} << 30);
  if (!bytes.ok()) {
    *problem = absl::StrCat(path, ": cannot read the index (", bytes.status().message(),
                            "); rebuilding it");
    return index;
  }
  const FileInfo read = bytes->info;
  if (absl::Status s = index.Decode(bytes->bytes, std::move(bytes->owner)); !s.ok()) {
    *problem = absl::StrCat(path, ": ", s.message(), "; rebuilding it");
    return index;
  }
  // The bytes may be the file's own pages (ReadShared maps it): a file written in place while
  // it was checked and decoded (never by factdedup) is not used. One replaced by a rename
  // meanwhile (another run saving its index) is another file: the pages read stay as they were.
  absl::StatusOr<FileInfo> after = fs->Stat(path, /*follow=*/true);
  const bool same_file = after.ok() && after->inode == read.inode && after->device == read.device;
  if (same_file && (after->size != read.size || after->mtime_ns != read.mtime_ns)) {
    index.Clear();
    *problem = absl::StrCat(path, ": changed while being read; rebuilding it");
  }
  return index;
}

absl::Status SaveIndex(FileSystem* fs, const std::string& root, const FactIndex& index) {
  absl::StatusOr<std::unique_ptr<IndexWriter>> w = IndexWriter::Begin(fs, root, index);
  if (!w.ok()) return w.status();
  return (*w)->Finish(index.claims(), index.line_summaries());
}

namespace {

// ScanVaultIndexed; with `in_focus`, only around the facts it accepts.
absl::StatusOr<ScanResult> Scan(const Vault& vault, const dedup::DedupOptions& options,
                                absl::Span<const FactIndex* const> previous, FactIndex* next,
                                IndexStats* stats,
                                const std::function<bool(const Note&, const Fact&)>* in_focus,
                                bool keep_corpus) {
  ScanResult result;
  result.facts = DedupFacts(vault);
  std::vector<dedup::Item> items = DedupItems(vault, result.facts);
  const size_t note_count = vault.notes.size();
  // Each note's compared facts come one after another (DedupFacts lists them note by note):
  // fact i's place among its note's (a hint for finding its saved entry) is its distance from
  // the note's first.
  std::vector<uint32_t> first_item(note_count, 0), per_note(note_count, 0);
  for (size_t i = items.size(); i-- > 0;) {
    first_item[result.facts[i].note] = static_cast<uint32_t>(i);
    ++per_note[result.facts[i].note];
  }
  auto place = [&](size_t i) { return i - first_item[result.facts[i].note]; };
  // Around a change, from the first previous index's corpus state if it has one: each fact
  // at the same path and line with the same text is that state's item.
  const FactIndex* from = in_focus == nullptr || previous.empty() || previous[0]->corpus().empty()
                              ? nullptr
                              : previous[0];
  std::vector<int> previous_item;
  if (from != nullptr) previous_item.assign(items.size(), -1);
  // One entry per note, with each of its compared facts' entries in its list from the start
  // (a list of all of them moved into the notes at the end held 64 bytes per fact twice);
  // note after note, on every core. (The notes' bytes are hashed: the vault's size in bytes.)
  std::vector<IndexedNote> notes(note_count);
  std::vector<const IndexedNote*> saved(note_count);
  std::atomic<int64_t> notes_reused{0}, reused{0};
  ForEachParallel(note_count, options.threads, [&](size_t n) {
    const Note& note = vault.notes[n];
    IndexedNote& entry = notes[n];
    entry = {note.path, note.read_size, note.read_mtime_ns, NoteContentHash(note.content), {}};
    const IndexedNote*& s = saved[n];
    for (const FactIndex* p : previous) {
      if (s == nullptr) s = p->FindByContent(entry.content_hash);
    }
    const bool by_content = s != nullptr;
    for (const FactIndex* p : previous) {
      if (s == nullptr) s = p->FindByPath(note.path);
    }
    notes_reused += by_content;
    const IndexedNote* const at_path = from != nullptr ? from->FindByPath(note.path) : nullptr;
    // The corpus state's item of at_path's first fact.
    const size_t first_record =
        at_path != nullptr ? from->Record(static_cast<size_t>(at_path - from->notes().data()), 0)
                           : 0;
    entry.facts.resize(per_note[n]);
    size_t found = 0;
    for (size_t k = 0, i = first_item[n]; k < per_note[n]; ++k, ++i) {
      const Fact& f = note.facts[result.facts[i].fact];
      IndexedFact& fact = entry.facts[k];
      fact.line = f.line;
      const absl::string_view display = DisplayOf(note, f);
      fact.compares_display = items[i].text_view.data() == display.data() &&
                              items[i].text_view.size() == display.size();
      const IndexedFact* hit = nullptr;
      if (by_content) {
        // A note of the same bytes parses to the same facts: the saved fact at this line (if
        // that scan compared it) has this fact's text, whose hash need not be computed again.
        hit = FactAtLine(*s, k, f.line);
        if (hit != nullptr) fact.text_hash = hit->text_hash;
      }
      if (at_path != nullptr) {
        // The corpus state's item: the first saved fact at this line, with this text hash.
        // When the note found by content is the one at this path, that is `hit` itself.
        const IndexedFact* item = nullptr;
        if (hit != nullptr && at_path == s) {
          item = hit;
        } else {
          if (hit == nullptr) fact.text_hash = dedup::Hash64(items[i].Text());
          item = FactAtHint(*at_path, k, f.line, fact.text_hash);
          if (item == nullptr) item = FactAt(*at_path, f.line, fact.text_hash);
        }
        if (item != nullptr) {
          previous_item[i] =
              static_cast<int>(first_record + static_cast<size_t>(item - at_path->facts.data()));
        }
      }
      if (hit == nullptr) {
        if (at_path == nullptr) fact.text_hash = dedup::Hash64(items[i].Text());
        if (s != nullptr) {
          hit = FactAtHint(*s, k, f.line, fact.text_hash);
          if (hit == nullptr) hit = FindFact(*s, f.line, fact.text_hash);
        }
      }
      if (hit == nullptr) continue;
      if (hit->normalized != nullptr) {
        fact.normalized = hit->normalized;
        items[i].normalized = hit->normalized;
      } else {
        fact.encoded = hit->encoded;
      }
      ++found;
    }
    // A note that takes saved facts' normalizations takes what keeps them alive.
    if (found > 0) entry.owners = s->owners;
    reused += static_cast<int64_t>(found);
  });
  stats->notes_reused += notes_reused;
  stats->notes_indexed += static_cast<int64_t>(note_count) - notes_reused;
  const struct {
    std::vector<IndexedNote>& notes;
    const ScanResult& result;
    decltype(place)& place_of;
    IndexedFact& operator[](size_t i) const {
      return notes[result.facts[i].note].facts[place_of(i)];
    }
  } facts{notes, result, place};
  stats->facts_reused += reused;
  stats->facts_normalized += static_cast<int64_t>(items.size()) - reused;
  EncodedBlocks blocks;  // what this scan normalizes, as bytes
  dedup::DedupOptions run = options;
  run.normalized_of = [&](size_t i,
                          dedup::NormalizedText* scratch) -> const dedup::NormalizedText* {
    IndexedFact& fact = facts[i];
    if (fact.encoded.empty()) return nullptr;  // normalized by the engine
    Reader r(fact.encoded);
    if (GetNormalized(&r, items[i].Text(), scratch) && r.remaining() == 0) return scratch;
    // Bytes that do not decode (only in a file made to pass the checksum) are never trusted:
    // the engine normalizes the fact, and the next index keeps that.
    fact.encoded = {};
    return nullptr;
  };
  // What the engine normalized, the next index keeps as bytes: the objects are several times
  // larger, and would otherwise all be alive until the end of the engine.
  // Each record is written into a reused buffer and copied out at its exact size (a buffer
  // grown by doubling keeps a third of its bytes unused on average: 90 MB at 1M facts), into
  // the thread's arena.
  run.on_normalized = [&](size_t i, const dedup::NormalizedText& t) {
    if (next == nullptr) return;
    IndexedFact& fact = facts[i];
    if (!fact.encoded.empty()) return;
    thread_local Writer w;
    w.Clear();
    const absl::string_view text = items[i].Text();
    PutNormalized(t, &text, &w);
    blocks.Store(w.data(), &fact);
  };
  absl::StatusOr<dedup::DedupResult> d;
  dedup::CorpusState corpus;
  if (in_focus == nullptr) {
    d = dedup::Deduplicate(items, run, keep_corpus && next != nullptr ? &corpus : nullptr);
  } else {
    std::vector<int> focus;
    for (size_t i = 0; i < items.size(); ++i) {
      if ((*in_focus)(result.note(vault, static_cast<int>(i)),
                      result.fact(vault, static_cast<int>(i))))
        focus.push_back(static_cast<int>(i));
    }
    d = from == nullptr
            ? dedup::DeduplicateAround(items, focus, run)
            : dedup::DeduplicateAround(items, focus, run, &from->corpus(), previous_item);
  }
  if (!d.ok()) return d.status();
  stats->facts_read += d->stats.items_read;
  stats->facts_sketched += d->stats.items_sketched;
  result.dedup = std::move(*d);
  if (next == nullptr) return result;
  // Every fact is in the next index, as an object or as bytes (the engine read each one; a
  // fact it did not read, which no path leaves, is normalized here).
  // Note after note; the error of the first fact in vault order, if any, is returned.
  const dedup::Normalizer normalizer(options.normalize);
  std::mutex error_mu;
  size_t error_at = items.size();
  absl::Status error;
  ForEachParallel(note_count, options.threads, [&](size_t n) {
    std::vector<IndexedFact>& note_facts = notes[n].facts;
    for (size_t k = 0; k < note_facts.size(); ++k) {
      IndexedFact& fact = note_facts[k];
      if (fact.normalized != nullptr || !fact.encoded.empty()) continue;
      const size_t i = first_item[n] + k;
      absl::StatusOr<dedup::NormalizedText> t = normalizer.Normalize(items[i].Text());
      if (!t.ok()) {
        std::lock_guard<std::mutex> lock(error_mu);
        if (i < error_at) {
          error_at = i;
          error = t.status();
        }
        return;
      }
      thread_local Writer w;
      w.Clear();
      const absl::string_view text = items[i].Text();
      PutNormalized(*t, &text, &w);
      blocks.Store(w.data(), &fact);
    }
  });
  if (!error.ok()) return error;
  if (std::shared_ptr<const void> owner = blocks.Owner(); owner != nullptr) {
    for (IndexedNote& note : notes) note.owners.push_back(owner);
  }
  next->Reserve(next->notes().size() + notes.size());
  for (IndexedNote& note : notes) next->Add(std::move(note));
  next->set_corpus(std::move(corpus));
  return result;
}

}  // namespace

absl::StatusOr<ScanResult> ScanVaultIndexed(const Vault& vault, const dedup::DedupOptions& options,
                                            absl::Span<const FactIndex* const> previous,
                                            FactIndex* next, IndexStats* stats, bool keep_corpus) {
  return Scan(vault, options, previous, next, stats, nullptr, keep_corpus);
}

std::function<const dedup::NormalizedText*(int, dedup::NormalizedText*)> NormalizedDisplays(
    const FactIndex& index, const Vault& vault, const ScanResult& scan,
    const dedup::DedupOptions& options) {
  if (NormalizeFlags(options.normalize) != NormalizeFlags(dedup::NormalizeOptions{})) return {};
  if (index.notes().empty()) return {};
  // A fact's entry is looked up when it is asked for (a check around a change asks for a few
  // hundred of 100k facts): the entry of the text the scan compared, which is the display
  // itself only when its hash is the display's. When the scan compared the display as it is,
  // that entry is the one at the fact's line (the index is that scan's): its text hash is the
  // display's, not computed again.
  // The index's facts of a note are the scan's, in order: the k-th compared fact of a note is
  // looked for at its k-th entry first. Per vault note: its first compared fact, and its
  // entry in the index, looked up once (from any thread).
  struct State {
    std::vector<uint32_t> first;
    std::unique_ptr<std::atomic<const IndexedNote*>[]> note;
  };
  auto state = std::make_shared<State>();
  state->first.assign(vault.notes.size(), 0);
  for (size_t i = scan.facts.size(); i-- > 0;) {
    state->first[static_cast<size_t>(scan.facts[i].note)] = static_cast<uint32_t>(i);
  }
  state->note = std::make_unique<std::atomic<const IndexedNote*>[]>(vault.notes.size());
  // Not looked up yet (an address no entry has).
  static const IndexedNote kUnknown;
  for (size_t n = 0; n < vault.notes.size(); ++n) state->note[n].store(&kUnknown);
  return [state, &index, &vault, &scan](
             int i, dedup::NormalizedText* scratch) -> const dedup::NormalizedText* {
    const size_t note_of = static_cast<size_t>(scan.facts[i].note);
    const IndexedNote* note = state->note[note_of].load(std::memory_order_acquire);
    if (note == &kUnknown) {
      note = index.FindByPath(vault.notes[note_of].path);
      state->note[note_of].store(note, std::memory_order_release);
    }
    if (note == nullptr) return nullptr;
    const Note& vault_note = vault.notes[note_of];
    const Fact& f = scan.fact(vault, i);
    // k: the fact's place among its note's compared facts.
    const size_t k = static_cast<size_t>(i) - state->first[note_of];
    const IndexedFact* e = FactAtLine(*note, k, f.line);
    // The scan tells whether it compared the display as it is (worked out here otherwise).
    if (!((e != nullptr && e->compares_display) || ComparesDisplay(vault_note, f))) {
      e = FindFact(*note, f.line, dedup::Hash64(DisplayOf(vault_note, f)));
    }
    if (e == nullptr) return nullptr;
    // The entry's text is the fact's display (its hash is the display's).
    if (e->normalized != nullptr) return e->normalized;
    Reader r(e->encoded);
    if (!GetNormalized(&r, scan.display(vault, i), scratch, /*all_tokens=*/false) ||
        r.remaining() != 0) {
      return nullptr;
    }
    return scratch;
  };
}

absl::StatusOr<ScanResult> ScanVaultIndexedAround(
    const Vault& vault, const dedup::DedupOptions& options,
    absl::Span<const FactIndex* const> previous, FactIndex* next, IndexStats* stats,
    const std::function<bool(const Note&, const Fact&)>& in_focus) {
  return Scan(vault, options, previous, next, stats, &in_focus, false);
}

}  // namespace factdedup::provenance
