// The merge check: duplicate clusters and conflicts that a change introduces, as findings with
// file:line, in the formats CI systems read.
//
//   std::vector<Finding> f = DuplicateFindings(vault, scan, &base, &base_scan, allowed);
//   LineSet added = AddedLocations(vault, base);
//   std::vector<Finding> c = ConflictFindings(*FindConflicts(vault, scan, {}, &added), &added,
//                                             allowed);
//   std::string sarif = FormatFindings(f, FindingFormat::kSarif, notes, "0.1.0");
#ifndef FACTDEDUP_PROVENANCE_CHECK_H_
#define FACTDEDUP_PROVENANCE_CHECK_H_

#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "provenance/conflicts.h"
#include "provenance/index.h"
#include "provenance/scan.h"
#include "provenance/vault.h"

namespace factdedup::provenance {

struct FindingLocation {
  std::string path;
  int line = 0;
  std::string text;
};

struct Finding {
  // "duplicate", or "conflict/<type>" for a conflict ("conflict/value", "conflict/polarity",
  // "conflict/name", "conflict/acronym", "conflict/frontmatter").
  std::string rule;
  // Stable id: of the cluster (ClusterId) for a duplicate, of the conflict (ConflictId).
  std::string cluster_id;
  FindingLocation where;  // the fact the finding is reported on (a variant, not the canonical)
  std::string message;
  std::vector<FindingLocation> related;  // the other facts involved (canonical first)
};

// Stable id of a cluster: "c" + 12 hex digits of the XXH3 of the canonical's display text.
std::string ClusterId(absl::string_view canonical_display);

// One finding per non-canonical member of every cluster, unless the cluster is allowed
// (`allowed_ids`), the member carries <!-- factdedup:ignore --> (never scanned), or — with a
// base — neither the member nor its canonical is a fact the change added (AddedFactTexts),
// or the same duplicate existed at the base (both texts were in one cluster there).
// A duplicate between two facts the base already had is not a finding of the change, even
// when the base clustered them apart: that happens when the change only shifts corpus
// statistics (IDF weights, common words) or removes a fact that held them in other clusters.
std::vector<Finding> DuplicateFindings(const Vault& vault, const ScanResult& scan,
                                       const Vault* base, const ScanResult* base_scan,
                                       const std::vector<std::string>& allowed_ids);

// Display texts of compared facts (DedupFacts) that `vault` has more copies of than `base`:
// what a change added (a new text, or one more copy of an existing one).
// This, ChangeDuplicateFindings and AddedLocations also take a partial `base`, loaded with
// LoadOptions::reuse = &vault and leave_out_reused (vault.h): the notes it left out are
// `vault`'s, byte for byte.
std::set<std::string> AddedFactTexts(const Vault& vault, const Vault& base);

// DuplicateFindings(vault, full scan, &base, &full base scan, allowed_ids), computed around
// the facts the change added: only the duplicate components of added facts are verified and
// clustered (ScanVaultIndexedAround), and at the base only those of the texts those clusters
// pair them with, when the base has them. Normalizations come from `previous` (as
// ScanVaultIndexed). The result is equal to the full computation's.
// When `now` is not null it receives the scan of `vault` around the added facts (every fact,
// clusters only for their duplicate groups): what FindConflicts needs with AddedLocations as
// its focus. When `next` is not null it is filled with every note of `vault` (as
// ScanVaultIndexed). `stats`, when not null, gets the passes' IndexStats added.
absl::StatusOr<std::vector<Finding>> ChangeDuplicateFindings(
    const Vault& vault, const Vault& base, const dedup::DedupOptions& options,
    absl::Span<const FactIndex* const> previous, const std::vector<std::string>& allowed_ids,
    ScanResult* now = nullptr, FactIndex* next = nullptr, IndexStats* stats = nullptr);

// Stable id of a conflict: "k" + 12 hex digits of the XXH3 of its type and its facts' keys
// (ConflictFactKey), sorted: the same for the same disagreement wherever its lines are.
std::string ConflictId(const Conflict& conflict);

// What identifies a fact of a conflict across versions of a vault: its normalized text
// (dedup::Normalizer tokens), and for a frontmatter fact also its note's base path and field.
std::string ConflictFactKey(const ConflictFact& fact);

// Where a change added something, as (path, line) locations of `vault`: every compared fact
// whose display text is added (AddedFactTexts), and every other non-blank line (frontmatter,
// paragraphs, links) whose text the base's note of the same path has fewer copies of (all of
// them when the base has no such note).
LineSet AddedLocations(const Vault& vault, const Vault& base);

// One finding per contradiction in `conflicts` (updates are never findings), rule
// "conflict/<type>", reported on the conflict's first fact with the others as related facts.
// With `added` (a base: AddedLocations), a conflict is a finding only when one of its facts is
// at an added location: the same rule as for duplicates, so the base needs no FindConflicts
// (and FindConflicts can be focused on `added`). It is then reported on the first disagreeing
// pair with an added fact, on that fact. A conflict the change only moved (same texts on other
// lines) is not a finding; one whose fact the change rewrote, even only in case or spacing, is.
// A conflict whose ConflictId is in `allowed_ids` is accepted.
std::vector<Finding> ConflictFindings(const std::vector<Conflict>& conflicts, const LineSet* added,
                                      const std::vector<std::string>& allowed_ids);

// Sorts findings by location (path, then line), keeping the order of equal ones: the order
// `check` prints them in.
void SortFindings(std::vector<Finding>* findings);

// Whether `f` reports a conflict (rule "conflict/...").
bool IsConflictFinding(const Finding& f);

enum class FindingFormat { kText, kJson, kGithub, kSarif, kJunit };

absl::StatusOr<FindingFormat> ParseFindingFormat(absl::string_view name);

// Renders findings (duplicates and conflicts alike). `notes` lists every note checked (JUnit
// has one testcase per note).
std::string FormatFindings(const std::vector<Finding>& findings, FindingFormat format,
                           const std::vector<std::string>& notes, absl::string_view version);

}  // namespace factdedup::provenance

#endif  // FACTDEDUP_PROVENANCE_CHECK_H_
