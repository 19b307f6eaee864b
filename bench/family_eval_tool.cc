// family_eval_tool: scores `factdedup scan --json` against the true families written by
// gen_vault_tool. Pairwise: a predicted pair is two facts in one cluster; a true pair is two
// facts sharing a claim id. Prints precision, recall and F1 of pairs.
//
//   family_eval_tool FAMILIES.tsv SCAN.json
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: family_eval_tool FAMILIES.tsv SCAN.json\n";
    return 2;
  }
  // fact key "path\x1fline" -> index; per fact its claim ids.
  absl::flat_hash_map<std::string, int> index;
  std::vector<std::vector<std::string>> claims;
  absl::flat_hash_map<std::string, std::vector<int>> members;  // claim -> facts
  std::ifstream fam(argv[1], std::ios::binary);
  std::string line;
  std::getline(fam, line);  // header
  while (std::getline(fam, line)) {
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    if (f.size() != 3) continue;
    const int id = static_cast<int>(claims.size());
    index[absl::StrCat(f[0], "\x1f", f[1])] = id;
    claims.push_back(absl::StrSplit(f[2], ','));
    for (const std::string& c : claims.back()) members[c].push_back(id);
  }
  auto same = [&](int a, int b) {
    for (const std::string& x : claims[a]) {
      for (const std::string& y : claims[b]) {
        if (x == y) return true;
      }
    }
    return false;
  };
  absl::flat_hash_set<std::pair<int, int>> truth;
  for (const auto& [c, list] : members) {
    for (size_t i = 0; i < list.size(); ++i) {
      for (size_t j = i + 1; j < list.size(); ++j) {
        truth.insert({std::min(list[i], list[j]), std::max(list[i], list[j])});
      }
    }
  }
  std::ifstream in(argv[2], std::ios::binary);
  nlohmann::json scan = nlohmann::json::parse(in);
  long predicted = 0, correct = 0, unknown = 0;
  for (const auto& cluster : scan["clusters"]) {
    std::vector<int> ids;
    for (const auto& m : cluster["members"]) {
      auto it =
          index.find(absl::StrCat(m["path"].get<std::string>(), "\x1f", m["line"].get<int>()));
      if (it == index.end()) {
        ++unknown;
        continue;
      }
      ids.push_back(it->second);
    }
    for (size_t i = 0; i < ids.size(); ++i) {
      for (size_t j = i + 1; j < ids.size(); ++j) {
        ++predicted;
        correct += same(ids[i], ids[j]);
      }
    }
  }
  const double p = predicted ? static_cast<double>(correct) / predicted : 0;
  const double r = truth.empty() ? 0 : static_cast<double>(correct) / truth.size();
  std::cout << absl::StrFormat(
      "facts=%d true_pairs=%d predicted_pairs=%d correct=%d precision=%.4f recall=%.4f f1=%.4f "
      "unknown_members=%d\n",
      claims.size(), truth.size(), predicted, correct, p, r, p + r > 0 ? 2 * p * r / (p + r) : 0,
      unknown);
  return 0;
}
