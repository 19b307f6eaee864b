// `clean --write` killed with SIGKILL at every write it makes, on the real file system: a
// forked child runs ApplyClean and dies just before its kth write, or after writing that
// write's temp file and before the rename. Afterwards every page is old or new byte for byte,
// temp files are not read as notes, the next run finishes the job and removes them, and
// restore puts every page back.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "provenance/clean.h"

namespace factdedup::provenance {
namespace {

// Dies at its kth WriteFileAtomic: before it, or with its temp file fully written.
class DyingFileSystem final : public FileSystem {
 public:
  DyingFileSystem(int kill_at, bool after_temp) : kill_at_(kill_at), after_temp_(after_temp) {}

  absl::StatusOr<std::string> ReadFile(const std::string& p, uint64_t max) override {
    return base_->ReadFile(p, max);
  }
  absl::StatusOr<std::vector<DirEntry>> ListDir(const std::string& p) override {
    return base_->ListDir(p);
  }
  absl::StatusOr<FileInfo> Stat(const std::string& p, bool follow) override {
    return base_->Stat(p, follow);
  }
  absl::StatusOr<std::string> RealPath(const std::string& p) override { return base_->RealPath(p); }
  absl::Status MakeDirs(const std::string& p) override { return base_->MakeDirs(p); }
  absl::Status Remove(const std::string& p) override { return base_->Remove(p); }
  absl::Status WriteFileAtomic(const std::string& path, absl::string_view contents,
                               const std::optional<FileInfo>& expected) override {
    if (writes_++ == kill_at_) {
      if (after_temp_) {
        const std::string temp = absl::StrCat(path, kTempFileMarker, "k1ll3d");
        int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
          (void)!::write(fd, contents.data(), contents.size());
          ::fsync(fd);
        }
      }
      ::raise(SIGKILL);
    }
    return base_->WriteFileAtomic(path, contents, expected);
  }

 private:
  FileSystem* base_ = DefaultFileSystem();
  int kill_at_;
  bool after_temp_;
  int writes_ = 0;
};

class CleanKillTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/factdedup-kill-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }

  // A fresh vault of `kPages` pages with duplicates, at <dir>/<name>.
  std::string MakeVault(const std::string& name) {
    const std::string root = JoinPath(dir_, name);
    EXPECT_TRUE(DefaultFileSystem()->MakeDirs(JoinPath(root, "Accounts")).ok());
    for (const auto& [path, bytes] : Original()) {
      EXPECT_TRUE(DefaultFileSystem()->WriteFileAtomic(JoinPath(root, path), bytes, {}).ok());
    }
    return root;
  }
  // Pages whose facts share no word with another page's, so each page's clean is its own.
  static const std::map<std::string, std::string>& Original() {
    static const auto* pages = [] {
      auto* m = new std::map<std::string, std::string>;
      auto word = [](int n) {
        static const char* syllables[] = {"ba", "ko", "ri", "mu",  "te", "za", "lo", "fi",
                                          "du", "ne", "pa", "sho", "vi", "ge", "ru"};
        return absl::StrCat(syllables[n % 15], syllables[n / 15 % 15], syllables[n / 225 % 15]);
      };
      for (int p = 0; p < kPages; ++p) {
        auto fact = [&](int f) {
          return absl::StrCat("- ", word(p * 40 + f * 5), " ", word(p * 40 + f * 5 + 1), " ",
                              word(p * 40 + f * 5 + 2), " ", word(p * 40 + f * 5 + 3), ".\n");
        };
        (*m)[absl::StrCat("Accounts/Page", p, ".md")] =
            absl::StrCat("## Key Facts\n", fact(0), fact(0), fact(1), fact(2), fact(2));
      }
      return m;
    }();
    return *pages;
  }
  std::string Read(const std::string& root, const std::string& rel) {
    absl::StatusOr<std::string> s = DefaultFileSystem()->ReadFile(JoinPath(root, rel), 1 << 20);
    return s.ok() ? *s : "<" + std::string(s.status().message()) + ">";
  }

  static constexpr int kPages = 4;
  std::string dir_;
};

struct Planned {
  Vault vault;
  CleanPlan plan;
};

Planned PlanOn(const std::string& root) {
  Planned p;
  p.vault = *LoadVault(DefaultFileSystem(), root, Config{});
  ScanResult scan = *ScanVault(p.vault, p.vault.config.dedup);
  p.plan = *PlanClean(p.vault, scan, {});
  return p;
}

TEST_F(CleanKillTest, EveryPageIsOldOrNewWhereverTheProcessDies) {
  const int writes = 2 * kPages + 1;  // a backup per page, the journal, each page
  for (bool after_temp : {false, true}) {
    for (int k = 0; k < writes; ++k) {
      SCOPED_TRACE(absl::StrCat("killed at write ", k, after_temp ? " after its temp file" : ""));
      const std::string root = MakeVault(absl::StrCat("v", k, after_temp ? "t" : ""));
      Planned first = PlanOn(root);
      ASSERT_EQ(first.plan.pages.size(), static_cast<size_t>(kPages));
      std::map<std::string, std::string> cleaned;
      for (const PagePlan& p : first.plan.pages) cleaned[p.path] = p.after;

      pid_t pid = fork();
      ASSERT_GE(pid, 0);
      if (pid == 0) {
        DyingFileSystem dying(k, after_temp);
        (void)ApplyClean(&dying, first.vault, first.plan, "t1");
        _exit(0);
      }
      int status = 0;
      ASSERT_EQ(waitpid(pid, &status, 0), pid);
      ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;

      // Pages written before the kth write are new, the others old (pages are the last
      // kPages writes); none is partial.
      int written = 0;
      for (const auto& [path, before] : Original()) {
        const std::string now = Read(root, path);
        EXPECT_TRUE(now == before || now == cleaned.at(path)) << path << ":\n" << now;
        written += now == cleaned.at(path);
      }
      EXPECT_EQ(written, std::max(0, k - (kPages + 1)));
      // The temp file is not a note.
      Planned second = PlanOn(root);
      EXPECT_EQ(second.vault.notes.size(), static_cast<size_t>(kPages));
      EXPECT_EQ(second.vault.temp_files.size(), after_temp && k > kPages ? 1u : 0u);
      // The next run finishes the job and tidies up.
      ASSERT_TRUE(ApplyClean(DefaultFileSystem(), second.vault, second.plan, "t2").ok());
      for (const auto& [path, after] : cleaned) EXPECT_EQ(Read(root, path), after) << path;
      EXPECT_TRUE(PlanOn(root).vault.temp_files.empty());
      absl::StatusOr<std::vector<DirEntry>> state =
          DefaultFileSystem()->ListDir(JoinPath(root, kStateDir));
      ASSERT_TRUE(state.ok());
      for (const DirEntry& e : *state) EXPECT_FALSE(IsTempFileName(e.name)) << e.name;
      // Restore puts every page back as it was.
      for (const auto& [path, before] : Original()) {
        absl::Status s = RestorePage(DefaultFileSystem(), root, path, "t3");
        ASSERT_TRUE(s.ok()) << path << ": " << s;
        EXPECT_EQ(Read(root, path), before) << path;
      }
    }
  }
}

}  // namespace
}  // namespace factdedup::provenance
