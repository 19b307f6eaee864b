// Test helpers for DeduplicateAround: clusters rendered as strings (every field, so two
// renderings are equal only for equal clusters), and its promise checked against the full
// pass (Deduplicate).
#ifndef FACTDEDUP_TESTS_DEDUP_CLUSTER_ORACLE_H_
#define FACTDEDUP_TESTS_DEDUP_CLUSTER_ORACLE_H_

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "dedup/engine.h"
#include "gtest/gtest.h"

namespace factdedup::dedup::testing {

// Items are named by their keys when `items` is given (results over different item lists
// compare), else by index.
inline std::string Show(const Cluster& c, const std::vector<Item>* items = nullptr) {
  auto name = [&](int i) { return items != nullptr ? (*items)[i].key : absl::StrCat(i); };
  std::vector<std::string> m;
  for (const Member& x : c.members) {
    m.push_back(absl::StrCat(name(x.item), "/", x.similarity, "/", RelationName(x.relation)));
  }
  return absl::StrCat(name(c.canonical), " [", absl::StrJoin(m, " "), "] ", c.reason);
}

inline std::vector<std::string> ShowAll(const std::vector<Cluster>& clusters,
                                        const std::vector<Item>* items = nullptr) {
  std::vector<std::string> out;
  for (const Cluster& c : clusters) out.push_back(Show(c, items));
  return out;
}

// `around` must be a subsequence of `full` that holds every cluster with a focus item.
inline void ExpectMatchesOracle(const std::vector<Cluster>& full,
                                const std::vector<Cluster>& around, const std::vector<int>& focus,
                                const std::string& what, const std::vector<Item>* items = nullptr) {
  const std::vector<std::string> f = ShowAll(full, items), a = ShowAll(around, items);
  size_t at = 0;
  for (const std::string& c : a) {
    while (at < f.size() && f[at] != c) ++at;
    ASSERT_LT(at, f.size()) << what << ": not a full cluster, or out of order: " << c;
    ++at;
  }
  for (size_t i = 0; i < full.size(); ++i) {
    bool focused = false;
    for (const Member& m : full[i].members) {
      focused |= std::find(focus.begin(), focus.end(), m.item) != focus.end();
    }
    if (focused) {
      EXPECT_NE(std::find(a.begin(), a.end(), f[i]), a.end()) << what << ": missing " << f[i];
    }
  }
}

}  // namespace factdedup::dedup::testing

#endif  // FACTDEDUP_TESTS_DEDUP_CLUSTER_ORACLE_H_
