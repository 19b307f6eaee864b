// Hand-labeled gold for a vault (data/gold/dedup_pairs.tsv) and pairwise evaluation of the
// clusters a scan produces against it.
//
// Format: a header line, then "label<TAB>path1<TAB>line1<TAB>path2<TAB>line2<TAB>kind<TAB>
// comment", label 1 = same claim, 0 = alike but different; paths relative to the vault root.
#ifndef FACTDEDUP_PROVENANCE_GOLD_H_
#define FACTDEDUP_PROVENANCE_GOLD_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dedup/eval.h"
#include "provenance/scan.h"

namespace factdedup::provenance {

struct GoldPair {
  int label = 0;
  std::string path1, path2;
  int line1 = 0, line2 = 0;
  std::string kind;
};

absl::StatusOr<std::vector<GoldPair>> ReadGoldPairs(absl::string_view content);

// Pairwise metrics: a labeled pair is predicted "same" when both facts are in one cluster.
// Fails if a labeled fact is not one the scan compared (a stale gold file).
absl::StatusOr<dedup::BinaryMetrics> EvaluateClusters(const Vault& vault, const ScanResult& scan,
                                                      const std::vector<GoldPair>& gold);

}  // namespace factdedup::provenance

#endif  // FACTDEDUP_PROVENANCE_GOLD_H_
