#include "provenance/index.h"

#include <algorithm>
#include <atomic>
#include <system_error>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "dedup/hash.h"
#include "dedup/minhash.h"
#include "provenance/internal/codec.h"

namespace factdedup::provenance {
namespace {

using internal::Reader;
using internal::Writer;

constexpr absl::string_view kMagic("FDINDEX\n", 8);
// The engine's MinHash sets are of single tokens (dedup/engine.cc).
constexpr uint32_t kShingleSize = 1;
// Sanity bounds on counts read from a file, before anything is allocated for them.
constexpr uint64_t kMaxTokens = 1 << 20;

// Token flag bits: kind in the low 3 bits.
constexpr uint8_t kKindMask = 0x07, kLowercase = 0x08, kCapitalized = 0x10, kKept = 0x20;
// NormalizedText flag bits.
constexpr uint8_t kTruncated = 1, kRepaired = 2, kSuspect = 4;

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
}

bool GetParams(Reader* r, IndexParams* p) {
  return r->GetU32(&p->normalizer_version) && r->GetU32(&p->normalize_flags) &&
         r->GetU64(&p->token_hash_seed) && r->GetU64(&p->minhash_seed) && r->GetU32(&p->num_perm) &&
         r->GetU32(&p->lsh_bands) && r->GetU32(&p->lsh_rows) && r->GetU32(&p->shingle_size) &&
         r->GetU32(&p->claims_version);
}

bool SameToken(const dedup::Token& a, const dedup::Token& b) {
  return a.text == b.text && a.kind == b.kind && a.lowercase == b.lowercase &&
         a.capitalized == b.capitalized;
}

// `tokens` is the subsequence of `all_tokens` that is not a dropped stop word (see
// dedup/normalize.cc), so each token is written once with a "kept" bit.
void PutNormalized(const dedup::NormalizedText& t, Writer* w) {
  w->PutString(t.clean);
  w->PutU8((t.truncated ? kTruncated : 0) | (t.repaired_mojibake ? kRepaired : 0) |
           (t.suspect_mojibake ? kSuspect : 0));
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

bool GetNormalized(Reader* r, dedup::NormalizedText* t) {
  uint8_t flags;
  uint64_t n;
  if (!r->GetString(&t->clean) || !r->GetU8(&flags) || !r->GetVarint(&n) || n > kMaxTokens ||
      n * 2 > r->remaining()) {
    return false;
  }
  t->truncated = flags & kTruncated;
  t->repaired_mojibake = flags & kRepaired;
  t->suspect_mojibake = flags & kSuspect;
  t->all_tokens.resize(n);
  t->tokens.clear();
  t->tokens.reserve(n);
  for (dedup::Token& tok : t->all_tokens) {
    uint8_t f;
    if (!r->GetU8(&f) || !r->GetString(&tok.text)) return false;
    if ((f & kKindMask) > static_cast<uint8_t>(dedup::TokenKind::kName)) return false;
    tok.kind = static_cast<dedup::TokenKind>(f & kKindMask);
    tok.lowercase = f & kLowercase;
    tok.capitalized = f & kCapitalized;
    if (f & kKept) t->tokens.push_back(tok);
  }
  return true;
}

// Checks the layout GetNormalized reads (lengths, token count and kinds) without building
// the object, and advances past it.
bool SkipNormalized(Reader* r) {
  auto skip_string = [r] {
    uint64_t len;
    absl::string_view unused;
    return r->GetVarint(&len) && len <= r->remaining() &&
           r->GetBytes(static_cast<size_t>(len), &unused);
  };
  uint8_t flags;
  uint64_t n;
  if (!skip_string() || !r->GetU8(&flags) || !r->GetVarint(&n) || n > kMaxTokens ||
      n * 2 > r->remaining()) {
    return false;
  }
  for (uint64_t i = 0; i < n; ++i) {
    uint8_t f;
    if (!r->GetU8(&f) || (f & kKindMask) > static_cast<uint8_t>(dedup::TokenKind::kName) ||
        !skip_string()) {
      return false;
    }
  }
  return true;
}

void PutNote(const IndexedNote& note, Writer* w) {
  w->PutString(note.path);
  w->PutVarint(note.size);
  w->PutU64(static_cast<uint64_t>(note.mtime_ns));
  w->PutU64(note.content_hash);
  w->PutVarint(note.facts.size());
  for (const IndexedFact& f : note.facts) {
    w->PutVarint(static_cast<uint64_t>(f.line));
    w->PutU64(f.text_hash);
    if (f.normalized != nullptr) {
      PutNormalized(*f.normalized, w);
    } else {
      w->PutBytes(f.encoded);
    }
  }
}

bool GetNote(Reader* r, IndexedNote* note, const std::shared_ptr<const std::string>& owner) {
  uint64_t size, mtime, facts;
  if (!r->GetString(&note->path) || !r->GetVarint(&size) || !r->GetU64(&mtime) ||
      !r->GetU64(&note->content_hash) || !r->GetVarint(&facts) || facts > r->remaining()) {
    return false;
  }
  note->size = size;
  note->mtime_ns = static_cast<int64_t>(mtime);
  note->facts.resize(facts);
  // Each fact's normalization stays in its bytes (checked here, decoded by the scan that
  // reads it, on every core): most of a large index is never decoded by a focused check.
  for (IndexedFact& f : note->facts) {
    uint64_t line;
    if (!r->GetVarint(&line) || line > (1u << 31) || !r->GetU64(&f.text_hash)) return false;
    const size_t begin = r->position();
    if (!SkipNormalized(r)) return false;
    f.encoded = r->Consumed(begin);  // a view into the loaded file
    f.owner = owner;
    f.line = static_cast<int>(line);
  }
  return true;
}

constexpr uint8_t kClaimDates = 1, kClaimAmounts = 2, kClaimPolar = 4;

// A sorted list of token hashes: its length, then each as 8 fixed bytes (a hash is random:
// a varint of the difference from the one before takes as many bytes and decodes byte by
// byte; loading 100k claims took 251M instructions that way, 193M this way).
void PutHashes(const std::vector<uint64_t>& v, Writer* w) {
  w->PutVarint(v.size());
  for (uint64_t x : v) w->PutU64(x);
}

bool GetHashes(Reader* r, std::vector<uint64_t>* v) {
  uint64_t n;
  if (!r->GetVarint(&n) || n > kMaxTokens || n * 8 > r->remaining()) return false;
  v->resize(n);
  for (size_t i = 0; i < v->size(); ++i) {
    if (!r->GetU64(&(*v)[i])) return false;
    if (i > 0 && (*v)[i] <= (*v)[i - 1]) return false;  // sorted and distinct
  }
  return true;
}

// Claims in key order, so that the file does not depend on hash-map iteration.
void PutClaimEntries(const ClaimCache& claims, absl::Span<const uint64_t> keys, Writer* w) {
  for (uint64_t key : keys) {
    const ClaimSummary& c = *claims.at(key);
    w->PutU64(key);
    w->PutU8((c.dates ? kClaimDates : 0) | (c.amounts ? kClaimAmounts : 0) |
             (c.polar ? kClaimPolar : 0));
    PutHashes(c.content, w);
    PutHashes(c.names, w);
  }
}

bool GetClaims(Reader* r, ClaimCache* claims) {
  uint64_t n;
  if (!r->GetVarint(&n) || n > r->remaining()) return false;
  claims->reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t key;
    uint8_t flags;
    auto c = std::make_shared<ClaimSummary>();
    if (!r->GetU64(&key) || !r->GetU8(&flags) || flags > 7 || !GetHashes(r, &c->content) ||
        !GetHashes(r, &c->names)) {
      return false;
    }
    c->dates = flags & kClaimDates;
    c->amounts = flags & kClaimAmounts;
    c->polar = flags & kClaimPolar;
    (*claims)[key] = std::move(c);
  }
  return true;
}

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

// The saved fact of `note` at `line` if its text hash is `hash`, or nullptr.
const IndexedFact* FactAt(const IndexedNote& note, int line, uint64_t hash) {
  auto it = std::lower_bound(note.facts.begin(), note.facts.end(), line,
                             [](const IndexedFact& f, int l) { return f.line < l; });
  return it != note.facts.end() && it->line == line && it->text_hash == hash ? &*it : nullptr;
}

}  // namespace

std::shared_ptr<const dedup::NormalizedText> NormalizedOf(const IndexedFact& fact) {
  if (fact.normalized != nullptr) return fact.normalized;
  auto t = std::make_shared<dedup::NormalizedText>();
  Reader r(fact.encoded);
  if (!GetNormalized(&r, t.get()) || r.remaining() != 0) return nullptr;
  return t;
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
  return p;
}

std::string FactIndex::Encode() const {
  // The body has three sections, notes, claims (sorted by key) and the corpus state, the first
  // two preceded by their sizes so that a reader can decode them at once. Their entries are encoded
  // in pieces on every core (an index is tens of MB per 100k facts), then joined in order into one
  // buffer after the header, whose body size and checksum are filled in last.
  constexpr size_t kNotesPerPiece = 64, kClaimsPerPiece = 1024;
  std::vector<uint64_t> keys;
  keys.reserve(claims_.size());
  for (const auto& [key, claim] : claims_) keys.push_back(key);
  std::sort(keys.begin(), keys.end());
  const size_t note_pieces = (notes_.size() + kNotesPerPiece - 1) / kNotesPerPiece;
  const size_t claim_pieces = (keys.size() + kClaimsPerPiece - 1) / kClaimsPerPiece;
  std::vector<std::string> pieces(note_pieces + claim_pieces);
  ForEachParallel(pieces.size(), threads_, [&](size_t p) {
    Writer w;
    if (p < note_pieces) {
      const size_t end = std::min(notes_.size(), (p + 1) * kNotesPerPiece);
      for (size_t i = p * kNotesPerPiece; i < end; ++i) PutNote(notes_[i], &w);
    } else {
      const size_t first = (p - note_pieces) * kClaimsPerPiece;
      PutClaimEntries(
          claims_,
          absl::MakeConstSpan(keys).subspan(first, std::min(kClaimsPerPiece, keys.size() - first)),
          &w);
    }
    pieces[p] = w.Release();
  });
  Writer head, notes_count, claims_count;
  head.PutBytes(kMagic);
  head.PutU32(kIndexFormatVersion);
  PutParams(params_, &head);
  notes_count.PutVarint(notes_.size());
  claims_count.PutVarint(keys.size());
  uint64_t note_bytes = 0, claim_bytes = 0;
  for (size_t p = 0; p < pieces.size(); ++p)
    (p < note_pieces ? note_bytes : claim_bytes) += pieces[p].size();
  const uint64_t notes_size = notes_count.data().size() + note_bytes;
  const uint64_t claims_size = claims_count.data().size() + claim_bytes;
  const uint64_t body_size = 8 + notes_size + 8 + claims_size + corpus_.EncodedSize();
  Writer sizes, claims_head;
  sizes.PutU64(body_size);
  sizes.PutU64(0);  // checksum, below
  sizes.PutU64(notes_size);
  claims_head.PutU64(claims_size);
  std::string out;
  out.reserve(head.data().size() + 16 + body_size);
  out += head.data();
  const size_t checksum_at = out.size() + 8;
  out += sizes.data();
  out += notes_count.data();
  // Each piece is freed once copied: the index is written at the end of a run, when a large
  // vault's memory is already near its peak.
  for (size_t p = 0; p < note_pieces; ++p) {
    out += pieces[p];
    std::string().swap(pieces[p]);
  }
  out += claims_head.data();
  out += claims_count.data();
  for (size_t p = note_pieces; p < pieces.size(); ++p) {
    out += pieces[p];
    std::string().swap(pieces[p]);
  }
  corpus_.AppendTo(&out);
  const size_t body_at = checksum_at + 8;
  const uint64_t checksum = dedup::Hash64(absl::string_view(out).substr(body_at), 0);
  for (int k = 0; k < 8; ++k) out[checksum_at + k] = static_cast<char>(checksum >> (8 * k));
  return out;
}

void IndexedFact::SetEncoded(absl::string_view bytes) {
  auto own = std::make_shared<const std::string>(bytes);
  encoded = *own;
  owner = std::move(own);
}

absl::Status FactIndex::Decode(absl::string_view bytes) {
  return Decode(std::make_shared<const std::string>(bytes));
}

absl::Status FactIndex::Decode(std::shared_ptr<const std::string> file) {
  const absl::string_view bytes = *file;
  notes_.clear();
  first_record_.clear();
  by_content_.clear();
  by_path_.clear();
  claims_.clear();
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
        "claim extraction)");
  }
  uint64_t size, checksum;
  absl::string_view body;
  if (!r.GetU64(&size) || !r.GetU64(&checksum) || size != r.remaining() ||
      !r.GetBytes(size, &body)) {
    return absl::DataLossError("index truncated (body size does not match the file)");
  }
  if (dedup::Hash64(body, 0) != checksum) return absl::DataLossError("index checksum mismatch");
  Reader sections(body);
  uint64_t notes_size;
  absl::string_view notes_bytes;
  if (!sections.GetU64(&notes_size) || notes_size > sections.remaining() ||
      !sections.GetBytes(notes_size, &notes_bytes)) {
    return absl::DataLossError("index body is malformed");
  }
  uint64_t claims_size;
  absl::string_view claim_bytes;
  if (!sections.GetU64(&claims_size) || claims_size > sections.remaining() ||
      !sections.GetBytes(claims_size, &claim_bytes)) {
    return absl::DataLossError("index body is malformed");
  }
  const absl::string_view corpus_bytes = body.substr(body.size() - sections.remaining());
  // The claims and the corpus state decode on another thread while the notes decode on this
  // one (on this one after them with one thread, or if no thread can be started).
  ClaimCache claims;
  dedup::CorpusState corpus;
  bool claims_ok = false, corpus_ok = false;
  auto read_claims = [&] {
    Reader c(claim_bytes);
    claims_ok = GetClaims(&c, &claims) && c.remaining() == 0;
    corpus_ok = corpus.Decode(corpus_bytes).ok();
  };
  std::thread claim_reader;
  try {
    if (threads_ != 1) claim_reader = std::thread(read_claims);
  } catch (const std::system_error&) {
  }
  struct Join {  // joined however this function is left
    std::thread& t;
    ~Join() {
      if (t.joinable()) t.join();
    }
  } join{claim_reader};
  Reader b(notes_bytes);
  uint64_t count;
  std::vector<IndexedNote> notes;
  bool ok = b.GetVarint(&count) && count <= b.remaining();
  if (ok) notes.resize(count);
  for (size_t i = 0; ok && i < notes.size(); ++i) ok = GetNote(&b, &notes[i], file);
  if (claim_reader.joinable()) {
    claim_reader.join();
  } else {
    read_claims();
  }
  if (!ok || !claims_ok || !corpus_ok || b.remaining() != 0)
    return absl::DataLossError("index body is malformed");
  for (IndexedNote& note : notes) Add(std::move(note));
  claims_ = std::move(claims);
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

void FactIndex::Add(IndexedNote note) {
  std::sort(note.facts.begin(), note.facts.end(),
            [](const IndexedFact& a, const IndexedFact& b) { return a.line < b.line; });
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
  absl::StatusOr<std::string> bytes = fs->ReadFile(path, uint64_t{4} << 30);
  if (!bytes.ok()) {
    *problem = absl::StrCat(path, ": cannot read the index (", bytes.status().message(),
                            "); rebuilding it");
    return index;
  }
  if (absl::Status s = index.Decode(std::make_shared<const std::string>(*std::move(bytes)));
      !s.ok()) {
    *problem = absl::StrCat(path, ": ", s.message(), "; rebuilding it");
  }
  return index;
}

absl::Status SaveIndex(FileSystem* fs, const std::string& root, const FactIndex& index) {
  const std::string dir = JoinPath(root, kIndexDir);
  if (absl::Status s = fs->MakeDirs(dir); !s.ok()) return s;
  // The index is a cache: keep it, its temp files and this file out of the vault's git status.
  const std::string ignore = JoinPath(dir, ".gitignore");
  if (!fs->Stat(ignore, /*follow=*/false).ok()) {
    if (absl::Status s =
            fs->WriteFileAtomic(ignore, ".gitignore\nindex.bin\nindex.bin.*\n", std::nullopt);
        !s.ok()) {
      return s;
    }
  }
  return fs->WriteFileAtomic(JoinPath(root, kIndexFile), index.Encode(), std::nullopt);
}

namespace {

// ScanVaultIndexed; with `in_focus`, only around the facts it accepts.
absl::StatusOr<ScanResult> Scan(const Vault& vault, const dedup::DedupOptions& options,
                                absl::Span<const FactIndex* const> previous, FactIndex* next,
                                IndexStats* stats, const std::function<bool(const Fact&)>* in_focus,
                                bool keep_corpus) {
  ScanResult result;
  result.facts = DedupFacts(vault);
  std::vector<dedup::Item> items = DedupItems(vault, result.facts);
  // One entry per note; facts are filled in below, in item order.
  std::vector<IndexedNote> notes(vault.notes.size());
  std::vector<const IndexedNote*> saved(vault.notes.size());
  for (size_t n = 0; n < vault.notes.size(); ++n) {
    const Note& note = vault.notes[n];
    notes[n] = {note.path, note.read_size, note.read_mtime_ns, dedup::Hash64(note.content), {}};
    for (const FactIndex* p : previous) {
      if (saved[n] == nullptr) saved[n] = p->FindByContent(notes[n].content_hash);
    }
    (saved[n] != nullptr ? stats->notes_reused : stats->notes_indexed)++;
    for (const FactIndex* p : previous) {
      if (saved[n] == nullptr) saved[n] = p->FindByPath(note.path);
    }
  }
  std::vector<IndexedFact> facts(items.size());
  // Each fact's saved normalization: a shared object, or its bytes, which the engine decodes
  // as it reads them (normalized_of), so that they never all live as objects at once.
  std::vector<char> found(items.size(), 0);
  ForEachParallel(items.size(), options.threads, [&](size_t i) {
    const Fact& f = result.fact(vault, static_cast<int>(i));
    facts[i].line = f.line;
    facts[i].text_hash = dedup::Hash64(items[i].text);
    const IndexedNote* s = saved[result.facts[i].note];
    const IndexedFact* hit = s == nullptr ? nullptr : FindFact(*s, f.line, facts[i].text_hash);
    if (hit == nullptr) return;
    if (hit->normalized != nullptr) {
      facts[i].normalized = hit->normalized;
    } else {
      facts[i].encoded = hit->encoded;
      facts[i].owner = hit->owner;
    }
    found[i] = 1;
  });
  const auto reused = static_cast<int64_t>(std::count(found.begin(), found.end(), 1));
  stats->facts_reused += reused;
  stats->facts_normalized += static_cast<int64_t>(items.size()) - reused;
  for (size_t i = 0; i < items.size(); ++i) items[i].normalized = facts[i].normalized.get();
  dedup::DedupOptions run = options;
  run.normalized_of = [&](size_t i,
                          dedup::NormalizedText* scratch) -> const dedup::NormalizedText* {
    if (facts[i].encoded.empty()) return nullptr;  // normalized by the engine
    Reader r(facts[i].encoded);
    if (GetNormalized(&r, scratch) && r.remaining() == 0) return scratch;
    facts[i].encoded = {};  // cannot happen (checked when loaded): normalized again
    facts[i].owner.reset();
    return nullptr;
  };
  // What the engine normalized, the next index keeps as bytes: the objects are several times
  // larger, and would otherwise all be alive until the end of the engine.
  // Each record is written into a reused buffer and copied out at its exact size: a buffer
  // grown by doubling keeps a third of its bytes unused on average (90 MB at 1M facts).
  run.on_normalized = [&](size_t i, const dedup::NormalizedText& t) {
    if (next == nullptr || !facts[i].encoded.empty()) return;
    thread_local Writer w;
    w.Clear();
    PutNormalized(t, &w);
    facts[i].SetEncoded(w.data());
  };
  absl::StatusOr<dedup::DedupResult> d;
  dedup::CorpusState corpus;
  if (in_focus == nullptr) {
    d = dedup::Deduplicate(items, run, keep_corpus && next != nullptr ? &corpus : nullptr);
  } else {
    std::vector<int> focus;
    for (size_t i = 0; i < items.size(); ++i) {
      if ((*in_focus)(result.fact(vault, static_cast<int>(i))))
        focus.push_back(static_cast<int>(i));
    }
    // From the first previous index's corpus state, if it has one: each fact at the same
    // path and line with the same text is that state's item.
    const FactIndex* from = previous.empty() ? nullptr : previous[0];
    std::vector<int> previous_item;
    if (from != nullptr && !from->corpus().empty()) {
      previous_item.assign(items.size(), -1);
      std::vector<const IndexedNote*> at_path(vault.notes.size(), nullptr);
      for (size_t n = 0; n < vault.notes.size(); ++n) {
        at_path[n] = from->FindByPath(vault.notes[n].path);
      }
      for (size_t i = 0; i < items.size(); ++i) {
        const IndexedNote* s = at_path[result.facts[i].note];
        if (s == nullptr) continue;
        const IndexedFact* hit =
            FactAt(*s, result.fact(vault, static_cast<int>(i)).line, facts[i].text_hash);
        if (hit == nullptr) continue;
        previous_item[i] =
            static_cast<int>(from->Record(static_cast<size_t>(s - from->notes().data()),
                                          static_cast<size_t>(hit - s->facts.data())));
      }
    }
    d = previous_item.empty()
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
  const dedup::Normalizer normalizer(options.normalize);
  std::vector<absl::Status> errors(items.size());
  ForEachParallel(items.size(), options.threads, [&](size_t i) {
    if (facts[i].normalized != nullptr || !facts[i].encoded.empty()) return;
    absl::StatusOr<dedup::NormalizedText> t = normalizer.Normalize(items[i].text);
    if (!t.ok()) {
      errors[i] = t.status();
      return;
    }
    thread_local Writer w;
    w.Clear();
    PutNormalized(*t, &w);
    facts[i].SetEncoded(w.data());
  });
  for (const absl::Status& e : errors) {
    if (!e.ok()) return e;
  }
  for (size_t i = 0; i < items.size(); ++i) {
    notes[result.facts[i].note].facts.push_back(std::move(facts[i]));
  }
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
  // Each fact's entry, found once here: the entry of the text the scan compared, which is
  // the display itself only when its hash is the display's.
  auto entries = std::make_shared<std::vector<const IndexedFact*>>(scan.facts.size(), nullptr);
  size_t found = 0;
  for (size_t i = 0; i < scan.facts.size(); ++i) {
    const Fact& f = scan.fact(vault, static_cast<int>(i));
    const IndexedNote* note = index.FindByPath(f.path);
    if (note == nullptr) continue;
    (*entries)[i] = FindFact(*note, f.line, dedup::Hash64(f.display));
    found += (*entries)[i] != nullptr;
  }
  if (found == 0) return {};
  return [entries](int i, dedup::NormalizedText* scratch) -> const dedup::NormalizedText* {
    const IndexedFact* e = (*entries)[i];
    if (e == nullptr) return nullptr;
    if (e->normalized != nullptr) return e->normalized.get();
    Reader r(e->encoded);
    if (!GetNormalized(&r, scratch) || r.remaining() != 0) return nullptr;
    return scratch;
  };
}

absl::StatusOr<ScanResult> ScanVaultIndexedAround(
    const Vault& vault, const dedup::DedupOptions& options,
    absl::Span<const FactIndex* const> previous, FactIndex* next, IndexStats* stats,
    const std::function<bool(const Fact&)>& in_focus) {
  return Scan(vault, options, previous, next, stats, &in_focus, false);
}

}  // namespace factdedup::provenance
