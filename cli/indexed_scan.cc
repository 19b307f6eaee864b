#include "cli/indexed_scan.h"

#include <iostream>
#include <utility>

namespace factdedup::cli {

IndexedScanner::IndexedScanner(std::string root, const dedup::DedupOptions& options, bool enabled)
    : root_(std::move(root)), enabled_(enabled), previous_(options), next_(options) {
  if (!enabled_) return;
  std::string problem;
  previous_ = provenance::LoadIndex(provenance::DefaultFileSystem(), root_, options, &problem);
  if (!problem.empty()) std::cerr << "factdedup: " << problem << "\n";
}

absl::StatusOr<provenance::ScanResult> IndexedScanner::Scan(const provenance::Vault& vault,
                                                            const dedup::DedupOptions& options) {
  if (!enabled_) return provenance::ScanVault(vault, options);
  next_ = provenance::FactIndex(options);
  scanned_ = true;
  return provenance::ScanVaultIndexed(vault, options, {&previous_}, &next_, &stats_);
}

absl::StatusOr<provenance::ScanResult> IndexedScanner::ScanOther(
    const provenance::Vault& vault, const dedup::DedupOptions& options) {
  if (!enabled_) return provenance::ScanVault(vault, options);
  return provenance::ScanVaultIndexed(vault, options, {&next_, &previous_}, nullptr, &stats_);
}

absl::StatusOr<std::vector<provenance::Finding>> IndexedScanner::ChangeDuplicates(
    const provenance::Vault& vault, const provenance::Vault& base,
    const dedup::DedupOptions& options, const std::vector<std::string>& allowed_ids,
    provenance::ScanResult* now) {
  next_ = provenance::FactIndex(options);
  scanned_ = true;
  return provenance::ChangeDuplicateFindings(vault, base, options, {&previous_}, allowed_ids, now,
                                             &next_);
}

void IndexedScanner::Save() {
  if (!enabled_ || !scanned_) return;
  next_.set_claims(next_claims_.empty() ? previous_.claims() : std::move(next_claims_));
  // A read-only vault works without an index: the error is deliberately dropped.
  (void)provenance::SaveIndex(provenance::DefaultFileSystem(), root_, next_);
}

}  // namespace factdedup::cli
