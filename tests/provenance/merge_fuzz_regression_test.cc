// Inputs the merge fuzzer (fuzz/merge_fuzzer.cc) found breaking a documented guarantee of
// MergeNote (docs/merge-driver.md), kept as regression tests.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "provenance/merge.h"

namespace factdedup::provenance {
namespace {

std::string Merge(const std::string& base, const std::string& ours, const std::string& theirs) {
  MergeOptions options;
  options.dedup.threads = 1;
  absl::StatusOr<MergeResult> r = MergeNote(base, ours, theirs, options);
  EXPECT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->conflicts, 0);
  return r->text;
}

struct Triple {
  std::string base, ours, theirs;
};

TEST(MergeNoteFuzzRegressions, CleanMergeIsIdempotent) {
  const std::vector<Triple> cases = {
      // An emptied file counted as "final newline removed": merge("\n", "#\n\n", "") gave
      // "#\n" but merge("\n", "", "#\n") gave "#".
      {"\n", "#\n\n", ""},
      {"\n", "", "#\n\n"},
  };
  for (const Triple& c : cases) {
    const std::string r = Merge(c.base, c.ours, c.theirs);
    ASSERT_NE(r, c.base);
    EXPECT_EQ(Merge(c.base, r, c.theirs), r) << c.ours;
    EXPECT_EQ(Merge(c.base, c.theirs, r), r) << c.ours;
    EXPECT_EQ(Merge(c.base, r, c.ours), r) << c.ours;
  }
}

}  // namespace
}  // namespace factdedup::provenance
