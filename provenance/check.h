// The merge check: duplicate clusters that a change introduces, as findings with file:line,
// in the formats CI systems read.
//
//   absl::StatusOr<std::vector<Finding>> f = NewDuplicateFindings(vault, scan, &base, &base_scan);
//   std::string sarif = FormatFindings(*f, FindingFormat::kSarif, "factdedup", "0.1.0");
#ifndef FACTDEDUP_PROVENANCE_CHECK_H_
#define FACTDEDUP_PROVENANCE_CHECK_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "provenance/scan.h"
#include "provenance/vault.h"

namespace factdedup::provenance {

struct FindingLocation {
  std::string path;
  int line = 0;
  std::string text;
};

struct Finding {
  std::string rule;        // "duplicate"
  std::string cluster_id;  // stable id of the cluster (hash of the canonical's text)
  FindingLocation where;   // the fact the finding is reported on (a variant, not the canonical)
  std::string message;
  std::vector<FindingLocation> related;  // the other facts involved (canonical first)
};

// Stable id of a cluster: "c" + 12 hex digits of the XXH3 of the canonical's display text.
std::string ClusterId(const Fact& canonical);

// One finding per non-canonical member of every cluster, unless the cluster is allowed
// (`allowed_ids`), the member carries <!-- factdedup:ignore --> (never scanned), or — with a
// base — the same duplicate existed at the base (both texts were in one cluster there).
std::vector<Finding> DuplicateFindings(const Vault& vault, const ScanResult& scan,
                                       const Vault* base, const ScanResult* base_scan,
                                       const std::vector<std::string>& allowed_ids);

enum class FindingFormat { kText, kJson, kGithub, kSarif, kJunit };

absl::StatusOr<FindingFormat> ParseFindingFormat(absl::string_view name);

// Renders findings. `notes` lists every note checked (JUnit has one testcase per note).
std::string FormatFindings(const std::vector<Finding>& findings, FindingFormat format,
                           const std::vector<std::string>& notes, absl::string_view version);

}  // namespace factdedup::provenance

#endif  // FACTDEDUP_PROVENANCE_CHECK_H_
