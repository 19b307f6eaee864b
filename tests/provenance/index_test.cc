#include "provenance/index.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <string>
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
      out += f.path + ":" + std::to_string(f.line) + " " + dedup::RelationName(m.relation) + " " +
             std::to_string(m.similarity) + "\n";
    }
  }
  return out;
}

struct Scanned {
  ScanResult result;
  FactIndex next;
  IndexStats stats;
};

Scanned ScanWith(const Vault& vault, const FactIndex& previous) {
  const dedup::DedupOptions& options = vault.config.dedup;
  Scanned s{{}, FactIndex(options), {}};
  absl::StatusOr<ScanResult> r = ScanVaultIndexed(vault, options, {&previous}, &s.next, &s.stats);
  EXPECT_TRUE(r.ok()) << r.status();
  s.result = *std::move(r);
  return s;
}

// Changes an encoded index's body with `edit`, then makes its size and checksum match.
void Reseal(std::string* bytes, const std::function<void(std::string*)>& edit) {
  constexpr size_t kHeader = 72;  // magic 8, version 4, params 44, size 8, checksum 8
  std::string body = bytes->substr(kHeader);
  edit(&body);
  internal::Writer w;
  w.PutU64(body.size());
  w.PutU64(dedup::Hash64(body, 0));
  *bytes = bytes->substr(0, kHeader - 16) + w.data() + body;
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
      const std::shared_ptr<const dedup::NormalizedText> xa = NormalizedOf(a.facts[f]),
                                                         yb = NormalizedOf(b.facts[f]);
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
  // More notes and claims than one encoding piece holds (64 notes, 1024 claims), so that the
  // pieces encoded on several threads are joined in order.
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
      note.facts.push_back({5 + f, dedup::Hash64(t->clean),
                            std::make_shared<const dedup::NormalizedText>(*std::move(t)), ""});
    }
    index.Add(std::move(note));
  }
  ClaimCache claims;
  for (uint64_t k = 0; k < 3000; ++k) {
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
    EXPECT_EQ(NormalizedOf(d.facts[2])->clean,
              absl::StrCat("Account ", n, " bought 2 PB of storage."));
  }
  ASSERT_EQ(decoded.claims().size(), claims.size());
  for (const auto& [key, c] : claims) {
    auto it = decoded.claims().find(key);
    ASSERT_NE(it, decoded.claims().end());
    EXPECT_EQ(*it->second, *c);
  }
  EXPECT_EQ(decoded.Encode(), bytes);
  // One thread (--threads 1) encodes the same bytes and decodes the claims after the notes.
  dedup::DedupOptions one_thread;
  one_thread.threads = 1;
  FactIndex serial(one_thread);
  ASSERT_TRUE(serial.Decode(bytes).ok());
  EXPECT_EQ(serial.claims().size(), claims.size());
  EXPECT_EQ(serial.Encode(), bytes);
}

TEST(FactIndex, LoadedFactsStayBytesAndABadTokenKindIsRejectedAtLoad) {
  const dedup::DedupOptions options;
  const dedup::Normalizer normalizer;
  FactIndex index(options);
  absl::StatusOr<dedup::NormalizedText> t = normalizer.Normalize("Contoso bought storage.");
  ASSERT_TRUE(t.ok());
  IndexedNote note{"Accounts/Contoso.md", 10, 1, 7, {}};
  note.facts.push_back(
      {3, dedup::Hash64(t->clean), std::make_shared<const dedup::NormalizedText>(*t), ""});
  index.Add(std::move(note));
  std::string bytes = index.Encode();
  FactIndex loaded(options);
  ASSERT_TRUE(loaded.Decode(bytes).ok());
  const IndexedFact& f = loaded.notes()[0].facts[0];
  EXPECT_EQ(f.normalized, nullptr) << "decoded by the scan that reads it";
  ASSERT_FALSE(f.encoded.empty());
  ASSERT_NE(NormalizedOf(f), nullptr);
  EXPECT_EQ(NormalizedOf(f)->clean, t->clean);
  // A token's kind byte out of range, with size and checksum made to match: the load checks
  // every fact's layout and refuses the whole index.
  const std::string& word = t->all_tokens.back().text;
  ASSERT_LT(word.size(), 0x80u);  // its length is one varint byte
  Reseal(&bytes, [&](std::string* body) {
    const size_t at = body->find(static_cast<char>(word.size()) + word);
    ASSERT_NE(at, std::string::npos);
    (*body)[at - 1] = 0x3f;
  });
  absl::Status s = loaded.Decode(bytes);
  EXPECT_THAT(s.message(), HasSubstr("malformed"));
  EXPECT_TRUE(loaded.notes().empty());
}

TEST(FactIndex, ClaimSummariesRoundTrip) {
  auto fs = MemVault();
  Vault vault = Load(fs.get());
  Scanned cold = ScanWith(vault, FactIndex(vault.config.dedup));
  ClaimCache claims;
  ASSERT_TRUE(FindConflicts(vault, cold.result, {}, nullptr, nullptr, &claims).ok());
  ASSERT_FALSE(claims.empty());
  bool some_dates = false, some_names = false;
  for (const auto& [key, c] : claims) {
    some_dates |= c->dates;
    some_names |= !c->names.empty();
  }
  EXPECT_TRUE(some_dates && some_names) << "the sample states dates and names";
  cold.next.set_claims(claims);
  FactIndex decoded(vault.config.dedup);
  ASSERT_TRUE(decoded.Decode(cold.next.Encode()).ok());
  ASSERT_EQ(decoded.claims().size(), claims.size());
  for (const auto& [key, c] : claims) {
    auto it = decoded.claims().find(key);
    ASSERT_NE(it, decoded.claims().end());
    EXPECT_EQ(*it->second, *c);
  }
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

TEST(NormalizedDisplays, GivesTheDefaultNormalizationOfEachDisplayTheScanCompared) {
  auto fs = MemVault();
  ASSERT_TRUE(fs->WriteFileAtomic("v/Accounts/Log.md",
                                  "# Log\n\n## Key Facts\n\n"
                                  "- 2025-11-12: Contoso moved its backups to Azure Blob.\n"
                                  "- Contoso moved its backups to Azure Blob in 2025.\n",
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
    int logged = 0;
    dedup::NormalizedText scratch;
    for (size_t i = 0; i < s->result.facts.size(); ++i) {
      const Fact& f = s->result.fact(vault, static_cast<int>(i));
      const dedup::NormalizedText* t = given(static_cast<int>(i), &scratch);
      if (absl::StartsWith(f.display, "2025-11-12: ")) {
        EXPECT_EQ(t, nullptr) << "the scan compared the text without its log date";
        ++logged;
        continue;
      }
      ASSERT_NE(t, nullptr) << f.display;
      absl::StatusOr<dedup::NormalizedText> want = normalizer.Normalize(f.display);
      ASSERT_TRUE(want.ok());
      EXPECT_EQ(t->clean, want->clean);
      ASSERT_EQ(t->tokens.size(), want->tokens.size()) << f.display;
      ASSERT_EQ(t->all_tokens.size(), want->all_tokens.size()) << f.display;
      for (size_t k = 0; k < t->tokens.size(); ++k)
        EXPECT_EQ(t->tokens[k].text, want->tokens[k].text);
    }
    EXPECT_EQ(logged, 1);
  }
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

TEST(LoadIndex, DamagedOrForeignIndexIsIgnoredAndResultsAreUnchanged) {
  const std::vector<BadIndexCase> cases = {
      {"magic", [](std::string* b) { (*b)[0] = 'X'; }, "magic"},
      {"version", [](std::string* b) { (*b)[8] = 99; }, "format version 99"},
      {"params", [](std::string* b) { (*b)[16] ^= 1; }, "other parameters"},
      {"checksum", [](std::string* b) { b->back() ^= 0x40; }, "checksum"},
      {"truncated", [](std::string* b) { b->resize(b->size() - 7); }, "truncated"},
      {"header only", [](std::string* b) { b->resize(20); }, "truncated"},
      {"empty", [](std::string* b) { b->clear(); }, "magic"},
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
  };
  for (const BadIndexCase& c : cases) {
    SCOPED_TRACE(c.name);
    auto fs = MemVault();
    Vault vault = Load(fs.get());
    Scanned cold = ScanWith(vault, FactIndex(vault.config.dedup));
    std::string bytes = cold.next.Encode();
    c.damage(&bytes);
    ASSERT_TRUE(fs->MakeDirs("v/.factdedup").ok());
    ASSERT_TRUE(fs->WriteFileAtomic("v/.factdedup/index.bin", bytes, {}).ok());
    std::string problem;
    FactIndex loaded = LoadIndex(fs.get(), "v", vault.config.dedup, &problem);
    EXPECT_THAT(problem, HasSubstr(c.message));
    EXPECT_THAT(problem, HasSubstr("v/.factdedup/index.bin"));
    EXPECT_TRUE(loaded.notes().empty());
    Scanned rebuilt = ScanWith(vault, loaded);
    EXPECT_EQ(rebuilt.stats.facts_reused, 0);
    EXPECT_EQ(Describe(vault, rebuilt.result), Describe(vault, cold.result));
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
