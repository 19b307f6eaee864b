// DeduplicateAround against its oracle, Deduplicate: on generated families of paraphrases
// (with disagreeing values, truncations, exact copies and template-heavy facts), for several
// focus sets and options, the clusters returned must be exactly the full clusters of the
// focus facts' components, in the same order.
#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "dedup/engine.h"
#include "gtest/gtest.h"
#include "tests/dedup/cluster_oracle.h"

namespace factdedup::dedup {
namespace {

using testing::ExpectMatchesOracle;
using testing::ShowAll;

// Families of statements: each family one claim written several ways, plus noise facts that
// share template words across families.
std::vector<Item> Families(int families, uint32_t seed) {
  static const char* kSubjects[] = {"Contoso", "Fabrikam", "Northwind", "Tailspin", "Woodgrove",
                                    "Litware", "Adatum",   "Proseware", "Wingtip",  "Lucerne"};
  static const char* kVerbs[] = {"signed", "renewed", "expanded", "paused", "migrated"};
  static const char* kObjects[] = {"storage contract", "GPU reservation", "support agreement",
                                   "data platform",    "analytics pilot", "network upgrade"};
  static const char* kPlaces[] = {"Redmond", "Dublin", "Austin", "Osaka", "Lisbon", "Nairobi"};
  std::mt19937 rng(seed);
  auto pick = [&](auto& arr) { return arr[rng() % (sizeof(arr) / sizeof(arr[0]))]; };
  std::vector<Item> items;
  for (int f = 0; f < families; ++f) {
    const std::string s = pick(kSubjects), v = pick(kVerbs), o = pick(kObjects), p = pick(kPlaces);
    const int year = 2020 + static_cast<int>(rng() % 7);
    const int amount = 1 + static_cast<int>(rng() % 90);
    const std::string tag = absl::StrCat("Project", f);  // a rare word of the family
    std::vector<std::string> variants = {
        absl::StrCat(s, " ", v, " the ", o, " in ", p, " for $", amount, "M in ", year, " (", tag,
                     ")."),
        absl::StrCat("In ", year, ", ", s, " ", v, " the ", o, " in ", p, " for $", amount, "M (",
                     tag, ")."),
        absl::StrCat(s, " ", v, " its ", o, " at ", p, " (", tag, ")."),
        absl::StrCat(s, " ", v, " the ", o, " in ", p, " for $", amount + 5, "M in ", year, " (",
                     tag, ")."),
        absl::StrCat(s, " ", v, " the ", o, " in ", p, "..."),
        absl::StrCat(tag, " update: ", s, " ", v, " the ", o, "."),
    };
    const int count = 1 + static_cast<int>(rng() % variants.size());
    for (int k = 0; k < count; ++k) {
      const std::string& text = variants[rng() % variants.size()];
      items.push_back({text, absl::StrCat("note", rng() % 40, ".md\x1f", items.size())});
    }
    if (rng() % 3 == 0) items.push_back({absl::StrCat("Weekly sync notes for ", s, "."), ""});
  }
  return items;
}

struct OptionCase {
  std::string name;
  DedupOptions options;
};

std::vector<OptionCase> OptionCases() {
  std::vector<OptionCase> cases;
  cases.push_back({"defaults", DedupOptions{}});
  DedupOptions simhash;  // SimHash candidates are off by default
  simhash.simhash_distance = 8;
  cases.push_back({"with SimHash", simhash});
  DedupOptions small;  // oversized LSH, SimHash and rare-word buckets are all exercised
  small.simhash_distance = 8;
  small.max_bucket_size = 4;
  small.rare_word_bucket = 3;
  small.lsh_common_min = 5;
  cases.push_back({"small buckets", small});
  DedupOptions no_extras;
  no_extras.simhash_distance = 0;
  no_extras.rare_word_keys = 0;
  cases.push_back({"LSH only", no_extras});
  DedupOptions loose;
  loose.threshold = 0.15;
  loose.canonical_floor = 0.05;
  cases.push_back({"loose (large components)", loose});
  return cases;
}

TEST(DeduplicateAround, EqualsTheFullClustersOfTheFocusComponents) {
  const std::vector<Item> items = Families(160, 7);
  for (const OptionCase& oc : OptionCases()) {
    absl::StatusOr<DedupResult> full = Deduplicate(items, oc.options);
    ASSERT_TRUE(full.ok()) << full.status();
    ASSERT_GT(full->clusters.size(), 20u) << oc.name;  // the corpus has real families
    std::mt19937 rng(11);
    for (int round = 0; round < 6; ++round) {
      std::vector<int> focus;
      const int size = round == 0 ? 1 : round * 7;
      for (int k = 0; k < size; ++k) focus.push_back(static_cast<int>(rng() % items.size()));
      absl::StatusOr<DedupResult> around = DeduplicateAround(items, focus, oc.options);
      ASSERT_TRUE(around.ok()) << around.status();
      ExpectMatchesOracle(full->clusters, around->clusters, focus,
                          absl::StrCat(oc.name, ", focus of ", size));
    }
  }
}

TEST(DeduplicateAround, WholeFocusIsTheFullResult) {
  const std::vector<Item> items = Families(120, 3);
  for (const OptionCase& oc : OptionCases()) {
    std::vector<int> all(items.size());
    for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int>(i);
    absl::StatusOr<DedupResult> full = Deduplicate(items, oc.options);
    absl::StatusOr<DedupResult> around = DeduplicateAround(items, all, oc.options);
    ASSERT_TRUE(full.ok() && around.ok());
    EXPECT_EQ(ShowAll(full->clusters), ShowAll(around->clusters)) << oc.name;
    EXPECT_EQ(full->stats.duplicate_pairs, around->stats.duplicate_pairs) << oc.name;
    // Every fact is queried once and finds each of its pairs, so the pairs the full pass
    // verifies (LSH's, rare words' and SimHash's, each once) are counted twice here.
    EXPECT_EQ(2 * full->stats.candidates, around->stats.candidates) << oc.name;
  }
}

TEST(DeduplicateAround, SameForAnyThreadCount) {
  const std::vector<Item> items = Families(120, 5);
  const std::vector<int> focus = {0, 5, 17, 40, 41, 90};
  DedupOptions one;
  one.threads = 1;
  absl::StatusOr<DedupResult> base = DeduplicateAround(items, focus, one);
  ASSERT_TRUE(base.ok());
  for (int threads : {2, 3, 8}) {
    DedupOptions o;
    o.threads = threads;
    absl::StatusOr<DedupResult> r = DeduplicateAround(items, focus, o);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(ShowAll(base->clusters), ShowAll(r->clusters)) << threads << " threads";
  }
}

TEST(DeduplicateAround, EmptyFocusFindsNothingAndBadFocusIsAnError) {
  const std::vector<Item> items = Families(30, 1);
  absl::StatusOr<DedupResult> r = DeduplicateAround(items, {}, DedupOptions{});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->clusters.empty());
  EXPECT_EQ(r->stats.candidates, 0);
  const std::vector<int> bad = {static_cast<int>(items.size())};
  EXPECT_FALSE(DeduplicateAround(items, bad, DedupOptions{}).ok());
}

TEST(DeduplicateAround, MinHashBaselineKeepsTheComponentsOfTheFocus) {
  const std::vector<Item> items = Families(60, 2);
  DedupOptions o;
  o.method = Method::kMinHash;
  absl::StatusOr<DedupResult> full = Deduplicate(items, o);
  ASSERT_TRUE(full.ok());
  const std::vector<int> focus = {1, 2, 3, 30};
  absl::StatusOr<DedupResult> around = DeduplicateAround(items, focus, o);
  ASSERT_TRUE(around.ok());
  ExpectMatchesOracle(full->clusters, around->clusters, focus, "minhash");
}

}  // namespace
}  // namespace factdedup::dedup
