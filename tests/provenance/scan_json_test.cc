#include "provenance/scan_json.h"

#include <stdlib.h>

#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

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

TEST(ScanJson, StreamedDocumentIsTheTreeDocumentOnTheSampleVault) {
  absl::StatusOr<Config> config = LoadConfig(DefaultFileSystem(), SourcePath("data/vault"));
  ASSERT_TRUE(config.ok());
  absl::StatusOr<Vault> vault = LoadVault(DefaultFileSystem(), SourcePath("data/vault"), *config);
  ASSERT_TRUE(vault.ok());
  ASSERT_FALSE(vault->notes.empty());
  ExpectStreamedEqualsTree(*vault);
}

TEST(ScanJson, StreamedDocumentIsTheTreeDocumentWithEmptyArraysAndOddText) {
  char tmpl[] = "/tmp/factdedup-scanjson-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  ASSERT_TRUE(DefaultFileSystem()
                  ->WriteFileAtomic(dir + "/A.md",
                                    "## Key Facts\n- A line with \"quotes\", a tab\there and \\ "
                                    "too.\n- Invalid UTF-8 \xff here.\n",
                                    std::nullopt)
                  .ok());
  absl::StatusOr<Config> config = LoadConfig(DefaultFileSystem(), dir);
  ASSERT_TRUE(config.ok());
  absl::StatusOr<Vault> vault = LoadVault(DefaultFileSystem(), dir, *config);
  ASSERT_TRUE(vault.ok());
  ExpectStreamedEqualsTree(*vault);
  std::system(("rm -rf '" + dir + "'").c_str());
}

}  // namespace
}  // namespace factdedup::provenance
