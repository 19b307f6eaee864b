#include "provenance/check.h"

#include <cstdlib>
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

TEST(CheckFindings, GoldenForEveryFormat) {
  Loaded l = Load(SourcePath("tests/data/check_vault"));
  std::vector<Finding> findings = DuplicateFindings(l.vault, l.scan, nullptr, nullptr, {});
  ASSERT_EQ(findings.size(), 2u);
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
  std::vector<Finding> findings = DuplicateFindings(l.vault, l.scan, nullptr, nullptr, {});
  nlohmann::json j = nlohmann::json::parse(
      FormatFindings(findings, FindingFormat::kSarif, Notes(l.vault), "test"));
  EXPECT_EQ(j["version"], "2.1.0");
  ASSERT_EQ(j["runs"].size(), 1u);
  EXPECT_EQ(j["runs"][0]["tool"]["driver"]["name"], "factdedup");
  for (const auto& r : j["runs"][0]["results"]) {
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

}  // namespace
}  // namespace factdedup::provenance
