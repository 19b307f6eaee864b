#include "provenance/config.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace factdedup::provenance {
namespace {

using ::testing::HasSubstr;

TEST(ParseConfig, EmptyGivesDefaults) {
  absl::StatusOr<Config> c = ParseConfig("", "x.yaml");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->vault.max_file_size, 16ull << 20);
  EXPECT_TRUE(IsFactSection(c->vault, "Key Facts"));
  EXPECT_FALSE(IsFactSection(c->vault, "Related"));
}

TEST(ParseConfig, ReadsKeys) {
  absl::StatusOr<Config> c = ParseConfig(
      "version: 1\nexclude: [\"Templates/**\"]\nmax_file_size: 1024\n"
      "fact_sections:\n  - Key Facts\n  - Key *\nskip_sections: []\n",
      "x.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->vault.exclude, std::vector<std::string>{"Templates/**"});
  EXPECT_EQ(c->vault.max_file_size, 1024u);
  EXPECT_TRUE(IsFactSection(c->vault, "key decisions"));
  EXPECT_FALSE(IsFactSection(c->vault, "Topics"));
}

TEST(ParseConfig, ReadsDedupKeys) {
  absl::StatusOr<Config> c = ParseConfig(
      "dedup:\n  canonical_floor: 0.2\n  distinct_entities_floor: 0.7\n  max_bucket_size: 50\n",
      "x.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_DOUBLE_EQ(c->dedup.canonical_floor, 0.2);
  EXPECT_DOUBLE_EQ(c->dedup.distinct_entities_floor, 0.7);
  EXPECT_EQ(c->dedup.max_bucket_size, 50);
  EXPECT_DOUBLE_EQ(ParseConfig("", "x.yaml")->dedup.distinct_entities_floor, 0.5);
  EXPECT_FALSE(ParseConfig("dedup:\n  distinct_entities_floor: 1.5\n", "x.yaml").ok());
}

TEST(ParseConfig, CheckBudgetsAndAllowList) {
  absl::StatusOr<Config> c = ParseConfig("", "x.yaml");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->max_new_duplicates, 0);
  EXPECT_EQ(c->max_new_conflicts, 0);
  c = ParseConfig("check:\n  max_new_duplicates: 3\n  max_new_conflicts: 2\n  allow: [c1, k2]\n",
                  "x.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->max_new_duplicates, 3);
  EXPECT_EQ(c->max_new_conflicts, 2);
  EXPECT_EQ(c->check_allow, (std::vector<std::string>{"c1", "k2"}));
}

struct ErrorCase {
  std::string yaml;
  std::string message;  // substring, includes "file:line"
};

TEST(ParseConfig, ErrorsNameKeyAndLine) {
  const std::vector<ErrorCase> cases = {
      {"version: 1\nfact_section: [a]\n", "x.yaml:2:1: unknown key 'fact_section'"},
      {"max_file_size: big\n", "x.yaml:1:16: 'max_file_size' must be a non-negative integer"},
      {"max_file_size: -5\n", "'max_file_size' must be a non-negative integer"},
      {"include:\n  a: b\n", "x.yaml:2:3: 'include' must be a list of strings"},
      {"version: 2\n", "'version' must be 1"},
      {"link_style: links\n", "x.yaml:1:13: 'link_style' must be wikilink, footnote or none"},
      {"dedup:\n  treshold: 0.5\n", "x.yaml:2:3: unknown key 'treshold'"},
      {"check:\n  max_new_conflicts: many\n", "x.yaml:2:22: 'check.max_new_conflicts'"},
      {"dedup:\n  threshold: 2\n", "'dedup.threshold' must be between"},
      {"- a\n- b\n", "must be a map"},
      {"a: [1\n", "x.yaml:2:1: malformed YAML"},
      // Former bugs: none yet.
  };
  for (const ErrorCase& c : cases) {
    absl::StatusOr<Config> config = ParseConfig(c.yaml, "x.yaml");
    ASSERT_FALSE(config.ok()) << c.yaml;
    EXPECT_THAT(config.status().message(), HasSubstr(c.message)) << c.yaml;
  }
}

struct GlobCase {
  std::string pattern, path;
  bool match;
};

TEST(GlobMatch, Table) {
  const std::vector<GlobCase> cases = {
      {"**/*.md", "a.md", true},
      {"**/*.md", "x/y/a.md", true},
      {"*.md", "x/a.md", false},
      {"x/*", "x/a.md", true},
      {"x/*", "x/y/a.md", false},
      {"x/**", "x/y/a.md", true},
      {"a?.md", "ab.md", true},
      {"a?.md", "a/.md", false},
      {"**/Archive/*", "A/Archive/b.md", true},
      // A literal tail after a star (matched without trying every start).
      {"*.md", "a.md", true},
      {"*.md", ".md", true},
      {"*.md", "md", false},
      {"*.md", "a.mdx", false},
      {"*.md", "a.md/b", false},
      {"x/*.md", "x/.md", true},
      {"*/a.md", "x/a.md", true},
      {"*/a.md", "x/y/a.md", false},
      {"**/*.md", "x/y/a.MD", false},
      {"*", "", true},
      {"*", "a/b", false},
      {"a*", "a", true},
      {"a*b?", "axxbc", true},
      {"a*b", "a/b", false},
      // Former bugs: none yet.
  };
  for (const GlobCase& c : cases) {
    EXPECT_EQ(GlobMatch(c.pattern, c.path), c.match) << c.pattern << " " << c.path;
  }
  // Case folding reaches the literal tail.
  EXPECT_TRUE(GlobMatch("**/*.md", "x/y/a.MD", /*fold_case=*/true));
  EXPECT_FALSE(GlobMatch("**/*.md", "x/y/a.MX", /*fold_case=*/true));
}

}  // namespace
}  // namespace factdedup::provenance
