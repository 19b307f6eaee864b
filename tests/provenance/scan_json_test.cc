#include "provenance/scan_json.h"

#include <stdlib.h>

#include <cmath>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "provenance/config.h"
#include "provenance/internal/json.h"
#include "tests/provenance/test_util.h"

namespace factdedup::provenance {
namespace {

using ::factdedup::testing::SourcePath;

// The streamed document is byte for byte the one nlohmann::json writes for the whole tree.
void ExpectStreamedEqualsTree(const Vault& vault) {
  absl::StatusOr<ScanResult> scan = ScanVault(vault, vault.config.dedup);
  ASSERT_TRUE(scan.ok()) << scan.status();
  absl::StatusOr<std::vector<Conflict>> conflicts = FindConflicts(vault, *scan);
  ASSERT_TRUE(conflicts.ok()) << conflicts.status();
  std::ostringstream streamed;
  WriteScanJson(streamed, vault, *scan, *conflicts);
  EXPECT_EQ(streamed.str(), internal::Dump(internal::ScanJson(vault, *scan, *conflicts)));
  EXPECT_EQ(FormatScanJson(vault, *scan, *conflicts), streamed.str());
}

// The writer's fast path: plain printable ASCII (16 bytes at a time, then byte by byte) is
// written as it is; any byte to escape or validate, at any offset, sends a text the slow way.
TEST(ScanJson, PlainAsciiTestMatchesAByteByByteOne) {
  auto reference = [](absl::string_view s) {
    for (char ch : s) {
      const auto c = static_cast<unsigned char>(ch);
      if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') return false;
    }
    return true;
  };
  const std::string specials = std::string("\"\\\n\t\x01\x1f\x80\xc3\xff", 9) + '\0';
  for (size_t size = 0; size <= 40; ++size) {
    std::string s(size, 'a');
    for (size_t k = 0; k < size; ++k) s[k] = static_cast<char>(0x20 + (k * 7) % 0x60);  // ' '..DEL
    for (size_t k = 0; k < size; ++k) {
      if (s[k] == '"' || s[k] == '\\') s[k] = 'x';
    }
    EXPECT_TRUE(internal::JsonPlainAscii(s)) << size;
    EXPECT_EQ(internal::JsonPlainAscii(s), reference(s));
    for (size_t at = 0; at < size; ++at) {
      for (char special : specials) {
        std::string t = s;
        t[at] = special;
        EXPECT_FALSE(internal::JsonPlainAscii(t)) << size << " " << at << " " << int{special};
      }
    }
  }
}

// Every similarity the documents can hold is written as nlohmann::json writes the double;
// any other value is left to nlohmann.
TEST(ScanJson, ThousandthsAreWrittenAsNlohmannWritesThem) {
  char text[8];
  for (int k = 0; k <= 1000; ++k) {
    const double v = std::round(k / 1000.0 * 1000) / 1000;
    const size_t n = internal::JsonThousandths(v, text);
    ASSERT_GT(n, 0U) << k;
    EXPECT_EQ(std::string(text, n), nlohmann::json(v).dump()) << k;
  }
  for (double v : {-0.001, -0.0, 1.001, 0.0005, 0.1234, 2.0, std::nan("")}) {
    EXPECT_EQ(internal::JsonThousandths(v, text), 0U) << v;
  }
}

TEST(ScanJson, StreamedDocumentIsTheTreeDocumentOnTheSampleVault) {
  absl::StatusOr<Config> config = LoadConfig(DefaultFileSystem(), SourcePath("data/vault"));
  ASSERT_TRUE(config.ok());
  absl::StatusOr<Vault> vault = LoadVault(DefaultFileSystem(), SourcePath("data/vault"), *config);
  ASSERT_TRUE(vault.ok());
  ASSERT_FALSE(vault->notes.empty());
  ExpectStreamedEqualsTree(*vault);
}

// A vault of one valid note with quotes and backslashes (the loader skips a note that is not
// UTF-8, and display text folds tabs, so bytes the writer must escape or hand to nlohmann
// come through hand-built conflicts instead).
TEST(ScanJson, StreamedDocumentIsTheTreeDocumentWithOddTextAndHandBuiltConflicts) {
  char tmpl[] = "/tmp/factdedup-scanjson-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  ASSERT_TRUE(DefaultFileSystem()
                  ->WriteFileAtomic(dir + "/A.md",
                                    "## Key Facts\n- A line with \"quotes\" and \\ too.\n"
                                    "- A line with \"quotes\" and \\ too!\n",
                                    std::nullopt)
                  .ok());
  absl::StatusOr<Config> config = LoadConfig(DefaultFileSystem(), dir);
  ASSERT_TRUE(config.ok());
  absl::StatusOr<Vault> vault = LoadVault(DefaultFileSystem(), dir, *config);
  ASSERT_TRUE(vault.ok());
  ASSERT_EQ(vault->notes.size(), 1u);
  ExpectStreamedEqualsTree(*vault);

  absl::StatusOr<ScanResult> scan = ScanVault(*vault, vault->config.dedup);
  ASSERT_TRUE(scan.ok());
  std::string controls;
  for (int c = 0; c < 0x20; ++c) controls.push_back(static_cast<char>(c));
  controls += "\x7f\"\\/";
  std::vector<Conflict> conflicts = {
      {"value", {}, {}, ""},  // no facts, no pairs
      {"frontmatter",
       {{"a\xff.md", -3, controls, "bad \xc3\x28 utf8", "owner\xed\xa0\x80"},
        {"b.md", 7, "caf\xc3\xa9 \xf0\x9f\x98\x80", "x", "owner"}},
       {{0, 1}},
       "keep \"b\""},
      {"update", {{"c.md", 1, "t", "v", ""}}, {}, ""},
  };
  std::ostringstream streamed;
  WriteScanJson(streamed, *vault, *scan, conflicts);
  EXPECT_EQ(streamed.str(), internal::Dump(internal::ScanJson(*vault, *scan, conflicts)));
  std::system(("rm -rf '" + dir + "'").c_str());
}

// Clusters and conflicts past the block size are formatted in blocks on several threads: the
// document is the same bytes for any thread count, and still the tree's.
TEST(ScanJson, ThreadsFormatBlocksOfTheSameDocument) {
  char tmpl[] = "/tmp/factdedup-scanjson-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  std::string note = "## Key Facts\n";
  for (int k = 0; k < 1400; ++k) note += absl::StrCat("- Fact \"", k, "\" about widget ", k, ".\n");
  ASSERT_TRUE(DefaultFileSystem()->WriteFileAtomic(dir + "/A.md", note, std::nullopt).ok());
  absl::StatusOr<Config> config = LoadConfig(DefaultFileSystem(), dir);
  ASSERT_TRUE(config.ok());
  absl::StatusOr<Vault> vault = LoadVault(DefaultFileSystem(), dir, *config);
  ASSERT_TRUE(vault.ok());
  absl::StatusOr<ScanResult> scan = ScanVault(*vault, vault->config.dedup);
  ASSERT_TRUE(scan.ok());
  ASSERT_EQ(scan->facts.size(), 1400u);
  // Hand-built: 700 clusters of two facts, 650 contradictions and 90 updates.
  scan->dedup.clusters.clear();
  for (int k = 0; k < 700; ++k) {
    dedup::Cluster c;
    c.canonical = 2 * k;
    c.members = {{2 * k, 1.0, dedup::Relation::kCanonical},
                 {2 * k + 1, 0.5 + k / 2000.0, dedup::Relation::kParaphrase}};
    c.reason = absl::StrCat("reason ", k);
    scan->dedup.clusters.push_back(c);
  }
  std::vector<Conflict> conflicts;
  for (int k = 0; k < 740; ++k) {
    conflicts.push_back({k % 8 == 7 ? "update" : "value",
                         {{"A.md", k + 2, absl::StrCat("text ", k), absl::StrCat(k), ""},
                          {"A.md", k + 3, absl::StrCat("text \"", k + 1, "\""), "x", ""}},
                         {{0, 1}},
                         absl::StrCat("keep ", k)});
  }
  const std::string tree = internal::Dump(internal::ScanJson(*vault, *scan, conflicts));
  for (int threads : {1, 2, 3, 8}) {
    std::ostringstream streamed;
    WriteScanJson(streamed, *vault, *scan, conflicts, threads);
    EXPECT_EQ(streamed.str(), tree) << threads << " threads";
  }
  std::system(("rm -rf '" + dir + "'").c_str());
}

}  // namespace
}  // namespace factdedup::provenance
