// Scans through the vault's incremental index (provenance/index.h), for `scan` and `check`.
//
//   IndexedScanner scanner(root, options, /*enabled=*/!args.Has("no-index"));
//   absl::StatusOr<ScanResult> now = scanner.Scan(vault, options);       // the vault at root
//   absl::StatusOr<ScanResult> then = scanner.ScanOther(base, options);  // reuses, never saves
//   scanner.Save();
//
// A bad index is reported with one line on stderr and rebuilt. Save() writes
// <root>/.factdedup/index.bin when it can; on a read-only vault it writes nothing and says
// nothing. Disabled, it neither loads nor saves an index file, and results are the same as
// provenance::ScanVault's; Scan() still keeps this run's normalizations in memory for
// ConflictOptionsFor.
#ifndef FACTDEDUP_CLI_INDEXED_SCAN_H_
#define FACTDEDUP_CLI_INDEXED_SCAN_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/progress.h"
#include "dedup/engine.h"
#include "provenance/check.h"
#include "provenance/config.h"
#include "provenance/conflicts.h"
#include "provenance/index.h"
#include "provenance/scan.h"
#include "provenance/vault.h"

namespace factdedup::cli {

class IndexedScanner {
 public:
  // Loads <root>/.factdedup/index.bin when `enabled`. A bad index is reported on stderr, or,
  // when `problem` is not null, put there for the caller to report.
  IndexedScanner(std::string root, const dedup::DedupOptions& options, bool enabled,
                 std::string* problem = nullptr);

  // Scans the vault at `root`; its notes become the index Save() writes.
  absl::StatusOr<provenance::ScanResult> Scan(const provenance::Vault& vault,
                                              const dedup::DedupOptions& options);
  // Scans another copy of the vault (a base), reusing notes of the same content.
  absl::StatusOr<provenance::ScanResult> ScanOther(const provenance::Vault& vault,
                                                   const dedup::DedupOptions& options);
  // provenance::ChangeDuplicateFindings of `vault` against `base`, reading normalizations from
  // the index; the vault's notes become the index Save() writes. `now` as there.
  absl::StatusOr<std::vector<provenance::Finding>> ChangeDuplicates(
      const provenance::Vault& vault, const provenance::Vault& base,
      const dedup::DedupOptions& options, const std::vector<std::string>& allowed_ids,
      provenance::ScanResult* now);
  // Claim summaries for FindConflicts: those of the loaded index (null when disabled), and
  // where to put this run's (Save() writes them; without a conflict pass it keeps the loaded
  // ones). After a scan whose index Save() will not write (see Save: a pass around a change,
  // or a scan without a corpus state, over an index that has one), next_claims() is null:
  // the conflict pass then collects no summaries (its findings are the same).
  const provenance::ClaimCache* previous_claims() const {
    return enabled_ ? &previous_.claims() : nullptr;
  }
  provenance::ClaimCache* next_claims() { return MaySave() ? &next_claims_ : nullptr; }
  // Where FindConflicts puts the line summaries of a pass over the whole vault, for Save()
  // to write (it keeps the loaded ones otherwise); null when next_claims() is.
  provenance::LineSummaries* next_line_summaries() { return MaySave() ? &next_lines_ : nullptr; }
  // Options for FindConflicts on `scan`, the result of the last Scan() or ChangeDuplicates()
  // of `vault`: the conflict pass reads the facts' normalizations from this run's index
  // instead of normalizing them again (ConflictOptions::normalized), enabled or not; with
  // `options.threads` threads. `vault` and `scan` must outlive the options (their function
  // reads the facts' displays), as this scanner must.
  provenance::ConflictOptions ConflictOptionsFor(const provenance::Vault& vault,
                                                 const provenance::ScanResult& scan,
                                                 const dedup::DedupOptions& options) const;
  // The options ConflictOptionsFor gives but the facts' normalizations: what
  // provenance::FindLineConflicts reads, with the loaded index's line summaries (this scanner
  // must outlive the options). Safe to call beside a scan.
  provenance::ConflictOptions LineConflictOptions(const dedup::DedupOptions& options) const;
  // After the last conflict pass over the last Scan(): frees that scan's normalizations (the
  // notes of the index Save() writes) unless Save() is still to write them. Later
  // ConflictOptionsFor give no normalizations (the conflict pass normalizes the facts itself).
  void DropNormalizations();
  // Writes the index of the last Scan(), if enabled and writable, unless the run's new facts
  // (by text within their note) plus new claim summaries number under 1% of its facts (then
  // rewriting it would cost more than it saves). Failures are ignored.
  void Save();

  const provenance::IndexStats& stats() const { return stats_; }

  // From now on this scanner only reads the loaded index: Save() writes nothing, no save is
  // begun, and scans capture no corpus state nor claim summaries (a dry run writes nothing).
  // Call before Scan.
  void NeverSave() { writable_ = false; }

 private:
  // Whether Save() may write the index of the last scan: enabled, scanned, and not a next
  // index without a corpus state replacing one that has it.
  bool MaySave() const;
  // After a Scan whose index Save() is sure to write (one with a corpus state, replacing no
  // index or changing 1% of its facts or more): writes the notes and the corpus state on a
  // thread of its own (provenance::IndexWriter; on this one with one thread), beside the
  // conflict pass, and frees the state (a quarter of a scan's peak memory at 1M facts,
  // held until the end otherwise); Save() then adds the claims.
  void BeginSave(int threads);
  // Forgets a save BeginSave began (before another scan replaces the index it writes).
  void DropSave();
  // The facts of the last scan's notes whose text the loaded index lacks (by note content,
  // else by text within the note at the same path); *facts gets all of them.
  size_t FreshFacts(size_t* facts) const;

  std::string root_;
  bool enabled_;
  provenance::FactIndex previous_, next_;
  provenance::ClaimCache next_claims_;
  provenance::LineSummaries next_lines_;
  bool scanned_ = false;
  provenance::IndexStats stats_;
  bool writable_ = true;         // NeverSave() clears it
  bool corpus_on_disk_ = false;  // BeginSave began: next_'s corpus state goes to the file
  bool dropped_ = false;         // DropNormalizations freed next_'s notes
  std::unique_ptr<provenance::IndexWriter> writer_;
  std::jthread beginner_;  // last: joined before the members it uses go
};

// What `scan`, `clean` and `report` compute of a vault: its duplicate clusters
// (`scanner.Scan`, with progress; the engine's stages recorded) and its conflicts over the
// whole vault (FindConflicts reading the facts' normalizations from the scan's index and the
// loaded index's claim summaries; stage "conflicts"). `options.threads` threads.
struct ScannedVault {
  provenance::ScanResult scan;
  std::vector<provenance::Conflict> conflicts;
};
absl::StatusOr<ScannedVault> ScanAndFindConflicts(const provenance::Vault& vault,
                                                  dedup::DedupOptions options,
                                                  IndexedScanner& scanner, Progress* progress);

// IndexedScanner::Save() beside what the caller does next (nothing either reads changes any
// more): on a thread of its own, or at once with one thread (or when no thread can start).
// Done() waits for it and records the "index save" stage with `detail`; the destructor
// waits too.
class SaveBeside {
 public:
  SaveBeside(IndexedScanner& scanner, int threads);
  void Done(Progress* progress, const std::string& detail);

 private:
  double seconds_ = 0;
  std::jthread thread_;
};

// A vault and its index, loaded together.
struct VaultAndIndex {
  provenance::Vault vault;
  std::unique_ptr<IndexedScanner> scanner;
  double index_seconds = 0;  // loading the index (beside reading the vault when threaded)
};

// LoadVaultOrReport(root, false, progress, nullptr, threads), and an IndexedScanner for
// `root` with the options `options_of(vault.config)` (those the caller scans with; an error
// from it is returned after the vault loads). With more than one thread, the index is read on
// a thread of its own while the vault is (it needs only the configuration, read once more for
// it); a bad index is reported after the vault's diagnostics either way.
absl::StatusOr<VaultAndIndex> LoadVaultAndIndex(
    const std::string& root, Progress* progress, int threads, bool use_index,
    const std::function<absl::StatusOr<dedup::DedupOptions>(const provenance::Config&)>&
        options_of);

// The same, scanning with the configuration's dedup options.
absl::StatusOr<VaultAndIndex> LoadVaultAndIndex(const std::string& root, Progress* progress,
                                                int threads, bool use_index);

}  // namespace factdedup::cli

#endif  // FACTDEDUP_CLI_INDEXED_SCAN_H_
