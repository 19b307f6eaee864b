#include "provenance/sources.h"

#include <map>
#include <string>

#include "gtest/gtest.h"
#include "tests/provenance/test_util.h"

namespace factdedup::provenance {
namespace {

using ::factdedup::testing::SourcePath;

TEST(BaseNotePath, Table) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"Accounts/Microsoft.sync-conflict-20260105-093000-VAULT01.md", "Accounts/Microsoft.md"},
      {"Accounts/Microsoft (conflicted copy 2026-01-05).md", "Accounts/Microsoft.md"},
      {"Accounts/Microsoft.md", "Accounts/Microsoft.md"},
      {"notes.txt", "notes.txt"},
      // Former bugs: none yet.
  };
  for (const auto& [in, out] : cases) EXPECT_EQ(BaseNotePath(in), out) << in;
}

TEST(ClusterSources, FollowsSourceRefFromMeetingNoteToRawArticle) {
  absl::StatusOr<Vault> vault = LoadVault(DefaultFileSystem(), SourcePath("data/vault"), Config{});
  ASSERT_TRUE(vault.ok());
  absl::StatusOr<ScanResult> scan = ScanVault(*vault, dedup::DedupOptions{});
  ASSERT_TRUE(scan.ok());
  LinkResolver resolver(*vault);
  // The "Big Pause" cluster holds the account page's fact and the meeting note's.
  const dedup::Cluster* big_pause = nullptr;
  for (const dedup::Cluster& c : scan->dedup.clusters) {
    const Fact& f = scan->fact(*vault, c.canonical);
    if (scan->note(*vault, c.canonical).path == "Accounts/Microsoft.md" && f.line == 15) {
      big_pause = &c;
    }
  }
  ASSERT_NE(big_pause, nullptr);
  std::vector<Source> sources = ClusterSources(*vault, resolver, *scan, *big_pause);
  std::map<std::string, Source> by_path;
  for (const Source& s : sources) by_path[s.path] = s;
  const std::string meeting = "Meetings/2025-11-12 - Microsoft AI capacity and VAST.md";
  const std::string article = "Inbox/_archive/2025-11-12/2025-11-12 - Announcements.md";
  ASSERT_TRUE(by_path.count(meeting));
  EXPECT_EQ(by_path[meeting].depth, 0);
  EXPECT_EQ(by_path[meeting].line, 25);
  EXPECT_EQ(by_path[meeting].date, "2025-11-12");
  EXPECT_TRUE(by_path[meeting].evidence);
  ASSERT_TRUE(by_path.count(article));
  EXPECT_EQ(by_path[article].depth, 1);
  EXPECT_EQ(by_path[article].via, meeting);
  EXPECT_FALSE(by_path["Accounts/Microsoft.md"].evidence);
  EXPECT_EQ(sources[0].path, "Accounts/Microsoft.md");
}

TEST(LineSources, TheNoteThenItsSourceChain) {
  absl::StatusOr<Vault> vault = LoadVault(DefaultFileSystem(), SourcePath("data/vault"), Config{});
  ASSERT_TRUE(vault.ok());
  LinkResolver resolver(*vault);
  const std::string meeting = "Meetings/2025-11-12 - Microsoft AI capacity and VAST.md";
  const int n = vault->FindNote(meeting);
  ASSERT_GE(n, 0);
  std::vector<Source> sources = LineSources(*vault, resolver, n, 25);
  ASSERT_EQ(sources.size(), 2u);
  EXPECT_EQ(sources[0].path, meeting);
  EXPECT_EQ(sources[0].line, 25);
  EXPECT_FALSE(sources[0].section.empty());
  EXPECT_EQ(sources[0].depth, 0);
  EXPECT_EQ(sources[1].path, "Inbox/_archive/2025-11-12/2025-11-12 - Announcements.md");
  EXPECT_EQ(sources[1].depth, 1);
  EXPECT_EQ(sources[1].via, meeting);
  // A frontmatter line: the note, no section.
  sources = LineSources(*vault, resolver, n, 2);
  EXPECT_EQ(sources[0].section, "");
}

}  // namespace
}  // namespace factdedup::provenance
