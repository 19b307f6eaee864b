#include "provenance/check.h"

#include <cstdlib>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "provenance/io.h"
#include "tests/provenance/test_util.h"

namespace factdedup::provenance {
namespace {

using ::factdedup::testing::ExpectGolden;
using ::factdedup::testing::SourcePath;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

struct Loaded {
  Vault vault;
  ScanResult scan;
};

Loaded Load(const std::string& root) {
  Loaded l;
  absl::StatusOr<Vault> v = LoadVault(DefaultFileSystem(), root, Config{});
  EXPECT_TRUE(v.ok());
  l.vault = *std::move(v);
  absl::StatusOr<ScanResult> s = ScanVault(l.vault, dedup::DedupOptions{});
  EXPECT_TRUE(s.ok());
  l.scan = *std::move(s);
  return l;
}

std::vector<std::string> Notes(const Vault& v) {
  std::vector<std::string> out;
  for (const Note& n : v.notes) out.push_back(n.path);
  return out;
}

std::vector<Conflict> Conflicts(const Loaded& l) {
  absl::StatusOr<std::vector<Conflict>> c = FindConflicts(l.vault, l.scan);
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? *std::move(c) : std::vector<Conflict>{};
}

// Duplicates and conflicts, in the order `check` prints them.
std::vector<Finding> AllFindings(const Loaded& l) {
  std::vector<Finding> out = DuplicateFindings(l.vault, l.scan, nullptr, nullptr, {});
  for (Finding& f : ConflictFindings(Conflicts(l), nullptr, {})) out.push_back(std::move(f));
  SortFindings(&out);
  return out;
}

TEST(CheckFindings, GoldenForEveryFormat) {
  Loaded l = Load(SourcePath("tests/data/check_vault"));
  std::vector<Finding> findings = AllFindings(l);
  ASSERT_EQ(findings.size(), 3u);
  EXPECT_EQ(findings[2].rule, "conflict/polarity");
  const std::vector<std::pair<FindingFormat, std::string>> formats = {
      {FindingFormat::kText, "check.txt"},        {FindingFormat::kJson, "check.json"},
      {FindingFormat::kGithub, "check.github"},   {FindingFormat::kSarif, "check.sarif"},
      {FindingFormat::kJunit, "check.junit.xml"},
  };
  for (const auto& [format, name] : formats) {
    ExpectGolden(name, FormatFindings(findings, format, Notes(l.vault), "test"));
  }
}

TEST(CheckFindings, SarifHasTheRequiredFields) {
  Loaded l = Load(SourcePath("tests/data/check_vault"));
  std::vector<Finding> findings = AllFindings(l);
  nlohmann::json j = nlohmann::json::parse(
      FormatFindings(findings, FindingFormat::kSarif, Notes(l.vault), "test"));
  EXPECT_EQ(j["version"], "2.1.0");
  ASSERT_EQ(j["runs"].size(), 1u);
  EXPECT_EQ(j["runs"][0]["tool"]["driver"]["name"], "factdedup");
  std::set<std::string> rules;
  for (const auto& r : j["runs"][0]["tool"]["driver"]["rules"]) rules.insert(r["id"]);
  for (const auto& r : j["runs"][0]["results"]) {
    EXPECT_TRUE(rules.count(r["ruleId"])) << r["ruleId"] << " is not declared";
    EXPECT_TRUE(r["message"]["text"].is_string());
    const auto& loc = r["locations"][0]["physicalLocation"];
    EXPECT_TRUE(loc["artifactLocation"]["uri"].is_string());
    EXPECT_GE(loc["region"]["startLine"].get<int>(), 1);
  }
}

TEST(CheckFindings, BaseWithTheSameDuplicatesHasNoFindingsAndAllowListWorks) {
  Loaded l = Load(SourcePath("tests/data/check_vault"));
  Loaded base = Load(SourcePath("tests/data/check_vault"));
  EXPECT_TRUE(DuplicateFindings(l.vault, l.scan, &base.vault, &base.scan, {}).empty());
  std::vector<Finding> all = DuplicateFindings(l.vault, l.scan, nullptr, nullptr, {});
  std::vector<std::string> ids;
  for (const Finding& f : all) ids.push_back(f.cluster_id);
  EXPECT_TRUE(DuplicateFindings(l.vault, l.scan, nullptr, nullptr, ids).empty());
}

// A vault of two notes in memory.
Loaded LoadMem(const std::string& a_md, const std::string& b_md) {
  auto fs = NewMemFileSystem();
  EXPECT_TRUE(fs->WriteFileAtomic("v/a.md", a_md, {}).ok());
  EXPECT_TRUE(fs->WriteFileAtomic("v/b.md", b_md, {}).ok());
  Loaded l;
  absl::StatusOr<Vault> v = LoadVault(fs.get(), "v", Config{});
  EXPECT_TRUE(v.ok());
  l.vault = *std::move(v);
  absl::StatusOr<ScanResult> s = ScanVault(l.vault, dedup::DedupOptions{});
  EXPECT_TRUE(s.ok());
  l.scan = *std::move(s);
  return l;
}

TEST(ConflictFindings, OneFindingPerContradictionWithEveryFactLocated) {
  Loaded l = LoadMem("## Key Facts\n- Azure API exclusivity for OpenAI continues.\n",
                     "## Key Facts\n- Contoso signed.\n- OpenAI's Azure exclusivity ended.\n");
  std::vector<Finding> f = ConflictFindings(Conflicts(l), nullptr, {});
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].rule, "conflict/polarity");
  EXPECT_TRUE(IsConflictFinding(f[0]));
  EXPECT_EQ(f[0].where.path, "a.md");
  EXPECT_EQ(f[0].where.line, 2);
  ASSERT_EQ(f[0].related.size(), 1u);
  EXPECT_EQ(f[0].related[0].path, "b.md");
  EXPECT_EQ(f[0].related[0].line, 3);
  EXPECT_THAT(f[0].message, HasSubstr("polarity conflict: 'Azure API exclusivity for OpenAI "
                                      "continues.' (a.md:2) vs"));
  EXPECT_THAT(f[0].message, HasSubstr("[conflict " + f[0].cluster_id + "]"));
  // Updates are never findings.
  Loaded u = LoadMem("## Key Facts\n- MAI go-live is planned for January 2026.\n",
                     "## Key Facts\n- MAI go-live is now May 2026 (previously January 2026).\n");
  EXPECT_THAT(ConflictFindings(Conflicts(u), nullptr, {}), IsEmpty());
}

TEST(ConflictFindings, WithABaseOnlyConflictsWithAnAddedFact) {
  const std::string a = "## Key Facts\n- Azure API exclusivity for OpenAI continues.\n";
  const std::string b = "## Key Facts\n- OpenAI's Azure exclusivity ended.\n";
  Loaded base = LoadMem(a, b);
  ASSERT_EQ(Conflicts(base).size(), 1u);
  // The same disagreement on other lines (and other spacing) adds no fact: not a finding.
  Loaded moved = LoadMem(
      "## Key Facts\n- Unrelated fact about Contoso.\n\n- Azure API "
      "exclusivity for  OpenAI continues.\n",
      "## Notes\n\n- OpenAI's Azure exclusivity ended.\n");
  LineSet added = AddedLocations(moved.vault, base.vault);
  EXPECT_EQ(added, (LineSet{{"a.md", 2}, {"b.md", 1}}));  // the unrelated fact, the heading
  EXPECT_THAT(ConflictFindings(Conflicts(moved), &added, {}), IsEmpty());
  // A third statement that disagrees is added: reported on it.
  Loaded third = LoadMem(a, b + "- Azure API exclusivity for OpenAI was removed.\n");
  added = AddedLocations(third.vault, base.vault);
  std::vector<Finding> f = ConflictFindings(Conflicts(third), &added, {});
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].where.path, "b.md");
  EXPECT_EQ(f[0].where.line, 3);
  // A base without the other side: reported on the fact the base lacked.
  Loaded clean = LoadMem(a, "## Key Facts\n- Contoso signed.\n");
  added = AddedLocations(base.vault, clean.vault);
  f = ConflictFindings(Conflicts(base), &added, {});
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].where.path, "b.md");
  // A fact rewritten (here only in case) is an added fact: the conflict is reported again.
  Loaded recased = LoadMem(a, "## Key Facts\n- openAI's Azure exclusivity ended.\n");
  added = AddedLocations(recased.vault, base.vault);
  EXPECT_EQ(ConflictFindings(Conflicts(recased), &added, {}).size(), 1u);
}

TEST(AddedLocations, NonFactLinesCountWhenTheBaseNoteHasFewerCopies) {
  Loaded base =
      LoadMem("---\nstatus: active\n---\nIntro.\n## Key Facts\n- One.\n", "## Key Facts\n- Two.\n");
  Loaded now = LoadMem("---\nstatus: closed\n---\nIntro.\nIntro.\n## Key Facts\n- One.\n",
                       "Fresh paragraph.\n## Key Facts\n- Two.\n");
  EXPECT_EQ(AddedLocations(now.vault, base.vault),
            (LineSet{{"a.md", 2}, {"a.md", 5}, {"b.md", 1}}));
}

TEST(ConflictFindings, AllowListTakesConflictIds) {
  Loaded l = LoadMem("## Key Facts\n- Azure API exclusivity for OpenAI continues.\n",
                     "## Key Facts\n- OpenAI's Azure exclusivity ended.\n");
  std::vector<Conflict> c = Conflicts(l);
  ASSERT_EQ(c.size(), 1u);
  const std::string id = ConflictId(c[0]);
  EXPECT_THAT(id, ::testing::MatchesRegex("k[0-9a-f]{12}"));
  EXPECT_THAT(ConflictFindings(c, nullptr, {id}), IsEmpty());
  EXPECT_EQ(ConflictFindings(c, nullptr, {"k000000000000"}).size(), 1u);
}

TEST(ConflictFindings, FrontmatterConflictsAreKeyedByNoteAndField) {
  ConflictFact a{"Accounts/X.md", 3, "last_contact: 2026-01-04", "2026-01-04", "last_contact"};
  ConflictFact b{"Accounts/X.sync-conflict-20260105-093000-VAULT01.md", 4,
                 "last_contact: 2026-01-05", "2026-01-05", "last_contact"};
  ConflictFact other = a;
  other.path = "Accounts/Y.md";
  EXPECT_NE(ConflictFactKey(a), ConflictFactKey(other));
  ConflictFact moved = a;
  moved.line = 9;
  EXPECT_EQ(ConflictFactKey(a), ConflictFactKey(moved));
  Conflict c{"frontmatter", {a, b}, {{0, 1}}, ""};
  std::vector<Finding> f = ConflictFindings({c}, nullptr, {});
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].rule, "conflict/frontmatter");
  EXPECT_EQ(f[0].where.line, 3);
  EXPECT_THAT(f[0].message, HasSubstr("in field 'last_contact'"));
}

}  // namespace
}  // namespace factdedup::provenance
