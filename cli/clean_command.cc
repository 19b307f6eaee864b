// `factdedup clean VAULT [PATH...] [--write]` and `factdedup restore VAULT PATH...`.
#include <chrono>
#include <ctime>
#include <iostream>
#include <memory>
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/commands.h"
#include "cli/indexed_scan.h"
#include "provenance/clean.h"
#include "provenance/conflicts.h"
#include "provenance/scan.h"

namespace factdedup::cli {
namespace {

std::string NowUtc() {
  std::time_t t = std::time(nullptr);
  std::tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// With --write (and for restore), the vault's lock, held from loading to writing.
absl::StatusOr<std::unique_ptr<provenance::FileLock>> Lock(const ParsedArgs& args) {
  double wait = 0;
  if (args.Has("wait") && (!absl::SimpleAtod(args.Get("wait"), &wait) || !(wait >= 0))) {
    return absl::InvalidArgumentError(
        absl::StrCat("--wait '", args.Get("wait"), "' is not a number of seconds"));
  }
  return provenance::LockVault(provenance::DefaultFileSystem(), args.positionals[0], wait);
}

int RunClean(const ParsedArgs& args) {
  const bool write = args.Has("write");
  std::unique_ptr<provenance::FileLock> lock;
  if (write) {
    absl::StatusOr<std::unique_ptr<provenance::FileLock>> locked = Lock(args);
    if (!locked.ok()) return Fail(locked.status());
    lock = *std::move(locked);
  }
  absl::StatusOr<int> threads = ParseThreads(args);
  if (!threads.ok()) return Fail(threads.status());
  Progress progress(Progress::FromArgs(args));
  // The index is read (normalizations and claim summaries of unchanged notes), never written:
  // a dry run writes nothing, and a rewrite leaves the index to the next scan.
  absl::StatusOr<VaultAndIndex> loaded =
      LoadVaultAndIndex(args.positionals[0], &progress, *threads, !args.Has("no-index"));
  if (!loaded.ok()) return Fail(loaded.status());
  progress.StageDone("index load", loaded->index_seconds);
  std::optional<provenance::Vault> vault(std::move(loaded->vault));
  IndexedScanner& scanner = *loaded->scanner;
  scanner.NeverSave();
  provenance::CleanOptions options;
  options.paths.assign(args.positionals.begin() + 1, args.positionals.end());
  options.include_evidence = args.Has("include-evidence");
  absl::StatusOr<provenance::CleanOptions::LinkStyle> style =
      provenance::ParseLinkStyle(args.Get("link-style", vault->config.link_style));
  if (!style.ok()) return Fail(style.status());
  options.link_style = *style;
  absl::StatusOr<ScannedVault> scanned =
      ScanAndFindConflicts(*vault, vault->config.dedup, scanner, &progress);
  if (!scanned.ok()) return Fail(scanned.status());
  const provenance::ScanResult* scan = &scanned->scan;
  const auto t0 = std::chrono::steady_clock::now();
  options.conflicts = &scanned->conflicts;
  absl::StatusOr<provenance::CleanPlan> plan = provenance::PlanClean(*vault, *scan, options);
  if (!plan.ok()) return Fail(plan.status());
  progress.StageDone("plan (rewrite)", Progress::Since(t0));
  progress.Clear();
  if (!write) {
    for (const provenance::PagePlan& p : plan->pages) {
      std::cout << provenance::UnifiedDiff(p.path, p.before, p.after);
    }
  }
  int64_t saved = 0;
  for (const provenance::PagePlan& p : plan->pages) {
    saved += static_cast<int64_t>(p.before.size()) - static_cast<int64_t>(p.after.size());
    std::cerr << absl::StrFormat(
        "%s: %d -> %d facts, %d clusters merged, %d bytes saved\n", p.path, p.facts_before,
        p.facts_after, p.clusters_merged,
        static_cast<int64_t>(p.before.size()) - static_cast<int64_t>(p.after.size()));
    for (const provenance::KeptConflict& k : p.conflicting) {
      std::cerr << absl::StrFormat("  kept line %d, %s conflict with %s:%d ('%s' vs '%s')\n",
                                   k.line, k.type, k.kept_path, k.kept_line, k.value, k.kept_value);
    }
  }
  std::cerr << absl::StrFormat("%s %d page(s), %d bytes saved%s\n",
                               write ? "cleaned" : "would clean", plan->pages.size(), saved,
                               write || plan->pages.empty() ? "" : " (dry run; --write applies)");
  if (write && !plan->pages.empty()) {
    absl::Status s =
        provenance::ApplyClean(provenance::DefaultFileSystem(), *vault, *plan, NowUtc());
    if (!s.ok()) return Fail(s);
  }
  progress.Finish(absl::StrFormat("%d facts in %d notes, %d clusters", scan->facts.size(),
                                  vault->notes.size(), scan->dedup.clusters.size()));
  return vault->has_errors() ? kExitError : kExitOk;
}

int RunRestore(const ParsedArgs& args) {
  absl::StatusOr<std::unique_ptr<provenance::FileLock>> lock = Lock(args);
  if (!lock.ok()) return Fail(lock.status());
  int code = kExitOk;
  for (size_t i = 1; i < args.positionals.size(); ++i) {
    absl::Status s = provenance::RestorePage(provenance::DefaultFileSystem(), args.positionals[0],
                                             args.positionals[i], NowUtc());
    if (!s.ok()) {
      code = Fail(s);
    } else {
      std::cerr << args.positionals[i] << ": restored\n";
    }
  }
  return code;
}

}  // namespace

Command CleanCommand() {
  return {{"clean",
           "VAULT [PATH...] [--write] [--link-style wikilink|footnote|none] [--include-evidence]",
           "keep one bullet per duplicate cluster on each page (dry run by default)",
           "Within each page's fact sections, each cluster keeps one bullet (the canonical when\n"
           "it is on that page) with links to every other note that stated it appended as\n"
           "' (sources: [[...]], ...)' (or a footnote); the other variants on the page are\n"
           "removed. A variant that contradicts the kept bullet (values, dates, names,\n"
           "polarity) stays, marked ' \u26A0 <!-- factdedup:conflict ... -->'. Without\n"
           "--write, prints a unified diff and a per-page summary (stderr) and writes nothing.\n"
           "With --write, saves each page's old bytes and a journal record under\n"
           ".factdedup/ (see docs/clean-journal.md), then rewrites it atomically; a page that\n"
           "changed since it was read is refused. Only one run writes a vault at a time\n"
           "(lock file .factdedup/lock); another is refused, or waits with --wait.\n"
           "Meeting notes and raw articles (evidence), sync-conflict copies and notes that\n"
           "did not parse fully are never rewritten.\n"
           "Running it twice changes nothing the second time. `factdedup restore` undoes it.",
           {{"write", "", "apply the changes (atomic, recorded for restore)"},
            {"link-style", "S", "wikilink (default), footnote or none (config: link_style)"},
            {"include-evidence", "", "also rewrite evidence notes"},
            {"no-index", "", "do not read the index in VAULT/.factdedup/ (clean never writes it)"},
            {"wait", "SECONDS",
             "with --write, wait up to SECONDS for another run writing this vault "
             "(default 0: refuse at once)"},
            ThreadsFlag(),
            ProgressFlags()[0],
            ProgressFlags()[1]},
           1,
           -1},
          RunClean};
}

Command RestoreCommand() {
  return {{"restore",
           "VAULT PATH...",
           "undo the last `clean --write` of each page, byte for byte",
           "Puts back each page exactly as it was before its last clean, from the backup and\n"
           "journal under .factdedup/. Refuses a page that changed since that clean wrote it.",
           {{"wait", "SECONDS",
             "wait up to SECONDS for another run writing this vault (default 0: refuse)"}},
           2,
           -1},
          RunRestore};
}

}  // namespace factdedup::cli
