// End-to-end tests of `factdedup merge-driver` run by a real `git merge`: a temporary
// repository whose base holds the seed account page, branch `a` the seed's 000 version and
// branch `b` its 002 version (tests/data/merge/README.md).
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace factdedup {
namespace {

using ::testing::HasSubstr;

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void Write(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string Data(const std::string& name) {
  return Read(std::string(FACTDEDUP_SOURCE_DIR) + "/tests/data/merge/" + name);
}

std::string SetLastContact(const std::string& page, const std::string& date) {
  return absl::StrReplaceAll(page,
                             {{"last_contact: '2026-01-04'", "last_contact: '" + date + "'"},
                              {"last_contact: '2026-01-05'", "last_contact: '" + date + "'"}});
}

// Bullet lines ("- ...") and how often each occurs.
std::map<std::string, int> Bullets(const std::string& page) {
  std::map<std::string, int> out;
  for (absl::string_view line : absl::StrSplit(page, '\n')) {
    if (absl::StartsWith(line, "- ")) out[std::string(line)]++;
  }
  return out;
}

struct Shell {
  int code = -1;
  std::string output;  // stdout and stderr
};

class MergeDriverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/factdedup-merge-XXXXXX";
    dir_ = mkdtemp(tmpl);
    ASSERT_EQ(Git("init -q").code, 0);
    ASSERT_EQ(Git("config user.name Test").code, 0);
    ASSERT_EQ(Git("config user.email test@example.com").code, 0);
    ASSERT_EQ(Git("config commit.gpgsign false").code, 0);
    ASSERT_EQ(Git("config merge.factdedup.name 'factdedup note merge'").code, 0);
    ASSERT_EQ(Git("config merge.factdedup.driver \"'" + std::string(FACTDEDUP_BIN) +
                  "' merge-driver %O %A %B %P\"")
                  .code,
              0);
    Write(dir_ + "/.gitattributes", "*.md merge=factdedup\n");
    ASSERT_EQ(Sh("mkdir -p '" + dir_ + "/Accounts'").code, 0);
  }
  void TearDown() override { Sh("rm -rf '" + dir_ + "'"); }

  Shell Sh(const std::string& cmd) {
    Shell r;
    FILE* p = popen((cmd + " 2>&1").c_str(), "r");
    if (p == nullptr) return r;
    std::array<char, 4096> buf;
    size_t n;
    while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
    int status = pclose(p);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
  }
  Shell Git(const std::string& args) { return Sh("git -C '" + dir_ + "' " + args); }

  std::string PagePath() const { return dir_ + "/Accounts/Microsoft.md"; }

  // base on main, `a` = 000 and `b` = 002 from it; then `git merge b` on `a`.
  Shell MergeSeeds(const std::string& base) {
    Write(PagePath(), base);
    EXPECT_EQ(Git("add -A").code, 0);
    EXPECT_EQ(Git("commit -qm base").code, 0);
    EXPECT_EQ(Git("checkout -qb a").code, 0);
    Write(PagePath(), Data("Microsoft.000.md"));
    EXPECT_EQ(Git("commit -qam 'version 000'").code, 0);
    EXPECT_EQ(Git("checkout -q -b b HEAD~1").code, 0);
    Write(PagePath(), Data("Microsoft.002.md"));
    EXPECT_EQ(Git("commit -qam 'version 002'").code, 0);
    EXPECT_EQ(Git("checkout -q a").code, 0);
    return Git("merge --no-edit b");
  }

  std::string dir_;
};

TEST_F(MergeDriverTest, SeedVersionsMergeCleanlyWhenOnlyOneSideChangedLastContact) {
  // The base has 002's last_contact: only branch a (000) changed it.
  Shell r = MergeSeeds(Data("Microsoft.base.md"));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(Git("status --porcelain").output, "");
  EXPECT_THAT(Git("log -1 --format=%P").output, HasSubstr(" "));  // a merge commit
  const std::string merged = Read(PagePath());
  // Frontmatter: 000's last_contact; facts: every bullet of both versions, the three that
  // both branches added to the base once, nothing else. That is the 002 page with 000's date.
  EXPECT_THAT(merged, HasSubstr("last_contact: '2026-01-05'\n"));
  std::map<std::string, int> a = Bullets(Data("Microsoft.000.md"));
  std::map<std::string, int> b = Bullets(Data("Microsoft.002.md"));
  std::map<std::string, int> m = Bullets(merged);
  for (const auto& [bullet, count] : a) EXPECT_GE(m[bullet], 1) << bullet;
  for (const auto& [bullet, count] : b) EXPECT_EQ(m[bullet], count) << bullet;
  EXPECT_EQ(m.size(), b.size());
  EXPECT_EQ(merged, SetLastContact(Data("Microsoft.002.md"), "2026-01-05"));
}

TEST_F(MergeDriverTest, LastContactChangedOnBothBranchesIsTheOnlyConflict) {
  // Both branches changed last_contact from the base's 2026-01-03, to different dates.
  Shell r = MergeSeeds(SetLastContact(Data("Microsoft.base.md"), "2026-01-03"));
  EXPECT_NE(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Accounts/Microsoft.md:4: conflict: frontmatter key "
                                  "'last_contact' changed on both sides to different values"));
  EXPECT_EQ(Git("diff --name-only --diff-filter=U").output, "Accounts/Microsoft.md\n");
  const std::string merged = Read(PagePath());
  EXPECT_EQ(merged, absl::StrReplaceAll(Data("Microsoft.002.md"),
                                        {{"last_contact: '2026-01-04'\n",
                                          "<<<<<<< ours\nlast_contact: '2026-01-05'\n=======\n"
                                          "last_contact: '2026-01-04'\n>>>>>>> theirs\n"}}));
}

TEST_F(MergeDriverTest, ReadsTheVaultConfigAboveTheNote) {
  // With Topics configured as a non-fact section, both branches' appends to it overlap and
  // conflict line by line; the frontmatter still merges.
  Write(dir_ + "/.factdedup.yaml", "skip_sections: [\"Topics\", \"Tasks\"]\n");
  Shell r = MergeSeeds(Data("Microsoft.base.md"));
  EXPECT_NE(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("conflict: section 'Topics'"));
  const std::string merged = Read(PagePath());
  EXPECT_THAT(merged, HasSubstr("last_contact: '2026-01-05'\n"));
  EXPECT_THAT(merged, HasSubstr("\n<<<<<<< ours\n"));
}

TEST_F(MergeDriverTest, ErrorsLeaveOursUntouched) {
  Write(dir_ + "/base.md", "- a\n");
  Write(dir_ + "/ours.md", "- b\n");
  Shell r =
      Sh("cd '" + dir_ + "' && '" + FACTDEDUP_BIN + "' merge-driver base.md ours.md missing.md");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.output, HasSubstr("missing.md"));
  EXPECT_EQ(Read(dir_ + "/ours.md"), "- b\n");
  EXPECT_EQ(Sh("'" + std::string(FACTDEDUP_BIN) + "' merge-driver base.md").code, 2);
}

}  // namespace
}  // namespace factdedup
