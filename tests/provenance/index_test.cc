#include "provenance/index.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "dedup/hash.h"
#include "dedup/normalize.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "provenance/conflicts.h"
#include "provenance/internal/codec.h"
#include "provenance/scan.h"
#include "tests/provenance/test_util.h"

namespace factdedup::provenance {
namespace {

using ::factdedup::testing::SourcePath;
using ::testing::HasSubstr;

// Passes everything through, counting reads and optionally refusing writes.
class CountingFs : public FileSystem {
 public:
  explicit CountingFs(std::unique_ptr<FileSystem> base) : base_(std::move(base)) {}
  absl::StatusOr<std::string> ReadFile(const std::string& path, uint64_t max_size) override {
    reads_++;
    return base_->ReadFile(path, max_size);
  }
  absl::StatusOr<std::vector<DirEntry>> ListDir(const std::string& path) override {
    return base_->ListDir(path);
  }
  absl::StatusOr<FileInfo> Stat(const std::string& path, bool follow) override {
    return base_->Stat(path, follow);
  }
  absl::StatusOr<std::string> RealPath(const std::string& path) override {
    return base_->RealPath(path);
  }
  absl::Status WriteFileAtomic(const std::string& path, absl::string_view contents,
                               const std::optional<FileInfo>& expected) override {
    if (read_only_) return absl::PermissionDeniedError(path + ": read-only file system");
    return base_->WriteFileAtomic(path, contents, expected);
  }
  absl::Status MakeDirs(const std::string& path) override {
    if (read_only_) return absl::PermissionDeniedError(path + ": read-only file system");
    return base_->MakeDirs(path);
  }
  absl::Status Remove(const std::string& path) override { return base_->Remove(path); }

  int reads() const { return reads_; }
  void set_read_only(bool r) { read_only_ = r; }

 private:
  std::unique_ptr<FileSystem> base_;
  std::atomic<int> reads_{0};
  bool read_only_ = false;
};

constexpr char kAccount[] =
    "# Contoso\n\n## Key Facts\n\n"
    "- Contoso signed a $2M storage deal with Fabrikam in March 2025.\n"
    "- Contoso's storage deal with Fabrikam was worth $2M (March 2025).\n"
    "- Ann Lee leads the Contoso account in Redmond.\n"
    "- The Redmond team uses Azure Blob for backups.\n";
constexpr char kPerson[] =
    "# Ann Lee\n\n## Key Facts\n\n"
    "- Ann Lee leads the Contoso account in Redmond.\n"
    "- Ann Lee joined Microsoft in 2019 after six years at VAST Data.\n"
    "- The Redmond team uses Azure Blob storage for its backups.\n";

std::unique_ptr<CountingFs> MemVault() {
  auto fs = std::make_unique<CountingFs>(NewMemFileSystem());
  EXPECT_TRUE(fs->WriteFileAtomic("v/Accounts/Contoso.md", kAccount, {}).ok());
  EXPECT_TRUE(fs->WriteFileAtomic("v/People/Ann Lee.md", kPerson, {}).ok());
  return fs;
}

Vault Load(FileSystem* fs, const std::string& root = "v") {
  absl::StatusOr<Vault> vault = LoadVault(fs, root, Config{});
  EXPECT_TRUE(vault.ok()) << vault.status();
  return *std::move(vault);
}

// Everything the scan's output shows of its clusters, as one comparable string.
std::string Describe(const Vault& vault, const ScanResult& scan) {
  std::string out;
  for (const dedup::Cluster& c : scan.dedup.clusters) {
    out += "cluster " + c.reason + "\n";
    for (const dedup::Member& m : c.members) {
      const Fact& f = scan.fact(vault, m.item);
      out += scan.note(vault, m.item).path + ":" + std::to_string(f.line) + " " +
             dedup::RelationName(m.relation) + " " + std::to_string(m.similarity) + "\n";
    }
  }
  return out;
}

// The text each compared fact of `vault` is compared by (what its index entry's text_hash is
// of), by note path and line.
std::map<std::pair<std::string, int>, std::string> TextsOf(const Vault& vault) {
  std::map<std::pair<std::string, int>, std::string> out;
  const std::vector<FactRef> facts = DedupFacts(vault);
  const std::vector<dedup::Item> items = DedupItems(vault, facts);
  for (size_t i = 0; i < facts.size(); ++i) {
    const Note& note = vault.notes[facts[i].note];
    out[{note.path, note.facts[facts[i].fact].line}] = std::string(items[i].Text());
  }
  return out;
}

struct Scanned {
  ScanResult result;
  FactIndex next;
  IndexStats stats;
};

Scanned ScanWith(const Vault& vault, const FactIndex& previous, bool keep_corpus = false) {
  const dedup::DedupOptions& options = vault.config.dedup;
  Scanned s{{}, FactIndex(options), {}};
  absl::StatusOr<ScanResult> r =
      ScanVaultIndexed(vault, options, {&previous}, &s.next, &s.stats, keep_corpus);
  EXPECT_TRUE(r.ok()) << r.status();
  s.result = *std::move(r);
  return s;
}

// Changes an encoded index's body with `edit`, then makes its size and checksum match.
void Reseal(std::string* bytes, const std::function<void(std::string*)>& edit) {
  constexpr size_t kHeader = 76;  // magic 8, version 4, params 48, size 8, checksum 8
  std::string body = bytes->substr(kHeader);
  edit(&body);
  internal::Writer w;
  w.PutU64(body.size());
  w.PutU64(dedup::Hash64(body, 0));
  *bytes = bytes->substr(0, kHeader - 16) + w.data() + body;
}

// Where the parts of an encoded index lie (offsets into the whole file), read back as
// docs/index-format.md lays them out.
struct Layout {
  uint64_t notes = 0, facts = 0, claims = 0;  // counts
  size_t note_count = 0, content_hashes = 0, fact_counts = 0, lines = 0, text_hashes = 0,
         encoded_sizes = 0, paths = 0, encodings = 0;
  size_t claim_count = 0, claim_keys = 0, claim_flags = 0, content_counts = 0, claim_hashes = 0,
         corpus = 0, end = 0;
  // The line summaries section (after its size) and its columns.
  uint64_t line_notes = 0, line_keys = 0, spellings = 0, spelling_bytes = 0;  // counts
  size_t line_summaries = 0, line_contents = 0, key_ends = 0, keys = 0, buckets = 0,
         spelling_ends = 0, spelling_text = 0;
};

Layout LayoutOf(absl::string_view bytes) {
  auto u32 = [&](size_t at) { return internal::LoadLe<uint32_t>(bytes.data() + at); };
  auto u64 = [&](size_t at) { return internal::LoadLe<uint64_t>(bytes.data() + at); };
  Layout l;
  constexpr size_t kBody = 76;
  l.note_count = kBody + 8;
  l.notes = u64(l.note_count);
  l.facts = u64(l.note_count + 8);
  l.content_hashes = l.note_count + 16;
  const size_t path_sizes = l.content_hashes + 3 * 8 * l.notes;
  l.fact_counts = path_sizes + 4 * l.notes;
  l.lines = l.fact_counts + 4 * l.notes;
  l.text_hashes = l.lines + 4 * l.facts;
  l.encoded_sizes = l.text_hashes + 8 * l.facts;
  l.paths = l.encoded_sizes + 4 * l.facts;
  l.encodings = l.paths;
  for (size_t i = 0; i < l.notes; ++i) l.encodings += u32(path_sizes + 4 * i);
  const size_t corpus_size = kBody + 8 + u64(kBody);
  l.corpus = corpus_size + 8;
  if (u64(corpus_size) > 0) l.corpus = (l.corpus + 7) / 8 * 8;  // zeros up to a multiple of 8
  const size_t lines_size = l.corpus + u64(corpus_size);
  l.line_summaries = lines_size + 8;
  l.line_notes = u64(l.line_summaries);
  l.line_keys = u64(l.line_summaries + 8);
  l.spellings = u64(l.line_summaries + 16);
  l.spelling_bytes = u64(l.line_summaries + 24);
  l.line_contents = l.line_summaries + 32;
  l.key_ends = l.line_contents + 8 * l.line_notes;
  l.keys = l.key_ends + 4 * l.line_notes;
  l.buckets = l.keys + 4 * l.line_keys;
  l.spelling_ends = l.buckets + 8 * l.spellings;
  l.spelling_text = l.spelling_ends + 4 * l.spellings;
  l.claim_count = l.line_summaries + u64(lines_size);
  l.claims = u64(l.claim_count);
  l.claim_keys = l.claim_count + 8;
  l.claim_flags = l.claim_keys + 8 * l.claims;
  l.content_counts = l.claim_flags + l.claims;
  l.claim_hashes = l.content_counts + 8 * l.claims;
  l.end = bytes.size();
  return l;
}

// A cold scan's index of `vault` with every section filled: notes, claim summaries and the
// corpus state.
FactIndex FullIndex(const Vault& vault) {
  Scanned cold = ScanWith(vault, FactIndex(vault.config.dedup), /*keep_corpus=*/true);
  ClaimCache claims;
  LineSummaries lines;
  EXPECT_TRUE(
      FindConflicts(vault, cold.result, {}, nullptr, nullptr, &claims, nullptr, &lines).ok());
  EXPECT_FALSE(lines.empty());
  cold.next.set_claims(claims);
  cold.next.set_line_summaries(lines);
  return std::move(cold.next);
}

TEST(FactIndex, LayoutIsAsDocumented) {
  auto fs = MemVault();
  Vault vault = Load(fs.get());
  const FactIndex index = FullIndex(vault);
  const std::string bytes = index.Encode();
  const Layout l = LayoutOf(bytes);
  size_t facts = 0;
  for (const IndexedNote& note : index.notes()) facts += note.facts.size();
  EXPECT_EQ(l.notes, index.notes().size());
  EXPECT_EQ(l.facts, facts);
  EXPECT_EQ(l.claims, index.claims().size());
  ASSERT_FALSE(index.corpus().empty());
  EXPECT_EQ(bytes.substr(l.paths, l.encodings - l.paths), "Accounts/Contoso.mdPeople/Ann Lee.md");
  EXPECT_EQ(bytes.substr(l.corpus, 4), "FDCS");
  EXPECT_EQ(l.line_notes, index.line_summaries().size());
  EXPECT_EQ(l.spelling_text + l.spelling_bytes, l.claim_count);
  EXPECT_EQ(bytes.substr(l.line_summaries, l.claim_count - l.line_summaries),
            index.line_summaries().bytes());
  EXPECT_EQ(l.corpus % 8, 0u) << "the corpus state is read in place";
  EXPECT_EQ(internal::LoadLe<uint32_t>(bytes.data() + l.lines), 5u) << "first bullet's line";
  EXPECT_EQ(internal::LoadLe<uint64_t>(bytes.data() + l.text_hashes),
            index.notes()[0].facts[0].text_hash);
  EXPECT_EQ(internal::LoadLe<uint32_t>(bytes.data() + l.encoded_sizes),
            index.notes()[0].facts[0].encoded.size());
  EXPECT_EQ(bytes.substr(l.encodings, index.notes()[0].facts[0].encoded.size()),
            index.notes()[0].facts[0].encoded);
}

TEST(FactIndex, EncodeDecodeRoundTripKeepsEveryField) {
  auto fs = MemVault();
  Vault vault = Load(fs.get());
  Scanned cold = ScanWith(vault, FactIndex(vault.config.dedup));
  // What a run normalized it keeps as bytes, not objects (memory).
  for (const IndexedNote& note : cold.next.notes()) {
    for (const IndexedFact& f : note.facts) {
      EXPECT_EQ(f.normalized, nullptr);
      EXPECT_FALSE(f.encoded.empty());
    }
  }
  // Decoded (objects), encoded again and decoded again: every field survives.
  FactIndex once(vault.config.dedup), decoded(vault.config.dedup);
  const std::map<std::pair<std::string, int>, std::string> texts = TextsOf(vault);
  ASSERT_TRUE(once.Decode(cold.next.Encode()).ok());
  EXPECT_EQ(once.Encode(), cold.next.Encode());
  ASSERT_TRUE(decoded.Decode(once.Encode()).ok());
  ASSERT_EQ(decoded.notes().size(), 2u);
  for (size_t n = 0; n < 2; ++n) {
    const IndexedNote& a = once.notes()[n];
    const IndexedNote& b = decoded.notes()[n];
    EXPECT_EQ(a.path, b.path);
    EXPECT_EQ(a.size, b.size);
    EXPECT_EQ(a.mtime_ns, b.mtime_ns);
    EXPECT_EQ(a.content_hash, b.content_hash);
    ASSERT_EQ(a.facts.size(), b.facts.size());
    for (size_t f = 0; f < a.facts.size(); ++f) {
      const std::string& text = texts.at({a.path, a.facts[f].line});
      const std::shared_ptr<const dedup::NormalizedText> xa = NormalizedOf(a.facts[f], text),
                                                         yb = NormalizedOf(b.facts[f], text);
      ASSERT_NE(xa, nullptr);
      ASSERT_NE(yb, nullptr);
      const dedup::NormalizedText &x = *xa, &y = *yb;
      EXPECT_EQ(a.facts[f].line, b.facts[f].line);
      EXPECT_EQ(a.facts[f].text_hash, b.facts[f].text_hash);
      EXPECT_EQ(x.clean, y.clean);
      EXPECT_EQ(x.truncated, y.truncated);
      EXPECT_EQ(x.repaired_mojibake, y.repaired_mojibake);
      ASSERT_EQ(x.tokens.size(), y.tokens.size());
      ASSERT_EQ(x.all_tokens.size(), y.all_tokens.size());
      EXPECT_LT(x.tokens.size(), x.all_tokens.size()) << "stop words are dropped from tokens";
      for (size_t t = 0; t < x.tokens.size(); ++t) {
        EXPECT_EQ(x.tokens[t].text, y.tokens[t].text);
        EXPECT_EQ(x.tokens[t].kind, y.tokens[t].kind);
        EXPECT_EQ(x.tokens[t].lowercase, y.tokens[t].lowercase);
        EXPECT_EQ(x.tokens[t].capitalized, y.tokens[t].capitalized);
      }
    }
  }
  EXPECT_EQ(decoded.Encode(), cold.next.Encode());
}

TEST(FactIndex, ALargeIndexEncodedInPiecesRoundTripsInOrder) {
  // More notes than one encoding piece holds (64), so that the pieces encoded on several
  // threads are joined in order; and more claims than one piece of the claims written (1 MiB:
  // 40000 claims take about 2 MB).
  const dedup::DedupOptions options;
  const dedup::Normalizer normalizer;
  FactIndex index(options);
  for (int n = 0; n < 300; ++n) {
    IndexedNote note{absl::StrCat("Accounts/A", n, ".md"),
                     100u + n,
                     n * 1000LL,
                     dedup::Hash64(absl::StrCat(n)),
                     {}};
    for (int f = 0; f < 3; ++f) {
      absl::StatusOr<dedup::NormalizedText> t =
          normalizer.Normalize(absl::StrCat("Account ", n, " bought ", f, " PB of storage."));
      ASSERT_TRUE(t.ok());
      auto object = std::make_shared<const dedup::NormalizedText>(*std::move(t));
      note.facts.push_back(
          {.line = 5 + f, .text_hash = dedup::Hash64(object->clean), .normalized = object.get()});
      note.owners.push_back(std::move(object));
    }
    index.Add(std::move(note));
  }
  ClaimCache claims;
  for (uint64_t k = 0; k < 40000; ++k) {
    auto c = std::make_shared<ClaimSummary>();
    c->content = {k, k * 0x9e3779b97f4a7c15ULL | 1, ~uint64_t{0} - k};
    std::sort(c->content.begin(), c->content.end());
    c->content.erase(std::unique(c->content.begin(), c->content.end()), c->content.end());
    c->names = {dedup::Hash64(absl::StrCat("Name", k % 7))};
    c->dates = k % 2;
    claims.emplace(k * 0x9e3779b97f4a7c15ULL, std::move(c));
  }
  index.set_claims(claims);
  const std::string bytes = index.Encode();
  FactIndex decoded(options);
  ASSERT_TRUE(decoded.Decode(bytes).ok());
  ASSERT_EQ(decoded.notes().size(), 300u);
  for (int n = 0; n < 300; ++n) {
    const IndexedNote& d = decoded.notes()[n];
    EXPECT_EQ(d.path, absl::StrCat("Accounts/A", n, ".md"));
    EXPECT_EQ(d.mtime_ns, n * 1000LL);
    ASSERT_EQ(d.facts.size(), 3u);
    EXPECT_EQ(
        NormalizedOf(d.facts[2], absl::StrCat("Account ", n, " bought 2 PB of storage."))->clean,
        absl::StrCat("Account ", n, " bought 2 PB of storage."));
  }
  ASSERT_EQ(decoded.claims().size(), claims.size());
  claims.ForEach([&](uint64_t key, const ClaimCache::Summary& c) {
    ClaimCache::Summary d = decoded.claims().Find(key);
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(*d, *c);
  });
  EXPECT_EQ(decoded.Encode(), bytes);
  // One thread (--threads 1) encodes the same bytes and decodes the claims after the notes.
  dedup::DedupOptions one_thread;
  one_thread.threads = 1;
  FactIndex serial(one_thread);
  ASSERT_TRUE(serial.Decode(bytes).ok());
  EXPECT_EQ(serial.claims().size(), claims.size());
  EXPECT_EQ(serial.Encode(), bytes);
  // Saved, the claims are written a piece at a time: the same bytes.
  std::unique_ptr<FileSystem> fs = NewMemFileSystem();
  ASSERT_TRUE(fs->MakeDirs("v").ok());
  ASSERT_TRUE(SaveIndex(fs.get(), "v", index).ok());
  EXPECT_TRUE(fs->ReadFile(JoinPath("v", kIndexFile), 1 << 30).value_or("") == bytes);
}

TEST(FactIndex, LoadedFactsStayBytesAndOneThatDoesNotDecodeIsNormalizedAgain) {
  auto fs = MemVault();
  Vault vault = Load(fs.get());
  Scanned cold = ScanWith(vault, FactIndex(vault.config.dedup));
  auto bytes = std::make_shared<std::string>(cold.next.Encode());
  FactIndex loaded(vault.config.dedup);
  ASSERT_TRUE(loaded.Decode(bytes).ok());
  const IndexedFact& f = loaded.notes()[0].facts[0];
  EXPECT_EQ(f.normalized, nullptr) << "decoded by the scan that reads it";
  ASSERT_FALSE(f.encoded.empty());
  EXPECT_EQ(f.encoded.data(), bytes->data() + LayoutOf(*bytes).encodings) << "a view, no copy";
  const std::map<std::pair<std::string, int>, std::string> texts = TextsOf(vault);
  const std::string& text = texts.at({"Accounts/Contoso.md", 5});
  ASSERT_EQ(text, "Contoso signed a $2M storage deal with Fabrikam in March 2025.");
  ASSERT_NE(NormalizedOf(f, text), nullptr);
  const dedup::Normalizer normalizer;
  absl::StatusOr<dedup::NormalizedText> want = normalizer.Normalize(text);
  ASSERT_TRUE(want.ok());
  EXPECT_EQ(NormalizedOf(f, text)->clean, want->clean);
  // The first token's kind byte out of range, with the size and checksum made to match: only
  // a file made to pass the checksum gets here. The fact's bytes are never trusted: its
  // normalization is not given, the scan normalizes it again, and the next index keeps that.
  const size_t clean_size = static_cast<uint8_t>(f.encoded[0]);
  ASSERT_LT(clean_size, 0x80u);  // one varint byte, then clean, flags, token count (one byte)
  const size_t kind_at = static_cast<size_t>(f.encoded.data() - bytes->data()) + 1 + clean_size + 2;
  Reseal(bytes.get(), [&](std::string* body) { (*body)[kind_at - 76] = 0x3f; });
  FactIndex damaged(vault.config.dedup);
  ASSERT_TRUE(damaged.Decode(*bytes).ok());
  EXPECT_EQ(NormalizedOf(damaged.notes()[0].facts[0], text), nullptr);
  EXPECT_NE(NormalizedOf(damaged.notes()[0].facts[1],
                         texts.at({"Accounts/Contoso.md", damaged.notes()[0].facts[1].line})),
            nullptr);
  Scanned warm = ScanWith(vault, damaged);
  EXPECT_EQ(Describe(vault, warm.result), Describe(vault, cold.result));
  std::shared_ptr<const dedup::NormalizedText> again =
      NormalizedOf(warm.next.notes()[0].facts[0], text);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->clean, want->clean);
  ASSERT_EQ(again->all_tokens.size(), want->all_tokens.size());
  EXPECT_EQ(again->all_tokens[0].kind, want->all_tokens[0].kind);
}

// A record leaves out a cleaned text equal to the fact's text (most facts), and keeps one that
// differs (a curly quote folded, an ellipsis cut off); both read back as the normalizer's.
TEST(FactIndex, ARecordLeavesOutACleanTextEqualToTheFactsText) {
  auto fs = std::make_unique<CountingFs>(NewMemFileSystem());
  ASSERT_TRUE(fs->WriteFileAtomic("v/a.md",
                                  "## Key Facts\n\n"
                                  "- Contoso signed a $2M storage deal with Fabrikam.\n"
                                  "- Contoso\u2019s storage deal with Fabrikam was worth $2M.\n"
                                  "- Ann Lee leads the Contoso account in Redmond and now...\n",
                                  {})
                  .ok());
  Vault vault = Load(fs.get());
  Scanned cold = ScanWith(vault, FactIndex(vault.config.dedup));
  const std::map<std::pair<std::string, int>, std::string> texts = TextsOf(vault);
  ASSERT_EQ(cold.next.notes().size(), 1u);
  const IndexedNote& note = cold.next.notes()[0];
  ASSERT_EQ(note.facts.size(), 3u);
  const dedup::Normalizer normalizer;
  FactIndex loaded(vault.config.dedup);
  ASSERT_TRUE(loaded.Decode(cold.next.Encode()).ok());
  for (size_t f = 0; f < 3; ++f) {
    const std::string& text = texts.at({"a.md", note.facts[f].line});
    absl::StatusOr<dedup::NormalizedText> want = normalizer.Normalize(text);
    ASSERT_TRUE(want.ok());
    // The record starts with the cleaned text's length: 0 when it is left out.
    EXPECT_EQ(note.facts[f].encoded[0] == 0, want->clean == text) << text;
    EXPECT_EQ(want->clean == text, f == 0) << text;
    for (const IndexedFact* x : {&note.facts[f], &loaded.notes()[0].facts[f]}) {
      std::shared_ptr<const dedup::NormalizedText> got = NormalizedOf(*x, text);
      ASSERT_NE(got, nullptr);
      EXPECT_EQ(got->clean, want->clean);
      EXPECT_EQ(got->truncated, want->truncated);
      ASSERT_EQ(got->all_tokens.size(), want->all_tokens.size());
      for (size_t k = 0; k < got->all_tokens.size(); ++k) {
        EXPECT_EQ(got->all_tokens[k].text, want->all_tokens[k].text);
      }
    }
  }
  // A left-out text is never read from bytes that claim one anyway.
  std::string record(note.facts[0].encoded);
  ASSERT_EQ(record[0], 0);
  record.insert(1, "x");
  record[0] = 1;
  IndexedNote bad;
  bad.facts.resize(1);
  bad.SetEncoded(0, record);
  EXPECT_EQ(NormalizedOf(bad.facts[0], texts.at({"a.md", note.facts[0].line})), nullptr);
}

// EncodeParts' parts, joined, are Encode()'s bytes; the facts' encodings are viewed, not
// copied (a scan's are back to back in its arena: few parts).
TEST(FactIndex, EncodePartsViewTheFactsEncodings) {
  auto fs = MemVault();
  Vault vault = Load(fs.get());
  Scanned cold = ScanWith(vault, FactIndex(vault.config.dedup), /*keep_corpus=*/true);
  ASSERT_FALSE(cold.next.corpus().empty());
  const EncodedIndex parts = cold.next.EncodeParts();
  std::string joined;
  for (absl::string_view part : parts.parts) joined.append(part.data(), part.size());
  EXPECT_EQ(joined, cold.next.Encode());
  EXPECT_EQ(parts.size(), joined.size());
  FactIndex decoded(vault.config.dedup);
  ASSERT_TRUE(decoded.Decode(joined).ok()) << "size and checksum computed over the parts";
  EXPECT_FALSE(decoded.corpus().empty());
  EXPECT_TRUE(decoded.corpus().in_place()) << "its arrays aligned in the file, read in place";
  size_t facts = 0;
  std::set<const char*> encoding_parts;  // the parts that view encodings
  for (const IndexedNote& note : cold.next.notes()) {
    for (const IndexedFact& f : note.facts) {
      ++facts;
      const auto part =
          std::find_if(parts.parts.begin(), parts.parts.end(), [&](absl::string_view p) {
            return f.encoded.data() >= p.data() &&
                   f.encoded.data() + f.encoded.size() <= p.data() + p.size();
          });
      EXPECT_TRUE(part != parts.parts.end()) << note.path << ":" << f.line;
      if (part != parts.parts.end()) encoding_parts.insert(part->data());
    }
  }
  // Header, notes' columns, claims and the corpus state's fixed fields are a part each (owned),
  // the corpus state's arrays views of it; the encodings, back to back in a thread's arena
  // block, take a part per block.
  EXPECT_LT(encoding_parts.size(), facts) << "adjacent encodings are one part";
  std::string corpus_head;
  std::vector<absl::string_view> corpus_arrays;
  cold.next.corpus().EncodeParts(&corpus_head, &corpus_arrays);
  for (absl::string_view a : corpus_arrays) {
    EXPECT_TRUE(std::any_of(parts.parts.begin(), parts.parts.end(), [&](absl::string_view part) {
      return a.data() >= part.data() && a.data() + a.size() <= part.data() + part.size();
    })) << "the corpus state's arrays are written from where they are";
  }
  // Facts that hold objects (a decoded index encoded again) are encoded into `pieces`.
  FactIndex objects(vault.config.dedup);
  for (const IndexedNote& note : cold.next.notes()) {
    IndexedNote copy{note.path, note.size, note.mtime_ns, note.content_hash, {}};
    for (const IndexedFact& f : note.facts) {
      const std::map<std::pair<std::string, int>, std::string> texts = TextsOf(vault);
      std::shared_ptr<const dedup::NormalizedText> object =
          NormalizedOf(f, texts.at({note.path, f.line}));
      copy.facts.push_back({.line = f.line, .text_hash = f.text_hash, .normalized = object.get()});
      copy.owners.push_back(std::move(object));
    }
    objects.Add(std::move(copy));
  }
  const EncodedIndex again = objects.EncodeParts();
  EXPECT_FALSE(again.pieces.empty());
  FactIndex reread(vault.config.dedup);
  std::string bytes;
  for (absl::string_view part : again.parts) bytes.append(part.data(), part.size());
  ASSERT_TRUE(reread.Decode(bytes).ok());
  ASSERT_EQ(reread.notes().size(), cold.next.notes().size());
}

TEST(NoteContentHash, IsHash64OfTheBytesAtEverySize) {
  // Sizes around XXH3's short, medium and long paths (and its stripes and blocks).
  std::string bytes;
  uint64_t x = 0x9E3779B97F4A7C15ULL;
  for (int i = 0; i < 70000; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    bytes.push_back(static_cast<char>(x));
  }
  for (size_t size : {0,   1,   3,   4,   8,    9,    16,   17,   128,   129,
                      240, 241, 255, 256, 1023, 1024, 1025, 4096, 65536, 70000}) {
    SCOPED_TRACE(size);
    const absl::string_view b(bytes.data(), size);
    EXPECT_EQ(NoteContentHash(b), dedup::Hash64(b));
    const absl::string_view later(bytes.data() + 1, size);  // at another alignment
    EXPECT_EQ(NoteContentHash(later), dedup::Hash64(later));
  }
}

TEST(FactIndex, ClaimSummariesRoundTrip) {
  auto fs = MemVault();
  Vault vault = Load(fs.get());
  Scanned cold = ScanWith(vault, FactIndex(vault.config.dedup));
  ClaimCache claims;
  ASSERT_TRUE(FindConflicts(vault, cold.result, {}, nullptr, nullptr, &claims).ok());
  ASSERT_FALSE(claims.empty());
  bool some_dates = false, some_names = false;
  claims.ForEach([&](uint64_t, const ClaimCache::Summary& c) {
    some_dates |= c->dates;
    some_names |= !c->names.empty();
  });
  EXPECT_TRUE(some_dates && some_names) << "the sample states dates and names";
  cold.next.set_claims(claims);
  FactIndex decoded(vault.config.dedup);
  ASSERT_TRUE(decoded.Decode(cold.next.Encode()).ok());
  ASSERT_EQ(decoded.claims().size(), claims.size());
  claims.ForEach([&](uint64_t key, const ClaimCache::Summary& c) {
    ClaimCache::Summary d = decoded.claims().Find(key);
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(*d, *c);
  });
  EXPECT_EQ(decoded.Encode(), cold.next.Encode());
  // Damage inside the claims (the last bytes of the body) is caught by the checksum, and a
  // claims section cut short is caught even with a matching checksum; the notes decoded
  // beside it are not kept either.
  std::string bytes = cold.next.Encode();
  bytes[bytes.size() - 2] ^= 0x40;
  FactIndex damaged(vault.config.dedup);
  EXPECT_FALSE(damaged.Decode(bytes).ok());
  bytes = cold.next.Encode();
  Reseal(&bytes, [](std::string* body) { body->resize(body->size() - 3); });
  ASSERT_TRUE(damaged.Decode(decoded.Encode()).ok());
  absl::Status s = damaged.Decode(bytes);
  EXPECT_THAT(s.message(), HasSubstr("malformed"));
  EXPECT_TRUE(damaged.claims().empty());
  EXPECT_TRUE(damaged.notes().empty());
}

TEST(FactIndex, LineSummariesRoundTrip) {
  auto fs = MemVault();
  Vault vault = Load(fs.get());
  const FactIndex full = FullIndex(vault);
  const LineSummaries& lines = full.line_summaries();
  ASSERT_EQ(lines.size(), vault.notes.size());
  FactIndex decoded(vault.config.dedup);
  ASSERT_TRUE(decoded.Decode(full.Encode()).ok());
  EXPECT_EQ(decoded.line_summaries().bytes(), lines.bytes());
  EXPECT_EQ(decoded.Encode(), full.Encode());
  // Every note is found by its bytes, and the loaded section tells the same keys and spellings.
  for (const Note& note : vault.notes) {
    const ptrdiff_t at = lines.Find(note.content);
    ASSERT_GE(at, 0) << note.path;
    EXPECT_EQ(decoded.line_summaries().Find(note.content), at);
    for (uint32_t key : {0u, 1u, 0xdeadbeefu}) {
      EXPECT_EQ(decoded.line_summaries().HasKey(at, key), lines.HasKey(at, key));
    }
  }
  EXPECT_EQ(lines.Find("no such note"), -1);
  // An index without line summaries round-trips as one (an empty section).
  FactIndex none = FullIndex(vault);
  none.set_line_summaries(LineSummaries());
  FactIndex none_decoded(vault.config.dedup);
  ASSERT_TRUE(none_decoded.Decode(none.Encode()).ok());
  EXPECT_TRUE(none_decoded.line_summaries().empty());
  EXPECT_FALSE(none_decoded.notes().empty());
}

// A cache of `n` made-up summaries under spread keys (the extremes 0 and ~0 among them from
// n = 3 on), as a run's map.
ClaimCache MadeUpClaims(size_t n) {
  ClaimCache claims;
  uint64_t x = 0x243f6a8885a308d3ULL;
  auto next = [&] { return x = x * 6364136223846793005ULL + 1442695040888963407ULL; };
  for (size_t k = 0; k < n; ++k) {
    auto c = std::make_shared<ClaimSummary>();
    for (size_t t = 0; t < next() % 9; ++t) c->content.push_back(next());
    for (size_t t = 0; t < next() % 3; ++t) c->names.push_back(next());
    for (std::vector<uint64_t>* v : {&c->content, &c->names}) {
      std::sort(v->begin(), v->end());
      v->erase(std::unique(v->begin(), v->end()), v->end());
    }
    c->dates = k % 2;
    c->amounts = k % 3 == 0;
    c->polar = k % 5 == 0;
    const uint64_t key = k == 0 && n >= 3 ? 0 : k == 1 && n >= 3 ? ~uint64_t{0} : next();
    claims.emplace(key, std::move(c));
  }
  return claims;
}

TEST(ClaimCache, ALoadedSectionFindsWhatItsMapFinds) {
  const dedup::DedupOptions options;
  for (size_t n : {0, 1, 2, 3, 1000}) {
    SCOPED_TRACE(n);
    const ClaimCache map = MadeUpClaims(n);
    ASSERT_EQ(map.size(), n);
    FactIndex index(options);
    index.set_claims(map);
    const std::string bytes = index.Encode();
    FactIndex decoded(options);
    ASSERT_TRUE(decoded.Decode(bytes).ok());
    const ClaimCache& loaded = decoded.claims();
    ASSERT_NE(loaded.section(), nullptr) << "read in place";
    ASSERT_EQ(loaded.size(), n);
    EXPECT_EQ(loaded.empty(), n == 0);
    std::vector<uint64_t> keys;
    map.ForEach([&](uint64_t key, const ClaimCache::Summary& c) {
      keys.push_back(key);
      ClaimCache::Summary d = loaded.Find(key);
      ASSERT_NE(d, nullptr) << key;
      EXPECT_EQ(*d, *c);
      EXPECT_TRUE(loaded.contains(key));
      // By place: the summary, and its hashes read in place.
      EXPECT_EQ(map.Place(key), -1) << "a map has no places";
      const ptrdiff_t at = loaded.Place(key);
      ASSERT_GE(at, 0) << key;
      EXPECT_EQ(loaded.SummaryAt(static_cast<size_t>(at)), *c);
      for (const bool names : {false, true}) {
        const ClaimCache::Hashes h = names ? loaded.NamesAt(static_cast<size_t>(at))
                                           : loaded.ContentAt(static_cast<size_t>(at));
        std::vector<uint64_t> read;
        for (size_t k = 0; k < h.count; ++k) read.push_back(h.Hash(k));
        EXPECT_EQ(read, names ? c->names : c->content) << key;
      }
    });
    // Keys it does not have: beside every key it has, the extremes, and spread ones.
    std::vector<uint64_t> absent = {0, 1, 2, ~uint64_t{0}, ~uint64_t{0} - 1, uint64_t{1} << 63};
    for (uint64_t key : keys) absent.insert(absent.end(), {key - 1, key + 1, key ^ (1ULL << 40)});
    for (uint64_t k = 0; k < 2000; ++k) absent.push_back(k * 0x9e3779b97f4a7c15ULL);
    for (uint64_t key : absent) {
      EXPECT_EQ(loaded.Place(key) < 0, !map.contains(key)) << key;
      EXPECT_EQ(loaded.Find(key) == nullptr, !map.contains(key)) << key;
      EXPECT_EQ(loaded.contains(key), map.contains(key)) << key;
    }
    size_t visited = 0;
    loaded.ForEach([&](uint64_t key, const ClaimCache::Summary& c) {
      ++visited;
      ASSERT_TRUE(map.contains(key));
      EXPECT_EQ(*c, *map.Find(key));
    });
    EXPECT_EQ(visited, n);
    // Written back as it was read, and a copy shares the section.
    EXPECT_EQ(decoded.Encode(), bytes);
    const ClaimCache copy = loaded;
    EXPECT_EQ(copy.section(), loaded.section());
    // Adding to a loaded cache makes it a map of every summary and the new one.
    ClaimCache more = loaded;
    auto extra = std::make_shared<ClaimSummary>();
    extra->content = {7, 9};
    const uint64_t new_key = 0x5555555555555555ULL;
    ASSERT_FALSE(map.contains(new_key));
    more.emplace(new_key, extra);
    EXPECT_EQ(more.section(), nullptr);
    EXPECT_EQ(more.size(), n + 1);
    ClaimCache map_more = map;
    map_more.emplace(new_key, extra);
    FactIndex from_loaded(options), from_map(options);
    from_loaded.set_claims(more);
    from_map.set_claims(map_more);
    EXPECT_EQ(from_loaded.Encode(), from_map.Encode());
    EXPECT_EQ(loaded.size(), n) << "the copy added to, not the loaded cache";
  }
}

TEST(ScanVaultIndexed, ColdWarmAndPlainScansAreIdentical) {
  absl::StatusOr<Config> config = LoadConfig(DefaultFileSystem(), SourcePath("data/vault"));
  ASSERT_TRUE(config.ok());
  absl::StatusOr<Vault> vault = LoadVault(DefaultFileSystem(), SourcePath("data/vault"), *config);
  ASSERT_TRUE(vault.ok());
  absl::StatusOr<ScanResult> plain = ScanVault(*vault, vault->config.dedup);
  ASSERT_TRUE(plain.ok());
  Scanned cold = ScanWith(*vault, FactIndex(vault->config.dedup));
  FactIndex saved(vault->config.dedup);
  ASSERT_TRUE(saved.Decode(cold.next.Encode()).ok());
  Scanned warm = ScanWith(*vault, saved);
  // Straight from the cold run's index, whose facts are kept as bytes.
  Scanned from_bytes = ScanWith(*vault, cold.next);
  ASSERT_GT(plain->dedup.clusters.size(), 10u);
  EXPECT_EQ(Describe(*vault, cold.result), Describe(*vault, *plain));
  EXPECT_EQ(Describe(*vault, warm.result), Describe(*vault, *plain));
  EXPECT_EQ(Describe(*vault, from_bytes.result), Describe(*vault, *plain));
  EXPECT_EQ(from_bytes.stats.facts_normalized, 0);
  EXPECT_EQ(cold.stats.facts_reused, 0);
  EXPECT_EQ(cold.stats.facts_normalized, static_cast<int64_t>(plain->facts.size()));
  EXPECT_EQ(warm.stats.facts_normalized, 0);
  EXPECT_EQ(warm.stats.facts_reused, static_cast<int64_t>(plain->facts.size()));
  EXPECT_EQ(warm.stats.notes_indexed, 0);
}

TEST(ScanVaultIndexed, ANoteFoundByContentTakesTheTextHashOfTheSavedFactAtEachLine) {
  // The saved note (same bytes) was scanned with other fact sections: it has entries for the
  // facts of "Other" only, at other places among its facts than this scan's. A fact takes the
  // saved text hash at its own line, and is hashed where the saved note has none.
  auto fs = MemVault();
  ASSERT_TRUE(fs->WriteFileAtomic("v/Accounts/Mixed.md",
                                  "# Mixed\n\n## Key Facts\n\n"
                                  "- Contoso renewed its Fabrikam contract in May 2025.\n"
                                  "- Fabrikam opened an office in Oslo.\n\n"
                                  "## Other\n\n"
                                  "- Ann Lee moved to the Oslo office in 2024.\n"
                                  "- The Oslo office uses Azure Blob for backups.\n\n"
                                  "## More\n\n"
                                  "- Contoso and Fabrikam share a data center in Bergen.\n",
                                  {})
                  .ok());
  Config narrow;
  narrow.vault.fact_sections = {"Other"};
  absl::StatusOr<Vault> before = LoadVault(fs.get(), "v", narrow);
  ASSERT_TRUE(before.ok());
  Scanned first = ScanWith(*before, FactIndex(narrow.dedup));
  FactIndex saved(narrow.dedup);
  ASSERT_TRUE(saved.Decode(first.next.Encode()).ok());
  ASSERT_EQ(saved.FindByPath("Accounts/Mixed.md")->facts.size(), 2u);

  const Vault vault = Load(fs.get());  // every section
  Scanned warm = ScanWith(vault, saved);
  absl::StatusOr<ScanResult> plain = ScanVault(vault, vault.config.dedup);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(Describe(vault, warm.result), Describe(vault, *plain));
  const auto texts = TextsOf(vault);
  size_t checked = 0;
  for (const IndexedNote& note : warm.next.notes()) {
    for (const IndexedFact& f : note.facts) {
      const auto it = texts.find({note.path, f.line});
      ASSERT_NE(it, texts.end()) << note.path << ":" << f.line;
      EXPECT_EQ(f.text_hash, dedup::Hash64(it->second)) << note.path << ":" << f.line;
      ++checked;
    }
  }
  EXPECT_EQ(checked, texts.size());
  EXPECT_EQ(warm.next.FindByPath("Accounts/Mixed.md")->facts.size(), 5u);
  // The two facts of "Other" (by content), and the other notes' (by content too).
  EXPECT_EQ(warm.stats.facts_reused, static_cast<int64_t>(first.result.facts.size()));
  EXPECT_EQ(warm.stats.notes_reused, 3);
}

TEST(NormalizedDisplays, GivesTheDefaultNormalizationOfEachDisplayTheScanCompared) {
  auto fs = MemVault();
  ASSERT_TRUE(fs->WriteFileAtomic("v/Accounts/Log.md",
                                  "# Log\n\n## Key Facts\n\n"
                                  "- 2025-11-12: Contoso moved its backups to Azure Blob.\n"
                                  "- Contoso moved its backups to Azure Blob in 2025.\n"
                                  "- Contoso keeps its backups in West Europe (sources: "
                                  "[[People/Ann Lee]])\n",
                                  {})
                  .ok());
  const Vault vault = Load(fs.get());
  const dedup::DedupOptions& options = vault.config.dedup;
  // Cold (facts kept as bytes) and warm (facts shared with the loaded index) alike.
  Scanned cold = ScanWith(vault, FactIndex(options));
  FactIndex saved(options);
  ASSERT_TRUE(saved.Decode(cold.next.Encode()).ok());
  Scanned warm = ScanWith(vault, saved);
  const dedup::Normalizer normalizer;
  for (Scanned* s : {&cold, &warm}) {
    auto given = NormalizedDisplays(s->next, vault, s->result, options);
    ASSERT_TRUE(given);
    int logged = 0, sourced = 0;
    dedup::NormalizedText scratch;
    for (size_t i = 0; i < s->result.facts.size(); ++i) {
      const std::string display(s->result.display(vault, static_cast<int>(i)));
      const dedup::NormalizedText* t = given(static_cast<int>(i), &scratch);
      if (absl::StartsWith(display, "2025-11-12: ")) {
        EXPECT_EQ(t, nullptr) << "the scan compared the text without its log date";
        ++logged;
        continue;
      }
      if (absl::StrContains(display, "West Europe")) {
        EXPECT_EQ(t, nullptr) << "the scan compared the text without its sources";
        ++sourced;
        continue;
      }
      ASSERT_NE(t, nullptr) << display;
      absl::StatusOr<dedup::NormalizedText> want = normalizer.Normalize(display);
      ASSERT_TRUE(want.ok());
      EXPECT_EQ(t->clean, want->clean);
      EXPECT_EQ(t->truncated, want->truncated);
      EXPECT_EQ(t->repaired_mojibake, want->repaired_mojibake);
      ASSERT_EQ(t->tokens.size(), want->tokens.size()) << display;
      EXPECT_TRUE(t->all_tokens.empty()) << "what the conflict pass does not read";
      for (size_t k = 0; k < t->tokens.size(); ++k) {
        EXPECT_EQ(t->tokens[k].text, want->tokens[k].text);
        EXPECT_EQ(t->tokens[k].kind, want->tokens[k].kind);
        EXPECT_EQ(t->tokens[k].lowercase, want->tokens[k].lowercase);
        EXPECT_EQ(t->tokens[k].capitalized, want->tokens[k].capitalized);
      }
    }
    EXPECT_EQ(logged, 1);
    EXPECT_EQ(sourced, 1);
    // Each fact's entry is looked up when it is asked for: asked in any order, from several
    // threads at once, the answers are the same.
    const size_t n = s->result.facts.size();
    auto answers = [&](bool reverse) {
      std::vector<std::string> out(n);
      dedup::NormalizedText own;
      for (size_t j = 0; j < n; ++j) {
        const size_t i = reverse ? n - 1 - j : j;
        const dedup::NormalizedText* t = given(static_cast<int>(i), &own);
        out[i] = t == nullptr ? "(none)" : t->clean;
      }
      return out;
    };
    auto fresh = NormalizedDisplays(s->next, vault, s->result, options);
    const std::vector<std::string> in_order = answers(false);
    given = fresh;
    std::vector<std::string> a, b;
    std::thread other([&] { b = answers(true); });
    a = answers(true);
    other.join();
    EXPECT_EQ(a, in_order);
    EXPECT_EQ(b, in_order);
  }
  // An empty index: nothing given.
  EXPECT_FALSE(NormalizedDisplays(FactIndex(options), vault, cold.result, options));
  // Other normalize options: nothing given.
  dedup::DedupOptions other = options;
  other.normalize.stem = false;
  EXPECT_FALSE(NormalizedDisplays(cold.next, vault, cold.result, other));
}

TEST(FindConflicts, SameResultWithNormalizationsFromTheIndex) {
  absl::StatusOr<Config> config = LoadConfig(DefaultFileSystem(), SourcePath("data/vault"));
  ASSERT_TRUE(config.ok());
  absl::StatusOr<Vault> vault = LoadVault(DefaultFileSystem(), SourcePath("data/vault"), *config);
  ASSERT_TRUE(vault.ok());
  Scanned cold = ScanWith(*vault, FactIndex(vault->config.dedup));
  ConflictOptions options;
  options.normalized = NormalizedDisplays(cold.next, *vault, cold.result, vault->config.dedup);
  ASSERT_TRUE(options.normalized);
  absl::StatusOr<std::vector<Conflict>> plain = FindConflicts(*vault, cold.result);
  absl::StatusOr<std::vector<Conflict>> given = FindConflicts(*vault, cold.result, options);
  ASSERT_TRUE(plain.ok() && given.ok());
  ASSERT_GT(plain->size(), 5u);
  ASSERT_EQ(plain->size(), given->size());
  for (size_t i = 0; i < plain->size(); ++i) {
    EXPECT_EQ((*plain)[i].type, (*given)[i].type);
    EXPECT_EQ((*plain)[i].suggestion, (*given)[i].suggestion);
    ASSERT_EQ((*plain)[i].facts.size(), (*given)[i].facts.size());
    for (size_t k = 0; k < (*plain)[i].facts.size(); ++k) {
      EXPECT_EQ((*plain)[i].facts[k].path, (*given)[i].facts[k].path);
      EXPECT_EQ((*plain)[i].facts[k].line, (*given)[i].facts[k].line);
      EXPECT_EQ((*plain)[i].facts[k].value, (*given)[i].facts[k].value);
    }
  }
}

TEST(ScanVaultIndexed, OnlyTheChangedNoteIsReindexed) {
  auto fs = MemVault();
  Vault before = Load(fs.get());
  Scanned cold = ScanWith(before, FactIndex(before.config.dedup));
  ASSERT_TRUE(SaveIndex(fs.get(), "v", cold.next).ok());
  // Append one paraphrase to one note.
  ASSERT_TRUE(fs->WriteFileAtomic("v/People/Ann Lee.md",
                                  std::string(kPerson) +
                                      "- Before Microsoft, Ann Lee spent six years at VAST Data.\n",
                                  {})
                  .ok());
  Vault after = Load(fs.get());
  std::string problem;
  FactIndex saved = LoadIndex(fs.get(), "v", after.config.dedup, &problem);
  EXPECT_EQ(problem, "");
  Scanned warm = ScanWith(after, saved);
  EXPECT_EQ(warm.stats.notes_reused, 1);
  EXPECT_EQ(warm.stats.notes_indexed, 1);
  EXPECT_EQ(warm.stats.facts_normalized, 1) << "only the new bullet is normalized";
  EXPECT_EQ(warm.stats.facts_reused, 7);
  absl::StatusOr<ScanResult> plain = ScanVault(after, after.config.dedup);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(Describe(after, warm.result), Describe(after, *plain));
  EXPECT_THAT(Describe(after, warm.result), HasSubstr("Ann Lee.md:8"));
}

TEST(ScanVaultIndexed, BaseCopyReusesNotesOfTheSameContent) {
  auto fs = MemVault();
  ASSERT_TRUE(fs->WriteFileAtomic("base/Accounts/Contoso.md", kAccount, {}).ok());
  ASSERT_TRUE(fs->WriteFileAtomic("base/People/Ann Lee.md", "# Ann Lee\n- other\n", {}).ok());
  Vault now = Load(fs.get());
  Scanned cold = ScanWith(now, FactIndex(now.config.dedup));
  Vault base = Load(fs.get(), "base");
  IndexStats stats;
  const FactIndex* previous[] = {&cold.next};
  absl::StatusOr<ScanResult> r =
      ScanVaultIndexed(base, base.config.dedup, previous, nullptr, &stats);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(stats.notes_reused, 1);
  EXPECT_EQ(stats.facts_reused, 4);
}

// Damage to a saved index, and the message that must name it.
struct BadIndexCase {
  std::string name;
  std::function<void(std::string*)> damage;
  std::string message;
};

// Sets the little-endian u32 or u64 at `at` of an encoded index (an offset from LayoutOf).
void Set32(std::string* b, size_t at, uint32_t v) { internal::StoreLe(b->data() + at, v); }
void Set64(std::string* b, size_t at, uint64_t v) { internal::StoreLe(b->data() + at, v); }
uint32_t Get32(const std::string& b, size_t at) { return internal::LoadLe<uint32_t>(&b[at]); }
uint64_t Get64(const std::string& b, size_t at) { return internal::LoadLe<uint64_t>(&b[at]); }

// `edit` applied to the whole file at LayoutOf's offsets, then the size and checksum resealed.
std::function<void(std::string*)> Resealed(std::function<void(std::string*, const Layout&)> edit) {
  return [edit](std::string* b) {
    const Layout l = LayoutOf(*b);
    edit(b, l);
    Reseal(b, [](std::string*) {});
  };
}

// A byte flipped at the offset `where` gives, without resealing.
std::function<void(std::string*)> Flipped(std::function<size_t(const Layout&)> where) {
  return [where](std::string* b) { (*b)[where(LayoutOf(*b))] ^= 0x10; };
}

TEST(LoadIndex, DamagedOrForeignIndexIsIgnoredAndResultsAreUnchanged) {
  const std::vector<BadIndexCase> cases = {
      {"magic", [](std::string* b) { (*b)[0] = 'X'; }, "magic"},
      {"version", [](std::string* b) { (*b)[8] = 99; }, "format version 99"},
      {"version 3", [](std::string* b) { (*b)[8] = 3; },
       absl::StrCat("format version 3, expected ", kIndexFormatVersion)},
      {"params", [](std::string* b) { (*b)[16] ^= 1; }, "other parameters"},
      {"fact text version", [](std::string* b) { (*b)[56] ^= 1; }, "other parameters"},
      {"checksum", [](std::string* b) { b->back() ^= 0x40; }, "checksum"},
      {"truncated", [](std::string* b) { b->resize(b->size() - 7); }, "truncated"},
      {"header only", [](std::string* b) { b->resize(20); }, "truncated"},
      {"empty", [](std::string* b) { b->clear(); }, "magic"},
      // A byte flipped in each section: the checksum catches it.
      {"flipped notes section size", Flipped([](const Layout&) { return 76 + 6; }), "checksum"},
      {"flipped note count", Flipped([](const Layout& l) { return l.note_count; }), "checksum"},
      {"flipped content hash", Flipped([](const Layout& l) { return l.content_hashes + 3; }),
       "checksum"},
      {"flipped fact count", Flipped([](const Layout& l) { return l.fact_counts; }), "checksum"},
      {"flipped line", Flipped([](const Layout& l) { return l.lines; }), "checksum"},
      {"flipped text hash", Flipped([](const Layout& l) { return l.text_hashes + 9; }), "checksum"},
      {"flipped encoded size", Flipped([](const Layout& l) { return l.encoded_sizes; }),
       "checksum"},
      {"flipped path", Flipped([](const Layout& l) { return l.paths; }), "checksum"},
      {"flipped encoding", Flipped([](const Layout& l) { return l.encodings + 10; }), "checksum"},
      {"flipped claim count", Flipped([](const Layout& l) { return l.claim_count; }), "checksum"},
      {"flipped claim key", Flipped([](const Layout& l) { return l.claim_keys + 1; }), "checksum"},
      {"flipped claim flags", Flipped([](const Layout& l) { return l.claim_flags; }), "checksum"},
      {"flipped claim hash", Flipped([](const Layout& l) { return l.claim_hashes + 2; }),
       "checksum"},
      {"flipped corpus state", Flipped([](const Layout& l) { return l.corpus + 40; }), "checksum"},
      // Bodies changed but with their size and checksum made to match.
      {"short body, matching checksum",
       [](std::string* b) { Reseal(b, [](std::string* body) { body->resize(body->size() - 5); }); },
       "malformed"},
      {"bytes after the claims, matching checksum",
       [](std::string* b) { Reseal(b, [](std::string* body) { body->push_back('\0'); }); },
       "malformed"},
      {"notes section size past the body, matching checksum",
       [](std::string* b) { Reseal(b, [](std::string* body) { (*body)[6] = 0x7f; }); },
       "malformed"},
      {"note count past the section, matching checksum",
       Resealed([](std::string* b, const Layout& l) { Set64(b, l.note_count, l.notes + 1); }),
       "malformed"},
      {"huge fact count, matching checksum",
       Resealed([](std::string* b, const Layout& l) { Set64(b, l.note_count + 8, ~0ull / 4); }),
       "malformed"},
      {"a note's fact count off by one, matching checksum",
       Resealed([](std::string* b, const Layout& l) {
         Set32(b, l.fact_counts, Get32(*b, l.fact_counts) + 1);
       }),
       "malformed"},
      {"encoding sizes past the section, matching checksum",
       Resealed([](std::string* b, const Layout& l) {
         Set32(b, l.encoded_sizes, Get32(*b, l.encoded_sizes) + 1);
       }),
       "malformed"},
      {"an encoding too short to be one, matching checksum",
       Resealed([](std::string* b, const Layout& l) {
         const uint32_t first = Get32(*b, l.encoded_sizes);
         Set32(b, l.encoded_sizes, 2);  // the sum is kept
         Set32(b, l.encoded_sizes + 4, Get32(*b, l.encoded_sizes + 4) + first - 2);
       }),
       "malformed"},
      {"a line past the int range, matching checksum",
       Resealed([](std::string* b, const Layout& l) { Set32(b, l.lines, 0x80000000u); }),
       "malformed"},
      {"path sizes past the section, matching checksum",
       Resealed([](std::string* b, const Layout& l) {
         Set32(b, l.fact_counts - 4 * l.notes, 0xffffffffu);
       }),
       "malformed"},
      {"claim count past the section, matching checksum",
       Resealed([](std::string* b, const Layout& l) { Set64(b, l.claim_count, l.claims + 1); }),
       "malformed"},
      {"claim keys out of order, matching checksum", Resealed([](std::string* b, const Layout& l) {
         const uint64_t first = Get64(*b, l.claim_keys);
         Set64(b, l.claim_keys, Get64(*b, l.claim_keys + 8));
         Set64(b, l.claim_keys + 8, first);
       }),
       "malformed"},
      {"claim key twice, matching checksum", Resealed([](std::string* b, const Layout& l) {
         Set64(b, l.claim_keys + 8, Get64(*b, l.claim_keys));
       }),
       "malformed"},
      {"claim flags out of range, matching checksum",
       Resealed([](std::string* b, const Layout& l) { (*b)[l.claim_flags] = 8; }), "malformed"},
      {"claim hashes past the section, matching checksum",
       Resealed([](std::string* b, const Layout& l) {
         Set32(b, l.content_counts, Get32(*b, l.content_counts) + 1);
       }),
       "malformed"},
      {"claim hashes not ascending, matching checksum",
       Resealed([](std::string* b, const Layout& l) {
         ASSERT_GE(Get32(*b, l.content_counts), 2u);
         const uint64_t first = Get64(*b, l.claim_hashes);
         Set64(b, l.claim_hashes, Get64(*b, l.claim_hashes + 8));
         Set64(b, l.claim_hashes + 8, first);
       }),
       "malformed"},
      {"flipped line summary key", Flipped([](const Layout& l) { return l.keys + 1; }), "checksum"},
      {"flipped spelling", Flipped([](const Layout& l) { return l.spelling_text; }), "checksum"},
      {"line summaries section size past the body, matching checksum",
       Resealed([](std::string* b, const Layout& l) { Set64(b, l.line_summaries - 8, b->size()); }),
       "malformed"},
      {"line summary note count past the section, matching checksum",
       Resealed(
           [](std::string* b, const Layout& l) { Set64(b, l.line_summaries, l.line_notes + 1); }),
       "malformed"},
      {"line summary contents out of order, matching checksum",
       Resealed([](std::string* b, const Layout& l) {
         const uint64_t first = Get64(*b, l.line_contents);
         Set64(b, l.line_contents, Get64(*b, l.line_contents + 8));
         Set64(b, l.line_contents + 8, first);
       }),
       "malformed"},
      {"line summary key ends past the keys, matching checksum",
       Resealed([](std::string* b, const Layout& l) {
         Set32(b, l.keys - 4, Get32(*b, l.keys - 4) + 1);
       }),
       "malformed"},
      {"line summary keys out of order, matching checksum",
       Resealed([](std::string* b, const Layout& l) {
         ASSERT_GE(Get32(*b, l.key_ends), 2u);
         const uint32_t first = Get32(*b, l.keys);
         Set32(b, l.keys, Get32(*b, l.keys + 4));
         Set32(b, l.keys + 4, first);
       }),
       "malformed"},
      {"spelling ends past the bytes, matching checksum",
       Resealed([](std::string* b, const Layout& l) {
         Set32(b, l.spelling_text - 4, Get32(*b, l.spelling_text - 4) + 1);
       }),
       "malformed"},
      {"corpus state section size past the body, matching checksum",
       Resealed([](std::string* b, const Layout& l) { Set64(b, l.corpus - 8, b->size()); }),
       "malformed"},
      {"corpus state of another kind, matching checksum",
       Resealed([](std::string* b, const Layout& l) { (*b)[l.corpus] = 'X'; }), "malformed"},
  };
  for (int threads : {1, 0}) {
    for (const BadIndexCase& c : cases) {
      SCOPED_TRACE(absl::StrCat(c.name, ", threads ", threads));
      auto fs = MemVault();
      Vault vault = Load(fs.get());
      vault.config.dedup.threads = threads;
      const FactIndex full = FullIndex(vault);
      ASSERT_FALSE(full.claims().empty());
      ASSERT_FALSE(full.corpus().empty());
      std::string bytes = full.Encode();
      ASSERT_TRUE(FactIndex(vault.config.dedup).Decode(bytes).ok());
      c.damage(&bytes);
      ASSERT_TRUE(fs->MakeDirs("v/.factdedup").ok());
      ASSERT_TRUE(fs->WriteFileAtomic("v/.factdedup/index.bin", bytes, {}).ok());
      std::string problem;
      FactIndex loaded = LoadIndex(fs.get(), "v", vault.config.dedup, &problem);
      EXPECT_THAT(problem, HasSubstr(c.message));
      EXPECT_THAT(problem, HasSubstr("v/.factdedup/index.bin"));
      EXPECT_TRUE(loaded.notes().empty());
      EXPECT_TRUE(loaded.claims().empty());
      EXPECT_TRUE(loaded.corpus().empty());
      EXPECT_TRUE(loaded.line_summaries().empty());
      Scanned rebuilt = ScanWith(vault, loaded);
      EXPECT_EQ(rebuilt.stats.facts_reused, 0);
      EXPECT_EQ(Describe(vault, rebuilt.result), Describe(vault, ScanWith(vault, full).result));
    }
  }
}

TEST(LoadIndex, SavedAndLoadedThroughThePosixFileSystem) {
  auto fs = MemVault();
  Vault vault = Load(fs.get());
  const FactIndex full = FullIndex(vault);
  const std::string root = ::testing::TempDir() + "/index_test_posix";
  FileSystem* posix = DefaultFileSystem();
  ASSERT_TRUE(SaveIndex(posix, root, full).ok());
  std::string problem;
  const FactIndex loaded = LoadIndex(posix, root, vault.config.dedup, &problem);
  EXPECT_EQ(problem, "");
  EXPECT_EQ(loaded.Encode(), full.Encode());
  ASSERT_TRUE(posix->Remove(JoinPath(root, kIndexFile)).ok());
}

// A scan writes its index in two steps: the notes and corpus state (then dropped from memory)
// before the conflict pass, the claims after. The file is the one-step file, byte for byte, on
// both file systems; a writer dropped before Finish leaves the old file and no temp file.
TEST(IndexWriter, TwoStepsWriteTheOneStepBytesAndAnUnfinishedOneWritesNothing) {
  auto mem = MemVault();
  Vault vault = Load(mem.get());
  const FactIndex full = FullIndex(vault);
  const std::string expected = full.Encode();
  const std::string dir = ::testing::TempDir() + "/index_test_writer";
  for (auto [fs, root] : {std::pair<FileSystem*, std::string>{mem.get(), "v"},
                          std::pair<FileSystem*, std::string>{DefaultFileSystem(), dir}}) {
    SCOPED_TRACE(root);
    ASSERT_TRUE(fs->MakeDirs(JoinPath(root, kIndexDir)).ok());
    ASSERT_TRUE(fs->WriteFileAtomic(JoinPath(root, kIndexFile), "old", std::nullopt).ok());
    FactIndex index = FullIndex(vault);
    {
      absl::StatusOr<std::unique_ptr<IndexWriter>> unfinished = IndexWriter::Begin(fs, root, index);
      ASSERT_TRUE(unfinished.ok()) << unfinished.status();
    }
    EXPECT_EQ(fs->ReadFile(JoinPath(root, kIndexFile), 1 << 20).value_or(""), "old");
    absl::StatusOr<std::unique_ptr<IndexWriter>> w = IndexWriter::Begin(fs, root, index);
    ASSERT_TRUE(w.ok()) << w.status();
    index.set_corpus(dedup::CorpusState());  // written: its memory may go
    ASSERT_TRUE((*w)->Finish(index.claims(), index.line_summaries()).ok());
    EXPECT_FALSE((*w)->Finish(index.claims(), index.line_summaries()).ok()) << "written once";
    absl::StatusOr<std::string> bytes = fs->ReadFile(JoinPath(root, kIndexFile), 1 << 30);
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    EXPECT_TRUE(*bytes == expected);
    absl::StatusOr<std::vector<DirEntry>> entries = fs->ListDir(JoinPath(root, kIndexDir));
    ASSERT_TRUE(entries.ok());
    for (const DirEntry& e : *entries) EXPECT_FALSE(IsTempFileName(e.name)) << e.name;
    std::string problem;
    EXPECT_FALSE(LoadIndex(fs, root, vault.config.dedup, &problem).corpus().empty());
    EXPECT_EQ(problem, "");
  }
}

TEST(LoadIndex, OtherOptionsMakeTheIndexForeign) {
  auto fs = MemVault();
  Vault vault = Load(fs.get());
  Scanned cold = ScanWith(vault, FactIndex(vault.config.dedup));
  ASSERT_TRUE(SaveIndex(fs.get(), "v", cold.next).ok());
  dedup::DedupOptions other = vault.config.dedup;
  other.normalize.stem = false;
  std::string problem;
  EXPECT_TRUE(LoadIndex(fs.get(), "v", other, &problem).notes().empty());
  EXPECT_THAT(problem, HasSubstr("other parameters"));
  other = vault.config.dedup;
  other.minhash.num_perm = 64;
  EXPECT_TRUE(LoadIndex(fs.get(), "v", other, &problem).notes().empty());
  EXPECT_THAT(problem, HasSubstr("other parameters"));
  EXPECT_FALSE(LoadIndex(fs.get(), "v", vault.config.dedup, &problem).notes().empty());
  EXPECT_EQ(problem, "");
}

TEST(LoadIndex, MissingIndexIsEmptyWithoutAProblem) {
  auto fs = MemVault();
  std::string problem = "stale";
  EXPECT_TRUE(LoadIndex(fs.get(), "v", {}, &problem).notes().empty());
  EXPECT_EQ(problem, "");
}

TEST(SaveIndex, ReadOnlyVaultFailsCleanlyAndWritesNothing) {
  auto fs = MemVault();
  Vault vault = Load(fs.get());
  Scanned cold = ScanWith(vault, FactIndex(vault.config.dedup));
  fs->set_read_only(true);
  EXPECT_FALSE(SaveIndex(fs.get(), "v", cold.next).ok());
  EXPECT_FALSE(fs->Stat("v/.factdedup/index.bin", true).ok());
}

TEST(SaveIndex, WritesAGitignoreWhenItIsMissingOrEmptyAndKeepsAnotherOne) {
  auto fs = MemVault();
  Vault vault = Load(fs.get());
  Scanned cold = ScanWith(vault, FactIndex(vault.config.dedup));
  const std::string ignore = "v/.factdedup/.gitignore";
  const std::string ours = ".gitignore\nindex.bin\nindex.bin.*\n";
  ASSERT_TRUE(SaveIndex(fs.get(), "v", cold.next).ok());
  EXPECT_EQ(fs->ReadFile(ignore, 1 << 10).value_or(""), ours);
  ASSERT_TRUE(fs->WriteFileAtomic(ignore, "", std::nullopt).ok());  // torn by a power loss
  ASSERT_TRUE(SaveIndex(fs.get(), "v", cold.next).ok());
  EXPECT_EQ(fs->ReadFile(ignore, 1 << 10).value_or(""), ours);
  ASSERT_TRUE(fs->WriteFileAtomic(ignore, "*\n", std::nullopt).ok());  // the user's own
  ASSERT_TRUE(SaveIndex(fs.get(), "v", cold.next).ok());
  EXPECT_EQ(fs->ReadFile(ignore, 1 << 10).value_or(""), "*\n");
}

TEST(SaveIndex, TheIndexIsNotReadAsANote) {
  auto fs = MemVault();
  Vault vault = Load(fs.get());
  Scanned cold = ScanWith(vault, FactIndex(vault.config.dedup));
  ASSERT_TRUE(SaveIndex(fs.get(), "v", cold.next).ok());
  const int before = fs->reads();
  Vault again = Load(fs.get());
  EXPECT_EQ(fs->reads() - before, 2) << "two notes read; .factdedup/ is skipped";
  EXPECT_EQ(again.notes.size(), 2u);
}

}  // namespace
}  // namespace factdedup::provenance
