#include "provenance/clean.h"

#include <cstdlib>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/provenance/test_util.h"

namespace factdedup::provenance {
namespace {

using ::factdedup::testing::ReadFileOrDie;
using ::factdedup::testing::SourcePath;
using ::testing::HasSubstr;

class CleanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/factdedup-clean-XXXXXX";
    dir_ = mkdtemp(tmpl);
    ASSERT_EQ(std::system(("cp -r '" + SourcePath("data/vault") + "/.' '" + dir_ + "/'").c_str()),
              0);
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }

  struct Run {
    Vault vault;
    ScanResult scan;
    CleanPlan plan;
  };
  Run Plan(const CleanOptions& options = {}) {
    Run r;
    absl::StatusOr<Config> config = LoadConfig(DefaultFileSystem(), dir_);
    EXPECT_TRUE(config.ok());
    absl::StatusOr<Vault> vault = LoadVault(DefaultFileSystem(), dir_, *config);
    EXPECT_TRUE(vault.ok());
    r.vault = *std::move(vault);
    absl::StatusOr<ScanResult> scan = ScanVault(r.vault, r.vault.config.dedup);
    EXPECT_TRUE(scan.ok());
    r.scan = *std::move(scan);
    absl::StatusOr<CleanPlan> plan = PlanClean(r.vault, r.scan, options);
    EXPECT_TRUE(plan.ok()) << plan.status();
    r.plan = *std::move(plan);
    return r;
  }
  std::string Page() { return ReadFileOrDie(dir_ + "/Accounts/Microsoft.md"); }

  std::string dir_;
};

TEST_F(CleanTest, DryRunTouchesOnlyTheAccountPageAndKeepsEverythingElse) {
  Run r = Plan();
  ASSERT_EQ(r.plan.pages.size(), 1u);  // evidence notes and the sync-conflict copy are kept
  const PagePlan& p = r.plan.pages[0];
  EXPECT_EQ(p.path, "Accounts/Microsoft.md");
  EXPECT_LT(p.after.size(), p.before.size());
  EXPECT_EQ(p.facts_before - p.facts_after, static_cast<int>(p.removed.size()));
  // Frontmatter and title unchanged byte for byte; the tasks block survives.
  const size_t head = p.before.find("## Key Facts");
  EXPECT_EQ(p.after.substr(0, head), p.before.substr(0, head));
  EXPECT_THAT(p.after, HasSubstr("```tasks\npath includes Microsoft\nnot done\n```"));
  EXPECT_EQ(p.after.find("\n\n\n"), std::string::npos);
  // Every removed variant names the bullet it was merged into, which is still on the page.
  for (const RemovedVariant& v : p.removed) {
    EXPECT_FALSE(v.canonical_text.empty());
    EXPECT_THAT(p.after, HasSubstr(v.canonical_text.substr(0, 40)));
  }
  // The kept "Big Pause" fact links to the meeting note and, through it, the raw article.
  EXPECT_THAT(p.after, HasSubstr("(sources: [[Meetings/2025-11-12 - Microsoft AI capacity and VAST|"
                                 "2025-11-12 - Microsoft AI capacity and VAST]], "
                                 "[[Inbox/_archive/2025-11-12/2025-11-12 - Announcements|"
                                 "2025-11-12 - Announcements]])"));
  // Dry run wrote nothing.
  EXPECT_EQ(Page(), p.before);
}

TEST_F(CleanTest, WriteIsIdempotentAndRestoreIsByteExact) {
  const std::string original = Page();
  Run r = Plan();
  ASSERT_TRUE(ApplyClean(DefaultFileSystem(), r.vault, r.plan, "2026-01-01T00:00:00Z").ok());
  const std::string cleaned = Page();
  EXPECT_EQ(cleaned, r.plan.pages[0].after);
  Run again = Plan();
  EXPECT_TRUE(again.plan.pages.empty()) << "a second clean must change nothing";
  ASSERT_TRUE(
      RestorePage(DefaultFileSystem(), dir_, "Accounts/Microsoft.md", "2026-01-01T00:00:01Z").ok());
  EXPECT_EQ(Page(), original);
  // Restoring twice is refused: the page is no longer what the clean wrote.
  EXPECT_FALSE(RestorePage(DefaultFileSystem(), dir_, "Accounts/Microsoft.md", "t").ok());
}

TEST_F(CleanTest, FootnoteStyleIsIdempotentAndRestorable) {
  const std::string original = Page();
  CleanOptions options;
  options.link_style = CleanOptions::LinkStyle::kFootnote;
  Run r = Plan(options);
  ASSERT_EQ(r.plan.pages.size(), 1u);
  const std::string& after = r.plan.pages[0].after;
  EXPECT_THAT(after, HasSubstr("\n<!-- factdedup:sources -->\n[^fd-"));
  EXPECT_THAT(after, ::testing::Not(HasSubstr("(sources: [[")));
  ASSERT_TRUE(ApplyClean(DefaultFileSystem(), r.vault, r.plan, "t1").ok());
  EXPECT_TRUE(Plan(options).plan.pages.empty()) << "a second clean must change nothing";
  ASSERT_TRUE(RestorePage(DefaultFileSystem(), dir_, "Accounts/Microsoft.md", "t2").ok());
  EXPECT_EQ(Page(), original);
}

TEST_F(CleanTest, RefusesAPageThatChangedSinceItWasRead) {
  Run r = Plan();
  const std::string edited = Page() + "\n- a line the user added meanwhile\n";
  ASSERT_TRUE(DefaultFileSystem()
                  ->WriteFileAtomic(dir_ + "/Accounts/Microsoft.md", edited, std::nullopt)
                  .ok());
  absl::Status s = ApplyClean(DefaultFileSystem(), r.vault, r.plan, "t");
  EXPECT_TRUE(absl::IsAborted(s)) << s;
  EXPECT_EQ(Page(), edited);
}

TEST_F(CleanTest, PageWithoutDuplicatesIsUntouched) {
  // Facts that nothing else in the vault states, none a duplicate of another.
  ASSERT_TRUE(DefaultFileSystem()
                  ->WriteFileAtomic(dir_ + "/Accounts/Fabrikam.md",
                                    "---\ntype: account\n---\n# Fabrikam\n\n## Key Facts\n"
                                    "- Fabrikam runs its render farm in Oslo on 400 nodes.\n"
                                    "- Fabrikam's CFO is Ingrid Solberg.\n"
                                    "- Fabrikam evaluates tape archives for cold footage.\n",
                                    std::nullopt)
                  .ok());
  CleanOptions options;
  options.paths = {"Accounts/Fabrikam.md"};
  Run r = Plan(options);
  EXPECT_TRUE(r.plan.pages.empty());
}

TEST_F(CleanTest, EvidencePageLosesOnlyTheTopicItsOwnKeyFactStates) {
  // The meeting note's topic line "Bifrost/Apollo internal Microsoft initiatives" is wholly
  // inside its own Key Facts bullet on Apollo and Bifrost (data/gold: subsumed).
  CleanOptions options;
  options.paths = {"Meetings/2025-12-16 - Prep for Microsoft AI talks.md"};
  options.include_evidence = true;
  Run r = Plan(options);
  ASSERT_EQ(r.plan.pages.size(), 1u);
  ASSERT_EQ(r.plan.pages[0].removed.size(), 1u);
  EXPECT_EQ(r.plan.pages[0].removed[0].line, 48);
}

// A page whose duplicates include one that contradicts the kept bullet (polarity), and one
// that merely repeats it.
class CleanConflictTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/factdedup-clean-conflict-XXXXXX";
    dir_ = mkdtemp(tmpl);
    ASSERT_TRUE(DefaultFileSystem()->MakeDirs(dir_ + "/Accounts").ok());
    ASSERT_TRUE(
        DefaultFileSystem()->WriteFileAtomic(dir_ + "/Accounts/P.md", kPage, std::nullopt).ok());
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }

  static constexpr char kPage[] =
      "---\ntype: account\n---\n## Key Facts\n"
      "- Azure API exclusivity for OpenAI continues under the updated Microsoft-OpenAI "
      "agreement.\n"
      "- Azure API exclusivity for OpenAI ended under the updated Microsoft-OpenAI agreement.\n"
      "- Azure API exclusivity for OpenAI continues under the updated Microsoft-OpenAI "
      "agreement!\n";

  CleanPlan Plan() {
    absl::StatusOr<Vault> vault = LoadVault(DefaultFileSystem(), dir_, Config{});
    EXPECT_TRUE(vault.ok());
    vault_ = *std::move(vault);
    absl::StatusOr<ScanResult> scan = ScanVault(vault_, dedup::DedupOptions{});
    EXPECT_TRUE(scan.ok());
    scan_ = *std::move(scan);
    absl::StatusOr<CleanPlan> plan = PlanClean(vault_, scan_, {});
    EXPECT_TRUE(plan.ok()) << plan.status();
    return plan.ok() ? *plan : CleanPlan{};
  }
  std::string Page() { return ReadFileOrDie(dir_ + "/Accounts/P.md"); }

  std::string dir_;
  Vault vault_;
  ScanResult scan_;
};

TEST_F(CleanConflictTest, ConflictingVariantStaysMarkedAndRerunChangesNothing) {
  CleanPlan plan = Plan();
  ASSERT_EQ(plan.pages.size(), 1u);
  const PagePlan& p = plan.pages[0];
  // The exact repeat goes; the contradicting variant stays, marked, naming the kept bullet.
  // (FindConflicts groups all three lines into one polarity conflict, 6 against 5 and 7: line 7
  // must still go, because it does not contradict the kept bullet itself.)
  ASSERT_EQ(p.removed.size(), 1u);
  EXPECT_EQ(p.removed[0].line, 7);
  ASSERT_EQ(p.conflicting.size(), 1u);
  EXPECT_EQ(p.conflicting[0].line, 6);
  EXPECT_EQ(p.conflicting[0].type, "polarity");
  EXPECT_EQ(p.conflicting[0].kept_line, 5);
  EXPECT_EQ(p.facts_after, 2);
  const std::string kept =
      "Azure API exclusivity for OpenAI continues under the updated Microsoft-OpenAI agreement.";
  EXPECT_THAT(p.after, HasSubstr("- Azure API exclusivity for OpenAI ended under the updated "
                                 "Microsoft-OpenAI agreement." +
                                 ConflictMarker("polarity", kept) + "\n"));
  EXPECT_THAT(p.after,
              HasSubstr(" \u26A0 <!-- factdedup:conflict polarity with: " + kept + " -->"));
  ASSERT_TRUE(ApplyClean(DefaultFileSystem(), vault_, plan, "t1").ok());
  EXPECT_EQ(Page(), p.after);
  // Idempotent: the marker is recognized and the same one written again.
  EXPECT_TRUE(Plan().pages.empty()) << "a second clean must change nothing";
  // The journal names the kept conflict; restore brings the page back byte for byte.
  EXPECT_THAT(ReadFileOrDie(dir_ + "/.factdedup/journal.jsonl"),
              HasSubstr("\"conflicting\":[{\"line\":6,"));
  ASSERT_TRUE(RestorePage(DefaultFileSystem(), dir_, "Accounts/P.md", "t2").ok());
  EXPECT_EQ(Page(), kPage);
}

TEST(ConflictMarker, RoundTripsAndCannotCloseTheCommentEarly) {
  std::string m = ConflictMarker("value", "a --> b <!-- c");
  EXPECT_EQ(m, " \u26A0 <!-- factdedup:conflict value with: a - -> b <!- - c -->");
  EXPECT_EQ(ConflictMarkerLength("fact" + m), m.size());
  EXPECT_EQ(ConflictMarkerLength("fact <!-- factdedup:conflict value with: x -->"), 0u);
  EXPECT_EQ(ConflictMarkerLength("fact"), 0u);
  // Long texts are cut at a character boundary.
  std::string long_text;
  for (int i = 0; i < 100; ++i) long_text += "\u00e9";  // 2 bytes each
  m = ConflictMarker("name", long_text);
  EXPECT_THAT(m, HasSubstr("\u00e9..."));
  EXPECT_EQ(ConflictMarkerLength(m), m.size());
}

TEST(SourcesSuffix, RoundTripsAndRejectsLookalikes) {
  std::vector<Source> sources(2);
  sources[0].path = "Accounts/Microsoft.md";
  sources[1].path = "Meetings/M 1.md";
  std::string suffix =
      SourcesSuffix(sources, "Accounts/Microsoft.md", CleanOptions::LinkStyle::kWikilink);
  EXPECT_EQ(suffix, " (sources: [[Meetings/M 1|M 1]])");
  EXPECT_EQ(SourcesSuffixLength("fact" + suffix), suffix.size());
  EXPECT_EQ(SourcesSuffixLength("fact (sources: see [[X]])"), 0u);
  EXPECT_EQ(SourcesSuffixLength("fact"), 0u);
  EXPECT_EQ(SourcesSuffix(sources, "Accounts/Microsoft.sync-conflict-1-2-X.md",
                          CleanOptions::LinkStyle::kWikilink),
            " (sources: [[Meetings/M 1|M 1]])");
}

TEST(UnifiedDiff, Golden) {
  EXPECT_EQ(UnifiedDiff("p.md", "a\nb\nc\n", "a\nc\n"),
            "--- a/p.md\n+++ b/p.md\n@@ -1,3 +1,2 @@\n a\n-b\n c\n");
  EXPECT_EQ(UnifiedDiff("p.md", "a\nb", "a\nB"),
            "--- a/p.md\n+++ b/p.md\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n"
            "+B\n\\ No newline at end of file\n");
  EXPECT_EQ(UnifiedDiff("p.md", "same\n", "same\n"), "");
}

}  // namespace
}  // namespace factdedup::provenance
