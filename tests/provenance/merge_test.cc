#include "provenance/merge.h"

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/provenance/test_util.h"

namespace factdedup::provenance {
namespace {

using ::factdedup::testing::ReadFileOrDie;
using ::factdedup::testing::SourcePath;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

MergeResult Merge(const std::string& base, const std::string& ours, const std::string& theirs) {
  MergeOptions options;
  options.path = "Accounts/A.md";
  absl::StatusOr<MergeResult> r = MergeNote(base, ours, theirs, options);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : MergeResult{};
}

// A note with the given frontmatter lines and Key Facts bullets (blank-line separated).
std::string Page(const std::string& frontmatter, const std::string& facts,
                 const std::string& rest = "## Tasks\n\n```tasks\nnot done\n```\n") {
  return "---\n" + frontmatter + "---\n\n# A\n\n## Key Facts\n\n" + facts + rest;
}

const char kFm[] = "type: account\nlast_contact: '2026-01-01'\nstatus: open\n";
const char kFacts[] = "- Fact one is here.\n\n- Fact two is there.\n";

std::string Fm(const std::string& from, const std::string& to) {
  return absl::StrReplaceAll(kFm, {{from, to}});
}

TEST(MergeNoteFrontmatter, KeyChangedOnOneSideTakesThatSide) {
  MergeResult r = Merge(Page(kFm, kFacts), Page(Fm("2026-01-01", "2026-01-05"), kFacts),
                        Page(Fm("open", "closed"), kFacts));
  EXPECT_EQ(r.conflicts, 0);
  EXPECT_EQ(r.text, Page("type: account\nlast_contact: '2026-01-05'\nstatus: closed\n", kFacts));
}

TEST(MergeNoteFrontmatter, SameChangeOnBothSidesIsNoConflict) {
  const std::string fm = Fm("2026-01-01", "2026-01-05");
  MergeResult r = Merge(Page(kFm, kFacts), Page(fm, kFacts),
                        Page(fm, std::string(kFacts) + "\n- Fact three is new.\n"));
  EXPECT_EQ(r.conflicts, 0);
  EXPECT_EQ(r.text, Page(fm, std::string(kFacts) + "\n- Fact three is new.\n"));
}

TEST(MergeNoteFrontmatter, DifferentChangesOnBothSidesAreMarkedAroundTheKey) {
  MergeResult r = Merge(Page(kFm, kFacts), Page(Fm("2026-01-01", "2026-01-05"), kFacts),
                        Page(Fm("2026-01-01", "2026-01-04"), kFacts));
  EXPECT_EQ(r.conflicts, 1);
  EXPECT_EQ(r.text, Page("type: account\n"
                         "<<<<<<< ours\n"
                         "last_contact: '2026-01-05'\n"
                         "=======\n"
                         "last_contact: '2026-01-04'\n"
                         ">>>>>>> theirs\n"
                         "status: open\n",
                         kFacts));
  EXPECT_THAT(r.messages,
              ElementsAre("Accounts/A.md:3: conflict: frontmatter key 'last_contact' changed on "
                          "both sides to different values"));
}

TEST(MergeNoteFrontmatter, KeyDeletedOnOneSide) {
  // Unchanged on the other side: deleted.
  MergeResult r = Merge(Page(kFm, kFacts), Page(Fm("status: open\n", ""), kFacts),
                        Page(Fm("2026-01-01", "2026-01-04"), kFacts));
  EXPECT_EQ(r.conflicts, 0);
  EXPECT_EQ(r.text, Page("type: account\nlast_contact: '2026-01-04'\n", kFacts));
  // Changed on the other side: a conflict, the changed lines kept inside the markers.
  r = Merge(Page(kFm, kFacts), Page(Fm("status: open\n", ""), kFacts),
            Page(Fm("open", "closed"), kFacts));
  EXPECT_EQ(r.conflicts, 1);
  EXPECT_THAT(r.text, HasSubstr("<<<<<<< ours\n=======\nstatus: closed\n>>>>>>> theirs\n"));
}

TEST(MergeNoteFrontmatter, BlockListsMergeAsSets) {
  const std::string base = "tags:\n- type/account\n- needs-review\n";
  MergeResult r = Merge(Page(base, kFacts), Page("tags:\n- type/account\n- vip\n", kFacts),
                        Page(base + "- emea\n", kFacts));
  EXPECT_EQ(r.conflicts, 0);
  EXPECT_EQ(r.text, Page("tags:\n- type/account\n- vip\n- emea\n", kFacts));
}

TEST(MergeNoteFacts, ParaphraseAddedOnBothSidesLandsOnceWithBothLinks) {
  const std::string ours =
      std::string(kFacts) +
      "\n- Peter Imming previously managed Jason Vallery at Microsoft. (sources: "
      "[[Meetings/2025-12-18 Intro|2025-12-18 Intro]])\n"
      "\n- Ours adds an unrelated fact about storage pricing.\n";
  const std::string theirs =
      std::string(kFacts) +
      "\n- Peter Imming and Jason Vallery previously worked together at Microsoft, where Peter "
      "Imming was Jason Vallery's manager. (sources: [[Inbox/Mail|Mail]])\n"
      "\n- Theirs adds an unrelated fact about the Redmond lab.\n";
  MergeResult r = Merge(Page(kFm, kFacts), Page(kFm, ours), Page(kFm, theirs));
  EXPECT_EQ(r.conflicts, 0);
  // The canonical (the more complete variant) at ours' place, both links; then ours' other
  // addition, then theirs'.
  EXPECT_EQ(r.text, Page(kFm, std::string(kFacts) +
                                  "\n- Peter Imming and Jason Vallery previously worked together "
                                  "at Microsoft, where Peter Imming was Jason Vallery's manager. "
                                  "(sources: [[Inbox/Mail|Mail]], [[Meetings/2025-12-18 "
                                  "Intro|2025-12-18 Intro]])\n"
                                  "\n- Ours adds an unrelated fact about storage pricing.\n"
                                  "\n- Theirs adds an unrelated fact about the Redmond lab.\n"));
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_THAT(r.messages[0], HasSubstr("Accounts/A.md:15: merged: section 'Key Facts'"));
}

TEST(MergeNoteFacts, IgnoredBulletsAreNeverCollapsed) {
  const std::string ours = std::string(kFacts) +
                           "\n- Peter Imming previously managed Jason Vallery at Microsoft. "
                           "<!-- factdedup:ignore -->\n";
  const std::string theirs =
      std::string(kFacts) + "\n- Peter Imming was Jason Vallery's manager at Microsoft before.\n";
  MergeResult r = Merge(Page(kFm, kFacts), Page(kFm, ours), Page(kFm, theirs));
  EXPECT_EQ(r.conflicts, 0);
  EXPECT_EQ(r.text, Page(kFm, ours + "\n- Peter Imming was Jason Vallery's manager at Microsoft "
                                     "before.\n"));
}

TEST(MergeNoteFacts, DeletionOnOneSideIsKeptWhileTheOtherAdds) {
  MergeResult r = Merge(Page(kFm, kFacts), Page(kFm, "- Fact one is here.\n"),
                        Page(kFm, std::string(kFacts) + "\n- Fact three is new.\n"));
  EXPECT_EQ(r.conflicts, 0);
  EXPECT_EQ(r.text, Page(kFm, "- Fact one is here.\n\n- Fact three is new.\n"));
}

TEST(MergeNoteFacts, SameFactAddedOnBothSidesAtDifferentPlacesLandsOnce) {
  MergeResult r =
      Merge(Page(kFm, kFacts), Page(kFm, "- Fact zero.\n\n" + std::string(kFacts)),
            Page(kFm, std::string(kFacts) + "\n- Fact zero.\n\n- Fact three is new.\n"));
  EXPECT_EQ(r.conflicts, 0);
  EXPECT_EQ(r.text,
            Page(kFm, "- Fact zero.\n\n" + std::string(kFacts) + "\n- Fact three is new.\n"));
}

TEST(MergeNoteFacts, BulletEditedOnBothSidesIntoDifferentFactsIsAConflict) {
  const std::string base = "- Microsoft AI Infrastructure needs 2 exabytes of storage in 2025.\n";
  MergeResult r =
      Merge(Page(kFm, base),
            Page(kFm, "- Microsoft AI Infrastructure needs 3 exabytes of storage in 2025.\n"),
            Page(kFm, "- Microsoft AI Infrastructure needs 2 exabytes of storage in 2026.\n"));
  EXPECT_EQ(r.conflicts, 1);
  EXPECT_EQ(r.text, Page(kFm,
                         "<<<<<<< ours\n"
                         "- Microsoft AI Infrastructure needs 3 exabytes of storage in 2025.\n"
                         "=======\n"
                         "- Microsoft AI Infrastructure needs 2 exabytes of storage in 2026.\n"
                         ">>>>>>> theirs\n"));
}

TEST(MergeNoteFacts, BulletEditedOnBothSidesIntoParaphrasesLandsOnce) {
  MergeResult r =
      Merge(Page(kFm, "- Peter Imming managed Jason Vallery.\n"),
            Page(kFm, "- Peter Imming previously managed Jason Vallery at Microsoft.\n"),
            Page(kFm,
                 "- Peter Imming and Jason Vallery previously worked together at Microsoft, "
                 "where Peter Imming was Jason Vallery's manager.\n"));
  EXPECT_EQ(r.conflicts, 0);
  EXPECT_EQ(r.text, Page(kFm,
                         "- Peter Imming and Jason Vallery previously worked together at "
                         "Microsoft, where Peter Imming was Jason Vallery's manager.\n"));
}

TEST(MergeNoteOtherText, NonFactSectionsMergeLineByLine) {
  const std::string facts = kFacts;
  auto tasks = [](const std::string& a, const std::string& c) {
    return "## Tasks\n\n```tasks\n" + a + "\nnot done\n" + c + "\n```\n";
  };
  // Changes on different lines both apply.
  MergeResult r = Merge(Page(kFm, facts, tasks("path includes A", "sort by due")),
                        Page(kFm, facts, tasks("path includes B", "sort by due")),
                        Page(kFm, facts, tasks("path includes A", "sort by priority")));
  EXPECT_EQ(r.conflicts, 0);
  EXPECT_EQ(r.text, Page(kFm, facts, tasks("path includes B", "sort by priority")));
  // The same line changed differently: only that line is in conflict.
  r = Merge(Page(kFm, facts, tasks("path includes A", "sort by due")),
            Page(kFm, facts, tasks("path includes B", "sort by due")),
            Page(kFm, facts, tasks("path includes C", "sort by due")));
  EXPECT_EQ(r.conflicts, 1);
  EXPECT_EQ(r.text, Page(kFm, facts,
                         "## Tasks\n\n```tasks\n<<<<<<< ours\npath includes B\n=======\n"
                         "path includes C\n>>>>>>> theirs\nnot done\nsort by due\n```\n"));
  EXPECT_THAT(r.messages[0], HasSubstr(":17: conflict: section 'Tasks'"));
}

TEST(MergeNoteOtherText, SectionsAddedAndDeleted) {
  const std::string base = Page(kFm, kFacts, "## Notes\n\nOld notes.\n");
  // Ours deletes the unchanged Notes section; theirs adds a section.
  MergeResult r = Merge(base, Page(kFm, kFacts, ""),
                        Page(kFm, kFacts, "## Notes\n\nOld notes.\n## Related\n\n- [[B]]\n"));
  EXPECT_EQ(r.conflicts, 0);
  EXPECT_EQ(r.text, Page(kFm, kFacts, "## Related\n\n- [[B]]\n"));
  // Ours deletes it while theirs edits it: a conflict that keeps theirs' text.
  r = Merge(base, Page(kFm, kFacts, ""), Page(kFm, kFacts, "## Notes\n\nNew notes.\n"));
  EXPECT_EQ(r.conflicts, 1);
  EXPECT_THAT(r.text, HasSubstr("<<<<<<< ours\n=======\n## Notes\n\nNew notes.\n>>>>>>> theirs\n"));
}

TEST(MergeNoteGuarantees, IdempotentAndDeterministic) {
  const std::string base = Page(kFm, kFacts);
  const std::string ours = Page(Fm("2026-01-01", "2026-01-05"), kFacts + std::string("\n- A.\n"));
  const std::string theirs = Page(Fm("open", "won"), kFacts + std::string("\n- B.\n"));
  // ours == theirs: that version, byte for byte (even with conflict-looking content).
  EXPECT_EQ(Merge(base, ours, ours).text, ours);
  EXPECT_EQ(Merge(base, base, theirs).text, theirs);
  EXPECT_EQ(Merge(base, ours, base).text, ours);
  MergeResult r = Merge(base, ours, theirs);
  EXPECT_EQ(r.conflicts, 0);
  EXPECT_EQ(Merge(base, ours, theirs).text, r.text);
  // Merging the result with itself, or again with either side, changes nothing.
  EXPECT_EQ(Merge(base, r.text, r.text).text, r.text);
  EXPECT_EQ(Merge(base, r.text, theirs).text, r.text);
  EXPECT_EQ(Merge(base, r.text, ours).text, r.text);
  EXPECT_EQ(Merge(base, theirs, r.text).text, r.text);
}

TEST(MergeNoteGuarantees, LineEndingsFinalNewlineAndBomFollowTheSides) {
  auto crlf = [](std::string s) { return absl::StrReplaceAll(s, {{"\n", "\r\n"}}); };
  const std::string base = crlf(Page(kFm, kFacts));
  MergeResult r = Merge(base, crlf(Page(Fm("open", "won"), kFacts)),
                        crlf(Page(kFm, kFacts + std::string("\n- B."))));
  EXPECT_EQ(r.text, crlf(Page(Fm("open", "won"), kFacts + std::string("\n- B."))));
  // A BOM added on one side stays.
  r = Merge(Page(kFm, kFacts), "\xEF\xBB\xBF" + Page(Fm("open", "won"), kFacts),
            Page(kFm, kFacts + std::string("\n- B.\n")));
  EXPECT_EQ(r.text, "\xEF\xBB\xBF" + Page(Fm("open", "won"), kFacts + std::string("\n- B.\n")));
}

TEST(MergeNoteGuarantees, MalformedFrontmatterFallsBackToLines) {
  const std::string bad = "---\nkey: [unclosed\n---\n\n- Fact one is here.\n";
  MergeResult r = Merge(bad, "---\nkey: [unclosed\n---\n\n- Fact one is here, ours.\n",
                        "---\nkey: [unclosed\nother: 1\n---\n\n- Fact one is here.\n");
  EXPECT_EQ(r.conflicts, 0);
  EXPECT_EQ(r.text, "---\nkey: [unclosed\nother: 1\n---\n\n- Fact one is here, ours.\n");
  EXPECT_THAT(r.messages[0], HasSubstr("merged line by line"));
}

TEST(MergeNoteGuarantees, AddedOnBothSides) {
  // git passes an empty base for a note added on both branches.
  MergeResult r = Merge("", Page(kFm, kFacts), Page(kFm, std::string(kFacts) + "\n- C.\n"));
  EXPECT_EQ(r.conflicts, 0);
  EXPECT_EQ(r.text, Page(kFm, std::string(kFacts) + "\n- C.\n"));
}

// The seed account page: 000 on one branch, 002 (the bloated version) on the other.
class MergeSeedTest : public ::testing::Test {
 protected:
  std::string Data(const std::string& name) {
    return ReadFileOrDie(SourcePath("tests/data/merge/" + name));
  }
  std::string Set(const std::string& page, const std::string& date) {
    return absl::StrReplaceAll(page,
                               {{"last_contact: '2026-01-04'", "last_contact: '" + date + "'"},
                                {"last_contact: '2026-01-05'", "last_contact: '" + date + "'"}});
  }
};

TEST_F(MergeSeedTest, CleanMergeIsThe002PageWith000sLastContact) {
  const std::string base = Data("Microsoft.base.md");
  MergeResult r = Merge(base, Data("Microsoft.000.md"), Data("Microsoft.002.md"));
  EXPECT_EQ(r.conflicts, 0);
  EXPECT_EQ(r.text, Set(Data("Microsoft.002.md"), "2026-01-05"));
  // The other way round, the same page.
  r = Merge(base, Data("Microsoft.002.md"), Data("Microsoft.000.md"));
  EXPECT_EQ(r.conflicts, 0);
  EXPECT_EQ(r.text, Set(Data("Microsoft.002.md"), "2026-01-05"));
}

TEST_F(MergeSeedTest, LastContactChangedOnBothSidesIsTheOnlyConflict) {
  const std::string base = Set(Data("Microsoft.base.md"), "2026-01-03");
  MergeResult r = Merge(base, Data("Microsoft.000.md"), Data("Microsoft.002.md"));
  EXPECT_EQ(r.conflicts, 1);
  EXPECT_EQ(r.text, absl::StrReplaceAll(Data("Microsoft.002.md"),
                                        {{"last_contact: '2026-01-04'\n",
                                          "<<<<<<< ours\nlast_contact: '2026-01-05'\n=======\n"
                                          "last_contact: '2026-01-04'\n>>>>>>> theirs\n"}}));
  EXPECT_THAT(r.text, Not(HasSubstr("<<<<<<< ours\n-")));
}

// Random bullet additions and deletions on both sides of the seed page (tags included): the
// merge is deterministic and conflict-free, every bullet a side added is there once and every
// bullet a side deleted is gone.
TEST_F(MergeSeedTest, RandomEditsKeepAdditionsAndDeletions) {
  const std::vector<std::string> base = absl::StrSplit(Data("Microsoft.002.md"), '\n');
  std::mt19937 rng(20260105);
  const std::vector<std::string> words = {"alpha",   "bravo", "charlie", "delta", "echo",
                                          "foxtrot", "golf",  "hotel",   "india", "juliet"};
  int fact_id = 0;
  for (int round = 0; round < 30; ++round) {
    std::set<std::string> added, deleted;
    auto edit = [&](std::vector<std::string> lines) {
      for (int k = 0; k < 6; ++k) {
        std::uniform_int_distribution<size_t> at(0, lines.size() - 1);
        size_t i = at(rng);
        while (!absl::StartsWith(lines[i], "- ")) i = (i + 1) % lines.size();
        if (rng() % 2 == 0) {
          if (std::count(base.begin(), base.end(), lines[i]) == 1) deleted.insert(lines[i]);
          added.erase(lines[i]);  // a bullet this side added and deleted again
          lines.erase(lines.begin() + i);
        } else {
          std::string fact = absl::StrCat("- Fact ", words[fact_id % 10], " ",
                                          words[(fact_id / 10) % 10], " number ", fact_id, ".");
          ++fact_id;
          added.insert(fact);
          lines.insert(lines.begin() + i + 1, {"", fact});
        }
      }
      return absl::StrJoin(lines, "\n");
    };
    const std::string ours = edit(base), theirs = edit(base);
    MergeResult r = Merge(absl::StrJoin(base, "\n"), ours, theirs);
    ASSERT_EQ(Merge(absl::StrJoin(base, "\n"), ours, theirs).text, r.text) << round;
    // Adding and deleting bullets never conflicts: fact sections merge as a union.
    EXPECT_EQ(r.conflicts, 0) << round;
    const std::vector<std::string> merged = absl::StrSplit(r.text, '\n');
    for (const std::string& a : added) {
      EXPECT_EQ(std::count(merged.begin(), merged.end(), a), 1) << round << " " << a;
    }
    for (const std::string& d : deleted) {
      EXPECT_EQ(std::count(merged.begin(), merged.end(), d), 0) << round << " " << d;
    }
  }
}

}  // namespace
}  // namespace factdedup::provenance
