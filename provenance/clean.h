// Cleaning bloated pages: within each page's fact sections, each duplicate cluster keeps one
// bullet (with links to every source that stated it); the other variants on that page are
// removed and recorded so that `RestorePage` brings the page back byte for byte.
//
//   absl::StatusOr<CleanPlan> plan = PlanClean(vault, scan, {});
//   for (const PagePlan& p : plan->pages) std::cout << UnifiedDiff(p.path, p.before, p.after);
//   absl::Status s = ApplyClean(fs, vault, *plan, "2026-11-22T10:00:00Z");   // --write
//
// Everything outside the removed bullets and the kept bullets' source suffix stays
// byte-identical. Evidence notes (meeting notes, raw articles), versions of a note
// (sync-conflict copies) and notes that were not fully parsed are never rewritten.
// The on-disk record is documented in docs/clean-journal.md.
#ifndef FACTDEDUP_PROVENANCE_CLEAN_H_
#define FACTDEDUP_PROVENANCE_CLEAN_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "provenance/conflicts.h"
#include "provenance/io.h"
#include "provenance/scan.h"
#include "provenance/sources.h"
#include "provenance/vault.h"

namespace factdedup::provenance {

inline constexpr int kJournalVersion = 1;
inline constexpr char kStateDir[] = ".factdedup";
// Journal, backups and pages larger than this are not read by clean/restore (1 GiB).
inline constexpr uint64_t kMaxJournalSize = 1ull << 30;

struct CleanOptions {
  enum class LinkStyle {
    kWikilink,  // " (sources: [[path|name]], ...)" appended to the kept bullet (default)
    kFootnote,  // " [^fd-xxxxxx]" appended, definitions at the end of the page
    kNone,      // no links appended
  };
  LinkStyle link_style = LinkStyle::kWikilink;
  SourceOptions sources;
  // Also rewrite evidence notes (meeting notes, raw articles). Default false.
  bool include_evidence = false;
  // Vault-relative pages to clean; empty means every page.
  std::vector<std::string> paths;
  // FindConflicts' output for the same scan, when the caller has it; nullptr: PlanClean finds
  // the conflicts itself. Not owned.
  const std::vector<Conflict>* conflicts = nullptr;
};

struct RemovedVariant {
  int line = 0;            // in the page before cleaning
  std::string raw;         // the bullet's whole lines, as they were
  std::string text;        // display text
  int canonical_line = 0;  // the kept bullet's line (before cleaning)
  std::string canonical_text;
  double similarity = 0;
  std::string relation;
};

// A variant that contradicts the bullet it would be merged into (or the cluster's canonical):
// it stays on the page, marked with ConflictMarker().
struct KeptConflict {
  int line = 0;  // in the page before cleaning
  std::string text;
  std::string value;  // the variant's disagreeing value, as FindConflicts reports it
  // The bullet it conflicts with: the page's kept bullet, else the canonical on another page.
  std::string kept_path;
  int kept_line = 0;  // before cleaning
  std::string kept_text;
  std::string kept_value;
  std::string type;  // "value", "polarity", "name" or "acronym"
};

struct PagePlan {
  int note = 0;
  std::string path;
  std::string before, after;
  std::vector<RemovedVariant> removed;
  std::vector<KeptConflict> conflicting;  // variants kept because they conflict
  int facts_before = 0, facts_after = 0, clusters_merged = 0;
  bool changed() const { return before != after; }
};

struct CleanPlan {
  std::vector<PagePlan> pages;  // only pages that change, in vault order
};

// Parses "wikilink", "footnote" or "none".
absl::StatusOr<CleanOptions::LinkStyle> ParseLinkStyle(absl::string_view name);

// "[[path|name]], ..." for every source that is not `page_path` or a version of it.
std::string SourcesLinks(const std::vector<Source>& sources, absl::string_view page_path);

// The suffix `clean` appends to a kept bullet, or "" when there are no other sources.
std::string SourcesSuffix(const std::vector<Source>& sources, absl::string_view page_path,
                          CleanOptions::LinkStyle style);
// Length of a trailing sources suffix in a bullet's raw text (0 if none).
size_t SourcesSuffixLength(absl::string_view raw);

// The mark `clean` appends to a conflicting variant it keeps:
//   " ⚠ <!-- factdedup:conflict <type> with: <the other bullet's text, at most 160 bytes> -->"
// Obsidian shows the ⚠ and hides the comment in reading view; the comment is not part of the
// fact's text for scanning. `other_text` is used without its sources suffix.
std::string ConflictMarker(absl::string_view type, absl::string_view other_text);
// Length of a trailing conflict marker in a bullet's raw text (0 if none).
size_t ConflictMarkerLength(absl::string_view raw);

// Variants that conflict with the bullet they would be merged into (or with the cluster's
// canonical) are never removed: they stay, marked with ConflictMarker() (see
// docs/clean-journal.md). A conflict counts when FindConflicts names both facts in one
// contradiction and, for "value" and "polarity", still finds it between the two facts alone.
absl::StatusOr<CleanPlan> PlanClean(const Vault& vault, const ScanResult& scan,
                                    const CleanOptions& options);

// A unified diff (3 lines of context) from `before` to `after`, with a/ and b/ headers.
std::string UnifiedDiff(absl::string_view path, absl::string_view before, absl::string_view after);

// Takes the vault's write lock, `<vault>/.factdedup/lock` (its folder created if missing),
// waiting up to `wait_seconds` (0: not at all) while another process holds it; then fails with
// kUnavailable: "<vault>: another factdedup is writing this vault (pid N)". Hold the lock from
// loading the vault until ApplyClean or RestorePage returns, so no update is lost.
absl::StatusOr<std::unique_ptr<FileLock>> LockVault(FileSystem* fs, const std::string& vault_root,
                                                    double wait_seconds);

// Writes every changed page, in three steps (docs/clean-journal.md): the old bytes of every
// page under `<vault>/.factdedup/backups/`, then one journal record per page (one atomic
// rewrite of the journal), then each page atomically. A page whose backup fails, or that
// changed on disk since it was read (kAborted), is left untouched; the others are still
// written. If the journal cannot be written, no page is. Temp files of an interrupted earlier
// run (Vault::temp_files) are removed first. Returns the first error. Call it with the vault
// lock held (LockVault).
absl::Status ApplyClean(FileSystem* fs, const Vault& vault, const CleanPlan& plan,
                        absl::string_view timestamp);

// Puts back the page as it was before the clean that wrote its current bytes, if that is the
// latest record producing them (otherwise kFailedPrecondition or kNotFound, nothing written).
// `path` is vault-relative; one that climbs out of the vault is refused (kInvalidArgument).
// A journal line that is not a well-formed record is an error naming the line (kDataLoss).
absl::Status RestorePage(FileSystem* fs, const std::string& vault_root, absl::string_view path,
                         absl::string_view timestamp);

}  // namespace factdedup::provenance

#endif  // FACTDEDUP_PROVENANCE_CLEAN_H_
