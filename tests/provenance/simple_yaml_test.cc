#include "provenance/internal/simple_yaml.h"

#include <yaml-cpp/yaml.h>

#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "provenance/config.h"
#include "provenance/io.h"
#include "provenance/note.h"
#include "provenance/vault.h"
#include "tests/provenance/test_util.h"

namespace factdedup::provenance::internal {
namespace {

using ::testing::ElementsAre;

// What ParseFrontmatter takes from yaml-cpp's nodes, as text: one line per key. "error" when
// yaml-cpp rejects the text, "not a map" when it is not a mapping.
std::string ViaYamlCpp(const std::string& yaml) {
  try {
    YAML::Node root = YAML::Load(yaml);
    if (root.IsNull()) return "";
    if (!root.IsMap()) return "not a map";
    std::string out;
    for (auto it = root.begin(); it != root.end(); ++it) {
      const YAML::Node v = it->second;
      std::vector<std::string> items;
      std::string value;
      bool list = false;
      if (v.IsScalar()) {
        value = v.Scalar();
      } else if (v.IsSequence()) {
        list = true;
        for (const auto& item : v) {
          if (item.IsScalar()) items.push_back(item.Scalar());
        }
      }
      absl::StrAppend(&out, it->first.Scalar(), "@", it->first.Mark().line, "=", value,
                      list ? "[" : "", absl::StrJoin(items, "|"), list ? "]" : "", "\n");
    }
    return out;
  } catch (const YAML::Exception&) {
    return "error";
  }
}

std::string ViaSimple(const std::vector<SimpleYamlKey>& keys) {
  std::string out;
  for (const SimpleYamlKey& k : keys) {
    absl::StrAppend(&out, k.key, "@", k.line, "=", k.value, k.is_list ? "[" : "",
                    absl::StrJoin(k.items, "|"), k.is_list ? "]" : "", "\n");
  }
  return out;
}

TEST(ParseSimpleYaml, ReadsTheCommonFrontmatterAsYamlCppDoes) {
  const std::string yaml =
      "type: account\n"
      "name: Altdyne 1\n"
      "created: '2026-01-05'\n"
      "account: \"[[Delquest 1]]\"\n"
      "owner: O'Brien (EMEA)\n"
      "empty:\n"
      "tags:\n"
      "  - account\n"
      "  - needs-review\n"
      "aliases:\n"
      "- MSFT\n"
      "last_contact: 2026-02-27   \n";
  std::vector<SimpleYamlKey> keys;
  ASSERT_TRUE(ParseSimpleYaml(yaml, &keys));
  EXPECT_EQ(ViaSimple(keys), ViaYamlCpp(yaml));
  ASSERT_EQ(keys.size(), 9u);
  EXPECT_EQ(keys[1].value, "Altdyne 1");
  EXPECT_EQ(keys[2].value, "2026-01-05");
  EXPECT_EQ(keys[3].value, "[[Delquest 1]]");
  EXPECT_FALSE(keys[5].is_list);  // "empty:" is null, not a list
  EXPECT_THAT(keys[6].items, ElementsAre("account", "needs-review"));
  EXPECT_THAT(keys[7].items, ElementsAre("MSFT"));
  EXPECT_EQ(keys[8].value, "2026-02-27");
  EXPECT_EQ(keys[8].line, 11);
  EXPECT_TRUE(ParseSimpleYaml("", &keys));
  EXPECT_TRUE(keys.empty());
}

TEST(ParseSimpleYaml, DeclinesWhatIsOutsideTheSubset) {
  std::vector<SimpleYamlKey> keys;
  for (const char* yaml : {"a: b # comment\n",
                           "# comment\n",
                           "a: b\n\nc: d\n",
                           "a: [x, y]\n",
                           "a: {x: 1}\n",
                           "a:\n  b: c\n",
                           "a: |\n  text\n",
                           "a: >\n  text\n",
                           "a: b\n  continued\n",
                           "a: &x b\n",
                           "a: *x\n",
                           "a: !tag b\n",
                           "a:\tb\n",
                           "a: b\r\n",
                           "a: null\n",
                           "a: ~\n",
                           "null: b\n",
                           "a: 'it''s'\n",
                           "a: \"x\\ty\"\n",
                           "a: caf\xc3\xa9\n",
                           "a: b\na: c\n",
                           "a: 10:30\n",
                           "a: -5\n",
                           "a:\n  - x\n    - y\n",
                           "a:\n  -\n",
                           "a: b\n  - c\n",
                           "- x\n",
                           "a:b\n",
                           "  a: b\n",
                           "a: b",
                           "\n",
                           "a: @b\n",
                           "a: `b`\n",
                           "a: b,c\n",
                           "a: %b\n",
                           "a: 'x\n",
                           "a: \"x\n",
                           "? a\n: b\n",
                           "---\na: b\n",
                           "a: b\n...\n"}) {
    EXPECT_FALSE(ParseSimpleYaml(yaml, &keys)) << yaml;
  }
}

TEST(ParseSimpleYaml, RefusesARepeatedKeyAmongMany) {
  // Repeated keys are looked for among a few keys one way and among many another: a repeat is
  // refused wherever the two keys are, and distinct keys are all read.
  std::vector<SimpleYamlKey> keys;
  for (int count = 1; count <= 40; ++count) {
    std::string yaml;
    for (int k = 0; k < count; ++k) yaml += "k" + std::to_string(k) + ": v\n";
    ASSERT_TRUE(ParseSimpleYaml(yaml, &keys)) << count;
    EXPECT_EQ(keys.size(), static_cast<size_t>(count));
    for (int first = 0; first < count; ++first) {
      EXPECT_FALSE(ParseSimpleYaml(yaml + "k" + std::to_string(first) + ": w\n", &keys))
          << count << " " << first;
    }
  }
}

// Random frontmatters, lines drawn from inside and outside the subset: wherever ParseSimpleYaml
// accepts one, it must give exactly what yaml-cpp gives.
TEST(ParseSimpleYaml, AgreesWithYamlCppOnRandomFrontmatter) {
  const std::vector<std::string> keys = {"type", "name", "tags", "created", "a_b",
                                         "x-y",  "Key2", "true", "null",    "on"};
  const std::vector<std::string> values = {"account",
                                           "Altdyne 1",
                                           "2026-01-05",
                                           "'2026-01-05'",
                                           "\"[[Delquest 1]]\"",
                                           "O'Brien",
                                           "yes",
                                           "No",
                                           "1e3",
                                           "0x1F",
                                           "12",
                                           "a  b",
                                           "x - y",
                                           "(EMEA)",
                                           "a/b.c+d",
                                           "''",
                                           "\"\"",
                                           "null",
                                           "~",
                                           "a #b",
                                           "a: b",
                                           "[x]",
                                           "'a'b'",
                                           "b   ",
                                           "_x",
                                           "-x",
                                           "é",
                                           "a\tb",
                                           "'a\\b'",
                                           "\"a'b\"",
                                           "'a\"b'"};
  std::mt19937 rng(7);
  int accepted = 0;
  for (int round = 0; round < 4000; ++round) {
    std::string yaml;
    const int lines = 1 + static_cast<int>(rng() % 6);
    for (int l = 0; l < lines; ++l) {
      const std::string& key = keys[rng() % keys.size()];
      switch (rng() % 5) {
        case 0:
        case 1:
        case 2:
          absl::StrAppend(&yaml, key, ": ", values[rng() % values.size()], "\n");
          break;
        case 3: {
          absl::StrAppend(&yaml, key, ":\n");
          const std::string indent(rng() % 3, ' ');
          const int items = static_cast<int>(rng() % 3);
          for (int i = 0; i < items; ++i) {
            absl::StrAppend(&yaml, rng() % 20 == 0 ? " " : "", indent, "- ",
                            values[rng() % values.size()], "\n");
          }
          break;
        }
        default:
          absl::StrAppend(&yaml, key, ":\n");
          break;
      }
    }
    std::vector<SimpleYamlKey> simple;
    if (!ParseSimpleYaml(yaml, &simple)) continue;
    ++accepted;
    EXPECT_EQ(ViaSimple(simple), ViaYamlCpp(yaml)) << yaml;
  }
  EXPECT_GT(accepted, 300);  // the subset is exercised, not just declined
}

// The notes this project was built from, and the sample vault: every frontmatter ParseSimpleYaml
// accepts reads as with yaml-cpp.
TEST(ParseSimpleYaml, AgreesWithYamlCppOnTheSampleVault) {
  absl::StatusOr<Vault> vault =
      LoadVault(DefaultFileSystem(), testing::SourcePath("data/vault"), Config{});
  ASSERT_TRUE(vault.ok()) << vault.status();
  int accepted = 0;
  for (const Note& note : vault->notes) {
    if (!note.frontmatter.present) continue;
    std::vector<SimpleYamlKey> simple;
    if (!ParseSimpleYaml(note.frontmatter.raw, &simple)) continue;
    ++accepted;
    EXPECT_EQ(ViaSimple(simple), ViaYamlCpp(note.frontmatter.raw)) << note.path;
  }
  EXPECT_GT(accepted, 0);
}

}  // namespace
}  // namespace factdedup::provenance::internal
