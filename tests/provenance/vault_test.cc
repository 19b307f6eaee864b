#include "provenance/vault.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/provenance/test_util.h"

namespace factdedup::provenance {
namespace {

using ::factdedup::testing::SourcePath;
using ::testing::HasSubstr;

std::string Messages(const Vault& v) {
  std::string out;
  for (const Diagnostic& d : v.diagnostics) out += FormatDiagnostic(d) + "\n";
  return out;
}

TEST(LoadVault, SampleVaultFactCountsPerNoteAndSection) {
  absl::StatusOr<Config> config = LoadConfig(DefaultFileSystem(), SourcePath("data/vault"));
  ASSERT_TRUE(config.ok()) << config.status();
  absl::StatusOr<Vault> vault = LoadVault(DefaultFileSystem(), SourcePath("data/vault"), *config);
  ASSERT_TRUE(vault.ok()) << vault.status();
  EXPECT_FALSE(vault->has_errors()) << Messages(*vault);
  std::map<std::string, std::map<std::string, int>> counts;
  for (const Note& n : vault->notes) {
    for (const Fact& f : n.facts) counts[n.path][SectionOf(n, f)]++;
  }
  using Sections = std::map<std::string, int>;
  EXPECT_EQ(
      counts["Accounts/Microsoft.md"],
      (Sections{{"Key Facts", 46}, {"Recent Context", 28}, {"Topics", 47}, {"Key Decisions", 15}}));
  EXPECT_EQ(
      counts["Accounts/Microsoft.sync-conflict-20260105-093000-VAULT01.md"],
      (Sections{{"Key Facts", 8}, {"Recent Context", 2}, {"Topics", 10}, {"Key Decisions", 4}}));
  EXPECT_EQ(counts["Meetings/2025-11-12 - Microsoft AI capacity and VAST.md"],
            (Sections{{"Key Information", 7}, {"Related", 5}}));
  EXPECT_EQ(counts["Meetings/2025-12-16 - Prep for Microsoft AI talks.md"],
            (Sections{{"Action Items", 4},
                      {"Decisions", 2},
                      {"Key Information", 8},
                      {"Topics", 7},
                      {"Related", 22}}));
  int article = 0;
  for (const auto& [section, n] :
       counts["Inbox/_archive/2025-11-12/2025-11-12 - Announcements.md"]) {
    article += n;
  }
  EXPECT_EQ(article, 9);
  EXPECT_EQ(counts["Inbox/_archive/2025-11-12/2025-11-12 - Announcements.md"]
                  ["Quick guidance for VAST leadership"],
            4);
  ASSERT_EQ(vault->notes.size(), 5u);
  EXPECT_EQ(vault->notes[0].path, "Accounts/Microsoft.md");  // sorted, byte order
}

TEST(LoadVault, SourceRefAndWikilinksResolve) {
  absl::StatusOr<Vault> vault = LoadVault(DefaultFileSystem(), SourcePath("data/vault"), Config{});
  ASSERT_TRUE(vault.ok());
  LinkResolver resolver(*vault);
  const Note& meeting =
      vault->notes[vault->FindNote("Meetings/2025-11-12 - Microsoft AI capacity and VAST.md")];
  std::map<std::string, std::string> resolved;
  for (const Link& l : meeting.links) {
    Resolution r = resolver.Resolve(meeting, l);
    resolved[l.target] = r.note >= 0 ? vault->notes[r.note].path : ResolutionStatusName(r.status);
  }
  EXPECT_EQ(resolved["Inbox/_archive/2025-11-12/2025-11-12 - Announcements.md"],
            "Inbox/_archive/2025-11-12/2025-11-12 - Announcements.md");
  EXPECT_EQ(resolved["Microsoft"], "Accounts/Microsoft.md");
  EXPECT_EQ(resolved["OpenAI"], "unresolved");
}

// A file system that fails reads of one path, to test an unreadable note.
class FailingReadFs : public FileSystem {
 public:
  FailingReadFs(std::unique_ptr<FileSystem> base, std::string bad)
      : base_(std::move(base)), bad_(std::move(bad)) {}
  absl::StatusOr<std::string> ReadFile(const std::string& p, uint64_t max) override {
    if (p == bad_) return absl::PermissionDeniedError(p + ": cannot open: Permission denied");
    return base_->ReadFile(p, max);
  }
  absl::StatusOr<std::vector<DirEntry>> ListDir(const std::string& p) override {
    return base_->ListDir(p);
  }
  absl::StatusOr<FileInfo> Stat(const std::string& p, bool f) override { return base_->Stat(p, f); }
  absl::StatusOr<std::string> RealPath(const std::string& p) override { return base_->RealPath(p); }
  absl::Status WriteFileAtomic(const std::string& p, absl::string_view c,
                               const std::optional<FileInfo>& e) override {
    return base_->WriteFileAtomic(p, c, e);
  }
  absl::Status MakeDirs(const std::string& p) override { return base_->MakeDirs(p); }
  absl::Status Remove(const std::string& p) override { return base_->Remove(p); }

 private:
  std::unique_ptr<FileSystem> base_;
  std::string bad_;
};

struct BadInputCase {
  std::string name;
  std::string bytes;
  std::string expected_message;  // substring of the diagnostic
  int line;                      // expected diagnostic line (0: whole file)
  bool kept;                     // note kept (not fully parsed) vs skipped
};

TEST(LoadVault, BadInputsAreReportedAndTheRestIsRead) {
  const std::vector<BadInputCase> cases = {
      {"invalid_utf8.md", "- ok\n- bad \xFF byte\n", "invalid UTF-8", 2, false},
      {"malformed_yaml.md", "---\na: [1\nb: 2\n---\n- body fact\n", "malformed YAML", 3, true},
      {"binary.md", std::string("\x89PNG\r\n\x1a\n\0\0\0", 11), "binary", 3, false},
      {"huge.md", std::string(2000, 'x'), "over the size limit", 0, false},
      {"unreadable.md", "- fine\n", "Permission denied", 0, false},
      // Former bugs: a NUL byte after the first 8 KiB was read as text (see below).
  };
  auto mem = NewMemFileSystem();
  ASSERT_TRUE(mem->WriteFileAtomic("v/good.md", "## Key Facts\n- a good fact\n", {}).ok());
  for (const BadInputCase& c : cases) {
    ASSERT_TRUE(mem->WriteFileAtomic("v/" + c.name, c.bytes, {}).ok());
  }
  FailingReadFs fs(std::move(mem), "v/unreadable.md");
  Config config;
  config.vault.max_file_size = 1000;
  absl::StatusOr<Vault> vault = LoadVault(&fs, "v", config);
  ASSERT_TRUE(vault.ok()) << vault.status();
  ASSERT_GE(vault->FindNote("good.md"), 0) << "the rest of the vault must still be read";
  EXPECT_EQ(vault->notes[vault->FindNote("good.md")].facts.size(), 1u);
  // The notes read are closed up over the skipped ones: in path order, each found at its place
  // with its own bytes.
  ASSERT_EQ(vault->notes.size(), 2u);
  EXPECT_EQ(vault->notes[0].path, "good.md");
  EXPECT_EQ(vault->notes[0].content, "## Key Facts\n- a good fact\n");
  EXPECT_EQ(vault->notes[1].path, "malformed_yaml.md");
  for (size_t i = 0; i < vault->notes.size(); ++i) {
    EXPECT_EQ(vault->FindNote(vault->notes[i].path), static_cast<int>(i));
    EXPECT_EQ(RenderNote(vault->notes[i]), vault->notes[i].content);
  }
  EXPECT_TRUE(vault->has_errors());
  for (const BadInputCase& c : cases) {
    bool found = false;
    for (const Diagnostic& d : vault->diagnostics) {
      if (d.path != c.name) continue;
      found = true;
      EXPECT_THAT(d.message, HasSubstr(c.expected_message)) << c.name;
      EXPECT_EQ(d.line, c.line) << c.name;
    }
    EXPECT_TRUE(found) << c.name << "\n" << Messages(*vault);
    int idx = vault->FindNote(c.name);
    EXPECT_EQ(idx >= 0, c.kept) << c.name;
    if (idx >= 0) {
      EXPECT_FALSE(vault->notes[idx].fully_parsed) << c.name;
    }
  }
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/factdedup-test-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { std::system(("rm -rf '" + path_ + "'").c_str()); }
  const std::string& path() const { return path_; }
  void Write(const std::string& rel, const std::string& bytes) {
    std::string full = path_ + "/" + rel;
    std::system(("mkdir -p \"$(dirname '" + full + "')\"").c_str());
    ASSERT_TRUE(DefaultFileSystem()->WriteFileAtomic(full, bytes, {}).ok());
  }

 private:
  std::string path_;
};

TEST(PosixFileSystem, ReadFileGivesEveryByteWhateverTheSize) {
  // One byte past the stat size is asked for, so that a file read whole ends in one read:
  // sizes around the sizes read at once.
  TempDir dir;
  for (size_t size : {0, 1, 511, 512, 513, 1024, 4095, 4096, 4097, 100000}) {
    std::string bytes;
    for (size_t i = 0; i < size; ++i) bytes.push_back(static_cast<char>('a' + i * 7 % 26));
    const std::string name = "f" + std::to_string(size);
    dir.Write(name, bytes);
    absl::StatusOr<std::string> read = DefaultFileSystem()->ReadFile(dir.path() + "/" + name, size);
    ASSERT_TRUE(read.ok()) << read.status();
    EXPECT_EQ(*read, bytes) << size;
    if (size > 0) {
      read = DefaultFileSystem()->ReadFile(dir.path() + "/" + name, size - 1);
      EXPECT_EQ(read.status().code(), absl::StatusCode::kOutOfRange) << size;
    }
  }
}

TEST(LoadVault, RecordsEachNotesFileAsRead) {
  // The size, mtime and inode a rewrite compares with (clean refuses a file changed since):
  // those of the file read, as Stat gives them.
  TempDir dir;
  dir.Write("a.md", "## Key Facts\n- one\n");
  dir.Write("sub/b.md", "- two\n- three\n");
  absl::StatusOr<Vault> vault = LoadVault(DefaultFileSystem(), dir.path(), Config{});
  ASSERT_TRUE(vault.ok()) << vault.status();
  ASSERT_EQ(vault->notes.size(), 2u);
  for (const Note& note : vault->notes) {
    absl::StatusOr<FileInfo> st = DefaultFileSystem()->Stat(dir.path() + "/" + note.path, true);
    ASSERT_TRUE(st.ok());
    EXPECT_EQ(note.read_size, st->size) << note.path;
    EXPECT_EQ(note.read_size, note.content.size()) << note.path;
    EXPECT_EQ(note.read_mtime_ns, st->mtime_ns) << note.path;
    EXPECT_EQ(note.read_inode, st->inode) << note.path;
    EXPECT_NE(note.read_inode, 0u) << note.path;
  }
}

TEST(ListNotes, SkipsHiddenFoldersNonMarkdownAndEscapingSymlinks) {
  TempDir outside;
  outside.Write("secret.md", "- secret\n");
  TempDir dir;
  dir.Write("b.md", "- b\n");
  dir.Write("A/a.md", "- a\n");
  dir.Write("A/image.png", "png");
  dir.Write(".obsidian/app.md", "- no\n");
  dir.Write(".git/x.md", "- no\n");
  dir.Write(".trash/old.md", "- no\n");
  ASSERT_EQ(symlink((outside.path() + "/secret.md").c_str(), (dir.path() + "/leak.md").c_str()), 0);
  ASSERT_EQ(symlink((dir.path() + "/A").c_str(), (dir.path() + "/A/loop").c_str()), 0);
  ASSERT_EQ(symlink((dir.path() + "/b.md").c_str(), (dir.path() + "/inside.md").c_str()), 0);
  std::vector<Diagnostic> diags;
  absl::StatusOr<std::vector<std::string>> notes =
      ListNotes(DefaultFileSystem(), dir.path(), VaultOptions{}, &diags);
  ASSERT_TRUE(notes.ok());
  EXPECT_EQ(*notes, (std::vector<std::string>{"A/a.md", "b.md", "inside.md"}));
  std::string all;
  for (const Diagnostic& d : diags) all += FormatDiagnostic(d) + "\n";
  EXPECT_THAT(all, HasSubstr("leak.md: warning: symlink leaves the vault"));
  EXPECT_THAT(all, HasSubstr("A/loop: warning: symlink loop"));
}

TEST(ListNotes, IncludeExcludeGlobs) {
  auto mem = NewMemFileSystem();
  for (const char* p :
       {"v/Accounts/a.md", "v/Accounts/Archive/b.md", "v/Templates/t.md", "v/c.md"}) {
    ASSERT_TRUE(mem->WriteFileAtomic(p, "- x\n", {}).ok());
  }
  VaultOptions options;
  options.exclude = {"Templates/**", "**/Archive/*"};
  std::vector<Diagnostic> diags;
  auto notes = ListNotes(mem.get(), "v", options, &diags);
  ASSERT_TRUE(notes.ok());
  EXPECT_EQ(*notes, (std::vector<std::string>{"Accounts/a.md", "c.md"}));
  options.exclude.clear();
  options.include = {"Accounts/**"};
  notes = ListNotes(mem.get(), "v", options, &diags);
  EXPECT_EQ(*notes, (std::vector<std::string>{"Accounts/Archive/b.md", "Accounts/a.md"}));
}

TEST(ListNotes, TheDefaultIncludeListsWhatItsGlobMatches) {
  // "**/*.md" is answered without the glob matcher: the notes listed are those it matches.
  auto mem = NewMemFileSystem();
  const std::vector<std::string> paths = {"a.md",     "b/c.md", "d/E.MD",     "d/F.Md",
                                          "g/h/i.md", "j.mdx",  "k.md.md",    "l/m.txt",
                                          "r/s t.md", "u/v.mD", "n/o.md/p.md"};
  for (const std::string& p : paths) {
    ASSERT_TRUE(mem->WriteFileAtomic("v/" + p, "- x\n", {}).ok());
  }
  std::vector<std::string> want;
  for (const std::string& p : paths) {
    if (GlobMatch("**/*.md", p) && absl::EndsWithIgnoreCase(p, ".md")) want.push_back(p);
  }
  std::sort(want.begin(), want.end());
  std::vector<Diagnostic> diags;
  auto notes = ListNotes(mem.get(), "v", VaultOptions{}, &diags);
  ASSERT_TRUE(notes.ok());
  EXPECT_EQ(*notes, want);
  EXPECT_THAT(*notes, ::testing::Not(::testing::Contains("d/E.MD")));
  EXPECT_THAT(*notes, ::testing::Contains("n/o.md/p.md"));
}

TEST(ListNotes, PathsInByteOrderWhateverTheWalkOrder) {
  // Folders are walked in name order, which is not the order of the whole paths where a name
  // is a prefix of another ("a" before "a.md", yet "a.md" < "a/b.md"): the list is sorted then;
  // and left as it is when the walk gave it sorted.
  auto mem = NewMemFileSystem();
  for (const char* p : {"v/a/b.md", "v/a.md", "v/a-b.md", "v/a/c/d.md", "v/b/x.md", "v/z.md"}) {
    ASSERT_TRUE(mem->WriteFileAtomic(p, "- x\n", {}).ok());
  }
  std::vector<Diagnostic> diags;
  auto notes = ListNotes(mem.get(), "v", VaultOptions{}, &diags);
  ASSERT_TRUE(notes.ok());
  EXPECT_EQ(*notes,
            (std::vector<std::string>{"a-b.md", "a.md", "a/b.md", "a/c/d.md", "b/x.md", "z.md"}));
  auto sorted = ListNotes(mem.get(), "v/b", VaultOptions{}, &diags);
  ASSERT_TRUE(sorted.ok());
  EXPECT_EQ(*sorted, (std::vector<std::string>{"x.md"}));
}

TEST(LoadVault, MissingRootIsAnError) {
  auto mem = NewMemFileSystem();
  absl::StatusOr<Vault> vault = LoadVault(mem.get(), "nope", Config{});
  EXPECT_FALSE(vault.ok());
  EXPECT_THAT(vault.status().message(), HasSubstr("nope"));
}

TEST(LoadVault, SameResultForAnyThreadCount) {
  absl::StatusOr<Vault> one =
      LoadVault(DefaultFileSystem(), SourcePath("data/vault"), Config{}, {.threads = 1});
  absl::StatusOr<Vault> four =
      LoadVault(DefaultFileSystem(), SourcePath("data/vault"), Config{}, {.threads = 4});
  ASSERT_TRUE(one.ok() && four.ok());
  ASSERT_EQ(one->notes.size(), four->notes.size());
  for (size_t i = 0; i < one->notes.size(); ++i) {
    EXPECT_EQ(one->notes[i].path, four->notes[i].path);
    EXPECT_EQ(one->notes[i].facts.size(), four->notes[i].facts.size());
  }
}

// A note with the same path and bytes in `reuse` is copied, not parsed: the result is the same
// as a plain load, and a note whose bytes differ is parsed from its own bytes.
TEST(LoadVault, ReusedNotesEqualParsedOnes) {
  auto mem = NewMemFileSystem();
  ASSERT_TRUE(
      mem->WriteFileAtomic("a/x.md", "---\nd: 2025-01-02\n---\n## Key Facts\n- one\n", {}).ok());
  ASSERT_TRUE(mem->WriteFileAtomic("a/y.md", "## Key Facts\n- two\n- three [[x]]\n", {}).ok());
  ASSERT_TRUE(
      mem->WriteFileAtomic("b/x.md", "---\nd: 2025-01-02\n---\n## Key Facts\n- one\n", {}).ok());
  ASSERT_TRUE(mem->WriteFileAtomic("b/y.md", "## Key Facts\n- two changed\n", {}).ok());
  ASSERT_TRUE(mem->WriteFileAtomic("b/z.md", "- bad \xFF\n", {}).ok());
  absl::StatusOr<Vault> a = LoadVault(mem.get(), "a", Config{});
  ASSERT_TRUE(a.ok());
  absl::StatusOr<Vault> plain = LoadVault(mem.get(), "b", Config{});
  absl::StatusOr<Vault> reused = LoadVault(mem.get(), "b", Config{}, {.reuse = &*a});
  ASSERT_TRUE(plain.ok() && reused.ok());
  ASSERT_EQ(plain->notes.size(), 2u);
  ASSERT_EQ(reused->notes.size(), plain->notes.size());
  for (size_t i = 0; i < plain->notes.size(); ++i) {
    const Note& p = plain->notes[i];
    const Note& r = reused->notes[i];
    EXPECT_EQ(r.path, p.path);
    EXPECT_EQ(r.content, p.content);
    EXPECT_EQ(r.read_size, p.read_size);
    EXPECT_EQ(r.frontmatter.keys.size(), p.frontmatter.keys.size());
    EXPECT_EQ(r.links.size(), p.links.size());
    ASSERT_EQ(r.facts.size(), p.facts.size());
    for (size_t f = 0; f < p.facts.size(); ++f) {
      EXPECT_EQ(DisplayOf(r, r.facts[f]), DisplayOf(p, p.facts[f]));
      EXPECT_EQ(r.facts[f].line, p.facts[f].line);
      EXPECT_EQ(SectionOf(r, r.facts[f]), SectionOf(p, p.facts[f]));
    }
  }
  EXPECT_EQ(DisplayOf(reused->notes[reused->FindNote("y.md")],
                      reused->notes[reused->FindNote("y.md")].facts[0]),
            "two changed");
  EXPECT_EQ(reused->diagnostics.size(), plain->diagnostics.size());
  // Copied, not parsed: a mark put on the reused vault's note shows in the result.
  Vault marked = *a;
  marked.notes[marked.FindNote("x.md")].facts[0].line = 999;
  absl::StatusOr<Vault> from_marked = LoadVault(mem.get(), "b", Config{}, {.reuse = &marked});
  ASSERT_TRUE(from_marked.ok());
  EXPECT_EQ(from_marked->notes[from_marked->FindNote("x.md")].facts[0].line, 999);
  EXPECT_EQ(DisplayOf(from_marked->notes[from_marked->FindNote("y.md")],
                      from_marked->notes[from_marked->FindNote("y.md")].facts[0]),
            "two changed");
  // Left out instead of copied: only what differs is read.
  absl::StatusOr<Vault> partial =
      LoadVault(mem.get(), "b", Config{}, {.reuse = &*a, .leave_out_reused = true});
  ASSERT_TRUE(partial.ok());
  EXPECT_EQ(partial->left_out, std::vector<std::string>{"x.md"});
  ASSERT_EQ(partial->notes.size(), 1u);
  EXPECT_EQ(partial->notes[0].path, "y.md");
  EXPECT_EQ(partial->FindNote("x.md"), -1);
  EXPECT_EQ(partial->FindNote("y.md"), 0);
  EXPECT_EQ(partial->diagnostics.size(), plain->diagnostics.size());  // z.md's error stays
  EXPECT_TRUE(plain->left_out.empty());
  EXPECT_TRUE(reused->left_out.empty());
}

struct ResolveCase {
  std::string from;
  Link::Kind kind;
  std::string target;
  Resolution::Status status;
  std::string resolved;
};

TEST(LinkResolver, ObsidianRules) {
  auto mem = NewMemFileSystem();
  for (const char* p : {"v/Accounts/Microsoft.md", "v/People/Ann.md", "v/Old/Ann.md",
                        "v/Inbox/a b.md", "v/Notes/x.md"}) {
    ASSERT_TRUE(mem->WriteFileAtomic(p, "- x\n", {}).ok());
  }
  absl::StatusOr<Vault> vault = LoadVault(mem.get(), "v", Config{});
  ASSERT_TRUE(vault.ok());
  LinkResolver resolver(*vault);
  using S = Resolution::Status;
  const std::vector<ResolveCase> cases = {
      {"Notes/x.md", Link::Kind::kWikilink, "Microsoft", S::kResolved, "Accounts/Microsoft.md"},
      {"Notes/x.md", Link::Kind::kWikilink, "microsoft", S::kResolved, "Accounts/Microsoft.md"},
      {"Notes/x.md", Link::Kind::kWikilink, "Accounts/Microsoft.md", S::kResolved,
       "Accounts/Microsoft.md"},
      {"Notes/x.md", Link::Kind::kWikilink, "Ann", S::kAmbiguous, ""},
      {"Notes/x.md", Link::Kind::kWikilink, "People/Ann", S::kResolved, "People/Ann.md"},
      {"Notes/x.md", Link::Kind::kSourceRef, "Inbox/a b.md", S::kResolved, "Inbox/a b.md"},
      {"Notes/x.md", Link::Kind::kMarkdown, "../Inbox/a b.md", S::kResolved, "Inbox/a b.md"},
      {"Notes/x.md", Link::Kind::kWikilink, "Nobody", S::kUnresolved, ""},
      {"Notes/x.md", Link::Kind::kSourceRef, "../../etc/passwd", S::kOutsideVault, ""},
      {"Notes/x.md", Link::Kind::kMarkdown, "../../../etc/passwd", S::kOutsideVault, ""},
      {"Notes/x.md", Link::Kind::kWikilink, "/etc/passwd", S::kOutsideVault, ""},
      {"Notes/x.md", Link::Kind::kExternal, "https://x.y", S::kExternal, ""},
      // Former bugs: none yet.
  };
  for (const ResolveCase& c : cases) {
    Link link;
    link.kind = c.kind;
    link.target = c.target;
    const Note& from = vault->notes[vault->FindNote(c.from)];
    Resolution r = resolver.Resolve(from, link);
    EXPECT_EQ(r.status, c.status) << c.target;
    if (!c.resolved.empty()) {
      ASSERT_GE(r.note, 0) << c.target;
      EXPECT_EQ(vault->notes[r.note].path, c.resolved);
    }
  }
}

}  // namespace
}  // namespace factdedup::provenance
