// FindConflicts over small in-memory vaults (one test per kind of conflict and per
// non-conflict), the seed examples on data/vault, and EvaluateConflicts.
#include "provenance/conflicts.h"

#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "provenance/index.h"
#include "provenance/io.h"
#include "tests/provenance/test_util.h"

namespace factdedup::provenance {
namespace {

using ::factdedup::testing::ReadFileOrDie;
using ::factdedup::testing::SourcePath;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

// Unrelated facts, so that vault-wide statistics (how common a name is) are realistic.
constexpr char kBackground[] =
    "## Key Facts\n"
    "- Contoso renewed its support contract with Fabrikam for three years.\n"
    "- The Redmond lab has no spare rack space until the move.\n"
    "- Northwind asked for a demo of the backup product.\n"
    "- Litware moved its analytics cluster to a new region.\n"
    "- The quarterly business review covered pipeline and hiring.\n"
    "- Tailspin wants a proposal for archive storage tiers.\n"
    "- Wingtip evaluated three vendors for object storage.\n"
    "- The partner team is hiring two solution architects.\n"
    "- Adatum reported strong demand for inference capacity.\n"
    "- Proseware signed a pilot for log analytics.\n";

// A note with frontmatter `date` (if any) and one "## Key Facts" section: facts start at line
// 5 with a date, at line 2 without.
std::string Note(const std::string& date, const std::vector<std::string>& facts) {
  std::string out = date.empty() ? "" : absl::StrCat("---\ndate: '", date, "'\n---\n");
  absl::StrAppend(&out, "## Key Facts\n");
  for (const std::string& f : facts) absl::StrAppend(&out, "- ", f, "\n");
  return out;
}

struct VaultRun {
  std::unique_ptr<FileSystem> fs;
  Vault vault;
  ScanResult scan;
  std::vector<Conflict> conflicts;
};

VaultRun FindIn(const std::vector<std::pair<std::string, std::string>>& files) {
  VaultRun r;
  r.fs = NewMemFileSystem();
  EXPECT_TRUE(r.fs->WriteFileAtomic("v/Notes/background.md", kBackground, {}).ok());
  for (const auto& [path, content] : files) {
    EXPECT_TRUE(r.fs->WriteFileAtomic("v/" + path, content, {}).ok());
  }
  absl::StatusOr<Vault> vault = LoadVault(r.fs.get(), "v", Config{});
  EXPECT_TRUE(vault.ok()) << vault.status();
  r.vault = *std::move(vault);
  absl::StatusOr<ScanResult> scan = ScanVault(r.vault, dedup::DedupOptions{});
  EXPECT_TRUE(scan.ok()) << scan.status();
  r.scan = *std::move(scan);
  absl::StatusOr<std::vector<Conflict>> c = FindConflicts(r.vault, r.scan);
  EXPECT_TRUE(c.ok()) << c.status();
  r.conflicts = *std::move(c);
  return r;
}

std::string Loc(const ConflictFact& f) { return absl::StrCat(f.path, ":", f.line); }

std::string Describe(const std::vector<Conflict>& cs) {
  std::string out;
  for (const Conflict& c : cs) {
    absl::StrAppend(&out, c.type, ":");
    for (const ConflictFact& f : c.facts) absl::StrAppend(&out, " ", Loc(f), " '", f.value, "'");
    absl::StrAppend(&out, "\n");
  }
  return out;
}

// The contradictions of `type` that list loc1 and loc2 as a disagreeing pair.
std::vector<const Conflict*> AllBetween(const VaultRun& r, const std::string& type,
                                        const std::string& loc1, const std::string& loc2) {
  std::vector<const Conflict*> out;
  for (const Conflict& c : r.conflicts) {
    if (c.type != type) continue;
    for (const auto& [x, y] : c.pairs) {
      std::string a = Loc(c.facts[x]), b = Loc(c.facts[y]);
      if ((a == loc1 && b == loc2) || (a == loc2 && b == loc1)) {
        out.push_back(&c);
        break;
      }
    }
  }
  return out;
}

// The first of them, or null.
const Conflict* Between(const VaultRun& r, const std::string& type, const std::string& loc1,
                        const std::string& loc2) {
  std::vector<const Conflict*> all = AllBetween(r, type, loc1, loc2);
  return all.empty() ? nullptr : all[0];
}

// Whether any contradiction lists loc1 and loc2 as a disagreeing pair.
bool Contradicts(const VaultRun& r, const std::string& loc1, const std::string& loc2) {
  for (const char* type : {"value", "polarity", "name", "acronym", "frontmatter"}) {
    if (Between(r, type, loc1, loc2) != nullptr) return true;
  }
  return false;
}

std::string ValueAt(const Conflict& c, const std::string& loc) {
  for (const ConflictFact& f : c.facts) {
    if (Loc(f) == loc) return f.value;
  }
  return "<none>";
}

bool SameCluster(const VaultRun& r, const std::string& loc1, const std::string& loc2) {
  for (const dedup::Cluster& c : r.scan.dedup.clusters) {
    bool a = false, b = false;
    for (const dedup::Member& m : c.members) {
      const Fact& f = r.scan.fact(r.vault, m.item);
      std::string loc = absl::StrCat(r.scan.note(r.vault, m.item).path, ":", f.line);
      a |= loc == loc1;
      b |= loc == loc2;
    }
    if (a && b) return true;
  }
  return false;
}

// Two statements of one claim, in notes dated 2025-11-01 (a.md) and 2025-12-16 (b.md).
struct PairCase {
  std::string name;
  std::string a, b;              // the facts
  std::string type;              // expected conflict type, or "" for none
  std::string value_a, value_b;  // expected values when there is a conflict
};

VaultRun FindPair(const PairCase& c) {
  return FindIn({{"a.md", Note("2025-11-01", {c.a})}, {"b.md", Note("2025-12-16", {c.b})}});
}

void CheckPairs(const std::vector<PairCase>& cases) {
  for (const PairCase& c : cases) {
    VaultRun r = FindPair(c);
    if (c.type.empty()) {
      EXPECT_FALSE(Contradicts(r, "a.md:5", "b.md:5")) << c.name << "\n" << Describe(r.conflicts);
      continue;
    }
    const Conflict* found = Between(r, c.type, "a.md:5", "b.md:5");
    ASSERT_NE(found, nullptr) << c.name << "\n" << Describe(r.conflicts);
    EXPECT_EQ(ValueAt(*found, "a.md:5"), c.value_a) << c.name;
    EXPECT_EQ(ValueAt(*found, "b.md:5"), c.value_b) << c.name;
    EXPECT_EQ(found->facts.size(), 2u) << c.name;
  }
}

TEST(FindConflicts, SameClaimYearAmountAndQualifier) {
  CheckPairs({
      {"year", "Jeff Denworth stated MAI needs 2 exabytes of storage on the floor in 2025.",
       "Jeff Denworth stated MAI needs 2 exabytes of storage on the floor in 2026.", "value",
       "2025", "2026"},
      {"quarter", "Decision on the Fairwater storage vendor is expected in Q1 2026.",
       "Decision on the Fairwater storage vendor is expected in Q3 2026.", "value", "Q1 2026",
       "Q3 2026"},
      {"amount", "OpenAI will purchase $250B of Azure services over the next five years.",
       "OpenAI will purchase $300B of Azure services over the next five years.", "value", "$250B",
       "$300B"},
      {"amount in other units", "MAI needs 2EB of flash capacity for the Fairwater site.",
       "MAI needs 3 exabytes of flash capacity for the Fairwater site.", "value", "2EB", "3EB"},
      {"qualifier", "Microsoft plans to spend more than $80B on AI datacenters this fiscal year.",
       "Microsoft plans to spend up to $80B on AI datacenters this fiscal year.", "value",
       "at least $80B", "at most $80B"},
  });
}

TEST(FindConflicts, QualifierConflictInsideOneCluster) {
  VaultRun r = FindIn(
      {{"a.md", Note("2025-11-01",
                     {"Microsoft plans to spend more than $80B on AI datacenters this year."})},
       {"b.md",
        Note("2025-12-16", {"Microsoft plans to spend up to $80B on AI datacenters this year."})}});
  ASSERT_TRUE(SameCluster(r, "a.md:5", "b.md:5")) << "the dedup engine merges these variants";
  EXPECT_NE(Between(r, "value", "a.md:5", "b.md:5"), nullptr) << Describe(r.conflicts);
}

TEST(FindConflicts, AcrossClustersPolarity) {
  CheckPairs({
      {"continues vs removed", "Azure API exclusivity for OpenAI continues under the agreement.",
       "OpenAI's Azure exclusivity was removed from the contract.", "polarity",
       "Azure API exclusivity for OpenAI continues under the agreement.",
       "OpenAI's Azure exclusivity was removed from the contract."},
      {"continues vs ended", "Azure API exclusivity for OpenAI continues.",
       "Azure API exclusivity for OpenAI ended in October.", "polarity",
       "Azure API exclusivity for OpenAI continues.",
       "Azure API exclusivity for OpenAI ended in October."},
      {"remains vs lifted", "The export restriction on Maia chips remains in place.",
       "The export restriction on Maia chips was lifted.", "polarity",
       "The export restriction on Maia chips remains in place.",
       "The export restriction on Maia chips was lifted."},
      {"will vs will not", "VAST will provide an Azure VoC instance for the MAI benchmark.",
       "VAST will not provide an Azure VoC instance for the MAI benchmark.", "polarity",
       "VAST will provide an Azure VoC instance for the MAI benchmark.",
       "VAST will not provide an Azure VoC instance for the MAI benchmark."},
      {"never", "Microsoft signed the Fairwater storage contract with VAST.",
       "Microsoft never signed the Fairwater storage contract with VAST.", "polarity",
       "Microsoft signed the Fairwater storage contract with VAST.",
       "Microsoft never signed the Fairwater storage contract with VAST."},
      {"no", "The new agreement gives Microsoft a right-of-first-refusal on OpenAI compute.",
       "The new agreement gives Microsoft no right-of-first-refusal on OpenAI compute.", "polarity",
       "The new agreement gives Microsoft a right-of-first-refusal on OpenAI compute.",
       "The new agreement gives Microsoft no right-of-first-refusal on OpenAI compute."},
      // The negation in the earlier note; the plain statement in a clause of its own.
      {"negation first", "VAST will not provide an Azure VoC instance for the MAI benchmark.",
       "Pilot starts soon; VAST will provide an Azure VoC instance for the MAI benchmark.",
       "polarity", "VAST will not provide an Azure VoC instance for the MAI benchmark.",
       "VAST will provide an Azure VoC instance for the MAI benchmark."},
      // Same state in other words; opposite states of different subjects.
      {"same state", "Azure API exclusivity for OpenAI continues.",
       "OpenAI keeps its Azure API exclusivity, which continues.", "", "", ""},
      {"different subjects", "Azure API exclusivity for OpenAI continues.",
       "Jonsi's temporary restraining order was lifted.", "", "", ""},
  });
}

TEST(FindConflicts, AcrossClustersIncompatibleDates) {
  // Different claims about one milestone (the MAI deployment) that disagree on the year.
  VaultRun r = FindIn(
      {{"a.md", Note("2025-11-01", {"Jeff Denworth stated MAI needs 2 exabytes of storage "
                                    "capacity deployed on the floor in calendar year 2025."})},
       {"b.md", Note("2025-12-16", {"Kushal said MAI go-live is now planned for May 2026 "
                                    "after a performance bake-off."})}});
  ASSERT_FALSE(SameCluster(r, "a.md:5", "b.md:5"));
  const Conflict* c = Between(r, "value", "a.md:5", "b.md:5");
  ASSERT_NE(c, nullptr) << Describe(r.conflicts);
  EXPECT_EQ(ValueAt(*c, "a.md:5"), "2025");
  EXPECT_EQ(ValueAt(*c, "b.md:5"), "May 2026");
}

TEST(FindConflicts, AcrossClustersMonthsOfOneYearAndMeetingsAreNotCompared) {
  VaultRun r = FindIn(
      {{"a.md", Note("2025-11-01", {"HDDs are considered for the first April 2026 delivery for MAI "
                                    "scale-up."})},
       {"b.md", Note("2025-12-16", {"MAI needs a storage solution ready for May to June 2026."})},
       {"c.md", Note("2025-11-01", {"VAST Data presented to Microsoft GBB sellers at the AKS "
                                    "roadshow on December 9, 2025."})},
       {"d.md", Note("2025-12-16", {"The pipeline sync between VAST Data and Microsoft will be "
                                    "scheduled in January 2026."})}});
  EXPECT_FALSE(Contradicts(r, "a.md:5", "b.md:5")) << Describe(r.conflicts);
  EXPECT_FALSE(Contradicts(r, "c.md:5", "d.md:5")) << Describe(r.conflicts);
}

TEST(FindConflicts, TwoEventsAreNotOneEventDatedTwoWays) {
  VaultRun r = FindIn(
      {{"a.md", Note("2025-11-01", {"Tariq said Conora will purchase $1B of CDN capacity by "
                                    "August 2025."})},
       {"b.md", Note("2025-12-16", {"Diego said Conora will purchase $150M of Kubernetes "
                                    "capacity by May 12, 2026."})},
       // A month without a year agrees with that month in a full date.
       {"c.md", Note("2025-11-01", {"Novrikam requires 2378 PB of feature store storage for "
                                    "Frankfurt ahead of November."})},
       {"d.md", Note("2025-12-16", {"Ingrid said Novrikam needs 2378 petabytes of feature store "
                                    "storage in Frankfurt before November 28, 2027."})}});
  EXPECT_FALSE(Contradicts(r, "a.md:5", "b.md:5")) << Describe(r.conflicts);
  EXPECT_FALSE(Contradicts(r, "c.md:5", "d.md:5")) << Describe(r.conflicts);
}

TEST(FindConflicts, SurnamesThatDifferByASyllableAreNotSpellings) {
  VaultRun r = FindIn({{"a.md", Note("", {"Kenji Sato leads the Azure storage team.",
                                          "Satya Costa met the Azure storage team.",
                                          "Omar Rossi joined Rossys from Azure."})}});
  for (const Conflict& c : r.conflicts) EXPECT_NE(c.type, "name") << Describe(r.conflicts);
}

TEST(FindConflicts, NameSpellings) {
  VaultRun r =
      FindIn({{"Meetings/1-1.md",
               "---\nperson: Jonsi Stephenson\nparticipants:\n- Jonsi Stefanson\n---\n"
               "## Key Information\n"
               "- Jonsi Stefanson will meet Ong and Manish about Azure Blob integration.\n"},
              {"Accounts/Microsoft.md",
               Note("", {"Jonsi Stephenson met Aung and Maneesh Sah from Azure Storage.",
                         "Kushal told Manish that Azure Blob does not fit MAI."})}});
  const Conflict* jonsi =
      Between(r, "name", "Meetings/1-1.md:2", "Meetings/1-1.md:4");  // frontmatter lines
  ASSERT_NE(jonsi, nullptr) << Describe(r.conflicts);
  EXPECT_EQ(ValueAt(*jonsi, "Meetings/1-1.md:2"), "Jonsi Stephenson");
  EXPECT_EQ(ValueAt(*jonsi, "Meetings/1-1.md:4"), "Jonsi Stefanson");
  EXPECT_NE(Between(r, "name", "Accounts/Microsoft.md:2", "Meetings/1-1.md:7"), nullptr);
  const Conflict* manish = nullptr;
  for (const Conflict& c : r.conflicts) {
    if (c.type == "name" && ValueAt(c, "Accounts/Microsoft.md:3") == "Manish") manish = &c;
  }
  ASSERT_NE(manish, nullptr) << Describe(r.conflicts);
  EXPECT_EQ(ValueAt(*manish, "Accounts/Microsoft.md:2"), "Maneesh Sah");
  // 'Manish' is written twice, 'Maneesh' once.
  EXPECT_THAT(manish->suggestion, StartsWith("suggestion: 'Manish' is the more frequent"));
}

TEST(FindConflicts, LookAlikeSurnamesOfDifferentPeopleAreNotSpellings) {
  // "Dorcason" and "Dorkason" are spelling variants and share context (Conmark), but every
  // mention has a first name and no first name is shared: two people.
  VaultRun r = FindIn({{"a.md", Note("", {"Lars Dorcason said Conmark will buy storage.",
                                          "Lars Dorcason runs the Conmark pilot in Paris."})},
                       {"b.md", Note("", {"Hiroshi Dorkason said Conmark delayed the pilot.",
                                          "Hiroshi Dorkason leads Conmark backup."})}});
  for (const Conflict& c : r.conflicts) EXPECT_NE(c.type, "name") << Describe(r.conflicts);
}

TEST(FindConflicts, NameSpellingListsOnlyMentionsOfThatPerson) {
  // Elena's surname is written two ways; Lars Dorcason is someone else and is not listed.
  VaultRun r = FindIn({{"a.md", Note("", {"Elena Dorcason said Conmark will buy storage.",
                                          "Lars Dorcason runs the Conmark pilot in Paris."})},
                       {"b.md", Note("", {"Elena Dorkason said Conmark delayed the pilot."})}});
  const Conflict* c = Between(r, "name", "a.md:2", "b.md:2");
  ASSERT_NE(c, nullptr) << Describe(r.conflicts);
  EXPECT_EQ(ValueAt(*c, "a.md:2"), "Elena Dorcason");
  EXPECT_EQ(ValueAt(*c, "b.md:2"), "Elena Dorkason");
  EXPECT_EQ(c->facts.size(), 2u) << Describe(r.conflicts);
  // A surname written alone can be anyone of that spelling.
  VaultRun alone =
      FindIn({{"a.md", Note("", {"Lars Dorcason said Conmark will buy storage."})},
              {"b.md", Note("", {"Hiroshi Mori said Dorkason from Conmark delayed the pilot."})}});
  EXPECT_NE(Between(alone, "name", "a.md:2", "b.md:2"), nullptr) << Describe(alone.conflicts);
}

TEST(FindConflicts, NameConflictsListLinesAsDisplayText) {
  // White space runs collapse and markup goes, as in every displayed text; a line written
  // plainly is listed as written.
  VaultRun r =
      FindIn({{"a.md", "## Notes\n-  Elena Dorcason said\tConmark will buy storage.  \n"},
              {"b.md",
               "## Notes\n- Elena Dorkason said Conmark delayed the pilot.\n"
               "- Elena Dorkason said **Conmark** delayed the [[pilots|pilot]] again.\n"}});
  const Conflict* c = Between(r, "name", "a.md:2", "b.md:2");
  ASSERT_NE(c, nullptr) << Describe(r.conflicts);
  ASSERT_EQ(c->facts.size(), 3u) << Describe(r.conflicts);
  EXPECT_EQ(c->facts[0].text, "- Elena Dorcason said Conmark will buy storage.");
  EXPECT_EQ(c->facts[1].text, "- Elena Dorkason said Conmark delayed the pilot.");
  EXPECT_EQ(c->facts[2].text, "- Elena Dorkason said Conmark delayed the pilot again.");
}

TEST(FindConflicts, NameSpellingsFarApartInALargeVault) {
  // Mentions are found a block of 32768 lines at a time: the two spellings are in different
  // blocks, with a mention on the first line of a block.
  std::vector<std::string> filler;
  for (int i = 0; i < 40000; ++i) filler.push_back(absl::StrCat("item ", i, " is noted."));
  std::vector<std::string> b = filler;
  b[32766] = "Elena Dorcason runs the Conmark pilot in Paris.";  // line 32768 of b.md
  b.push_back("Elena Dorkason said Conmark delayed the pilot.");
  VaultRun r = FindIn({{"a.md", Note("", {"Elena Dorcason said Conmark will buy storage."})},
                       {"b.md", Note("", b)}});
  const Conflict* c = Between(r, "name", "a.md:2", "b.md:40002");
  ASSERT_NE(c, nullptr) << Describe(r.conflicts);
  EXPECT_EQ(ValueAt(*c, "a.md:2"), "Elena Dorcason");
  EXPECT_EQ(ValueAt(*c, "b.md:32768"), "Elena Dorcason");
  EXPECT_EQ(ValueAt(*c, "b.md:40002"), "Elena Dorkason");
  EXPECT_EQ(c->facts.size(), 3u) << Describe(r.conflicts);
}

TEST(FindConflicts, AccentAndCaseOnlyDifferencesAreNotNameConflicts) {
  VaultRun r =
      FindIn({{"a.md", Note("", {"Renée Dupont runs the Nvidia partnership at Contoso.",
                                 "Contoso buys NVIDIA GPUs through Renee Dupont's team."})},
              {"b.md", Note("", {"Renee Dupont said Contoso prefers Nvidia hardware.",
                                 "Nscale and N\u2011scale are one neocloud for Contoso."})}});
  for (const Conflict& c : r.conflicts) {
    EXPECT_NE(c.type, "name") << Describe(r.conflicts);
  }
}

TEST(FindConflicts, AcronymDefinedTwoWays) {
  VaultRun r =
      FindIn({{"a.md", Note("", {"Microsoft AI (MAI) already runs VAST in production.",
                                 "Google Cloud Platform (GCP) is a second option."})},
              {"b.md", Note("", {"Microsoft AI Infrastructure (MAI) needs 2EB of storage.",
                                 "GOOGLE CLOUD PLATFORM (GCP) offers committed-use discounts."})}});
  const Conflict* c = Between(r, "acronym", "a.md:2", "b.md:2");
  ASSERT_NE(c, nullptr) << Describe(r.conflicts);
  EXPECT_EQ(ValueAt(*c, "a.md:2"), "Microsoft AI (MAI)");
  EXPECT_EQ(ValueAt(*c, "b.md:2"), "Microsoft AI Infrastructure (MAI)");
  EXPECT_FALSE(Contradicts(r, "a.md:3", "b.md:3")) << "GCP is expanded one way, case aside";
}

TEST(FindConflicts, FrontmatterFieldsThatDifferBetweenVersionsOfANote) {
  const std::string page = "---\ntype: customer\nlast_contact: '2026-01-04'\nstatus: active\n---\n";
  const std::string copy = "---\ntype: customer\nstatus: active\nlast_contact: '2026-01-05'\n---\n";
  VaultRun r = FindIn({{"Accounts/Microsoft.md", page + "## Key Facts\n- A fact.\n"},
                       {"Accounts/Microsoft.sync-conflict-20260105-093000-VAULT01.md",
                        copy + "## Key Facts\n- A fact.\n"}});
  std::vector<const Conflict*> fm;
  for (const Conflict& c : r.conflicts) {
    if (c.type == "frontmatter") fm.push_back(&c);
  }
  ASSERT_EQ(fm.size(), 1u) << "only last_contact differs\n" << Describe(r.conflicts);
  const Conflict& c = *fm[0];
  ASSERT_EQ(c.facts.size(), 2u);
  EXPECT_EQ(Loc(c.facts[0]), "Accounts/Microsoft.md:3");  // the key's line in each version
  EXPECT_EQ(Loc(c.facts[1]), "Accounts/Microsoft.sync-conflict-20260105-093000-VAULT01.md:4");
  EXPECT_EQ(c.facts[0].field, "last_contact");
  EXPECT_EQ(c.facts[1].field, "last_contact");
  EXPECT_EQ(c.facts[0].value, "2026-01-04");
  EXPECT_EQ(c.facts[1].value, "2026-01-05");
  EXPECT_THAT(c.suggestion, StartsWith("suggestion: keep the later date '2026-01-05'"));
}

TEST(FindConflicts, NotConflicts) {
  CheckPairs({
      {"other units", "MAI needs 2EB of storage capacity on the floor in 2026.",
       "MAI needs 2 exabytes of storage capacity on the floor in 2026.", "", "", ""},
      {"other currency format", "OpenAI will purchase $250B of Azure services.",
       "OpenAI will purchase 250 billion dollars of Azure services.", "", "", ""},
      {"more than vs plus", "OpenAI will purchase more than $250B of Azure services.",
       "OpenAI will purchase $250B+ of Azure services.", "", "", ""},
      {"leading plus", "OpenAI will purchase +$250B of Azure services.",
       "OpenAI will purchase $250B+ of Azure services.", "", "", ""},
      {"range holds the value", "MAI needs a storage solution ready for May to June 2026.",
       "MAI needs a storage solution ready for June 2026.", "", "", ""},
      {"quarter holds the month", "The MAI storage decision is expected in Q1 2026.",
       "The MAI storage decision is expected around March.", "", "", ""},
      {"date formats", "VAST presented at the AKS AI roadshow on Tuesday, December 9, 2025.",
       "VAST presented at the AKS AI roadshow on Tuesday, 2025-12-09.", "", "", ""},
      {"one range written two ways", "MAI needs storage ready for May 2026 to June 2026.",
       "MAI needs storage ready for May to June 2026.", "", "", ""},
      // Former bugs: none yet.
  });
}

TEST(FindConflicts, PreviouslyXNowYIsAnUpdateNotAConflict) {
  VaultRun r =
      FindIn({{"a.md", Note("2025-11-01", {"MAI go-live is planned for January 2026."})},
              {"b.md", Note("2025-12-16", {"MAI go-live is now more like May 2026 (previously "
                                           "January 2026)."})}});
  EXPECT_FALSE(Contradicts(r, "a.md:5", "b.md:5")) << Describe(r.conflicts);
  const Conflict* update = nullptr;
  for (const Conflict& c : r.conflicts) {
    if (c.type == "update") update = &c;
  }
  ASSERT_NE(update, nullptr) << Describe(r.conflicts);
  EXPECT_FALSE(IsContradiction(*update));
  ASSERT_EQ(update->facts.size(), 2u);
  EXPECT_EQ(Loc(update->facts[0]), "b.md:5");  // the superseding fact first
  EXPECT_EQ(update->facts[0].value, "previously January 2026");
  EXPECT_EQ(Loc(update->facts[1]), "a.md:5");
  EXPECT_EQ(update->facts[1].value, "January 2026");
  EXPECT_THAT(update->pairs, IsEmpty());
}

TEST(FindConflicts, SuggestionsWhereTheEvidenceSupportsOne) {
  // A newer dated source.
  VaultRun r = FindPair({"", "Azure API exclusivity for OpenAI continues.",
                         "OpenAI's Azure exclusivity was removed from the contract.", "", "", ""});
  const Conflict* c = Between(r, "polarity", "a.md:5", "b.md:5");
  ASSERT_NE(c, nullptr) << Describe(r.conflicts);
  EXPECT_THAT(c->suggestion, StartsWith("suggestion: prefer the newest dated source b.md:5 "
                                        "(2025-12-16)"));
  // Undated notes: the more specific statement.
  r = FindIn({{"a.md", Note("", {"The MAI storage decision is expected in 2026."})},
              {"b.md", Note("", {"The MAI storage decision is expected in March 2025."})}});
  c = Between(r, "value", "a.md:2", "b.md:2");
  ASSERT_NE(c, nullptr) << Describe(r.conflicts);
  EXPECT_EQ(c->suggestion, "suggestion: the most specific statement is b.md:2 ('March 2025')");
  // Undated and equally specific: no side is suggested.
  r = FindIn({{"a.md", Note("", {"OpenAI will purchase $250B of Azure services."})},
              {"b.md", Note("", {"OpenAI will purchase $300B of Azure services."})}});
  c = Between(r, "value", "a.md:2", "b.md:2");
  ASSERT_NE(c, nullptr) << Describe(r.conflicts);
  EXPECT_EQ(c->suggestion, "");
}

TEST(FindConflicts, EveryConflictListsDistinctFactsAndValidPairs) {
  VaultRun r =
      FindIn({{"a.md", Note("2025-11-01", {"OpenAI will purchase $250B of Azure services.",
                                           "Azure API exclusivity for OpenAI continues."})},
              {"b.md", Note("2025-12-16", {"OpenAI will purchase $300B of Azure services.",
                                           "Azure API exclusivity for OpenAI ended."})}});
  ASSERT_GE(r.conflicts.size(), 2u);
  for (const Conflict& c : r.conflicts) {
    ASSERT_FALSE(c.facts.empty());
    for (const auto& [x, y] : c.pairs) {
      EXPECT_LT(x, y);
      EXPECT_LT(y, static_cast<int>(c.facts.size()));
    }
    if (IsContradiction(c)) {
      EXPECT_FALSE(c.pairs.empty()) << c.type;
    }
    if (!c.suggestion.empty() && IsContradiction(c)) {
      EXPECT_THAT(c.suggestion, StartsWith("suggestion: "));
    }
  }
}

// ---------------------------------------------------------------------------------------
// data/vault and its hand-labeled conflicts

struct Sample {
  Vault vault;
  std::vector<Conflict> conflicts;
};

const Sample& SampleVault() {
  static const Sample* sample = [] {
    auto* s = new Sample;
    absl::StatusOr<Config> config = LoadConfig(DefaultFileSystem(), SourcePath("data/vault"));
    EXPECT_TRUE(config.ok());
    absl::StatusOr<Vault> vault = LoadVault(DefaultFileSystem(), SourcePath("data/vault"), *config);
    EXPECT_TRUE(vault.ok());
    s->vault = *std::move(vault);
    absl::StatusOr<ScanResult> scan = ScanVault(s->vault, s->vault.config.dedup);
    EXPECT_TRUE(scan.ok());
    absl::StatusOr<std::vector<Conflict>> c = FindConflicts(s->vault, *scan);
    EXPECT_TRUE(c.ok());
    s->conflicts = *std::move(c);
    return s;
  }();
  return *sample;
}

TEST(SampleVault, TheSixSeedExamplesAreFound) {
  VaultRun r;
  r.conflicts = SampleVault().conflicts;
  const std::string account = "Accounts/Microsoft.md";
  const std::string copy = "Accounts/Microsoft.sync-conflict-20260105-093000-VAULT01.md";
  const std::string prep = "Meetings/2025-12-16 - Prep for Microsoft AI talks.md";
  struct Seed {
    std::string type, loc1, loc2, value1, value2;
  };
  const std::vector<Seed> seeds = {
      {"value", account + ":63", account + ":33", "2025", "April 2026, May 2026, June 2026"},
      {"polarity", prep + ":43", account + ":21",
       "OpenAI's Azure exclusivity was removed from the contract.",
       "Azure API exclusivity for OpenAI continues"},
      {"name", prep + ":5", prep + ":7", "Jonsi Stephenson", "Jonsi Stefanson"},
      {"name", account + ":71", prep + ":28", "Maneesh Sah", "Manish"},
      {"acronym", account + ":63", prep + ":37", "Microsoft AI Infrastructure (MAI)",
       "Microsoft AI (MAI)"},
      {"frontmatter", account + ":4", copy + ":4", "2026-01-04", "2026-01-05"},
  };
  for (const Seed& s : seeds) {
    bool found = false;
    for (const Conflict* c : AllBetween(r, s.type, s.loc1, s.loc2)) {
      found |= ValueAt(*c, s.loc1) == s.value1 && ValueAt(*c, s.loc2) == s.value2;
    }
    EXPECT_TRUE(found) << s.type << " " << s.loc1 << " '" << s.value1 << "' vs " << s.loc2 << " '"
                       << s.value2 << "'\n"
                       << Describe(r.conflicts);
  }
}

TEST(FindConflicts, SameConflictsForAnyThreadCount) {
  // Eight copies of the sample vault's notes, so that every parallel stage has several chunks
  // (256 facts or notes each) to share out.
  std::unique_ptr<FileSystem> fs = NewMemFileSystem();
  const Vault& sample = SampleVault().vault;
  for (int copy = 0; copy < 8; ++copy) {
    for (const provenance::Note& n : sample.notes) {
      ASSERT_TRUE(fs->WriteFileAtomic(absl::StrCat("v/c", copy, "/", n.path), n.content, {}).ok());
    }
  }
  absl::StatusOr<Vault> vault = LoadVault(fs.get(), "v", sample.config);
  ASSERT_TRUE(vault.ok()) << vault.status();
  absl::StatusOr<ScanResult> scan = ScanVault(*vault, vault->config.dedup);
  ASSERT_TRUE(scan.ok()) << scan.status();
  ASSERT_GT(scan->facts.size(), 4u * 256);
  ConflictOptions one;
  one.threads = 1;
  absl::StatusOr<std::vector<Conflict>> want = FindConflicts(*vault, *scan, one);
  ASSERT_TRUE(want.ok()) << want.status();
  ASSERT_FALSE(want->empty());
  for (int threads : {2, 3, 0}) {
    ConflictOptions o;
    o.threads = threads;
    absl::StatusOr<std::vector<Conflict>> got = FindConflicts(*vault, *scan, o);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(Describe(*got), Describe(*want)) << threads << " threads";
  }
}

// Everything FindConflicts reports of `cs`, one conflict a line.
std::string Full(const std::vector<Conflict>& cs) {
  std::string out;
  for (const Conflict& c : cs) {
    absl::StrAppend(&out, c.type, " [", c.suggestion, "]");
    for (const ConflictFact& f : c.facts) {
      absl::StrAppend(&out, " {", Loc(f), " '", f.text, "' '", f.value, "' '", f.field, "'}");
    }
    for (const auto& [x, y] : c.pairs) absl::StrAppend(&out, " ", x, "-", y);
    absl::StrAppend(&out, "\n");
  }
  return out;
}

// The conflicts of `all` with a fact at a location of `focus`.
std::vector<Conflict> Touching(const std::vector<Conflict>& all, const LineSet& focus) {
  std::vector<Conflict> out;
  for (const Conflict& c : all) {
    bool touches = false;
    for (const ConflictFact& f : c.facts) touches |= focus.count({f.path, f.line}) > 0;
    if (touches) out.push_back(c);
  }
  return out;
}

// A focused call returns exactly the conflicts of the unfocused one with a fact at a focus
// location: for each line of `vault` alone (every `step`-th line, and every line of a
// conflict) and for each note's lines together.
void ExpectFocusedAsUnfocused(const Vault& vault, int step) {
  absl::StatusOr<ScanResult> scan = ScanVault(vault, vault.config.dedup);
  ASSERT_TRUE(scan.ok()) << scan.status();
  absl::StatusOr<std::vector<Conflict>> all = FindConflicts(vault, *scan);
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_FALSE(all->empty());
  std::set<std::pair<std::string, int>> in_conflict;
  for (const Conflict& c : *all) {
    for (const ConflictFact& f : c.facts) in_conflict.insert({f.path, f.line});
  }
  std::vector<LineSet> foci;
  for (const provenance::Note& n : vault.notes) {
    const int lines = static_cast<int>(std::count(n.content.begin(), n.content.end(), '\n')) + 1;
    LineSet note_lines;
    for (int line = 1; line <= lines; ++line) {
      note_lines.insert({n.path, line});
      if (line % step == 0 || in_conflict.count({n.path, line})) foci.push_back({{n.path, line}});
    }
    foci.push_back(note_lines);
  }
  // The line conflicts computed ahead give the same result, and so do the line summaries the
  // whole vault's line pass gives (every note known: only the notes that can give a focus
  // conflict a line are read).
  LineSummaries summaries;
  const LineConflicts all_lines = FindLineConflicts(vault, {}, nullptr, &summaries);
  EXPECT_FALSE(summaries.empty());
  ConflictOptions with_summaries;
  with_summaries.line_summaries = &summaries;
  absl::StatusOr<std::vector<Conflict>> ahead =
      FindConflicts(vault, *scan, {}, nullptr, nullptr, nullptr, &all_lines);
  ASSERT_TRUE(ahead.ok()) << ahead.status();
  EXPECT_EQ(Full(*ahead), Full(*all));
  ConflictOptions one_thread, two_threads;
  one_thread.threads = 1;   // the line-level stages after the fact-level ones
  two_threads.threads = 2;  // beside them
  for (const LineSet& focus : foci) {
    const std::string where = absl::StrCat(focus.begin()->first, ":", focus.begin()->second, " (",
                                           focus.size(), " lines)");
    const std::string want = Full(Touching(*all, focus));
    for (const ConflictOptions& options : {one_thread, two_threads}) {
      absl::StatusOr<std::vector<Conflict>> got = FindConflicts(vault, *scan, options, &focus);
      ASSERT_TRUE(got.ok()) << got.status();
      EXPECT_EQ(Full(*got), want) << where << ", " << options.threads << " threads";
    }
    const LineConflicts lines = FindLineConflicts(vault, {}, &focus);
    absl::StatusOr<std::vector<Conflict>> got =
        FindConflicts(vault, *scan, {}, &focus, nullptr, nullptr, &lines);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(Full(*got), want) << where << ", line conflicts ahead";
    const LineConflicts summarized = FindLineConflicts(vault, with_summaries, &focus);
    got = FindConflicts(vault, *scan, {}, &focus, nullptr, nullptr, &summarized);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(Full(*got), want) << where << ", with line summaries";
  }
}

TEST(FindConflicts, FocusedAsUnfocusedOnTheSampleVault) {
  ExpectFocusedAsUnfocused(SampleVault().vault, 5);
}

// The full pass finds most facts' partners through the tokens' prefix lists (PrefixPostings)
// and a focused pass through every token's postings: with few facts per token counted
// (max_postings), duplicates share no counted token and are paired through their cluster
// only, and facts of other clusters through one or two counted tokens. Each note's lines as
// the focus give the full pass's conflicts that touch them.
TEST(FindConflicts, FocusedAsUnfocusedWithFewPostingsCounted) {
  const Vault& vault = SampleVault().vault;
  absl::StatusOr<ScanResult> scan = ScanVault(vault, vault.config.dedup);
  ASSERT_TRUE(scan.ok()) << scan.status();
  // The engine's clusters seldom hold facts that disagree (it keeps facts apart when their
  // values differ): clusters of four facts in a row instead, whose dated facts disagree.
  scan->dedup.clusters.clear();
  for (int i = 0; i + 1 < static_cast<int>(scan->facts.size()); i += 4) {
    dedup::Cluster c;
    c.canonical = i;
    for (int k = i; k < std::min(i + 4, static_cast<int>(scan->facts.size())); ++k) {
      c.members.push_back({k, 1.0, k == i ? dedup::Relation::kCanonical : dedup::Relation::kExact});
    }
    scan->dedup.clusters.push_back(std::move(c));
  }
  for (int max_postings : {1, 2, 3, 8}) {
    ConflictOptions options;
    options.max_postings = max_postings;
    absl::StatusOr<std::vector<Conflict>> all = FindConflicts(vault, *scan, options);
    ASSERT_TRUE(all.ok()) << all.status();
    int value_or_polarity = 0;
    for (const Conflict& c : *all) value_or_polarity += c.type == "value" || c.type == "polarity";
    EXPECT_GT(value_or_polarity, 0) << max_postings;
    for (const provenance::Note& n : vault.notes) {
      const int lines = static_cast<int>(std::count(n.content.begin(), n.content.end(), '\n')) + 1;
      LineSet focus;
      for (int line = 1; line <= lines; ++line) focus.insert({n.path, line});
      absl::StatusOr<std::vector<Conflict>> got = FindConflicts(vault, *scan, options, &focus);
      ASSERT_TRUE(got.ok()) << got.status();
      EXPECT_EQ(Full(*got), Full(Touching(*all, focus))) << n.path << ", " << max_postings;
    }
  }
}

TEST(FindConflicts, FocusedAsUnfocusedWithMarkupAndFrontmatter) {
  // Names and acronyms in markup (emphasis, links, code), frontmatter values, tabs and double
  // spaces, code blocks, and look-alike spellings in the same buckets. Each conflict has a
  // line that only one of FocusLines' tests finds for a focus on another line.
  std::unique_ptr<FileSystem> fs = NewMemFileSystem();
  const std::vector<std::pair<std::string, std::string>> files = {
      {"Meetings/1-1.md",
       "---\nperson: Jonsi Stephenson\nparticipants:\n- Jonsi Stefanson\n- \"Maneesh Sah\"\n---\n"
       "## Key Information\n"
       "- Jonsi Stefanson will meet Ong and Manish about Azure Blob integration.\n"
       "- **Jonsi Ste**fanson asked for the Microsoft AI Infrastructure (MAI) roadmap.\n"
       "- [[People/Jonsi Stephenson|Jonsi  Stephenson]] owns the\tMicrosoft AI (MAI) budget.\n"
       "```\nJonsi Stefansen in a code block (MAI)\n```\n"
       "- Elena Dorcason said Conmark will buy storage.\n"},
      {"Accounts/Microsoft.md",
       "## Key Facts\n"
       "- Jonsi Stephenson met Aung and Maneesh Sah from Azure Storage.\n"
       "- Kushal told Manish that Azure Blob does not fit MAI.\n"
       "- `Elena Dorkason` said Conmark delayed the pilot; Lars Dorcason runs the Conmark "
       "pilot.\n"
       "- Microsoft AI Infra (MAI) wants \\*Stefanson\\* on the call.\n"
       "- Hiroshi Dorkason leads Conmark backup with Elena Dorkason.\n"},
      {"Notes/other.md",
       "## Notes\n"
       "- Renée Dupont runs the Nvidia partnership at Contoso.\n"
       "- Renee Dupont said Contoso prefers Nvidia hardware; Renée Dupond agreed.\n"
       "- The Contoso Storage Team (CST) met the Contoso Support Team (CST) in March.\n"
       "- Contoso\u2019s Stephensen said MAI is on track.\n"
       // An acronym whose two expansions share no name's bucket: only "(BOT)" links them.
       "- Blue Ocean Tech (BOT) ships the appliance.\n"
       "- Dorcason will buy storage.\n"
       "- Dorcason works with Quimby.\n"},
      {"Notes/more.md",
       "## Notes\n"
       "- Build Operations Team (BOT) runs the lab.\n"
       // Written "Dorkason" only once the emphasis is stripped.
       "- **Dor**kason met Quimby.\n"
       // Markup after a name of a focus line's bucket, and a word the normalizer splits.
       "- Stefanson met **Lars Dor**cason; Cannot and Quimby came too.\n"
       "- Stephensen   asked the Build Operations Team (BOT) about `Quimby`.\n"},
  };
  for (const auto& [path, content] : files) {
    ASSERT_TRUE(fs->WriteFileAtomic("v/" + path, content, {}).ok());
  }
  absl::StatusOr<Vault> vault = LoadVault(fs.get(), "v", Config{});
  ASSERT_TRUE(vault.ok()) << vault.status();
  ExpectFocusedAsUnfocused(*vault, 1);
}

TEST(FindConflicts, FocusedAsUnfocusedWithSpellingsOfOneBucket) {
  // Spellings of one bucket (first letter and consonant skeleton) that are variants of each
  // other and spellings that are not (a prefix, too far apart), a chain of variants
  // (Stephenson / Stefanson / Stefansen), a spelling with no variant on many lines, the same
  // spellings in frontmatter and markup, and facts with dates and amounts that disagree
  // (value groups reached through findings).
  std::unique_ptr<FileSystem> fs = NewMemFileSystem();
  const std::vector<std::pair<std::string, std::string>> files = {
      {"People/a.md",
       "---\nperson: Jonsi Stephenson\ndate: 2025-06-01\n---\n## Key Facts\n"
       "- Jonsi Stephenson will meet Quimby about the Contoso storage deal.\n"
       "- Stephensonian ideas came up with Quimby at Contoso.\n"
       "- Contoso plans to deploy 300 storage nodes in Milan during March 2026.\n"
       "- Milan hosts the Contoso lab with Quimby.\n"
       "- Milan is where Quimby works.\n"},
      {"People/b.md",
       "## Key Facts\n"
       "- Jonsi Stefanson asked Quimby for the Contoso roadmap.\n"
       "- **Stefan**sen met Quimby at Contoso.\n"
       "- Contoso plans to deploy 300 storage nodes in Milan during June 2026.\n"
       "- Contoso will deploy 300 storage nodes in Milan in September 2026.\n"
       "- Stphnsn and Quimby went to Milan.\n"},
      {"People/c.md",
       "## Key Facts\n"
       "- Quimby said Milan is busy.\n"
       "- Quimbey met Milan staff at Contoso.\n"
       "- The Contoso plan for Milan was approved by Quimby.\n"},
  };
  for (const auto& [path, content] : files) {
    ASSERT_TRUE(fs->WriteFileAtomic("v/" + path, content, {}).ok());
  }
  absl::StatusOr<Vault> vault = LoadVault(fs.get(), "v", Config{});
  ASSERT_TRUE(vault.ok()) << vault.status();
  ExpectFocusedAsUnfocused(*vault, 1);
}

TEST(FindConflicts, FocusedAsUnfocusedWithSpellingsSkeletonsRewrite) {
  // Spelling variants whose letters differ where the consonant skeleton rewrites them ("ck",
  // 'c' and 'q' read 'k', 'z' reads 's', "ph" reads 'f', 'y' before a vowel is a consonant),
  // vowel-initial buckets, non-ASCII and markup words, and look-alikes of other buckets: the
  // focused pass rules words out by their letters (FocusLines) and must keep these.
  std::unique_ptr<FileSystem> fs = NewMemFileSystem();
  const std::vector<std::pair<std::string, std::string>> files = {
      {"Notes/a.md",
       "---\nperson: Joseph Quentin\n---\n## Notes\n"
       "- Mackenzie met Quentin at Contoso.\n"
       "- Rozanski joined Quentin at Contoso.\n"
       "- Yvette told Quentin about Contoso\u2019s plan.\n"
       "- Kwan met Qwan and Cwan at Contoso.\n"
       "- Yanna and Quentin saw Contoso.\n"},
      {"Notes/b.md",
       "## Notes\n"
       "- Makenzie met Quentin at Contoso.\n"
       "- **Rosan**ski called Quentin from Contoso.\n"
       "- Ivette met Quentin at Contoso\u2019s office.\n"
       "- Josef works with Quentin at Contoso.\n"
       "- Kuan and Quentin run Contoso.\n"
       "- Ianna and Quentin saw Contoso.\n"
       "- Ros\u00e9nski and Quentin saw Contoso.\n"},
  };
  for (const auto& [path, content] : files) {
    ASSERT_TRUE(fs->WriteFileAtomic("v/" + path, content, {}).ok());
  }
  absl::StatusOr<Vault> vault = LoadVault(fs.get(), "v", Config{});
  ASSERT_TRUE(vault.ok()) << vault.status();
  ExpectFocusedAsUnfocused(*vault, 1);
}

TEST(FindConflicts, FocusedAsUnfocusedWithCurlyQuotesAndAcronyms) {
  // Lines with markup and curly quotes (U+2018..U+201D) right before, after and around
  // spellings of one name, with no other capitalized word: FocusLines reads a curly quote on
  // a raw line with markup as no word's byte (as the stripped text does) and must still find
  // the words next to it; other non-ASCII bytes (an accented letter, a non-breaking space)
  // leave the line to be stripped. And acronyms defined in frontmatter and on body lines.
  std::unique_ptr<FileSystem> fs = NewMemFileSystem();
  const std::vector<std::pair<std::string, std::string>> files = {
      {"Notes/a.md",
       "## Notes\n"
       "- Jonsi Stephenson met the storage team.\n"
       "- **update:** \u2018Stefanson\u2019 met the team.\n"
       "- **note**\u2019Stefanson\u2019s team asked about storage.\n"
       "- Jonsi Stefanson said it is on track.\n"
       "- **note** \u201cSt\u00e9fanson\u201d\u00a0at the lab.\n"},
      {"Notes/b.md",
       "## Notes\n"
       "- **note** \u201cElena Dorkason\u201d at the lab.\n"
       "- _plan_ and Quimbey\u2019s team met Elena Dorcason.\n"
       "- **x** \u2018Dorkason\u2019s plan: the team agrees.\n"
       "- Quimby met Dorcason at the lab.\n"},
      // Acronyms defined in frontmatter and on lines after others with a '(' (FocusLines finds
      // a note's next '(' once for the lines before it).
      {"Notes/c.md",
       "---\nsummary: Blue Ocean Tech (BOT) ships the appliance\n---\n## Notes\n"
       "- (see the lab) and (the plan)\n"
       "- Build Operations Team (BOT) runs the lab.\n"
       "- no parenthesis here\n"
       "- Big Orange Team (BOT) and (BOT) again.\n"},
  };
  for (const auto& [path, content] : files) {
    ASSERT_TRUE(fs->WriteFileAtomic("v/" + path, content, {}).ok());
  }
  absl::StatusOr<Vault> vault = LoadVault(fs.get(), "v", Config{});
  ASSERT_TRUE(vault.ok()) << vault.status();
  ExpectFocusedAsUnfocused(*vault, 1);
}

// A focus line whose text is empty (a frontmatter key without a value, as "participants:" over
// a list) gives the focused pass no line, and the note's later lines keep what FocusLines
// found of each: the last line uses the acronym a focus line defines, after a line selected
// only by a focus spelling ("Microsoft", with no variant); it was dropped when the empty line
// shifted each later line onto the previous one's flags.
TEST(FindConflicts, FocusedWithAFocusLineWithoutText) {
  std::unique_ptr<FileSystem> fs = NewMemFileSystem();
  const std::vector<std::pair<std::string, std::string>> files = {
      {"Notes/a.md",
       "---\ntitle: Prep\nparticipants:\n- Jonsi Stefanson\n---\n## Notes\n"
       "- Microsoft AI (MAI) politics around the bake-off.\n"
       "- Microsoft said nothing more.\n"
       "- Microsoft AI (MAI) historically used the storage.\n"},
      {"Notes/b.md", "## Notes\n- Microsoft AI Infrastructure (MAI) needs two exabytes.\n"},
  };
  for (const auto& [path, content] : files) {
    ASSERT_TRUE(fs->WriteFileAtomic("v/" + path, content, {}).ok());
  }
  absl::StatusOr<Vault> vault = LoadVault(fs.get(), "v", Config{});
  ASSERT_TRUE(vault.ok()) << vault.status();
  absl::StatusOr<ScanResult> scan = ScanVault(*vault, vault->config.dedup);
  ASSERT_TRUE(scan.ok()) << scan.status();
  absl::StatusOr<std::vector<Conflict>> all = FindConflicts(*vault, *scan);
  ASSERT_TRUE(all.ok()) << all.status();
  const LineSet focus = {{"Notes/a.md", 3}, {"Notes/a.md", 7}};  // "participants:", a definition
  const std::string want = Full(Touching(*all, focus));
  EXPECT_THAT(want, HasSubstr("{Notes/a.md:9 "));
  const LineConflicts lines = FindLineConflicts(*vault, {}, &focus);
  absl::StatusOr<std::vector<Conflict>> got =
      FindConflicts(*vault, *scan, {}, &focus, nullptr, nullptr, &lines);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(Full(*got), want);
}

// A change checked with the line summaries of its base (the changed and new notes unknown to
// them, the others known): the focused line conflicts are those without summaries, for names
// spelled in unchanged notes (with markup, links, frontmatter and accents), an acronym defined
// on a changed line and expanded otherwise in an unchanged note, and notes the summaries let
// the pass leave out.
TEST(FindConflicts, FocusedWithTheBaseLineSummaries) {
  const std::vector<std::pair<std::string, std::string>> base = {
      {"Notes/a.md", "## Notes\n- Jonsi Stephenson met Zo\u00eb Adams at Contoso.\n"},
      {"Notes/b.md",
       "---\nsummary: Zoe Adams and Jonsi Stephenson at [[Contoso]]\n---\n## Notes\n"
       "- **Jonsi Stephenson** signed the [[Contoso]] pilot.\n"},
      {"Notes/c.md", "## Notes\n- Paris office opened (see the plan).\n- Quimby met Elena.\n"},
      {"Notes/d.md", "## Notes\n- The [Dorcason](people/dorcason.md) plan ships in May.\n"},
      {"Notes/e.md", "## Notes\n- Zo\u00eb Adamz asked about (MAI) pricing.\n"},
      {"Notes/f.md", "## Notes\n- Elena Dorkason met Quimby.\n"},
      {"Notes/g.md", "## Notes\n- Microsoft AI Infrastructure (MAI) runs the lab.\n"},
  };
  std::vector<std::pair<std::string, std::string>> changed = base;
  changed[0].second += "- Jonsi Stefanson and Zoe Adams met at Contoso.\n";  // a changed note
  changed.push_back({"Notes/n.md",                                           // a new note
                     "## Notes\n- Microsoft AI (MAI) launched.\n- Elena Dorkason met Quimby "
                     "in Paris.\n"});
  std::unique_ptr<FileSystem> fs = NewMemFileSystem();
  for (const auto& [path, content] : base) {
    ASSERT_TRUE(fs->WriteFileAtomic("b/" + path, content, {}).ok());
  }
  for (const auto& [path, content] : changed) {
    ASSERT_TRUE(fs->WriteFileAtomic("v/" + path, content, {}).ok());
  }
  absl::StatusOr<Vault> then = LoadVault(fs.get(), "b", Config{});
  ASSERT_TRUE(then.ok()) << then.status();
  absl::StatusOr<Vault> now = LoadVault(fs.get(), "v", Config{});
  ASSERT_TRUE(now.ok()) << now.status();
  LineSummaries summaries;
  FindLineConflicts(*then, {}, nullptr, &summaries);
  ASSERT_EQ(summaries.size(), base.size());
  absl::StatusOr<ScanResult> scan = ScanVault(*now, now->config.dedup);
  ASSERT_TRUE(scan.ok()) << scan.status();
  absl::StatusOr<std::vector<Conflict>> all = FindConflicts(*now, *scan);
  ASSERT_TRUE(all.ok()) << all.status();
  std::set<std::string> types;
  for (const Conflict& c : *all) types.insert(c.type);
  EXPECT_TRUE(types.count("name") && types.count("acronym")) << Full(*all);
  const LineSet focus = {{"Notes/a.md", 3}, {"Notes/n.md", 2}, {"Notes/n.md", 3}};
  const std::string want = Full(Touching(*all, focus));
  for (int threads : {1, 2}) {
    ConflictOptions options;
    options.threads = threads;
    options.line_summaries = &summaries;
    const LineConflicts lines = FindLineConflicts(*now, options, &focus);
    absl::StatusOr<std::vector<Conflict>> got =
        FindConflicts(*now, *scan, options, &focus, nullptr, nullptr, &lines);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(Full(*got), want) << threads << " threads";
    // The summaries leave notes out ("Notes/c.md": no spelling of a variant pair, no focus
    // acronym); without them every note is read.
    EXPECT_LT(lines.notes_read, now->notes.size()) << threads << " threads";
    options.line_summaries = nullptr;
    EXPECT_EQ(FindLineConflicts(*now, options, &focus).notes_read, now->notes.size());
  }
}

// A loaded cache finds each key's place by the bucket of its top bits (then a search of the
// bucket), and a focused pass reads a place's hashes through AllPlaces: both as the cache's
// summaries, for keys spread evenly, keys crowded into one bucket and keys at the extremes.
TEST(ClaimCache, PlacesAndTheirLayoutAsTheSummaries) {
  const std::vector<std::pair<std::string, std::vector<uint64_t>>> key_sets = [] {
    std::vector<std::pair<std::string, std::vector<uint64_t>>> sets;
    std::vector<uint64_t> spread, crowded, extremes = {0, 1, ~uint64_t{0}, ~uint64_t{0} - 1};
    for (uint64_t k = 1; k <= 3000; ++k) spread.push_back(k * 0x9e3779b97f4a7c15ULL);
    for (uint64_t k = 1; k <= 3000; ++k) crowded.push_back(k * 7);              // all in bucket 0
    for (uint64_t k = 0; k < 40; ++k) crowded.push_back(~uint64_t{0} - k * 3);  // and the last
    sets.push_back({"spread", spread});
    sets.push_back({"crowded", crowded});
    sets.push_back({"extremes", extremes});
    sets.push_back({"one", {42}});
    return sets;
  }();
  for (const auto& [name, keys] : key_sets) {
    SCOPED_TRACE(name);
    ClaimCache map;
    for (size_t i = 0; i < keys.size(); ++i) {
      auto c = std::make_shared<ClaimSummary>();
      for (uint64_t t = 0; t < i % 7; ++t) c->content.push_back(keys[i] * 31 + t);
      for (uint64_t t = 0; t < i % 3; ++t) c->names.push_back(keys[i] * 17 + t);
      std::sort(c->content.begin(), c->content.end());
      std::sort(c->names.begin(), c->names.end());
      map.emplace(keys[i], std::move(c));
    }
    FactIndex saved{dedup::DedupOptions{}};
    saved.set_claims(map);
    FactIndex loaded{dedup::DedupOptions{}};
    ASSERT_TRUE(loaded.Decode(saved.Encode()).ok());
    const ClaimCache& cache = loaded.claims();
    ASSERT_NE(cache.section(), nullptr);
    const ClaimCache::Layout layout = cache.AllPlaces();
    EXPECT_EQ(layout.places, keys.size());
    std::set<ptrdiff_t> places;
    for (uint64_t key : keys) {
      const ptrdiff_t at = cache.Place(key);
      ASSERT_GE(at, 0) << key;
      places.insert(at);
      const ClaimSummary& c = *map.Find(key);
      const size_t p = static_cast<size_t>(at);
      std::vector<uint64_t> content, names;
      const size_t names_at = layout.Begin(p) + layout.ContentCount(p);
      for (size_t k = layout.Begin(p); k < names_at; ++k) content.push_back(layout.hashes.Hash(k));
      for (size_t k = names_at; k < layout.Begin(p + 1); ++k)
        names.push_back(layout.hashes.Hash(k));
      EXPECT_EQ(content, c.content) << key;
      EXPECT_EQ(names, c.names) << key;
    }
    EXPECT_EQ(places.size(), keys.size());
    for (uint64_t key : keys) {
      for (uint64_t other : {key + 1, key - 1, key ^ (uint64_t{1} << 62)}) {
        EXPECT_EQ(cache.Place(other) >= 0, map.contains(other)) << other;
      }
    }
  }
  EXPECT_EQ(ClaimCache().AllPlaces().places, 0u) << "a map has no places";
}

TEST(SampleVault, HandLabeledPrecisionAndRecallHaveAFloor) {
  const Sample& s = SampleVault();
  absl::StatusOr<ConflictMetrics> m =
      EvaluateConflicts(s.conflicts, ReadFileOrDie(SourcePath("data/gold/conflicts.tsv")));
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->gold, 25);
  // Measured P=1.000 (8/8) R=1.000 (25/25) when this floor was set; see docs/conflicts.md.
  EXPECT_GE(m->precision(), 0.8);
  EXPECT_GE(m->recall(), 0.8);
  absl::StatusOr<ConflictMetrics> n =
      EvaluateConflicts(s.conflicts, ReadFileOrDie(SourcePath("data/gold/not_conflicts.tsv")));
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->negatives, 29);
  EXPECT_EQ(n->false_alarms, 0) << ::testing::PrintToString(n->alarms);
  EXPECT_EQ(n->updates_found, n->update_rows);
}

TEST(EvaluateConflicts, RowsFoundMissedAndFalseAlarms) {
  Conflict value{
      "value",
      {{"a.md", 3, "x", "2025", ""}, {"b.md", 4, "y", "2026", ""}, {"c.md", 5, "z", "2026", ""}},
      {{0, 1}, {0, 2}},
      ""};
  Conflict name{"name", {{"a.md", 9, "x", "Ann", ""}, {"b.md", 9, "y", "Anne", ""}}, {{0, 1}}, ""};
  const std::string gold =
      "type\tpath1\tline1\tpath2\tline2\tvalue1\tvalue2\tcomment\n"
      "value\tb.md\t4\ta.md\t3\t2026\t2025\tfound (unordered)\n"
      "value\tb.md\t4\tc.md\t5\t2026\t2026\tfound through the group\n"
      "polarity\ta.md\t3\tb.md\t4\t\t\tmissed: wrong type\n"
      "same_value\tb.md\t4\tc.md\t5\t\t\tnot a disagreeing pair\n"
      "range\ta.md\t3\tc.md\t5\t\t\ta false alarm\n";
  absl::StatusOr<ConflictMetrics> m = EvaluateConflicts({value, name}, gold);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->gold, 3);
  EXPECT_EQ(m->found_gold, 2);
  EXPECT_EQ(m->reported, 2);
  EXPECT_EQ(m->correct, 1);
  EXPECT_THAT(m->missed, ::testing::ElementsAre("polarity a.md:3 b.md:4"));
  EXPECT_THAT(m->unmatched, ::testing::ElementsAre("name a.md:9 b.md:9"));
  EXPECT_EQ(m->negatives, 2);
  EXPECT_EQ(m->false_alarms, 1);
  EXPECT_THAT(m->alarms, ::testing::ElementsAre("range a.md:3 c.md:5"));
}

TEST(EvaluateConflicts, BadFilesAreErrorsNamingTheLine) {
  EXPECT_FALSE(EvaluateConflicts({}, "label\tpath1\n").ok());
  absl::StatusOr<ConflictMetrics> m =
      EvaluateConflicts({}, "type\tpath1\tline1\tpath2\tline2\nvalue\ta.md\tx\tb.md\t2\n");
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(m.status().message(), HasSubstr("line 2"));
  m = EvaluateConflicts({}, "type\tpath1\tline1\tpath2\tline2\nvalu\ta.md\t1\tb.md\t2\n");
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(m.status().message(), HasSubstr("unknown type 'valu'"));
}

}  // namespace
}  // namespace factdedup::provenance
