#include "provenance/internal/diff3.h"

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace factdedup::provenance::internal {
namespace {

// The exact LCS length by dynamic programming: the oracle for LcsMatches.
int LcsLengthOracle(const std::vector<int>& a, const std::vector<int>& b) {
  std::vector<std::vector<int>> l(a.size() + 1, std::vector<int>(b.size() + 1, 0));
  for (size_t i = a.size(); i-- > 0;) {
    for (size_t j = b.size(); j-- > 0;) {
      l[i][j] = a[i] == b[j] ? l[i + 1][j + 1] + 1 : std::max(l[i + 1][j], l[i][j + 1]);
    }
  }
  return l[0][0];
}

std::vector<int> Tokens(const std::string& s) { return std::vector<int>(s.begin(), s.end()); }

TEST(LcsMatches, MatchesAreACommonSubsequenceOfMaximalLength) {
  std::mt19937 rng(7);
  for (int round = 0; round < 300; ++round) {
    std::uniform_int_distribution<int> len(0, 40), sym(0, round % 2 ? 3 : 10);
    std::vector<int> a(len(rng)), b(len(rng));
    for (int& x : a) x = sym(rng);
    for (int& x : b) x = sym(rng);
    std::vector<std::pair<int, int>> m = LcsMatches(a, b, 1000);
    ASSERT_EQ(static_cast<int>(m.size()), LcsLengthOracle(a, b)) << "round " << round;
    for (size_t k = 0; k < m.size(); ++k) {
      EXPECT_EQ(a[m[k].first], b[m[k].second]);
      if (k > 0) {
        EXPECT_LT(m[k - 1].first, m[k].first);
        EXPECT_LT(m[k - 1].second, m[k].second);
      }
    }
  }
}

TEST(LcsMatches, OverTheCostLimitOnlyPrefixAndSuffixMatch) {
  std::vector<int> a = Tokens("xABCDy"), b = Tokens("xDCBAy");
  EXPECT_EQ(LcsMatches(a, b, 100).size(), 3u);
  std::vector<std::pair<int, int>> m = LcsMatches(a, b, 1);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0], std::make_pair(0, 0));
  EXPECT_EQ(m[1], std::make_pair(5, 5));
}

std::string Kinds(const std::string& base, const std::string& ours, const std::string& theirs) {
  std::string out;
  for (const Chunk& c : Diff3(Tokens(base), Tokens(ours), Tokens(theirs), 1000)) {
    static const char kNames[] = {'=', 'o', 't', 's', 'X'};
    out.push_back(kNames[static_cast<int>(c.kind)]);
  }
  return out;
}

TEST(Diff3, ClassifiesEveryRun) {
  struct Case {
    const char* base;
    const char* ours;
    const char* theirs;
    const char* kinds;  // = stable, o ours, t theirs, s same change, X conflict
  } cases[] = {
      {"abc", "abc", "abc", "="},
      {"abc", "aXc", "abc", "=o="},
      {"abc", "abc", "aYc", "=t="},
      {"abc", "aXc", "aXc", "=s="},
      {"abc", "aXc", "aYc", "=X="},
      {"abcde", "aXcde", "abcdY", "=o=t"},  // changes far apart merge cleanly
      {"abc", "abcX", "abcY", "=X"},        // both append differently
      {"abc", "ac", "abc", "=o="},          // deletion
      {"", "X", "Y", "X"},                  // added on both sides
      {"", "X", "", "o"},
      // Former bugs: none yet.
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Kinds(c.base, c.ours, c.theirs), c.kinds)
        << c.base << " / " << c.ours << " / " << c.theirs;
  }
}

TEST(Diff3, ChunksTileAllThreeSequences) {
  std::mt19937 rng(11);
  for (int round = 0; round < 200; ++round) {
    std::uniform_int_distribution<int> len(0, 20), sym(0, 4);
    std::vector<int> b(len(rng)), o(len(rng)), t(len(rng));
    for (auto* v : {&b, &o, &t}) {
      for (int& x : *v) x = sym(rng);
    }
    int nb = 0, no = 0, nt = 0;
    for (const Chunk& c : Diff3(b, o, t, 1000)) {
      EXPECT_EQ(c.base_begin, nb);
      EXPECT_EQ(c.ours_begin, no);
      EXPECT_EQ(c.theirs_begin, nt);
      nb = c.base_end, no = c.ours_end, nt = c.theirs_end;
    }
    EXPECT_EQ(nb, static_cast<int>(b.size()));
    EXPECT_EQ(no, static_cast<int>(o.size()));
    EXPECT_EQ(nt, static_cast<int>(t.size()));
  }
}

}  // namespace
}  // namespace factdedup::provenance::internal
