#include "provenance/gold.h"

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace factdedup::provenance {

absl::StatusOr<std::vector<GoldPair>> ReadGoldPairs(absl::string_view content) {
  std::vector<GoldPair> out;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(content, '\n')) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line[0] == '#' || line_no == 1) continue;
    std::vector<absl::string_view> f = absl::StrSplit(line, '\t');
    GoldPair g;
    if (f.size() < 5 || !absl::SimpleAtoi(f[0], &g.label) || !absl::SimpleAtoi(f[2], &g.line1) ||
        !absl::SimpleAtoi(f[4], &g.line2)) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", line_no, ": expected label, path1, line1, path2, line2"));
    }
    g.path1 = std::string(f[1]);
    g.path2 = std::string(f[3]);
    if (f.size() > 5) g.kind = std::string(f[5]);
    out.push_back(std::move(g));
  }
  return out;
}

absl::StatusOr<dedup::BinaryMetrics> EvaluateClusters(const Vault& vault, const ScanResult& scan,
                                                      const std::vector<GoldPair>& gold) {
  absl::flat_hash_map<std::string, int> item_of;  // "path:line" -> item
  for (size_t i = 0; i < scan.facts.size(); ++i) {
    const int item = static_cast<int>(i);
    item_of[absl::StrCat(scan.note(vault, item).path, ":", scan.fact(vault, item).line)] = item;
  }
  std::vector<int> cluster_of(scan.facts.size(), -1);
  for (size_t c = 0; c < scan.dedup.clusters.size(); ++c) {
    for (const dedup::Member& m : scan.dedup.clusters[c].members) {
      cluster_of[m.item] = static_cast<int>(c);
    }
  }
  dedup::BinaryMetrics m;
  for (const GoldPair& g : gold) {
    auto a = item_of.find(absl::StrCat(g.path1, ":", g.line1));
    auto b = item_of.find(absl::StrCat(g.path2, ":", g.line2));
    if (a == item_of.end() || b == item_of.end()) {
      return absl::InvalidArgumentError(absl::StrCat("gold pair ", g.path1, ":", g.line1, " / ",
                                                     g.path2, ":", g.line2,
                                                     " names a fact the scan did not compare"));
    }
    bool same = cluster_of[a->second] >= 0 && cluster_of[a->second] == cluster_of[b->second];
    if (same && g.label) ++m.tp;
    if (same && !g.label) ++m.fp;
    if (!same && g.label) ++m.fn;
    if (!same && !g.label) ++m.tn;
  }
  return m;
}

}  // namespace factdedup::provenance
